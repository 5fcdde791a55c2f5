import "server-only";
import type { Db } from "@/db/client";
import type { InstanceSample } from "@/db/schema";
import { bus } from "@/server/engine/event-bus";
import { emptySnapshot, type RouterMetricsSnapshot } from "@/server/runtime/process/router/router-metrics";
import { CLOCK_TICKS_PER_SECOND, readGroupUsage, uptimeSeconds } from "./proc-stats";
import { pruneSamples, rollup, writeSamples, type SampleRow } from "./metric-store";
import { TIER_MS } from "./metric-config";

/** What the sampler reads each tick: the supervisor's instances and the router's cumulative counters. */
export type SamplerSource = {
  instances(): readonly { instanceId: string; serviceId: string; pid: number | null; state: string; restarts: number }[];
  routerMetrics(serviceId: string): RouterMetricsSnapshot;
};

export type SamplerOptions = { db: Db; source: SamplerSource; intervalMs: number; now?: () => number };

const PRUNE_EVERY_MS = 10 * 60_000;
// After a long pause (a suspended machine) only this many closed buckets are rolled up at once.
const MAX_CATCH_UP = 10;

/**
 * Every interval: CPU and RSS of each instance's process group from /proc, request counters from the
 * router (differences between ticks), instance counts and restarts; one raw row per service. When a
 * minute or an hour closes, rolls it up; every 10 minutes prunes what retention no longer keeps.
 * Each console samples only the services it supervises.
 */
