// Process, port and /proc helpers shared by the bench scripts (plain Node ESM, Linux).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A positive whole number from the environment, or `fallback` when unset. */
export function intEnv(name, fallback) {
  const raw = process.env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return n;
}

/** Signals a whole process group (children started with `detached: true` lead their own). */
export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

export function killPid(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // Linux's usual USER_HZ
}

/**
 * Every process's parent and CPU time (ms): `self` (user + system) and `reaped` (the children it
 * already waited for), read from /proc in one pass.
 */
export function procTable() {
  const children = new Map();
  const cpu = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (i) => (Number(f[i]) * 1000) / clockTicks;
      cpu.set(Number(name), { self: ms(11) + ms(12), reaped: ms(13) + ms(14) });
      const ppid = Number(f[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return { children, cpu };
}

/**
 * VmRSS (bytes), CPU time (ms) and process count of `pid` and all its live descendants. With
 * `reaped`, CPU time also counts children they already waited for (stopped instances still count).
 */
export function treeStats(pid, { reaped = false } = {}) {
  const { children, cpu } = procTable();
  let bytes = 0;
  let cpuMs = 0;
  let processes = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) bytes += Number(m[1]) * 1024;
      const c = cpu.get(p);
      if (c) cpuMs += c.self + (reaped ? c.reaped : 0);
      processes++;
    } catch {
      // exited meanwhile
    }
    queue.push(...(children.get(p) ?? []));
  }
  return { bytes, cpuMs, processes };
}

/** VmRSS of one process in bytes (0 when it is gone). */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Processes whose working folder or command line lies under `dir` (left behind by what ran there). */
export function processesUnder(dir) {
  const pids = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
      let cwd = "";
      try {
        cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      } catch {
        // not ours to read
      }
      if (cwd.startsWith(dir) || cmd.includes(dir)) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

export function which(bin) {
  for (const dir of (process.env.PATH || "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").split(":").concat(["/usr/sbin", "/sbin"])) {
    const p = path.join(dir, bin);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

export function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The binary, installed with apt-get when missing and running as root; null when it cannot be had. */
export function ensureApt(bin, pkg) {
  let found = which(bin);
  if (found || !isRoot()) return found;
  console.log(`installing ${pkg} from apt …`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "-qq", pkg], { stdio: "ignore", env });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
    r = spawnSync("apt-get", ["install", "-y", "-qq", pkg], { stdio: "ignore", env });
  }
  found = which(bin);
  if (!found) console.log(`  could not install ${pkg}`);
  return found;
}

/** Whether any socket listens on `port` (any address, IPv4 or IPv6), from /proc/net/tcp{,6}. */
export function listensOn(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[3] === "0A" && f[1].endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}
