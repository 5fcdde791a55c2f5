/**
 * Deployed code is contained: as root the console runs each service's instances as the service's own
 * user and, where bubblewrap is installed (CI), sandboxes them. Real processes, started through the
 * Supervisor; a second service (the neighbour) runs beside the probe in the same work tree. Needs root
 * (CI runs as root); the unsandboxed baseline is in isolation-unsandboxed.test.ts, and the test command
 * also runs this file with SLIPWAY_SANDBOX=off.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxCapabilities, sandboxSpawn } from "@/server/runtime/process/sandbox";
import { IS_ROOT, makeRuntimeDirs, SCRATCH_BASE, type RuntimeDirs } from "../support/runtime-apps";
import { testRunAs } from "../support/service-user";
import { isolationChecks as check, runProbe, startNeighbour, type Neighbour, type ProbeReport } from "../support/runtime-probe";

const REPO = path.resolve(import.meta.dirname, "../..");
const CONSOLE_ONLY = "SLIPWAY_ISOLATION_CONSOLE_SECRET";
const bubblewrap = IS_ROOT ? sandboxCapabilities().bubblewrap : null;

if (!IS_ROOT) console.warn("isolation tests skipped: they need root (the console runs instances as their service's user only when it runs as root)");

describe.skipIf(!IS_ROOT)(`instance isolation as root (bubblewrap: ${bubblewrap ?? "not installed"})`, () => {
  let work: string;
  let dirs: RuntimeDirs;
  let neighbour: Neighbour;
  let report: ProbeReport;

  beforeAll(async () => {
    // The work tree both services live in: traversable, not listable, as the runtime makes it.
    work = fs.mkdtempSync(path.join(SCRATCH_BASE, "slipway-isolation-work-"));
    fs.chmodSync(work, 0o711);
    neighbour = await startNeighbour(work);
    dirs = makeRuntimeDirs("isolation", undefined, work);
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
  it.skipIf(!bubblewrap)("has a private /tmp", () => check.privateTmp(report));
  it.skipIf(!bubblewrap)("sees none of the work tree but its own folders", () => {
    // Behind bubblewrap the neighbour's folders do not exist at all (a hidden tree, its own folders bound back).
    expect(report.results.readNeighbourSecret).toEqual({ ok: false, code: "ENOENT" });
    expect(report.results.listWorkRoot).toEqual({ ok: true, value: [path.basename(dirs.root)] });
  });
  it("gets none of the console's environment", () => check.consoleEnvAbsent(report, CONSOLE_ONLY));
});

describe.skipIf(!bubblewrap)("sandbox mounts", () => {
  const runAs = testRunAs();
  const mounts = (args: string[]) => {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === "--tmpfs") out.push(`hide ${args[i + 1]}`);
      if (args[i] === "--bind") out.push(`write ${args[i + 1]}`);
      if (args[i] === "--ro-bind" && args[i + 1] !== "/") out.push(`read ${args[i + 1]}`);
    }
    return out.filter((m) => m !== "hide /tmp");
  };

  it("mounts shallow before deep, so the deeper rule wins either way round", () => {
    const root = path.resolve(import.meta.dirname); // any existing folders will do
    const inHidden = sandboxSpawn({ command: "true", cwd: "/usr", writableDir: `${root}/inner`, hiddenDirs: [root], runAs });
    expect(mounts(inHidden.args)).toEqual(["read /usr", `hide ${root}`, `write ${root}/inner`]);
    const hiddenInside = sandboxSpawn({ command: "true", cwd: path.dirname(root), writableDir: path.dirname(root), hiddenDirs: [root], runAs });
    expect(mounts(hiddenInside.args)).toEqual([`write ${path.dirname(root)}`, `hide ${root}`]);
  });

  it("binds a working folder below /tmp read-only, since /tmp is replaced by a private tmpfs", () => {
    const spawn = sandboxSpawn({ command: "true", cwd: "/tmp/build", writableDir: "/var/tmp/instance", hiddenDirs: [], runAs });
    expect(mounts(spawn.args)).toEqual(["read /tmp/build", "write /var/tmp/instance"]);
  });

  it("hides the whole work tree and binds back only the instance's build (read-only) and its own folder", () => {
    const work = path.resolve(import.meta.dirname);
    const spawn = sandboxSpawn({ command: "true", cwd: `${work}/builds/svc/b1`, writableDir: `${work}/instances/i1`, hiddenDirs: ["/var/lib/slipway-data", work], runAs });
    expect(mounts(spawn.args)).toEqual([`hide ${work}`, `write ${work}/instances/i1`, `read ${work}/builds/svc/b1`]);
  });

  it("runs the command as the service's user", () => {
    const spawn = sandboxSpawn({ command: "true", cwd: "/", writableDir: "/var/tmp", hiddenDirs: [], runAs });
    expect({ uid: spawn.uid, gid: spawn.gid }).toEqual(runAs ? { uid: runAs.uid, gid: runAs.gid } : { uid: undefined, gid: undefined });
  });

  it("runs the command under a shell that outlives SIGTERM until the command is done", () => {
    const spawn = sandboxSpawn({ command: "node server.js", cwd: "/", writableDir: "/var/tmp", hiddenDirs: [], runAs });
    expect(spawn.args.slice(-3)).toEqual(["/bin/sh", "-c", "trap : TERM INT\nnode server.js"]);
  });
});
