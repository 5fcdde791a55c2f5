// Builds the router's native data plane (server/runtime/process/router/native, Rust, no crates) with
// cargo, offline. Runs after `npm ci` (postinstall) and before the console starts; cargo skips the
// work when nothing changed. Without cargo the router runs its JS data plane and this says so.
//
//   --required   fail (exit 1) when it cannot be built: the test command needs both data planes.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CRATE = path.join(ROOT, "server", "runtime", "process", "router", "native");
const required = process.argv.includes("--required");

function findCargo() {
  const onPath = spawnSync("cargo", ["--version"], { stdio: "ignore" });
  if (onPath.status === 0) return "cargo";
  const home = path.join(process.env.CARGO_HOME || path.join(os.homedir(), ".cargo"), "bin", "cargo");
  return fs.existsSync(home) ? home : null;
}

const cargo = findCargo();
if (!cargo) {
  const msg = "[slipway] cargo not found: the router runs its JS data plane (install Rust to build the native one)";
  if (required) {
    console.error(`${msg}; the tests need it`);
    process.exit(1);
  }
  console.log(msg);
  process.exit(0);
}
const r = spawnSync(cargo, ["build", "--release", "--offline", "--quiet"], { cwd: CRATE, stdio: "inherit" });
if (r.status !== 0) {
  const msg = `[slipway] building the native router failed (cargo exit ${r.status ?? r.signal})`;
  if (required) {
    console.error(msg);
    process.exit(1);
  }
  console.log(`${msg}: the router runs its JS data plane`);
}
