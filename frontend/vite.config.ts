import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// The built index.html's Content-Security-Policy. Scripts only from this origin's files (the
// bundle and config.js; no inline script, no eval); MUI's emotion writes <style> elements, hence
// 'unsafe-inline' for styles. Documents are shown from blob: URLs (images, frames, a PDF's
// viewer). A document opened from a blob: URL inherits this policy, so an uploaded HTML file
// opened outside its sandboxed frame still runs no script. The API may be on another origin
// (config.js's apiBase): https, or loopback for the local world.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "frame-src 'self' blob:",
  "object-src 'self' blob:",
  "connect-src 'self' https: http://127.0.0.1:* http://localhost:*",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

// Only in the build: the dev server's React refresh preamble is an inline script.
function contentSecurityPolicy(): Plugin {
  return {
    name: "content-security-policy",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: CONTENT_SECURITY_POLICY },
        injectTo: "head-prepend",
      },
    ],
  };
}

// Content-hashed names in hex (name.<hash>.js): the cdn role's cache rule serves those
// immutable for a year; index.html and config.js (public/, copied as is) are no-cache.
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      output: {
        hashCharacters: "hex",
        entryFileNames: "assets/[name].[hash].js",
        chunkFileNames: "assets/[name].[hash].js",
        assetFileNames: "assets/[name].[hash][extname]",
      },
    },
  },
});
