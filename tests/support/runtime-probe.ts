/**
 * An instance that tries what deployed code must not be able to do and reports each attempt as one JSON
 * log line; shared by the isolation tests (with and without bubblewrap).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { Supervisor } from "@/server/runtime/process/supervisor";
import { isAlive } from "@/server/runtime/process/supervisor/process-identity";
import { instanceSpec, makeRuntimeDirs, nodeCommand, SupervisorRecorder, writeApp, type RuntimeDirs } from "./runtime-apps";
import { testRunAs } from "./service-user";

const PROBE = `
import fs from "node:fs";
const env = process.env;
const results = {};
const attempt = (name, fn) => {
  try { results[name] = { ok: true, value: fn() }; }
  catch (err) { results[name] = { ok: false, code: err.code || String(err) }; }
};
attempt("uid", () => process.getuid());
attempt("gids", () => [process.getgid(), ...process.getgroups()]);
attempt("readKey", () => fs.readFileSync(env.KEY_FILE, "utf8"));
attempt("listData", () => fs.readdirSync(env.DATA_DIR));
attempt("signalConsole", () => process.kill(Number(env.CONSOLE_PID), 0));
attempt("writeEtc", () => fs.writeFileSync("/etc/" + env.TOKEN, "x"));
attempt("writeRepo", () => fs.writeFileSync(env.REPO_FILE, "x"));
attempt("writeCwd", () => fs.writeFileSync(env.TOKEN, "x"));
attempt("writeOwn", () => { fs.writeFileSync(env.HOME + "/" + env.TOKEN, "x"); return true; });
attempt("seeHostTmp", () => fs.existsSync(env.HOST_TMP_MARKER));
attempt("writeTmp", () => { fs.writeFileSync("/tmp/" + env.TOKEN, "x"); return true; });
attempt("envKeys", () => Object.keys(env).sort());
if (env.B_PID) {
  // Another service's folder, secret file, build, environment and process.
  attempt("listNeighbourDir", () => fs.readdirSync(env.B_DIR));
  attempt("readNeighbourSecret", () => fs.readFileSync(env.B_SECRET_FILE, "utf8"));
  attempt("readNeighbourBuild", () => fs.readFileSync(env.B_BUILD_FILE, "utf8"));
  attempt("readNeighbourEnviron", () => fs.readFileSync("/proc/" + env.B_PID + "/environ", "utf8"));
  attempt("listWorkRoot", () => fs.readdirSync(env.WORK_ROOT));
  attempt("signalNeighbour", () => process.kill(Number(env.B_PID), 0));
  attempt("killNeighbour", () => process.kill(Number(env.B_PID), "SIGKILL"));
}
console.log("PROBE " + JSON.stringify(results));
setInterval(() => {}, 1000);
`;

export type Attempt = { ok: true; value: unknown } | { ok: false; code: string };
export type ProbeReport = {
  results: Record<string, Attempt>;
  token: string;
  hostTmpFile: string;
  ownFile: string;
  etcFile: string;
  repoFile: string;
  cwdFile: string;
  /** Every line the instance logged. */
  output: string[];
  /** Which of the probe's files exist on the host afterwards (checked before clean-up). */
  existsOnHost: Record<"hostTmpFile" | "ownFile" | "etcFile" | "repoFile" | "cwdFile", boolean>;
  /** With a neighbour: whether its process survived the probe's SIGKILL. */
  neighbourAlive?: boolean;
};

/**
 * Service B, running beside the probe (service A) in the same work tree: its own user, its folders
 * owned by it with mode 0700 as the runtime lays them out, a secret variable file in its instance
 * folder and a secret in its environment.
 */
export type Neighbour = {
  dirs: RuntimeDirs;
  pid: number;
  secretFile: string;
  secret: string;
  buildFile: string;
  stop(): Promise<void>;
};

const SLEEPER = `setInterval(() => {}, 1000); console.log("READY");`;

