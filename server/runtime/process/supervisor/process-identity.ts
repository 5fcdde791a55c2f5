import "server-only";
import fs from "node:fs";
import { setImmediate as setImmediatePromise } from "node:timers/promises";

/**
 * Who a pid is, read from /proc (the process runtime is Linux-only). A pid alone is not an identity:
 * after a console restart the pid we recorded may belong to an unrelated process, so every kill that
 * acts on a remembered pid checks its start time first.
 */

type ProcStat = { pid: number; state: string; ppid: number; pgrp: number; startTime: string };

function readStat(pid: number): ProcStat | null {
  let raw: string;
  try {
    raw = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may itself contain spaces and parentheses.
  const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (start time, clock ticks since boot) is fields[19].
  return { pid, state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19] };
}

function assertGroupId(pgid: number): void {
  // kill(-1) signals every process we may signal, kill(-0) our own group: never let a bad pid get there.
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`);
}

/** The process's start time (field 22 of /proc/<pid>/stat) as a string, or null when there is no such process. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

const isMember = (stat: ProcStat | null, pgid: number): stat is ProcStat => stat !== null && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X";

/** Live (non-zombie) members of a process group, including the processes inside a sandbox's pid namespace. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (isMember(stat, pgid)) members.push(stat.pid);
  }
  return members;
}

/** /proc/<pid>/stat files read between two turns of the event loop by groupMembersAsync. */
const SCAN_SLICE = 32;

/**
 * groupMembers in slices, yielding to the event loop between them. Instances stop in the middle of a
 * rollout, under traffic: one synchronous scan of every /proc/<pid>/stat held the console's event loop
 * (and the router) ~20 ms. (Reading through the thread pool instead was far slower in wall time:
 * fs.promises.readFile costs four pool trips per file, and stops waited on it.)
 */
export async function groupMembersAsync(pgid: number): Promise<number[]> {
  const pids = fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  const members: number[] = [];
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % SCAN_SLICE === 0) await setImmediatePromise();
    const stat = readStat(Number(pids[i]));
    if (isMember(stat, pgid)) members.push(stat.pid);
  }
  return members;
}

function send(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** Signals a process group. Returns whether anything was signalled. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  assertGroupId(pgid);
  return send(-pgid, signal);
}

/**
 * Signals every member of a process group but its leader: under bubblewrap the leader is bwrap itself,
 * which does not forward signals and whose death SIGKILLs the sandbox, so a graceful SIGTERM must go to
 * the processes inside. Resolves to whether anything was signalled.
 */
export async function signalGroupExceptLeader(pgid: number, signal: NodeJS.Signals): Promise<boolean> {
  assertGroupId(pgid);
  let any = false;
  for (const pid of await groupMembersAsync(pgid)) if (pid !== pgid && send(pid, signal)) any = true;
  return any;
}

export type KillResult = { signalled: boolean; detail: string };

/**
 * Orphan cleanup after a console restart: signals the group led by `pid` only when that pid still has
 * the recorded start time. When the leader is gone but members of its group remain (a pgid cannot be
 * reused while any member lives), those members are signalled if they started no earlier than the leader.
 */
export function killProcessGroupIfSame(opts: { pid: number; startTime: string; signal?: NodeJS.Signals }): KillResult {
  const { pid, startTime } = opts;
  const signal = opts.signal ?? "SIGKILL";
  assertGroupId(pid);
  if (!/^\d+$/.test(startTime)) return { signalled: false, detail: `invalid start time ${JSON.stringify(startTime)}` };
  const leader = readStat(pid);
  const current = leader?.startTime ?? null;
  if (current !== null && current !== startTime) return { signalled: false, detail: `pid ${pid} now belongs to another process` };
  // A zombie leader (exited, not yet reaped) counts as gone: only live members of its group matter.
  if (leader && current !== null && leader.state !== "Z" && leader.state !== "X") {
    const signalled = send(-pid, signal);
    return { signalled, detail: signalled ? `sent ${signal} to group ${pid}` : `group ${pid} is gone` };
  }
  const since = BigInt(startTime);
  const leftovers = groupMembers(pid).filter((member) => {
    const started = processStartTime(member);
    return started !== null && BigInt(started) >= since;
  });
  let count = 0;
  for (const member of leftovers) if (send(member, signal)) count++;
  return count > 0
    ? { signalled: true, detail: `leader ${pid} gone; sent ${signal} to ${count} leftover member(s)` }
    : { signalled: false, detail: `process ${pid} is gone` };
}
