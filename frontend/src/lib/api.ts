// The one API client: adds the token, turns error bodies ({error, field}) into ApiError,
// and reports a refused token (401) so the app can return to sign in.

declare global {
  interface Window {
    INVOICE_CONFIG?: { apiBase?: string };
  }
}

const TOKEN_KEY = "invoice.token";

export function apiBase(): string {
  return (window.INVOICE_CONFIG?.apiBase ?? "").replace(/\/$/, "");
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A request sent with ``token`` was refused: sign out, unless that token has been replaced since
 * (a slow request or upload answering after the user signed in again must not end the new session). */
function sessionExpired(token: string): void {
  if (getToken() !== token) return;
  setToken(null);
  expiredListeners.forEach((listener) => listener());
}

export class ApiError extends Error {
  readonly status: number;
  readonly field: string | null;
  readonly body: Record<string, unknown>;

  constructor(status: number, message: string, field: string | null, body: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.field = field;
    this.body = body;
  }
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();

/** Called when the API refuses the token the app holds (expired or revoked). */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers = new Headers();
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  const response = await fetch(`${apiBase()}${path}`, {
    method: options.method ?? (body ? "POST" : "GET"),
    headers,
    body,
    signal: options.signal,
  });
  if (!response.ok) {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = (await response.json()) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    if (response.status === 401 && token) sessionExpired(token);
    const message = typeof parsed.error === "string" ? parsed.error : `${response.status} ${response.statusText}`;
    const field = typeof parsed.field === "string" ? parsed.field : null;
    throw new ApiError(response.status, message, field, parsed);
  }
  return response;
}

/** A JSON request. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  return (await response.json()) as T;
}

/** A file with the Authorization header, as a blob URL (never a token in a URL). */
export async function fileUrl(path: string, signal?: AbortSignal): Promise<{ url: string; type: string }> {
  const response = await send(path, { signal });
  const blob = await response.blob();
  return { url: URL.createObjectURL(blob), type: blob.type };
}

/** A file the API sends (any method), with its headers: downloads go through this, the token in
 * the Authorization header (never in a URL). */
export async function apiFile(path: string, options: RequestOptions = {}): Promise<{ blob: Blob; filename: string | null; headers: Headers }> {
  const response = await send(path, options);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const match = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  const filename = match ? decodeURIComponent(match[1] ?? match[2]) : null;
  return { blob: await response.blob(), filename, headers: response.headers };
}

/** Save a blob as a file through a temporary link (the browser's download). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The message for a field from an error, when the API named that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/** A field's error state and helper text: the API's message for it, else the hint. */
export function fieldHelp(error: unknown, field: string, hint = " "): { error: boolean; helperText: string } {
  const message = fieldError(error, field);
  return { error: Boolean(message), helperText: message ?? hint };
}

/** The message of an error that names no field of the given list (shown at the top of a form). */
export function formError(error: unknown, fields: string[] = []): string | undefined {
  if (!error) return undefined;
  if (error instanceof ApiError) return error.field && fields.includes(error.field) ? undefined : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A multipart POST through XMLHttpRequest, for its upload progress (fetch has none). */
export function uploadWithProgress<T>(path: string, form: FormData, onProgress: (share: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${apiBase()}${path}`);
    const token = getToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new Error("The upload failed: no answer from the API"));
    xhr.onload = () => {
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        parsed = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(parsed as T);
        return;
      }
      if (xhr.status === 401 && token) sessionExpired(token);
      const message = typeof parsed.error === "string" ? parsed.error : `${xhr.status} ${xhr.statusText}`;
      reject(new ApiError(xhr.status, message, typeof parsed.field === "string" ? parsed.field : null, parsed));
    };
    xhr.send(form);
  });
}
