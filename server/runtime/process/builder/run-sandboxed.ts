import "server-only";
import { spawn } from "node:child_process";
import { sandboxSpawn, type RunAs } from "../sandbox";
import type { BuildLogSink } from "./build-log";
import { lineSplitter } from "./line-splitter";

export type RunOutcome =
  | { kind: "exited"; code: number | null; signal: NodeJS.Signals | null }
  | { kind: "timeout" }
  | { kind: "canceled" }
  | { kind: "spawn-error"; message: string };

export type SandboxedRun = {
  command: string;
  /** The build folder: working directory and the only writable folder. */
  dir: string;
  hiddenDirs: string[];
  /** The service's user (null only where the console is not root). */
  runAs: RunAs | null;
  env: Record<string, string>;
  onLog: BuildLogSink;
  /** Epoch ms after which the command is killed. */
  deadline: number;
  signal?: AbortSignal;
  onSpawn?: (pid: number) => void;
};

/** After the command exits, how long its output pipes may stay open (a stray background child). */
const DRAIN_MS = 2000;

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

/**
 * Runs one shell command as the service's user inside the sandbox, in its own process group, streaming
 * its output line by line. A timeout or cancel SIGKILLs the whole group; the promise settles only
 * once the command's processes are gone, so nothing of a killed build keeps running.
 */
export function runSandboxed(run: SandboxedRun): Promise<RunOutcome> {
  return new Promise((resolve) => {
    if (run.signal?.aborted) return resolve({ kind: "canceled" });
    const spec = sandboxSpawn({ command: run.command, cwd: run.dir, writableDir: run.dir, hiddenDirs: run.hiddenDirs, runAs: run.runAs });
    const child = spawn(spec.file, spec.args, {
      cwd: run.dir,
      // Exactly this environment: nothing of the console's (NODE_ENV included) leaks into a build.
      env: run.env as NodeJS.ProcessEnv,
      uid: spec.uid,
      gid: spec.gid,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Called from stream events: a throwing sink must not become an uncaught exception in the console.
    const log = (stream: "stdout" | "stderr", line: string) => {
      try {
        run.onLog({ stream, line });
      } catch {
        // the sink's problem; the build goes on
      }
    };
    const out = lineSplitter((line) => log("stdout", line));
    const err = lineSplitter((line) => log("stderr", line));
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));

    let stopped: "timeout" | "canceled" | null = null;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const stop = (why: "timeout" | "canceled") => {
      stopped ??= why;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => stop("timeout"), Math.max(0, run.deadline - Date.now()));
    const onAbort = () => stop("canceled");
    run.signal?.addEventListener("abort", onAbort, { once: true });

    const settle = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      run.signal?.removeEventListener("abort", onAbort);
      out.end();
      err.end();
      resolve(stopped ? { kind: stopped } : outcome);
    };

    child.on("error", (e) => settle({ kind: "spawn-error", message: e.message }));
    if (child.pid) run.onSpawn?.(child.pid);
    child.on("exit", (code, signal) => {
      if (settled) return;
      // Whatever the command left behind in its group goes with it.
      killGroup(child.pid);
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle({ kind: "exited", code, signal });
      }, DRAIN_MS);
    });
    child.on("close", (code, signal) => settle({ kind: "exited", code, signal }));
  });
}
