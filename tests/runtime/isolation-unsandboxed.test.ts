/**
 * The baseline where bubblewrap is missing (or SLIPWAY_SANDBOX=off): the user drop alone still keeps
 * instances out of the data folder, away from the console's signals and out of root's files. Only a
 * private /tmp needs the sandbox. Needs root.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sandboxCapabilities } from "@/server/runtime/process/sandbox";
import { IS_ROOT, makeRuntimeDirs, type RuntimeDirs } from "../support/runtime-apps";
import { isolationChecks as check, runProbe, type ProbeReport } from "../support/runtime-probe";

// Before anything probes the sandbox: its capabilities are read once per module graph.
vi.stubEnv("SLIPWAY_SANDBOX", "off");

const REPO = path.resolve(import.meta.dirname, "../..");
const CONSOLE_ONLY = "SLIPWAY_ISOLATION_CONSOLE_SECRET";

if (!IS_ROOT) console.warn("unsandboxed isolation tests skipped: they need root (the user drop happens only as root)");

describe.skipIf(!IS_ROOT)("instance isolation as root without bubblewrap (user drop only)", () => {
  let dirs: RuntimeDirs;
  let report: ProbeReport;

  beforeAll(async () => {
    expect(sandboxCapabilities().bubblewrap).toBeNull();
    dirs = makeRuntimeDirs("isolation-nobwrap");
    process.env[CONSOLE_ONLY] = "console-only";
    try {
      report = await runProbe(dirs, REPO);
    } finally {
      delete process.env[CONSOLE_ONLY];
    }
  });
  afterAll(() => {
    dirs?.remove();
    vi.unstubAllEnvs();
  });

  it("runs as the unprivileged app user", () => check.dropsRoot(report));
  it("cannot read a 0700 root-owned folder listed in hiddenDirs", () => check.hidesDataFolder(report, dirs));
  it("cannot signal the console process", () => check.cannotSignalConsole(report));
  it("cannot write outside its writable folder (/etc, the repository, its own build folder)", () => check.writesOnlyItsFolder(report));
  it("gets none of the console's environment", () => check.consoleEnvAbsent(report, CONSOLE_ONLY));
});
