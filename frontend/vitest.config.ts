import { defineConfig, mergeConfig } from "vitest/config";
import viteConfig from "./vite.config";

// `npm test`: the unit tests beside the sources (src/**/*.test.ts). fields.test.ts reads the
// API's column table (../app/tables.py), outside this folder: ../app is readable here only, not in `vite dev`.
export default mergeConfig(
  viteConfig,
  defineConfig({
    server: { fs: { allow: [".", "../app"] } },
    test: { include: ["src/**/*.test.ts"], environment: "node" },
  }),
);
