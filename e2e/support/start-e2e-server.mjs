// Starts the production build on a fresh data folder, so every e2e run begins at first-run setup.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CONSOLE_ENV, CONSOLE_NODE_ARGS, consoleServer } from "../../scripts/next-build.mjs";

const root = path.resolve(import.meta.dirname, "..", "..");
if (!fs.existsSync(path.join(root, process.env.SLIPWAY_NEXT_DIST || ".next", "BUILD_ID"))) {
  console.error("No production build: run `npx next build` first (npm test does).");
  process.exit(1);
}
const suffix = process.env.E2E_NAME ? `-${process.env.E2E_NAME}` : "";
const dataDir = path.join(root, ".slipway", `e2e-data${suffix}`);
const workDir = path.join(root, ".slipway", `e2e-work${suffix}`);
fs.rmSync(dataDir, { recursive: true, force: true });
fs.rmSync(workDir, { recursive: true, force: true });
const child = spawn(process.execPath, [...CONSOLE_NODE_ARGS, consoleServer(root), "-p", process.env.PORT ?? "3100"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    ...CONSOLE_ENV,
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_WORK_DIR: workDir,
    SLIPWAY_ROUTER_PORT: process.env.E2E_ROUTER_PORT ?? "8100",
    SLIPWAY_HEALTH_TIMEOUT_MS: "20000",
    DATABASE_URL: "",
  },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
