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
import { instanceSpec, nodeCommand, SupervisorRecorder, writeApp, type RuntimeDirs } from "./runtime-apps";

const PROBE = `
import fs from "node:fs";
const env = process.env;
const results = {};
const attempt = (name, fn) => {
  try { results[name] = { ok: true, value: fn() }; }
  catch (err) { results[name] = { ok: false, code: err.code || String(err) }; }
};
attempt("uid", () => process.getuid());
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
};

/** Runs the probe as an instance, waits for its report, stops it. */
export async function runProbe(dirs: RuntimeDirs, repoDir: string): Promise<ProbeReport> {
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
    },
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
    return { results, token, ...files, output, existsOnHost };
  } finally {
    await supervisor.stopAll({ graceMs: 1_000 });
    for (const file of [hostTmpMarker, ...Object.values(files)]) fs.rmSync(file, { force: true });
  }
}

/** What must hold for any instance run as root's app user; `privateTmp` only with bubblewrap. */
export const isolationChecks = {
  dropsRoot(report: ProbeReport): void {
    expect(report.results.uid).toMatchObject({ ok: true });
    expect((report.results.uid as { value: number }).value).not.toBe(0);
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
  consoleEnvAbsent(report: ProbeReport, consoleOnly: string): void {
    const keys = (report.results.envKeys as { value: string[] }).value;
    expect(keys).not.toContain(consoleOnly);
    expect(keys).toContain("HOME");
  },
};