export async function startNeighbour(work: string): Promise<Neighbour> {
  const dirs = makeRuntimeDirs("neighbour", testRunAs(), work);
  const script = writeApp(dirs, "sleeper.mjs", SLEEPER);
  const secret = `neighbour-secret-${crypto.randomBytes(8).toString("hex")}`;
  const buildFile = path.join(dirs.build, "built.txt");
  fs.writeFileSync(buildFile, secret, { mode: 0o600 });
  const varsDir = path.join(dirs.writable, ".slipway-vars");
  fs.mkdirSync(varsDir, { mode: 0o700 });
  const secretFile = path.join(varsDir, "DB_PASSWORD");
  fs.writeFileSync(secretFile, secret, { mode: 0o600 });
  if (dirs.runAs) {
    for (const f of [dirs.build, buildFile, dirs.writable, varsDir, secretFile]) fs.chownSync(f, dirs.runAs.uid, dirs.runAs.gid);
    fs.chmodSync(dirs.build, 0o700);
    fs.chmodSync(dirs.writable, 0o700);
  }
  const supervisor = new Supervisor();
  const recorder = new SupervisorRecorder(supervisor);
  const spec = instanceSpec(dirs, { command: nodeCommand(script), env: { DB_PASSWORD_VALUE: secret }, hiddenDirs: [dirs.data, work] });
  supervisor.start(spec);
  await recorder.line(spec.instanceId, (l) => l === "READY", "that it is ready");
  const pid = supervisor.get(spec.instanceId)?.pid;
  if (!pid) throw new Error("the neighbour has no pid");
  return {
    dirs,
    pid,
    secretFile,
    secret,
    buildFile,
    stop: async () => {
      await supervisor.stopAll({ graceMs: 1_000 });
      dirs.remove();
    },
  };
}

/**
 * Runs the probe as an instance, waits for its report, stops it. With `neighbour` (in the work tree
 * `work`, hidden from the probe as the runtime hides it), the probe also goes after the neighbour.
 */
export async function runProbe(dirs: RuntimeDirs, repoDir: string, opts: { neighbour?: Neighbour; work?: string } = {}): Promise<ProbeReport> {
  const script = writeApp(dirs, "probe.mjs", PROBE);
  const token = `slipway-probe-${crypto.randomBytes(6).toString("hex")}`;
  const hostTmpMarker = path.join(os.tmpdir(), `${token}-marker`);
  fs.writeFileSync(hostTmpMarker, "visible only to the console", { mode: 0o644 });
  const files = {
    hostTmpFile: path.join(os.tmpdir(), token),
    ownFile: path.join(dirs.writable, token),
    etcFile: path.join("/etc", token),
    repoFile: path.join(repoDir, token),
    cwdFile: path.join(dirs.build, token),
  };
  const supervisor = new Supervisor();
  const recorder = new SupervisorRecorder(supervisor);
  const spec = instanceSpec(dirs, {
    command: nodeCommand(script),
    env: {
      KEY_FILE: dirs.keyFile,
      DATA_DIR: dirs.data,
      CONSOLE_PID: String(process.pid),
      TOKEN: token,
      REPO_FILE: files.repoFile,
      HOST_TMP_MARKER: hostTmpMarker,
      ...(opts.neighbour
        ? {
            B_PID: String(opts.neighbour.pid),
            B_DIR: opts.neighbour.dirs.writable,
            B_SECRET_FILE: opts.neighbour.secretFile,
            B_BUILD_FILE: opts.neighbour.buildFile,
            WORK_ROOT: opts.work ?? path.dirname(opts.neighbour.dirs.root),
          }
        : {}),
    },
    hiddenDirs: opts.work ? [dirs.data, opts.work] : [dirs.data],
  });
  try {
    supervisor.start(spec);
    const line = await recorder.line(spec.instanceId, (l) => l.startsWith("PROBE "), "its probe report");
    const results = JSON.parse(line.slice("PROBE ".length)) as Record<string, Attempt>;
    const existsOnHost = {
      hostTmpFile: fs.existsSync(files.hostTmpFile),
      ownFile: fs.existsSync(files.ownFile),
      etcFile: fs.existsSync(files.etcFile),
      repoFile: fs.existsSync(files.repoFile),
      cwdFile: fs.existsSync(files.cwdFile),
    };
    const output = [...recorder.lines(spec.instanceId), ...recorder.lines(spec.instanceId, "stderr")];
    const neighbourAlive = opts.neighbour ? isAlive(opts.neighbour.pid) : undefined;
    return { results, token, ...files, output, existsOnHost, neighbourAlive };
  } finally {
    await supervisor.stopAll({ graceMs: 1_000 });
    for (const file of [hostTmpMarker, ...Object.values(files)]) fs.rmSync(file, { force: true });
  }
}

