/**
 * Deployed code is contained: as root the console drops instances to the app user and, where
 * bubblewrap is installed (CI), sandboxes them. Real processes, started through the Supervisor.
 * Needs root (CI runs as root); the unsandboxed baseline is in isolation-unsandboxed.test.ts.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { sandboxCapabilities } from "@/server/runtime/process/sandbox";
import { IS_ROOT, makeRuntimeDirs, type RuntimeDirs } from "../support/runtime-apps";
import { isolationChecks as check, runProbe, type ProbeReport } from "../support/runtime-probe";

const REPO = path.resolve(import.meta.dirname, "../..");
const CONSOLE_ONLY = "SLIPWAY_ISOLATION_CONSOLE_SECRET";
const bubblewrap = IS_ROOT ? sandboxCapabilities().bubblewrap : null;

if (!IS_ROOT) console.warn("isolation tests skipped: they need root (the console drops instances to the app user only when it runs as root)");

describe.skipIf(!IS_ROOT)(`instance isolation as root (bubblewrap: ${bubblewrap ?? "not installed"})`, () => {
  let dirs: RuntimeDirs;
  let report: ProbeReport;

  beforeAll(async () => {
    dirs = makeRuntimeDirs("isolation");
    process.env[CONSOLE_ONLY] = "console-only";
    try {
      report = await runProbe(dirs, REPO);
    } finally {
      delete process.env[CONSOLE_ONLY];
    }
  });
  afterAll(() => dirs?.remove());

  it("runs as the unprivileged app user", () => check.dropsRoot(report));
  it("cannot read a 0700 root-owned folder listed in hiddenDirs", () => check.hidesDataFolder(report, dirs));
  it("cannot signal the console process", () => check.cannotSignalConsole(report));
  it("cannot write outside its writable folder (/etc, the repository, its own build folder)", () => check.writesOnlyItsFolder(report));
  it.skipIf(!bubblewrap)("has a private /tmp", () => check.privateTmp(report));
  it("gets none of the console's environment", () => check.consoleEnvAbsent(report, CONSOLE_ONLY));
});
