import "server-only";
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { createLimits, type AppliedLimits, type CgroupKind } from "./cgroups";
import { waitForHealthy, waitForStable } from "./health";
import { launchInstance, type Launched } from "./launch";
import { LineSplitter } from "./line-splitter";
import { groupMembersAsync, isAlive, processStartTime, signalGroup, signalGroupExceptLeader } from "./process-identity";
import { RestartPolicy, type RestartOptions } from "./restart-policy";
import type { RunAs } from "../sandbox";

/**
 * Runs service instances as sandboxed child processes, each leading its own process group; restarts
 * crashed ones with exponential backoff and reports crash loops; stops them with SIGTERM, then SIGKILL
 * to the whole group after a grace period. Everything observable leaves as events.
 */

export type InstanceSpec = {
  instanceId: string;
  serviceId: string;
  deploymentId: string;
  /** Where the command runs (the build folder; read-only for the app). */
  cwd: string;
  /** The only folder the app may write; also its HOME. */
  writableDir: string;
  /** Folders the app must not see (the data folder, the work tree: cwd and writableDir are bound back). */
  hiddenDirs: string[];
  /** The service's own user; null only where the console is not root (then nothing isolates services). */
  runAs: RunAs | null;
  /** Shell command line. */
  command: string;
  /** The app's whole environment besides a PATH/HOME/LANG baseline and PORT; the console's own is never passed. */
  env: Record<string, string>;
  port: number | null;
  limits?: { cpu?: number; memoryMb?: number };
  restart?: RestartOptions;
  /**
   * When the instance counts as running. With a port: GET `path` answers 2xx (without a path: the port
   * accepts connections) within `timeoutMs` (default 60000), else it is killed and restarted like a
   * crash. Without a port: it stayed alive for `stableMs` (default 1000).
   */
  health?: { path?: string | null; timeoutMs?: number; stableMs?: number };
};

export type InstanceState = "starting" | "running" | "backoff" | "crash-loop" | "stopping" | "stopped";

export type InstanceExit = { code: number | null; signal: NodeJS.Signals | null; at: Date };

export type InstanceInfo = {
  instanceId: string;
  serviceId: string;
  deploymentId: string;
  pid: number | null;
  startTime: string | null;
  port: number | null;
  state: InstanceState;
  restarts: number;
  lastExit?: InstanceExit;
};

type Ids = { instanceId: string; serviceId: string; deploymentId: string };

export type LogEvent = Ids & { stream: "stdout" | "stderr"; line: string; at: Date };
export type StateEvent = Ids & {
  state: InstanceState;
  pid: number | null;
  restarts: number;
  reason?: string;
  exit?: InstanceExit;
  /** With "backoff" and "crash-loop": when the next start happens. */
  retryInMs?: number;
};
export type SpawnEvent = Ids & { pid: number; startTime: string | null };
export type LimitsEvent = { serviceId: string; instanceId: string; ok: boolean; kind?: CgroupKind; reason?: string };

export type SupervisorEvents = { log: [LogEvent]; state: [StateEvent]; spawn: [SpawnEvent]; limits: [LimitsEvent] };

type Run = {
  child: ChildProcess;
  pid: number;
  startTime: string | null;
  sandboxed: boolean;
  spawnedAt: number;
  exit: InstanceExit | null;
  closed: Promise<void>;
  ready: AbortController;
  oomBefore: number;
  failReason?: string;
};

type Instance = {
  spec: InstanceSpec;
  state: InstanceState;
  restarts: number;
  lastExit?: InstanceExit;
  run: Run | null;
  limits: AppliedLimits | null;
  policy: RestartPolicy;
  timer: NodeJS.Timeout | null;
  stopRequested: boolean;
  stopping: Promise<void> | null;
};

