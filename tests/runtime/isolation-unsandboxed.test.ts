/**
 * The baseline where bubblewrap is missing (or SLIPWAY_SANDBOX=off): a user per service alone still
 * keeps instances out of the data folder, out of each other's folders, secret files, environments and
 * processes, away from the console's signals and out of root's files. Only a private /tmp (and hiding
 * what is world-readable) needs the sandbox. Needs root.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sandboxCapabilities } from "@/server/runtime/process/sandbox";
import { IS_ROOT, makeRuntimeDirs, SCRATCH_BASE, type RuntimeDirs } from "../support/runtime-apps";
import { isolationChecks as check, runProbe, startNeighbour, type Neighbour, type ProbeReport } from "../support/runtime-probe";

// Before anything probes the sandbox: its capabilities are read once per module graph.
vi.stubEnv("SLIPWAY_SANDBOX", "off");

const REPO = path.resolve(import.meta.dirname, "../..");
const CONSOLE_ONLY = "SLIPWAY_ISOLATION_CONSOLE_SECRET";

if (!IS_ROOT) console.warn("unsandboxed isolation tests skipped: they need root (the user drop happens only as root)");

describe.skipIf(!IS_ROOT)("instance isolation as root without bubblewrap (user drop only)", () => {
  let work: string;
  let dirs: RuntimeDirs;
  let neighbour: Neighbour;
  let report: ProbeReport;

  beforeAll(async () => {
    expect(sandboxCapabilities().bubblewrap).toBeNull();
    work = fs.mkdtempSync(path.join(SCRATCH_BASE, "slipway-isolation-nobwrap-work-"));
    fs.chmodSync(work, 0o711);
    neighbour = await startNeighbour(work);
    dirs = makeRuntimeDirs("isolation-nobwrap", undefined, work);
    process.env[CONSOLE_ONLY] = "console-only";
    try {
      report = await runProbe(dirs, REPO, { neighbour, work });
    } finally {
      delete process.env[CONSOLE_ONLY];
    }
  });
  afterAll(async () => {
    await neighbour?.stop();
    dirs?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it("runs as its service's unprivileged user, not the neighbour's", () => {
    check.dropsRoot(report);
    expect((report.results.uid as { value: number }).value).toBe(dirs.runAs?.uid);
    expect(dirs.runAs?.uid).not.toBe(neighbour.dirs.runAs?.uid);
  });
  it("cannot read another service's instance folder, secret file, build, environment, or signal its process", () => check.cannotReachNeighbour(report, neighbour));
  it("cannot read a 0700 root-owned folder listed in hiddenDirs", () => check.hidesDataFolder(report, dirs));
  it("cannot signal the console process", () => check.cannotSignalConsole(report));
  it("cannot write outside its writable folder (/etc, the repository, its own build folder)", () => check.writesOnlyItsFolder(report));
  it("gets none of the console's environment", () => check.consoleEnvAbsent(report, CONSOLE_ONLY));
});
