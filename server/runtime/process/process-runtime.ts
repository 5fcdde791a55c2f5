import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { processRecords } from "@/db/schema";
import type { InstanceRecord } from "@/db/schema";
import type { BuiltVersion, DeployTarget, Runtime, ServiceRef, StepContext } from "@/server/engine/runtime";
import type { RunningStatus } from "@/server/engine/deployment-status";
import { StepFailure } from "@/server/engine/step-failure";
import type { LogWriter } from "@/server/engine/log-writer";
import { setServiceState } from "@/server/engine/service-state";
import { routeHostname, serviceUrl, type ServicePlace } from "@/server/engine/service-url";
import { Supervisor, allocatePort, killProcessGroupIfSame, type InstanceInfo, type StateEvent } from "./supervisor";
import { HttpRouter } from "./router/http-router";
import { buildService } from "./builder/build-service";
import { BuildFailure } from "./builder/build-failure";
import { detectCommands } from "./builder/detect-commands";
import { someBranches } from "./builder/git-remote";
import { displayGitUrl } from "./builder/git-url";
import { checkGitRemote } from "./builder/fetch-git";
import { fetchSource } from "./builder/fetch-source";
import { checkSource, protectSlipwayFolders } from "./builder/source-policy";
import { handOver, runAsIds } from "./sandbox";
import { prepareWorkTree, serviceFolder, workTree, type WorkTree } from "./work-tree";
import { builtinValues } from "@/server/variables/builtins";
import { materialize } from "@/server/variables/materialize";

export type ProcessRuntimeOptions = {
  db: Db;
  logs: LogWriter;
  /** Stable across restarts of this console, unique among consoles sharing a database. */
  nodeId: string;
  dataDir: string;
  workDir: string;
  routerPort: number;
  /** Relative path sources resolve against this (the console's folder). */
  baseDir?: string;
  healthTimeoutMs?: number;
  stopGraceMs?: number;
};

type Running = { version: BuiltVersion; deploymentId: string | null; instanceIds: string[]; hostname: string | null; environmentId: string };

/** A folder in instances/ younger than this may be one another console sharing the work folder is setting up. */
const ORPHAN_DIR_MIN_AGE_MS = 60_000;

const DEFAULT_HEALTH_TIMEOUT_MS = Number(process.env.SLIPWAY_HEALTH_TIMEOUT_MS ?? 60_000);

