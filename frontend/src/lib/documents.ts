/** A media type without its parameters, in lower case: "text/html; charset=utf-8" -> "text/html". */
export function baseType(type: string): string {
  return type.split(";")[0].trim().toLowerCase();
}

/**
 * The sandbox attribute for an uploaded document shown in an iframe. A blob URL has the app's
 * own origin (the API's Content-Security-Policy does not come with it), so anything that could
 * run script, HTML above all, is framed with no scripts, forms, popups or top-level navigation;
 * only a PDF goes unsandboxed, because the browser's PDF viewer does not run in a sandboxed frame.
 *
 * allow-same-origin without allow-scripts: nothing in the frame can run, so it cannot use that
 * origin (only a script could, and none runs). Without it (an opaque origin) Chromium stopped
 * following the app's own links once the framed document had changed (tests/web/test_review_ui.py).
 */
export function frameSandbox(type: string): string | undefined {
  return baseType(type) === "application/pdf" ? undefined : "allow-same-origin";
}
