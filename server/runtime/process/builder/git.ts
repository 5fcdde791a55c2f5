import "server-only";
import { spawn } from "node:child_process";
import { fetchEnv, spawnIds, type FetchIdentity } from "./fetch-identity";

export const GIT_TIMEOUT_MS = 5 * 60_000;

/** Raised when git exits non-zero, times out or is canceled; `short` is its most telling error line. */
export class GitError extends Error {
  readonly short: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly canceled: boolean;

  constructor(short: string, stderr: string, flags: { timedOut?: boolean; canceled?: boolean } = {}) {
    super(short);
    this.name = "GitError";
    this.short = short;
    this.stderr = stderr;
    this.timedOut = flags.timedOut ?? false;
    this.canceled = flags.canceled ?? false;
  }
}

/** Only transports a service source may use: never ext:: (runs commands) or other helpers. */
const ALLOWED_PROTOCOLS = "file:git:http:https:ssh";

/** Who runs git for a source, with its home and the console's global config (see gitHome). */
export type GitRunAs = { who: FetchIdentity; home: string; config: string; settings?: string[] };

/** Only what git needs, never the console's secrets (fetchEnv); English messages (fetchEnv sets LC_ALL=C): we pick the "fatal:" line out of them. */
function gitEnv(as: GitRunAs): Record<string, string> {
  return fetchEnv({
    HOME: as.home,
    GIT_CONFIG_GLOBAL: as.config,
    GIT_TERMINAL_PROMPT: "0",
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND || "ssh -o BatchMode=yes -o ConnectTimeout=20",
  });
}

/** Picks the line a person needs out of git's stderr ("fatal: …" without the prefix). */
export function shortGitError(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "git failed";
  return fatal.replace(/^(fatal|error):\s*/, "").slice(0, 300);
}

/**
 * Runs the system git with an argument list (never a shell), as the source's identity (never root),
 * with no prompts, in its own process group so a timeout or cancel also ends its helpers (ssh,
 * git-remote-https).
 */
export function runGit(args: string[], opts: { as: GitRunAs; cwd?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new GitError("canceled", "", { canceled: true }));
    const child = spawn("git", [...(opts.as.settings ?? []).flatMap((kv) => ["-c", kv]), ...args], { cwd: opts.cwd ?? opts.as.home, env: gitEnv(opts.as) as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], detached: true, ...spawnIds(opts.as.who) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let ended: "timeout" | "canceled" | null = null;
    const killGroup = (why: "timeout" | "canceled") => {
      ended ??= why;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => killGroup("timeout"), timeoutMs);
    const onAbort = () => killGroup("canceled");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const finish = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (e) => {
      finish();
      reject(new GitError(`could not run git: ${e.message}`, ""));
    });
    child.on("close", (code) => {
      finish();
      const stderr = Buffer.concat(err).toString("utf8");
      if (ended === "timeout") return reject(new GitError(`git ${args[0]} timed out after ${Math.round(timeoutMs / 1000)} s`, stderr, { timedOut: true }));
      if (ended === "canceled") return reject(new GitError("canceled", stderr, { canceled: true }));
      if (code !== 0) return reject(new GitError(shortGitError(stderr), stderr));
      resolve(Buffer.concat(out).toString("utf8"));
    });
  });
}
