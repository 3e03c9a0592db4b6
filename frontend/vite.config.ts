import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Content-hashed names in hex (name.<hash>.js): the cdn role's cache rule serves those
// immutable for a year; index.html and config.js (public/, copied as is) are no-cache.
export default defineConfig({
  plugins: [react()],
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
