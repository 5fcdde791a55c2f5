import "server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * How untrusted code (builds and instances) is run. Deployed code must not read Slipway's data
 * folder or signal the console: as root we drop to an unprivileged user, and where bubblewrap is
 * installed each command runs with a read-only root, a private /tmp, its own pid namespace, only its
 * work folder writable, and the data folder masked.
 */
export const APP_USER = process.env.SLIPWAY_APP_USER || "slipway-app";

export type SandboxRequest = {
  /** Shell command line, run with /bin/sh -c. */
  command: string;
  cwd: string;
  /** The only folder the command may write (besides its private /tmp). */
  writableDir: string;
  /** Folders to hide completely (the data folder, other services' work folders). */
  hiddenDirs: string[];
};

export type SandboxedSpawn = { file: string; args: string[]; uid?: number; gid?: number; sandboxed: boolean; user: string | null };

export type SandboxCapabilities = { bubblewrap: string | null; user: { name: string; uid: number; gid: number } | null };

let capabilities: SandboxCapabilities | undefined;

function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const candidate = `${dir}/${bin}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

function ensureAppUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync("id", [flag, APP_USER], { encoding: "utf8" }).trim());
  try {
    return { name: APP_USER, uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", APP_USER], { stdio: "ignore" });
    return { name: APP_USER, uid: id("-u"), gid: id("-g") };
  }
}

/** What this host offers, probed once. SLIPWAY_SANDBOX=off disables bubblewrap (not the user drop). */
export function sandboxCapabilities(): SandboxCapabilities {
  capabilities ??= {
    bubblewrap: process.env.SLIPWAY_SANDBOX === "off" ? null : which("bwrap"),
    user: ensureAppUser(),
  };
  return capabilities;
}

/**
 * Gives a folder and everything in it to the app user, so a build or instance can write there after
 * the drop. Async fs calls, not `chown -R`: a child process forks the console, and a synchronous one
 * also waits for it, which held the event loop (and the router with it) 35–90 ms per instance start.
 * Symbolic links are changed themselves, never followed (lchown, as `chown -R` does).
 */
export async function handOver(dir: string): Promise<void> {
  const user = sandboxCapabilities().user;
  if (!user) return;
  await chownTree(dir, user.uid, user.gid);
}

/** Entries changed at once per folder (bounds the work queued on libuv's thread pool). */
const CHOWN_BATCH = 64;

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fs.promises.lchown(dir, uid, gid);
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  for (let i = 0; i < entries.length; i += CHOWN_BATCH) {
    await Promise.all(
      entries.slice(i, i + CHOWN_BATCH).map((e) => {
        const file = path.join(dir, e.name);
        return e.isDirectory() ? chownTree(file, uid, gid) : fs.promises.lchown(file, uid, gid);
      }),
    );
  }
}

/**
 * The shell that runs the command survives SIGTERM until its foreground command has finished (a trap
 * with a handler is reset by exec, so the command itself still gets the default disposition). A graceful
 * stop signals the whole process group; without the trap the shell dies first and, under bubblewrap,
 * its exit tears the pid namespace down, SIGKILLing the app in the middle of its shutdown.
 */
const SHELL_PRELUDE = "trap : TERM INT\n";

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Mounts on top of the read-only root, shallowest first so a deeper mount wins: a writable folder
 * inside a hidden one stays reachable, a hidden folder inside the writable one stays hidden (at the
 * same path, hidden wins). The working folder is bound read-only when it is not inside the writable
 * folder, so it stays reachable even below /tmp (which is replaced by a private tmpfs).
 */
function overlayMounts(req: SandboxRequest): string[] {
  const mounts: { dir: string; args: string[]; rank: number }[] = [];
  const add = (dir: string, args: string[], rank: number) => mounts.push({ dir: path.resolve(dir), args, rank });
  if (!isInside(req.cwd, req.writableDir)) add(req.cwd, ["--ro-bind", req.cwd, req.cwd], 0);
  add(req.writableDir, ["--bind", req.writableDir, req.writableDir], 1);
  for (const dir of req.hiddenDirs) if (fs.existsSync(dir)) add(dir, ["--tmpfs", dir], 2);
  const depth = (dir: string) => dir.split(path.sep).filter(Boolean).length;
  mounts.sort((a, b) => depth(a.dir) - depth(b.dir) || a.rank - b.rank);
  return mounts.flatMap((m) => m.args);
}

export function sandboxSpawn(req: SandboxRequest): SandboxedSpawn {
  const caps = sandboxCapabilities();
  const ids = caps.user ? { uid: caps.user.uid, gid: caps.user.gid } : {};
  const script = SHELL_PRELUDE + req.command;
  if (!caps.bubblewrap) return { file: "/bin/sh", args: ["-c", script], ...ids, sandboxed: false, user: caps.user?.name ?? null };
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", ...overlayMounts(req)];
  args.push("--unshare-pid", "--die-with-parent", "--chdir", req.cwd, "/bin/sh", "-c", script);
  return { file: caps.bubblewrap, args, ...ids, sandboxed: true, user: caps.user?.name ?? null };
}
