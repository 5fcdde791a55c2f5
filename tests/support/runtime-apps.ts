/**
 * Scaffolding for process-runtime tests: folders laid out like production (a read-only build folder the
 * app runs in, its own writable folder, a hidden root-only data folder), small app scripts, and a
 * recorder of supervisor events with deadline-bound waits (no fixed sleeps).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { RunAs } from "@/server/runtime/process/sandbox";
import { testRunAs } from "./service-user";
import type { InstanceSpec, LimitsEvent, LogEvent, SpawnEvent, StateEvent, Supervisor } from "@/server/runtime/process/supervisor";

export const IS_ROOT = process.getuid?.() === 0;
export const NODE = process.execPath;

/**
 * Not below /tmp: bubblewrap gives each instance a private /tmp, so a layout there would be invisible
 * to it, and hiding the data folder would prove nothing.
 */
export const SCRATCH_BASE = process.env.SLIPWAY_TEST_SCRATCH_DIR || "/var/tmp";

export type RuntimeDirs = {
  root: string;
  /** Where the app's files are and its command runs; root-owned, world-readable, not writable by the app. */
  build: string;
  /** The instance's writable folder (handed over to the service's user). */
  writable: string;
  /** A 0700 root-owned "data folder" holding a fake key. */
  data: string;
  keyFile: string;
  keyContent: string;
  /** The service these folders belong to (its own uid as root; null otherwise). */
  runAs: RunAs | null;
  remove(): void;
};

/** `base`: where to make them (default a scratch folder); a shared base stands for the work tree of several services. */
export function makeRuntimeDirs(label: string, runAs: RunAs | null = testRunAs(), base = SCRATCH_BASE): RuntimeDirs {
  const root = fs.mkdtempSync(path.join(base, `slipway-${label}-`));
  fs.chmodSync(root, 0o711);
  const build = path.join(root, "build");
  const writable = path.join(root, "instance");
  const data = path.join(root, "data");
  fs.mkdirSync(build, { mode: 0o755 });
  fs.mkdirSync(writable, { mode: 0o755 });
  fs.mkdirSync(data, { mode: 0o700 });
  fs.chmodSync(data, 0o700);
  // Empty: the folder itself is all there is to hand over.
  if (runAs) fs.chownSync(writable, runAs.uid, runAs.gid);
  const keyFile = path.join(data, "secret.key");
  const keyContent = `fake-key-${crypto.randomBytes(12).toString("hex")}`;
  fs.writeFileSync(keyFile, keyContent, { mode: 0o600 });
  return { root, build, writable, data, keyFile, keyContent, runAs, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Writes an app script into the build folder, readable by any service's user. Returns its path. */
export function writeApp(dirs: RuntimeDirs, name: string, source: string): string {
  const file = path.join(dirs.build, name);
  fs.writeFileSync(file, source, { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  return file;
}

export const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** `node <script> <args…>` as a shell command line. */
export function nodeCommand(script: string, ...args: string[]): string {
  return [NODE, script, ...args].map(shellQuote).join(" ");
}

let counter = 0;

export function instanceSpec(dirs: RuntimeDirs, overrides: Partial<InstanceSpec> & Pick<InstanceSpec, "command">): InstanceSpec {
  counter += 1;
  const id = `${crypto.randomBytes(4).toString("hex")}-${counter}`;
  return {
    instanceId: `inst-${id}`,
    serviceId: `svc-${id}`,
    deploymentId: `dep-${id}`,
    cwd: dirs.build,
    writableDir: dirs.writable,
    hiddenDirs: [dirs.data],
    runAs: dirs.runAs,
    env: {},
    port: null,
    health: { stableMs: 200 },
    ...overrides,
  };
}

type Stamped<T> = T & { seenAt: number };

/** Keeps every event a supervisor emits and lets a test wait for a condition over them. */
export class SupervisorRecorder {
  readonly logs: Stamped<LogEvent>[] = [];
  readonly states: Stamped<StateEvent>[] = [];
  readonly spawns: Stamped<SpawnEvent>[] = [];
  readonly limits: Stamped<LimitsEvent>[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(supervisor: Supervisor) {
    supervisor.on("log", (e) => this.add(this.logs, e));
    supervisor.on("state", (e) => this.add(this.states, e));
    supervisor.on("spawn", (e) => this.add(this.spawns, e));
    supervisor.on("limits", (e) => this.add(this.limits, e));
  }

  private add<T>(list: Stamped<T>[], event: T): void {
    list.push({ ...event, seenAt: performance.now() });
    for (const wake of [...this.waiters]) wake();
  }

  lines(instanceId: string, stream: "stdout" | "stderr" = "stdout"): string[] {
    return this.logs.filter((l) => l.instanceId === instanceId && l.stream === stream).map((l) => l.line);
  }

  statesOf(instanceId: string): Stamped<StateEvent>[] {
    return this.states.filter((s) => s.instanceId === instanceId);
  }

  /** Resolves with the first truthy result of `check`, re-evaluated on every event; rejects at the deadline. */
  until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined || value === null || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.states.slice(-6).map((s) => `${s.instanceId}:${s.state}${s.reason ? ` (${s.reason})` : ""}`);
        const lines = this.logs.slice(-6).map((l) => `${l.stream}: ${l.line.slice(0, 200)}`);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nrecent states: ${recent.join(" | ")}\nrecent logs: ${lines.join(" | ")}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void attempt();
      this.waiters.add(wake);
      attempt();
    });
  }

  state(instanceId: string, state: StateEvent["state"], timeoutMs?: number, after = 0): Promise<Stamped<StateEvent>> {
    return this.until(`${instanceId} to be ${state}`, () => this.statesOf(instanceId).slice(after).find((s) => s.state === state), timeoutMs);
  }

  line(instanceId: string, match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string> {
    return this.until(`${instanceId} to log ${what}`, () => this.lines(instanceId).find(match) ?? this.lines(instanceId, "stderr").find(match), timeoutMs);
  }
}

/** Polls a condition that no event announces (a process disappearing) until it holds or the deadline passes. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Pids (as the host sees them) of processes whose command line contains `marker`. */
export function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat[stat.lastIndexOf(")") + 2];
      if (cmdline.includes(marker) && state !== "Z") found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
