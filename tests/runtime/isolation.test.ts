/**
 * Deployed code is contained: as root the console drops instances to the app user and, where
 * bubblewrap is installed (CI), sandboxes them. Real processes, started through the Supervisor.
 * Needs root (CI runs as root); the unsandboxed baseline is in isolation-unsandboxed.test.ts.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxCapabilities, sandboxSpawn } from "@/server/runtime/process/sandbox";
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

describe.skipIf(!bubblewrap)("sandbox mounts", () => {
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
    const inHidden = sandboxSpawn({ command: "true", cwd: "/usr", writableDir: `${root}/inner`, hiddenDirs: [root] });
    expect(mounts(inHidden.args)).toEqual(["read /usr", `hide ${root}`, `write ${root}/inner`]);
    const hiddenInside = sandboxSpawn({ command: "true", cwd: path.dirname(root), writableDir: path.dirname(root), hiddenDirs: [root] });
    expect(mounts(hiddenInside.args)).toEqual([`write ${path.dirname(root)}`, `hide ${root}`]);
  });

  it("binds a working folder below /tmp read-only, since /tmp is replaced by a private tmpfs", () => {
    const spawn = sandboxSpawn({ command: "true", cwd: "/tmp/build", writableDir: "/var/tmp/instance", hiddenDirs: [] });
    expect(mounts(spawn.args)).toEqual(["read /tmp/build", "write /var/tmp/instance"]);
  });

  it("runs the command under a shell that outlives SIGTERM until the command is done", () => {
    const spawn = sandboxSpawn({ command: "node server.js", cwd: "/", writableDir: "/var/tmp", hiddenDirs: [] });
    expect(spawn.args.slice(-3)).toEqual(["/bin/sh", "-c", "trap : TERM INT\nnode server.js"]);
  });
});
