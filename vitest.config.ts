import { defineConfig } from "vitest/config";
import os from "node:os";
import path from "node:path";

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // `server-only` throws outside a React Server bundle; tests are server code.
      "server-only": path.resolve(import.meta.dirname, "tests/support/server-only-stub.ts"),
    },
  },
  test: {
    environment: "node",
    include: ["tests/**/*.test.ts"],
    // bcrypt at cost 4 instead of 12: password hashing in tests takes ~1 ms, not ~0.25 s.
    // Sources: the suites deploy from scratch folders under the temp folder and from examples/; the
    // source policy is configured for that, never loosened (git hosts on this machine stay refused).
    env: { SLIPWAY_BCRYPT_COST: "4", SLIPWAY_SOURCE_ROOTS: [os.tmpdir(), path.join(import.meta.dirname, "examples")].join(path.delimiter) },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more workers only make each PGlite start slower.
    maxWorkers: 2,
  },
});
