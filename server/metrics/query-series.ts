import "server-only";
import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { metricSamples, type MetricTier } from "@/db/schema";
import { combine, toPoint, type MetricPoint, type SampleValues } from "./sample-math";
import { pickResolution } from "./pick-resolution";
import { metricsIntervalMs, TIER_MS } from "./metric-config";

/** `{1,2,3}` → [1, 2, 3]. */
const parseIntArray = (text: string): number[] => (text.length > 2 ? text.slice(1, -1).split(",").map(Number) : []);

type Row = SampleValues & { t: number };

async function readTier(db: Db, serviceId: string, tier: MetricTier, from: number, to: number): Promise<Row[]> {
  const rows = await db
    .select({
      t: metricSamples.bucketStart,
      seconds: metricSamples.seconds,
      cpu: metricSamples.cpu,
      cpuMax: metricSamples.cpuMax,
      rss: metricSamples.rss,
      rssMax: metricSamples.rssMax,
      instances: metricSamples.instances,
      restarts: metricSamples.restarts,
      requests: metricSamples.requests,
      status4xx: metricSamples.status4xx,
      status5xx: metricSamples.status5xx,
      // As text, parsed here: the drivers' generic array parsing costs more than the rest of the query.
      latency: sql<string>`${metricSamples.latency}::text`,
      latencyMaxMs: metricSamples.latencyMaxMs,
    })
    .from(metricSamples)
    .where(and(eq(metricSamples.serviceId, serviceId), eq(metricSamples.tier, tier), gte(metricSamples.bucketStart, new Date(from)), lt(metricSamples.bucketStart, new Date(to))))
    .orderBy(asc(metricSamples.bucketStart));
  return rows.map((r) => ({ ...r, t: r.t.getTime(), latency: parseIntArray(r.latency) }));
}

/**
 * Rows of `tier` in [from, to), then, after its last row, the finer tiers: the minute or hour that is
 * still open has no rollup yet, and a live chart must show it.
 */
async function readWithTail(db: Db, serviceId: string, tier: MetricTier, from: number, to: number): Promise<Row[]> {
  const rows = await readTier(db, serviceId, tier, from, to);
  if (tier === 0) return rows;
  const tailFrom = rows.length ? rows[rows.length - 1].t + TIER_MS[tier] : from;
  if (tailFrom >= to) return rows;
  return rows.concat(await readWithTail(db, serviceId, (tier - 1) as MetricTier, tailFrom, to));
}

export type Series = { from: number; to: number; stepMs: number; tier: number; points: MetricPoint[] };

/**
 * A service's metrics over [from, to): rows of the chosen tier (finer ones for the still-open tail),
 * added up per step (never more than MAX_POINTS points). No access check: callers (service functions,
 * the bench) decide who may read.
 */
export async function querySeries(db: Db, opts: { serviceId: string; from: number; to: number; now?: number }): Promise<Series> {
  const now = opts.now ?? Date.now();
  const { tier, stepMs } = pickResolution({ from: opts.from, to: opts.to, now, rawIntervalMs: metricsIntervalMs() });
  // Steps are aligned to the epoch so a point means the same stretch of time on every refresh.
  const start = Math.floor(opts.from / stepMs) * stepMs;
  const rows = await readWithTail(db, opts.serviceId, tier, start, opts.to);
  const points: MetricPoint[] = [];
  let group: SampleValues[] = [];
  let groupStart = -1;
  for (const r of rows) {
    const t = Math.floor(r.t / stepMs) * stepMs;
    if (t !== groupStart && group.length) {
      points.push(toPoint(groupStart, combine(group)));
      group = [];
    }
    groupStart = t;
    group.push(r);
  }
  if (group.length) points.push(toPoint(groupStart, combine(group)));
  return { from: opts.from, to: opts.to, stepMs, tier, points };
}