/**
 * The embedded runtime: builds on this machine, runs instances as supervised child processes, and
 * routes HTTP to them through Slipway's own router. Implements the engine's Runtime interface.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = "process" as const;
  readonly supervisor = new Supervisor();
  readonly router: HttpRouter;
  private readonly services = new Map<string, Running>();
  private readonly statusTimers = new Map<string, NodeJS.Timeout>();
  private readonly limitsWarned = new Set<string>();
  private readonly healthTimeoutMs: number;
  private readonly tree: WorkTree;
  /** Instance folders being removed after their instance stopped (awaited by stop/remove/shutdown). */
  private readonly removals = new Map<string, Promise<void>>();

  constructor(private readonly o: ProcessRuntimeOptions) {
    this.tree = workTree(o.workDir);
    prepareWorkTree(this.tree);
    this.router = new HttpRouter({ port: o.routerPort });
    // No source may be or contain this console's folders, whatever the environment says they are.
    protectSlipwayFolders(o.dataDir, o.workDir);
    this.healthTimeoutMs = o.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    this.supervisor.on("log", (e) => o.logs.write({ serviceId: e.serviceId, deploymentId: e.deploymentId, instanceId: e.instanceId, stream: e.stream, line: e.line, at: e.at }));
    this.supervisor.on("spawn", (e) => {
      void o.db.insert(processRecords).values({ ownerId: o.nodeId, serviceId: e.serviceId, instanceId: e.instanceId, pid: e.pid, startTime: e.startTime }).catch(() => {});
    });
    this.supervisor.on("state", (e) => this.onState(e));
    this.supervisor.on("limits", (e) => {
      // Said once per service: the host does not let us enforce limits.
      if (e.ok || this.limitsWarned.has(e.serviceId)) return;
      this.limitsWarned.add(e.serviceId);
      o.logs.write({ serviceId: e.serviceId, deploymentId: null, instanceId: e.instanceId, stream: "system", line: `running without cpu/memory limits: ${e.reason}`, at: new Date() });
    });
  }

  async startRouter(): Promise<void> {
    await this.router.start();
  }

  restoreDone(): void {
    this.router.markReady();
  }

  /** Hidden from every build and instance: the data folder, and the whole work tree (each gets its own folders bound back). */
  private hiddenDirs(): string[] {
    return [this.o.dataDir, this.o.workDir];
  }

  private baseDir() {
    return this.o.baseDir ?? process.cwd();
  }

  async precheck(s: ServiceRef, ctx: StepContext): Promise<void> {
    const src = s.spec.source;
    const problem = await checkSource(src, this.baseDir());
    if (problem) throw new StepFailure("precheck", `${s.name}: ${problem.message}`, "the source policy refuses this source on every deploy; change the service's source");
    // The service's own fetch cache (0700, its user's): the build finds what the precheck fetched.
    const cacheRoot = this.tree.sourcesOf(s.id);
    serviceFolder(cacheRoot, s.runAs);
    if ("path" in src) {
      try {
        // Fetched now, with the service's rights (the build finds it cached): commands are detected
        // in what that user could read, never in the folder as root sees it.
        const fetched = await fetchSource({ source: src, baseDir: this.baseDir(), cacheRoot, signal: ctx.signal, runAs: s.runAs });
        detectCommands({ dir: fetched.dir, spec: s.spec });
      } catch (err) {
        if (err instanceof BuildFailure) throw new StepFailure("precheck", `${s.name}: ${err.message}`, err.hint);
        throw err;
      }
    } else {
      let refs;
      try {
        refs = await checkGitRemote(src, { baseDir: this.baseDir(), cacheRoot, signal: ctx.signal, gitTimeoutMs: 30_000, runAs: s.runAs });
      } catch (err) {
        if (err instanceof BuildFailure) throw new StepFailure("precheck", `${s.name}: ${err.message}`, err.hint);
        throw err;
      }
      if (src.branch && !refs.branches.has(src.branch)) {
        throw new StepFailure("precheck", `${s.name}: branch "${src.branch}" not found in ${displayGitUrl(src.git)}`, `branches there: ${someBranches(refs)}`);
      }
    }
    if (s.type === "application" && s.spec.port === undefined && !s.spec.healthcheck?.path) {
      ctx.log(s.id, "no port declared: the service runs without HTTP routing");
    }
    await ctx.emit({ stage: "precheck", step: `check ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: "source reachable, start command known" });
  }

  async build(s: ServiceRef, ctx: StepContext): Promise<BuiltVersion> {
    await ctx.emit({ stage: "build", step: `build ${s.name}`, status: "running", serviceId: s.id, serviceName: s.name, message: "fetching source and building" });
    const inUse = this.services.get(s.id)?.version.buildId;
    try {
      const r = await buildService({
        serviceId: s.id,
        source: s.spec.source,
        spec: s.spec,
        // No deployment id here: the build id hashes the build env, and a per-deployment value would
        // defeat build reuse (every redeploy would rebuild).
        ...this.buildVariables(s, ctx),
        cacheRoot: this.tree.sourcesOf(s.id),
        buildsRoot: this.tree.builds,
        runAs: s.runAs,
        hiddenDirs: this.hiddenDirs(),
        baseDir: this.baseDir(),
        onLog: (l) => ctx.log(s.id, l.line, "build"),
        signal: ctx.signal,
        inUse: inUse ? [inUse] : [],
      });
      const how = r.reused ? "reused a cached build" : `built in ${(r.durationMs / 1000).toFixed(1)} s`;
      await ctx.emit({ stage: "build", step: `build ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: `${how} (${r.revision}); start: ${r.commands.start}` });
      return { buildId: r.buildId, dir: r.dir, startCommand: r.commands.start, revision: r.revision, reused: r.reused };
    } catch (err) {
      if (err instanceof BuildFailure) {
        if (err.canceled) throw err;
        const stage = err.stage === "build" ? "build" : "precheck";
        throw new StepFailure(stage, `${s.name}: ${err.message}`, err.hint, ctx.tail(s.id), err.stage === "build" ? "BUILD_ERROR" : "DEPLOYMENT_ERROR");
      }
      throw err;
    }
  }

  private builtins(s: ServiceRef, t: Omit<DeployTarget, "deploymentId"> & { deploymentId: string | null }, revision: string | null, port: number | null): Record<string, string> {
    const siblings = (s.variables?.siblings ?? []).map((o) => ({ name: o.name, url: `http://${routeHostname(o.name, t)}:${this.router.port}` }));
    return builtinValues({ projectName: t.projectName, environmentName: t.environmentName, serviceName: s.name, deploymentId: t.deploymentId, revision, port, siblings });
  }

  /** Build-time variables and files (built-ins without the deployment id and commit, which change every time). */
  private buildVariables(s: ServiceRef, t: Omit<DeployTarget, "deploymentId">) {
    const builtins = this.builtins(s, { ...t, deploymentId: null }, null, null);
    const m = materialize(s.variables, s.spec.env, builtins, "build");
    return { buildEnv: { ...m.env, ...builtins }, buildFiles: m.files };
  }

  /** An instance's variables; file variables are written into its folder (read by the service's user only) and hold their path. */
  private instanceVariables(s: ServiceRef, t: Omit<DeployTarget, "deploymentId"> & { deploymentId: string | null }, revision: string, port: number | null, writableDir: string): Record<string, string> {
    const builtins = this.builtins(s, t, revision, port);
    const m = materialize(s.variables, s.spec.env, builtins, "runtime");
    const env = { ...m.env, ...builtins };
    if (m.files.length) {
      const dir = path.join(writableDir, ".slipway-vars");
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const f of m.files) {
        const file = path.join(dir, f.name);
        fs.writeFileSync(file, f.content, { mode: 0o600 });
        env[f.name] = file;
      }
    }
    return env;
  }

  /**
   * A kept build made before the service had its own user (or under another uid range) belongs to
   * someone else: give it to the service before an instance runs in it. One stat when it is already
   * the service's.
   */
  private async ownBuild(dir: string, runAs: ServiceRef["runAs"]): Promise<void> {
    const ids = runAsIds(runAs);
    if (!ids) return;
    const st = await fs.promises.stat(dir).catch(() => null);
    if (!st || st.uid === ids.uid) return;
    serviceFolder(path.dirname(dir), runAs);
    await handOver(dir, runAs);
  }

  /** Starts `instances.min` instances of a version; returns their ids and ports. */
  private async launch(s: ServiceRef, v: BuiltVersion, t: Omit<DeployTarget, "deploymentId"> & { deploymentId: string | null }) {
    const count = s.spec.instances.min;
    await this.ownBuild(v.dir, s.runAs);
    const ids: { id: string; port: number | null }[] = [];
    for (let i = 0; i < count; i++) {
      const port = s.type === "application" && (s.spec.port !== undefined || s.spec.healthcheck?.path) ? await allocatePort() : null;
      const id = `${s.name}-${(t.deploymentId ?? "restore").slice(0, 8)}-${i}-${crypto.randomBytes(2).toString("hex")}`;
      const writableDir = this.tree.instanceDir(id);
      serviceFolder(writableDir, s.runAs);
      const env = this.instanceVariables(s, t, v.revision, port, writableDir);
      await handOver(writableDir, s.runAs);
      this.supervisor.start({
        instanceId: id,
        serviceId: s.id,
        deploymentId: t.deploymentId ?? "",
        cwd: v.dir,
        writableDir,
        hiddenDirs: this.hiddenDirs(),
        runAs: s.runAs,
        command: v.startCommand,
        env,
        port,
        limits: s.spec.resources,
        health: { path: s.spec.healthcheck?.path ?? null, timeoutMs: this.healthTimeoutMs },
      });
      ids.push({ id, port });
    }
    return ids;
  }

  /** Resolves when every instance is running (healthy), or fails on a crash loop or the timeout. */
  private waitHealthy(ids: { id: string; port: number | null }[], timeoutMs: number, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; reason: string }> {
    const pending = new Set(ids.map((i) => i.id));
    const stateOf = (id: string) => this.supervisor.get(id)?.state;
    return new Promise((resolve) => {
      const finish = (r: { ok: true } | { ok: false; reason: string }) => {
        clearTimeout(timer);
        this.supervisor.off("state", onState);
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      };
      const check = () => {
        for (const id of [...pending]) if (stateOf(id) === "running") pending.delete(id);
        if (pending.size === 0) finish({ ok: true });
      };
      const onState = (e: StateEvent) => {
        if (!pending.has(e.instanceId)) return;
        // An exit before ever being healthy fails the gate at once: waiting out the backoff only delays the verdict.
        if (e.state === "crash-loop" || e.state === "backoff") {
          const port = ids.find((i) => i.id === e.instanceId)?.port;
          const notReady = /not ready: ([^;)]*)/.exec(e.reason ?? "");
          if (notReady) {
            // The supervisor gave up on its health check and killed it: say so, not "crashed".
            finish({ ok: false, reason: `did not pass its health check on $PORT=${port} within ${Math.round(this.healthTimeoutMs / 1000)} s (${notReady[1].trim()})` });
            return;
          }
          const exit = e.exit ? (e.exit.signal ? `was killed by ${e.exit.signal}` : `exited with code ${e.exit.code}`) : "stopped";
          finish({ ok: false, reason: `crashed at start: it ${exit}${e.reason ? ` (${e.reason})` : ""}${port ? `; $PORT=${port}` : ""}` });
          return;
        }
        check();
      };
      const onAbort = () => finish({ ok: false, reason: "canceled" });
      const timer = setTimeout(() => {
        const id = [...pending][0];
        const port = ids.find((i) => i.id === id)?.port;
        const limit = Math.round(this.healthTimeoutMs / 1000);
        finish({ ok: false, reason: port ? `did not pass its health check on $PORT=${port} within ${limit} s` : `did not stay up for ${limit} s` });
      }, timeoutMs);
      this.supervisor.on("state", onState);
      signal?.addEventListener("abort", onAbort, { once: true });
      check();
    });
  }

  async rollout(s: ServiceRef, v: BuiltVersion, ctx: StepContext): Promise<void> {
    const old = this.services.get(s.id);
    await ctx.emit({ stage: "deploy", step: `start ${s.name}`, status: "running", serviceId: s.id, serviceName: s.name, message: `starting ${s.spec.instances.min} instance(s): ${v.startCommand}` });
    const fresh = await this.launch(s, v, ctx);
    await setServiceState(this.o.db, s.id, ctx.environmentId, { status: old ? this.status(s.id) : "STARTING", ownerId: this.o.nodeId });
    const health = await this.waitHealthy(fresh, this.healthTimeoutMs + 2_000, ctx.signal);
    if (!health.ok) {
      await this.stopInstances(fresh.map((i) => i.id), 2_000);
      await this.o.logs.flush();
      if (ctx.signal.aborted) throw new StepFailure("deploy", "canceled");
      const where = s.spec.healthcheck?.path ? ` (GET ${s.spec.healthcheck.path})` : "";
      throw new StepFailure(
        "health",
        `${s.name} ${health.reason}${where}; the new instances were stopped${old ? " and the previous version keeps serving" : ""}`,
        "check that the app listens on $PORT and that its health check answers 2xx",
        ctx.tail(s.id),
      );
    }
    await ctx.emit({ stage: "health", step: `health ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: `${fresh.length} instance(s) healthy` });

    const hostname = s.type === "application" && fresh.some((i) => i.port !== null) ? routeHostname(s.name, ctx) : null;
    if (hostname) {
      this.router.setRoute(hostname, fresh.filter((i) => i.port !== null).map((i) => ({ id: i.id, port: i.port as number })), {
        serviceId: s.id,
        serviceName: s.name,
        environmentName: ctx.environmentName,
        projectName: ctx.projectName,
      });
      await ctx.emit({ stage: "traffic", step: `switch ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: `traffic now goes to the new version at ${hostname}` });
    }
    this.services.set(s.id, { version: v, deploymentId: ctx.deploymentId, instanceIds: fresh.map((i) => i.id), hostname, environmentId: ctx.environmentId });
    if (old) {
      // The router no longer picks old instances; SIGTERM lets them finish what is in flight.
      await this.stopInstances(old.instanceIds, this.o.stopGraceMs ?? 10_000);
      if (old.hostname && old.hostname !== hostname) this.router.removeRoute(old.hostname);
      await ctx.emit({ stage: "drain", step: `drain ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: `stopped ${old.instanceIds.length} old instance(s)` });
    }
    await this.writeStatus(s.id);
  }

  async start(s: ServiceRef, v: BuiltVersion, t: Omit<DeployTarget, "deploymentId"> & { deploymentId: string | null }): Promise<void> {
    const ids = await this.launch(s, v, t);
    const hostname = s.type === "application" && ids.some((i) => i.port !== null) ? routeHostname(s.name, t) : null;
    this.services.set(s.id, { version: v, deploymentId: t.deploymentId, instanceIds: ids.map((i) => i.id), hostname, environmentId: t.environmentId });
    const health = await this.waitHealthy(ids, this.healthTimeoutMs + 2_000);
    if (hostname) {
      this.router.setRoute(hostname, ids.filter((i) => i.port !== null).map((i) => ({ id: i.id, port: i.port as number })), {
        serviceId: s.id,
        serviceName: s.name,
        environmentName: t.environmentName,
        projectName: t.projectName,
      });
    }
    await this.writeStatus(s.id);
    if (!health.ok) throw new Error(`${s.name} ${health.reason}`);
  }

  async stop(serviceId: string): Promise<void> {
    const r = this.services.get(serviceId);
    if (!r) return;
    // Keep the route with no upstream: visitors get a clear 503 naming the service, not a 404.
    if (r.hostname) {
      const route = this.router.routes().find((x) => x.hostname === r.hostname);
      if (route) this.router.setRoute(r.hostname, [], route.info);
    }
    await this.stopInstances(r.instanceIds, this.o.stopGraceMs ?? 10_000);
    r.instanceIds = [];
  }

  /** Stops instances and waits until their folders (secret files included) are gone. */
  private async stopInstances(ids: string[], graceMs: number): Promise<void> {
    await Promise.all(ids.map((id) => this.supervisor.stop(id, { graceMs })));
    await Promise.all(ids.map((id) => this.removals.get(id)));
  }

  /** An instance's folder holds its secret files: it goes as soon as the instance has stopped. */
  private removeInstanceDir(instanceId: string): void {
    if (this.removals.has(instanceId)) return;
    const done = fs.promises
      .rm(this.tree.instanceDir(instanceId), { recursive: true, force: true })
      .catch((err: unknown) => {
        console.error(`[slipway] could not remove the folder of instance ${instanceId}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => this.removals.delete(instanceId));
    this.removals.set(instanceId, done);
  }

  async remove(serviceId: string): Promise<void> {
    await this.stop(serviceId);
    const r = this.services.get(serviceId);
    if (r?.hostname) this.router.removeRoute(r.hostname);
    this.services.delete(serviceId);
    await Promise.all([
      fs.promises.rm(path.join(this.tree.builds, serviceId), { recursive: true, force: true }),
      fs.promises.rm(this.tree.sourcesOf(serviceId), { recursive: true, force: true }),
    ]);
  }

  private instancesOf(serviceId: string): InstanceInfo[] {
    const r = this.services.get(serviceId);
    return (r?.instanceIds ?? []).map((id) => this.supervisor.get(id)).filter((i): i is InstanceInfo => Boolean(i));
  }

  status(serviceId: string): RunningStatus {
    const r = this.services.get(serviceId);
    if (!r) return "NOT_DEPLOYED";
    const list = this.instancesOf(serviceId);
    if (list.length === 0) return "STOPPED";
    const running = list.filter((i) => i.state === "running").length;
    const failing = list.filter((i) => i.state === "crash-loop" || i.state === "backoff").length;
    if (running === list.length) return "RUNNING";
    if (failing && running) return "DEGRADED";
    if (failing === list.length && list.some((i) => i.state === "crash-loop")) return "ERROR";
    return "STARTING";
  }

  url(service: { name: string; type: string; port?: number }, target: ServicePlace): string | null {
    return serviceUrl(service, target);
  }

  private onState(e: StateEvent) {
    if (e.state === "stopped") {
      this.removeInstanceDir(e.instanceId);
      void this.o.db
        .update(processRecords)
        .set({ endedAt: new Date() })
        .where(and(eq(processRecords.instanceId, e.instanceId), isNull(processRecords.endedAt)))
        .catch(() => {});
    }
    this.scheduleStatus(e.serviceId);
  }

  /** Coalesces bursts of instance events into one status write per service. */
  private scheduleStatus(serviceId: string) {
    if (this.statusTimers.has(serviceId)) return;
    this.statusTimers.set(
      serviceId,
      setTimeout(() => {
        this.statusTimers.delete(serviceId);
        void this.writeStatus(serviceId).catch(() => {});
      }, 150),
    );
  }

  /** Writes the service's observed status and instances now. */
  async writeStatus(serviceId: string): Promise<void> {
    const r = this.services.get(serviceId);
    if (!r) return;
    const instances: InstanceRecord[] = this.instancesOf(serviceId).map((i) => ({ instanceId: i.instanceId, pid: i.pid, startTime: i.startTime, port: i.port, state: i.state, restarts: i.restarts }));
    await setServiceState(this.o.db, serviceId, r.environmentId, { status: this.status(serviceId), instances, ownerId: this.o.nodeId });
  }

  hasBuild(version: Pick<BuiltVersion, "dir">): boolean {
    return fs.existsSync(version.dir);
  }

  async stopOrphans(): Promise<number> {
    const open = await this.o.db.select().from(processRecords).where(and(eq(processRecords.ownerId, this.o.nodeId), isNull(processRecords.endedAt)));
    let stopped = 0;
    for (const p of open) {
      if (p.startTime && killProcessGroupIfSame({ pid: p.pid, startTime: p.startTime, signal: "SIGKILL" }).signalled) stopped++;
      await this.o.db.update(processRecords).set({ endedAt: new Date() }).where(eq(processRecords.id, p.id));
      await fs.promises.rm(this.tree.instanceDir(p.instanceId), { recursive: true, force: true });
    }
    await this.removeOrphanedInstanceDirs();
    return stopped;
  }

  /**
   * Instance folders no running instance owns (left by a crash, or by a console that died before recording
   * the process): no instance of ours uses them and no console has an open process record for them. Only
   * folders older than a minute, so one being set up by another console sharing this work folder is spared.
   */
  private async removeOrphanedInstanceDirs(): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.tree.instances);
    } catch {
      return;
    }
    if (names.length === 0) return;
    const live = new Set((await this.o.db.select({ id: processRecords.instanceId }).from(processRecords).where(isNull(processRecords.endedAt))).map((r) => r.id));
    const ours = new Set(this.supervisor.list().map((i) => i.instanceId));
    const cutoff = Date.now() - ORPHAN_DIR_MIN_AGE_MS;
    for (const name of names) {
      if (live.has(name) || ours.has(name)) continue;
      const dir = this.tree.instanceDir(name);
      const st = await fs.promises.lstat(dir).catch(() => null);
      if (st && st.mtimeMs < cutoff) await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  async shutdown(): Promise<void> {
    for (const t of this.statusTimers.values()) clearTimeout(t);
    this.statusTimers.clear();
    await this.supervisor.stopAll({ graceMs: 3_000 });
    await Promise.all([...this.removals.values()]);
    await this.router.stop();
  }
}