const refusedWith = (a: Attempt, codes: string[], what: string) => {
  expect(a, what).toMatchObject({ ok: false });
  expect(codes, what).toContain((a as { code: string }).code);
};

/** What must hold for any instance run as its service's user as root; `privateTmp` only with bubblewrap. */
export const isolationChecks = {
  dropsRoot(report: ProbeReport): void {
    expect(report.results.uid).toMatchObject({ ok: true });
    expect((report.results.uid as { value: number }).value).not.toBe(0);
    // Root's group is not kept, neither as the gid nor as a supplementary group.
    expect(report.results.gids).toMatchObject({ ok: true });
    expect((report.results.gids as { value: number[] }).value).not.toContain(0);
  },
  hidesDataFolder(report: ProbeReport, dirs: RuntimeDirs): void {
    expect(report.results.readKey.ok).toBe(false);
    expect(["EACCES", "ENOENT", "EPERM"]).toContain((report.results.readKey as { code: string }).code);
    // Listing is refused, or (masked by bubblewrap) shows an empty folder.
    const listing = report.results.listData;
    if (listing.ok) expect(listing.value).toEqual([]);
    expect(report.output.join("\n")).not.toContain(dirs.keyContent);
  },
  cannotSignalConsole(report: ProbeReport): void {
    expect(report.results.signalConsole.ok).toBe(false);
    expect(["EPERM", "ESRCH"]).toContain((report.results.signalConsole as { code: string }).code);
  },
  writesOnlyItsFolder(report: ProbeReport): void {
    for (const key of ["writeEtc", "writeRepo", "writeCwd"] as const) {
      expect(report.results[key], key).toMatchObject({ ok: false });
      // A checkout under /tmp is not even visible behind the sandbox's private /tmp: ENOENT there.
      const refusals = key === "writeRepo" ? ["EACCES", "EROFS", "EPERM", "ENOENT"] : ["EACCES", "EROFS", "EPERM"];
      expect(refusals, key).toContain((report.results[key] as { code: string }).code);
    }
    expect(report.existsOnHost).toMatchObject({ etcFile: false, repoFile: false, cwdFile: false });
    expect(report.results.writeOwn).toMatchObject({ ok: true });
    expect(report.existsOnHost.ownFile).toBe(true);
  },
  privateTmp(report: ProbeReport): void {
    expect(report.results.seeHostTmp).toEqual({ ok: true, value: false });
    expect(report.results.writeTmp).toMatchObject({ ok: true });
    expect(report.existsOnHost.hostTmpFile).toBe(false);
  },
  /** Nothing of the neighbour service is readable or signalable: its folder, secret file, build, environment, process. */
  cannotReachNeighbour(report: ProbeReport, neighbour: Neighbour): void {
    // Without bubblewrap the file modes refuse (EACCES); with it the folders are not even there (ENOENT).
    refusedWith(report.results.listNeighbourDir, ["EACCES", "ENOENT"], "list B's instance folder");
    refusedWith(report.results.readNeighbourSecret, ["EACCES", "ENOENT"], "read B's secret variable file");
    refusedWith(report.results.readNeighbourBuild, ["EACCES", "ENOENT"], "read B's build folder");
    // Another uid's environ is refused (ptrace access check); in a pid namespace B's pid does not exist.
    refusedWith(report.results.readNeighbourEnviron, ["EACCES", "ENOENT", "ESRCH"], "read B's /proc/<pid>/environ");
    refusedWith(report.results.signalNeighbour, ["EPERM", "ESRCH"], "signal B's process");
    refusedWith(report.results.killNeighbour, ["EPERM", "ESRCH"], "SIGKILL B's process");
    expect(report.neighbourAlive).toBe(true);
    // The work tree is traversable, never listable: refused, or (behind bubblewrap) only the probe's own path.
    const listing = report.results.listWorkRoot;
    if (listing.ok) expect(listing.value).not.toContain(path.basename(neighbour.dirs.root));
    else expect(["EACCES"]).toContain(listing.code);
    expect(report.output.join("\n")).not.toContain(neighbour.secret);
  },
  consoleEnvAbsent(report: ProbeReport, consoleOnly: string): void {
    const keys = (report.results.envKeys as { value: string[] }).value;
    expect(keys).not.toContain(consoleOnly);
    expect(keys).toContain("HOME");
  },
};
