import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { sandboxSpawn, type RunAs } from "../sandbox";

/**
 * Starts one instance process: sandboxed (user drop, bubblewrap where installed), in its own process
 * group, with only the environment it was given. The process first waits on a gate (fd 3) so the
 * supervisor can put it into its cgroup before any of the app's code runs: children forked later
 * inherit the group, none can slip out of the limits by starting early.
 */

export type LaunchRequest = {
  command: string;
  cwd: string;
  writableDir: string;
  hiddenDirs: string[];
  env: Record<string, string>;
  port: number | null;
  /** The service's user (null only where the console is not root). */
  runAs: RunAs | null;
};

export type Launched = {
  child: ChildProcess;
  /** Process group id too (the child leads its own group). */
  pid: number;
  /** Whether bubblewrap wraps the command: then the group leader is bwrap, which forwards no signals. */
  sandboxed: boolean;
  /** Lets the command run; call after the pid joined its cgroup. */
  release(): void;
};

const GATE = 'read -r _ <&3 || exit 125; exec 3<&-; exec "$0" "$@"';
const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** A minimal baseline (PATH with the console's node, HOME = the writable folder, LANG), then the spec's variables, then PORT. */
export function instanceEnv(req: Pick<LaunchRequest, "env" | "port" | "writableDir">): Record<string, string> {
  const pathDirs = [...new Set([path.dirname(process.execPath), ...SYSTEM_PATH])];
  const env: Record<string, string> = { PATH: pathDirs.join(":"), HOME: req.writableDir, LANG: "C.UTF-8", ...req.env };
  if (req.port !== null) env.PORT = String(req.port);
  return env;
}

/** Throws when the process cannot be started at all (missing folder); later failures arrive as the child's "error"/"exit". */
export function launchInstance(req: LaunchRequest): Launched {
  for (const dir of [req.cwd, req.writableDir]) {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`folder ${dir} does not exist`);
  }
  const plan = sandboxSpawn({ command: req.command, cwd: req.cwd, writableDir: req.writableDir, hiddenDirs: req.hiddenDirs, runAs: req.runAs });
  const child = spawn("/bin/sh", ["-c", GATE, plan.file, ...plan.args], {
    cwd: req.cwd,
    // Exactly these variables: nothing of the console's environment (NODE_ENV included) leaks in.
    env: instanceEnv(req) as NodeJS.ProcessEnv,
    uid: plan.uid,
    gid: plan.gid,
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  if (child.pid === undefined) {
    // Spawning failed outright (the "error" event follows; it is handled here, not by the caller).
    child.on("error", () => {});
    child.stdio[3]?.destroy();
    throw new Error(`cannot start ${plan.file}`);
  }
  const gate = child.stdio[3] as Writable;
  gate.on("error", () => {
    // The process died before reading the gate; its exit is reported through the child.
  });
  return { child, pid: child.pid, sandboxed: plan.sandboxed, release: () => gate.end("go\n", () => gate.destroy()) };
}
