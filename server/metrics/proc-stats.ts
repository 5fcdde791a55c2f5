import "server-only";
import fs from "node:fs";

/** Linux reports CPU time in USER_HZ ticks, fixed at 100 per second by the kernel ABI on every architecture we run on. */
export const CLOCK_TICKS_PER_SECOND = 100;

export type GroupUsage = {
  /** utime + stime + cutime + cstime of the live members, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
  members: number;
  /** The group leader's start time in clock ticks since boot (field 22), when the leader is alive. */
  leaderStartTicks: number | null;
};

function readFile(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** VmRSS from /proc/<pid>/status (kB, exact whatever the page size), or 0 for a kernel thread or a vanished pid. */
function rssBytes(pid: number): number {
  const status = readFile(`/proc/${pid}/status`);
  const m = status ? /^VmRSS:\s+(\d+)\s+kB/m.exec(status) : null;
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * CPU time and memory of whole process groups (an instance is one group: the shell, the app and its
 * children, bwrap included). One pass over /proc per call: the stat file of every process, and the
 * status file only of the groups asked for. Children that ended and were reaped still count, through
 * their parent's cutime/cstime.
 */
export function readGroupUsage(groups: ReadonlySet<number>): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  if (groups.size === 0) return out;
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const raw = readFile(`/proc/${entry}/stat`);
    if (!raw) continue;
    // Field 2 (comm) is in parentheses and may contain spaces: split after the last ")".
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    // f[0] is field 3 (state), f[2] field 5 (pgrp), f[11..14] fields 14-17 (utime stime cutime cstime).
    const pgrp = Number(f[2]);
    if (!groups.has(pgrp) || f[0] === "Z" || f[0] === "X") continue;
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    const u = out.get(pgrp) ?? { cpuTicks: 0, rssBytes: 0, members: 0, leaderStartTicks: null };
    if (Number(entry) === pgrp) u.leaderStartTicks = Number(f[19]);
    u.cpuTicks += ticks;
    u.rssBytes += rssBytes(Number(entry));
    u.members++;
    out.set(pgrp, u);
  }
  return out;
}

/** Seconds since boot, the clock that process start times count in. */
export function uptimeSeconds(): number {
  const raw = readFile("/proc/uptime");
  return raw ? Number(raw.split(" ")[0]) : 0;
}