const POLL_MS = 25;
const DRAIN_MS = 2_000;
const KILL_WAIT_MS = 5_000;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly instances = new Map<string, Instance>();

  start(spec: InstanceSpec): InstanceInfo {
    if (this.instances.has(spec.instanceId)) throw new Error(`instance ${spec.instanceId} is already supervised`);
    const inst: Instance = {
      spec: { ...spec, env: { ...spec.env }, hiddenDirs: [...spec.hiddenDirs] },
      state: "starting",
      restarts: 0,
      run: null,
      limits: null,
      policy: new RestartPolicy(spec.restart),
      timer: null,
      stopRequested: false,
      stopping: null,
    };
    this.instances.set(spec.instanceId, inst);
    const { memoryMb, cpu } = spec.limits ?? {};
    if (memoryMb !== undefined || cpu !== undefined) {
      const limits = createLimits({ name: spec.instanceId, memoryMb, cpu });
      inst.limits = limits.ok ? limits : null;
      const ids = { serviceId: spec.serviceId, instanceId: spec.instanceId };
      this.emit("limits", limits.ok ? { ...ids, ok: true, kind: limits.kind, reason: limits.note } : { ...ids, ok: false, reason: limits.reason });
    }
    this.launch(inst);
    return this.info(inst);
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once every process of the instance is gone. No restart follows. */
  stop(instanceId: string, opts: { graceMs?: number } = {}): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst) return Promise.resolve();
    if (!inst.stopping) {
      inst.stopRequested = true;
      inst.stopping = this.stopInstance(inst, opts.graceMs ?? 10_000);
    }
    return inst.stopping;
  }

  async stopAll(opts: { graceMs?: number } = {}): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id, opts)));
  }

  /** Stopped instances are forgotten: their last word is the "stopped" state event. */
  get(instanceId: string): InstanceInfo | undefined {
    const inst = this.instances.get(instanceId);
    return inst ? this.info(inst) : undefined;
  }

  list(): InstanceInfo[] {
    return [...this.instances.values()].map((inst) => this.info(inst));
  }

  private info(inst: Instance): InstanceInfo {
    const { instanceId, serviceId, deploymentId, port } = inst.spec;
    const info: InstanceInfo = {
      instanceId,
      serviceId,
      deploymentId,
      pid: inst.run?.pid ?? null,
      startTime: inst.run?.startTime ?? null,
      port,
      state: inst.state,
      restarts: inst.restarts,
    };
    if (inst.lastExit) info.lastExit = inst.lastExit;
    return info;
  }

  private ids(inst: Instance): Ids {
    return { instanceId: inst.spec.instanceId, serviceId: inst.spec.serviceId, deploymentId: inst.spec.deploymentId };
  }

  private setState(inst: Instance, state: InstanceState, extra: Pick<StateEvent, "reason" | "exit" | "retryInMs"> = {}): void {
    inst.state = state;
    this.emit("state", { ...this.ids(inst), state, pid: inst.run?.pid ?? null, restarts: inst.restarts, ...extra });
  }

  private launch(inst: Instance): void {
    const { spec } = inst;
    let launched: Launched;
    try {
      launched = launchInstance(spec);
    } catch (err) {
      this.crashed(inst, { code: null, signal: null, at: new Date() }, 0, `cannot start: ${message(err)}`);
      return;
    }
    const { child, pid } = launched;
    let markClosed = () => {};
    const run: Run = {
      child,
      pid,
      startTime: processStartTime(pid),
      sandboxed: launched.sandboxed,
      spawnedAt: Date.now(),
      exit: null,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
      ready: new AbortController(),
      oomBefore: 0,
    };
    inst.run = run;
    if (inst.limits) {
      try {
        inst.limits.addPid(pid);
        run.oomBefore = inst.limits.oomKills();
      } catch (err) {
        this.emit("limits", { serviceId: spec.serviceId, instanceId: spec.instanceId, ok: false, reason: `cannot move pid ${pid} into its cgroup: ${message(err)}` });
      }
    }
    launched.release();

    // Per line, one object with its fields written out (no spread): this runs for every line printed.
    const { instanceId, serviceId, deploymentId } = this.ids(inst);
    const out = new LineSplitter((line, at) => this.emit("log", { instanceId, serviceId, deploymentId, stream: "stdout", line, at }));
    const err = new LineSplitter((line, at) => this.emit("log", { instanceId, serviceId, deploymentId, stream: "stderr", line, at }));
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    child.once("close", () => {
      out.end();
      err.end();
      markClosed();
    });
    child.on("error", (error) => {
      run.failReason ??= message(error);
    });
    child.once("exit", (code, signal) => void this.onExit(inst, run, { code, signal, at: new Date() }));

    this.emit("spawn", { ...this.ids(inst), pid, startTime: run.startTime });
    this.setState(inst, "starting");
    void this.watchReadiness(inst, run);
  }

  private async watchReadiness(inst: Instance, run: Run): Promise<void> {
    const { port, health } = inst.spec;
    const up = () => run.exit === null && isAlive(run.pid);
    const result =
      port !== null
        ? await waitForHealthy({ port, path: health?.path, timeoutMs: health?.timeoutMs ?? 60_000, signal: run.ready.signal, isAlive: up })
        : await waitForStable({ ms: health?.stableMs ?? 1_000, signal: run.ready.signal, isAlive: up });
    if (inst.run !== run || inst.stopRequested || run.exit) return;
    if (result.ok) {
      this.setState(inst, "running", { reason: port !== null ? `healthy after ${result.ms} ms` : `stable for ${result.ms} ms` });
    } else if (result.reason === "timeout") {
      run.failReason = `not ready: ${result.detail}`;
      await this.signalRun(run, "SIGKILL");
    }
  }

  /** Signals the run's group, unless the group is certainly gone (then its id may belong to someone else). */
  private async signalRun(run: Run, signal: NodeJS.Signals, exceptLeader = false): Promise<void> {
    if (run.exit !== null && (await groupMembersAsync(run.pid)).length === 0) return;
    if (exceptLeader) await signalGroupExceptLeader(run.pid, signal);
    else signalGroup(run.pid, signal);
  }

  private async onExit(inst: Instance, run: Run, exit: InstanceExit): Promise<void> {
    run.exit = exit;
    run.ready.abort();
    if (inst.stopRequested) return; // stop() takes it from here
    // Helpers the app left behind (possible without bubblewrap) would hold its port and outlive it.
    await this.signalRun(run, "SIGKILL");
    await this.drain(run);
    if (inst.stopRequested || inst.run !== run) return;
    inst.run = null;
    this.crashed(inst, exit, exit.at.getTime() - run.spawnedAt, this.describeExit(inst, run, exit));
  }

  private describeExit(inst: Instance, run: Run, exit: InstanceExit): string {
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const oom = inst.limits !== null && inst.limits.oomKills() > run.oomBefore;
    const why = oom ? ` (out of memory: over its ${inst.spec.limits?.memoryMb} MB limit)` : run.failReason ? ` (${run.failReason})` : "";
    return how + why;
  }

  private crashed(inst: Instance, exit: InstanceExit, ranMs: number, why: string): void {
    inst.lastExit = exit;
    const decision = inst.policy.onCrash(ranMs);
    const loop = decision.crashLoop ? `; crash loop: ${decision.crashesInWindow} exits within ${decision.windowMs / 1000} s` : "";
    this.setState(inst, decision.crashLoop ? "crash-loop" : "backoff", {
      reason: `${why}${loop}; restarting in ${decision.delayMs} ms`,
      exit,
      retryInMs: decision.delayMs,
    });
    inst.timer = setTimeout(() => {
      inst.timer = null;
      if (inst.stopRequested) return;
      inst.restarts++;
      this.launch(inst);
    }, decision.delayMs);
  }

  private async stopInstance(inst: Instance, graceMs: number): Promise<void> {
    if (inst.timer) clearTimeout(inst.timer);
    inst.timer = null;
    const run = inst.run;
    let reason = "stopped";
    if (run) {
      run.ready.abort();
      this.setState(inst, "stopping");
      // Under bubblewrap the leader is bwrap: SIGTERM to it would SIGKILL the sandbox, so it goes to the processes inside.
      await this.signalRun(run, "SIGTERM", run.sandboxed);
      if (!(await this.waitGone(run, graceMs))) {
        reason = `did not exit within ${graceMs} ms of SIGTERM; killed`;
        await this.signalRun(run, "SIGKILL");
        if (!(await this.waitGone(run, KILL_WAIT_MS))) reason = `still present ${KILL_WAIT_MS} ms after SIGKILL`;
      }
      await this.drain(run);
      if (run.exit) inst.lastExit = run.exit;
      inst.run = null;
    }
    inst.limits?.remove();
    this.setState(inst, "stopped", { reason, exit: inst.lastExit });
    this.instances.delete(inst.spec.instanceId);
  }

  /** True once the leader exited and no member of its group is left; false at the deadline. */
  private async waitGone(run: Run, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (run.exit !== null && (await groupMembersAsync(run.pid)).length === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /** Waits for the last output; a pipe still held by an escaped process is cut after a bound. */
  private async drain(run: Run): Promise<void> {
    if (await this.closedWithin(run, DRAIN_MS)) return;
    for (const stream of run.child.stdio) stream?.destroy();
    await this.closedWithin(run, DRAIN_MS); // "close" also needs the exit, which a stuck process may never deliver
  }

  private async closedWithin(run: Run, ms: number): Promise<boolean> {
    const timer = new AbortController();
    const timedOut = sleep(ms, false, { signal: timer.signal }).catch(() => false);
    const closed = await Promise.race([run.closed.then(() => true), timedOut]);
    timer.abort();
    return closed;
  }
}