export class MetricsSampler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private prevAt: number | null = null;
  private readonly prevTicks = new Map<string, { pid: number; ticks: number }>();
  private readonly prevRestarts = new Map<string, number>();
  private readonly prevRouter = new Map<string, RouterMetricsSnapshot>();
  /** Services this process has sampled: they keep getting rows (0 instances when stopped) and rollups. */
  private readonly known = new Set<string>();
  private lastMinute: number | null = null;
  private lastHour: number | null = null;
  private lastPrune = 0;
  private readonly now: () => number;

  constructor(private readonly o: SamplerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err) => console.error("[slipway] metrics sampler:", err instanceof Error ? err.message : err))
        .finally(() => this.schedule());
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One sample of everything, written and announced; returns the rows (tests read them). */
  async tick(): Promise<SampleRow[]> {
    const now = this.now();
    const rows = this.sample(now);
    await this.write(rows);
    bus.emit("metrics", { at: now });
    await this.rollupClosed(now);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await pruneSamples(this.o.db, { now });
    }
    return rows;
  }

  private sample(now: number): SampleRow[] {
    const elapsed = this.prevAt === null ? this.o.intervalMs / 1000 : Math.max((now - this.prevAt) / 1000, 0.001);
    const bucketStart = new Date(now - elapsed * 1000);
    this.prevAt = now;
    const listed = this.o.source.instances();
    // Restarts count over every instance the supervisor keeps, also one waiting in backoff without a pid.
    const restarts = new Map<string, number>();
    const seenInstances = new Set<string>();
    for (const inst of listed) {
      this.known.add(inst.serviceId);
      seenInstances.add(inst.instanceId);
      const before = this.prevRestarts.get(inst.instanceId) ?? 0;
      restarts.set(inst.serviceId, (restarts.get(inst.serviceId) ?? 0) + Math.max(inst.restarts - before, 0));
      this.prevRestarts.set(inst.instanceId, inst.restarts);
    }
    const instances = listed.filter((i) => i.pid !== null && i.state !== "stopped");
    const usage = readGroupUsage(new Set(instances.map((i) => i.pid as number)));
    const uptime = uptimeSeconds();
    const perService = new Map<string, InstanceSample[]>();
    for (const inst of instances) {
      const pid = inst.pid as number;
      const u = usage.get(pid);
      if (!u) continue;
      const prev = this.prevTicks.get(inst.instanceId);
      let seconds = elapsed;
      let ticks = u.cpuTicks - (prev?.ticks ?? 0);
      if (!prev || prev.pid !== pid) {
        // First sight of this process: its average since it started, not a spike of its whole life.
        ticks = u.cpuTicks;
        seconds = u.leaderStartTicks !== null ? Math.max(uptime - u.leaderStartTicks / CLOCK_TICKS_PER_SECOND, 0.01) : elapsed;
      }
      this.prevTicks.set(inst.instanceId, { pid, ticks: u.cpuTicks });
      // A member that left the group takes its ticks with it: never report negative CPU.
      const cpu = Math.max((ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100, 0);
      const list = perService.get(inst.serviceId) ?? [];
      list.push({ id: inst.instanceId, cpu: Math.round(cpu * 100) / 100, rss: u.rssBytes });
      perService.set(inst.serviceId, list);
    }
    for (const id of [...this.prevTicks.keys()]) if (!seenInstances.has(id)) this.prevTicks.delete(id);
    for (const id of [...this.prevRestarts.keys()]) if (!seenInstances.has(id)) this.prevRestarts.delete(id);

    const rows: SampleRow[] = [];
    for (const serviceId of this.known) {
      const list = perService.get(serviceId) ?? [];
      const d = this.routerDelta(serviceId);
      rows.push({
        serviceId,
        tier: 0,
        bucketStart,
        seconds: elapsed,
        cpu: list.reduce((a, i) => a + i.cpu, 0),
        cpuMax: list.reduce((a, i) => Math.max(a, i.cpu), 0),
        rss: list.reduce((a, i) => a + i.rss, 0),
        rssMax: list.reduce((a, i) => Math.max(a, i.rss), 0),
        instances: list.length,
        restarts: restarts.get(serviceId) ?? 0,
        ...d,
        perInstance: list,
      });
    }
    return rows;
  }

  /** Requests since the previous tick, from the router's cumulative counters. */
  private routerDelta(serviceId: string) {
    const snap = this.o.source.routerMetrics(serviceId);
    let prev = this.prevRouter.get(serviceId) ?? emptySnapshot(serviceId);
    // Counters went backwards: the router was recreated; everything it has is new.
    if (snap.requests < prev.requests) prev = emptySnapshot(serviceId);
    this.prevRouter.set(serviceId, snap);
    const latency = snap.latency.counts.map((n, i) => Math.max(n - (prev.latency.counts[i] ?? 0), 0));
    const overflow = latency.length - 1;
    let top = -1;
    for (let i = latency.length - 1; i >= 0; i--) {
      if (latency[i] > 0) {
        top = i;
        break;
      }
    }
    // The cumulative maximum cannot be differenced: the upper bound of the highest bucket used stands in for it.
    const latencyMaxMs = top < 0 ? 0 : top === overflow ? snap.latency.maxMs : Math.min(snap.latency.bucketsMs[top], snap.latency.maxMs);
    return {
      requests: Math.max(snap.requests - prev.requests, 0),
      status4xx: Math.max(snap.byClass["4xx"] - prev.byClass["4xx"], 0),
      status5xx: Math.max(snap.byClass["5xx"] - prev.byClass["5xx"], 0),
      latency,
      latencyMaxMs,
    };
  }

  private async write(rows: SampleRow[]) {
    if (rows.length === 0) return;
    try {
      await writeSamples(this.o.db, rows);
    } catch {
      // One deleted service fails the whole statement (foreign key): write one by one and forget it.
      for (const r of rows) {
        await writeSamples(this.o.db, [r]).catch(() => {
          this.known.delete(r.serviceId);
          this.prevRouter.delete(r.serviceId);
        });
      }
    }
  }

  /** Rolls up every minute and hour that closed since the last tick (the rows they cover are all written by now). */
  private async rollupClosed(now: number) {
    const ids = [...this.known];
    const minute = Math.floor(now / TIER_MS[1]) * TIER_MS[1];
    const hour = Math.floor(now / TIER_MS[2]) * TIER_MS[2];
    // On the first tick, redo the last closed minute and hour: a previous life may have died before rolling them.
    this.lastMinute ??= minute - 2 * TIER_MS[1];
    this.lastHour ??= hour - 2 * TIER_MS[2];
    const firstMinute = Math.max(this.lastMinute + TIER_MS[1], minute - MAX_CATCH_UP * TIER_MS[1]);
    for (let m = firstMinute; m < minute; m += TIER_MS[1]) await rollup(this.o.db, { serviceIds: ids, to: 1, start: m });
    this.lastMinute = minute - TIER_MS[1];
    const firstHour = Math.max(this.lastHour + TIER_MS[2], hour - MAX_CATCH_UP * TIER_MS[2]);
    for (let h = firstHour; h < hour; h += TIER_MS[2]) await rollup(this.o.db, { serviceIds: ids, to: 2, start: h });
    this.lastHour = hour - TIER_MS[2];
  }
}
