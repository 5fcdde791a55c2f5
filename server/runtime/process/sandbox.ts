import "server-only";
import fs from "node:fs";
import path from "node:path";

/**
 * How untrusted code (builds and instances) is run. Deployed code must not read Slipway's data folder,
 * another service's files or processes, or signal the console: as root each service's code runs as the
 * service's own unprivileged uid/gid (allocated by the engine from SLIPWAY_SERVICE_UID_RANGE), and where
 * bubblewrap is installed each command runs with a read-only root, a private /tmp and /proc (its own pid
 * namespace), the whole work tree hidden except its own folders, and the data folder masked.
 */

/** A service's uid and gid (the same number in practice); not in /etc/passwd: nothing Slipway runs needs a name. */
export type RunAs = { uid: number; gid: number };

export type SandboxRequest = {
  /** Shell command line, run with /bin/sh -c. */
  command: string;
  cwd: string;
  /** The only folder the command may write (besides its private /tmp). */
  writableDir: string;
  /** Folders to hide completely (the data folder, the whole work tree: cwd and writableDir are bound back). */
  hiddenDirs: string[];
  /** The service's user; null only where the console cannot switch users (it is not root). */
  runAs: RunAs | null;
};

export type SandboxedSpawn = { file: string; args: string[]; uid?: number; gid?: number; sandboxed: boolean };

export type SandboxCapabilities = {
  /** bwrap's path, or null when it is missing or turned off. */
  bubblewrap: string | null;
  /** Only root may run a child as another uid; otherwise everything runs as the console's own user. */
  canSwitchUsers: boolean;
};

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

/** What this host offers, probed once. SLIPWAY_SANDBOX=off disables bubblewrap (not the user switch). */
export function sandboxCapabilities(): SandboxCapabilities {
  capabilities ??= {
    bubblewrap: process.env.SLIPWAY_SANDBOX === "off" ? null : which("bwrap"),
    canSwitchUsers: process.getuid?.() === 0,
  };
  return capabilities;
}

/**
 * The ids a service's code runs as: its own as root; none (the console's own user) when the console is
 * not root and cannot switch. As root, code without a service user is refused rather than run as root.
 */
export function runAsIds(runAs: RunAs | null): RunAs | null {
  if (!sandboxCapabilities().canSwitchUsers) return null;
  if (!runAs) throw new Error("refusing to run a service's code as root: no service user was given");
  if (runAs.uid === 0 || runAs.gid === 0) throw new Error(`refusing to run a service's code as uid ${runAs.uid}, gid ${runAs.gid}`);
  return runAs;
}

/**
 * Gives a folder and everything in it to the service's user and closes the folder to everyone else
 * (0700), so a build or instance can write there after the switch and no other service can look in.
 * Async fs calls, not `chown -R`: a child process forks the console, and a synchronous one also waits
 * for it, which held the event loop (and the router with it) 35–90 ms per instance start. Symbolic
 * links are changed themselves, never followed (lchown, as `chown -R` does).
 */
export async function handOver(dir: string, runAs: RunAs | null): Promise<void> {
  const ids = runAsIds(runAs);
  if (!ids) return;
  await chownTree(dir, ids.uid, ids.gid);
  await fs.promises.chmod(dir, 0o700);
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
  const ids = runAsIds(req.runAs) ?? {};
  const script = SHELL_PRELUDE + req.command;
  if (!caps.bubblewrap) return { file: "/bin/sh", args: ["-c", script], ...ids, sandboxed: false };
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", ...overlayMounts(req)];
  args.push("--unshare-pid", "--die-with-parent", "--chdir", req.cwd, "/bin/sh", "-c", script);
  return { file: caps.bubblewrap, args, ...ids, sandboxed: true };
}
