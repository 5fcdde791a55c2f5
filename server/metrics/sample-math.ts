import "server-only";
import type { metricSamples } from "@/db/schema";
import { LATENCY_BUCKETS_MS, latencyPercentile, type RouterMetricsSnapshot } from "@/server/runtime/process/router/router-metrics";

/** The numeric part of a stored sample: what rollups and downsampling add up. */
export type SampleValues = Pick<
  typeof metricSamples.$inferInsert,
  "seconds" | "cpu" | "cpuMax" | "rss" | "rssMax" | "instances" | "restarts" | "requests" | "status4xx" | "status5xx" | "latency" | "latencyMaxMs"
>;

/** What a chart shows for one point in time. */
export type MetricPoint = {
  t: number;
  cpu: number;
  cpuMax: number;
  rss: number;
  rssMax: number;
  instances: number;
  restarts: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  rate4xx: number;
  rate5xx: number;
};

export const emptyLatency = () => new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

/**
 * Adds samples that cover consecutive stretches of time into one: counters add, gauges are averaged
 * weighted by the time each sample covers, maxima take the max, histograms add bucket by bucket.
 */
export function combine(rows: readonly SampleValues[]): SampleValues {
  const latency = emptyLatency();
  let seconds = 0, cpu = 0, rss = 0, instances = 0, cpuMax = 0, rssMax = 0, latencyMaxMs = 0;
  let restarts = 0, requests = 0, status4xx = 0, status5xx = 0;
  for (const r of rows) {
    seconds += r.seconds;
    cpu += r.cpu * r.seconds;
    rss += r.rss * r.seconds;
    instances += r.instances * r.seconds;
    cpuMax = Math.max(cpuMax, r.cpuMax);
    rssMax = Math.max(rssMax, r.rssMax);
    latencyMaxMs = Math.max(latencyMaxMs, r.latencyMaxMs);
    restarts += r.restarts;
    requests += r.requests;
    status4xx += r.status4xx;
    status5xx += r.status5xx;
    for (let i = 0; i < latency.length && i < r.latency.length; i++) latency[i] += r.latency[i];
  }
  const avg = (x: number) => (seconds > 0 ? x / seconds : 0);
  return { seconds, cpu: avg(cpu), cpuMax, rss: avg(rss), rssMax, instances: avg(instances), restarts, requests, status4xx, status5xx, latency, latencyMaxMs };
}

function asSnapshot(v: SampleValues): RouterMetricsSnapshot {
  return {
    serviceId: "",
    requests: v.requests,
    byClass: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": v.status4xx, "5xx": v.status5xx },
    byCode: {},
    bytesSent: 0,
    latency: { bucketsMs: LATENCY_BUCKETS_MS, counts: v.latency, sumMs: 0, maxMs: v.latencyMaxMs },
  };
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function toPoint(t: number, v: SampleValues): MetricPoint {
  const per = (n: number) => (v.seconds > 0 ? round(n / v.seconds, 3) : 0);
  const snap = asSnapshot(v);
  return {
    t,
    cpu: round(v.cpu),
    cpuMax: round(v.cpuMax),
    rss: Math.round(v.rss),
    rssMax: Math.round(v.rssMax),
    instances: round(v.instances),
    restarts: v.restarts,
    rps: per(v.requests),
    p50: round(latencyPercentile(snap, 50), 3),
    p95: round(latencyPercentile(snap, 95), 3),
    p99: round(latencyPercentile(snap, 99), 3),
    rate4xx: per(v.status4xx),
    rate5xx: per(v.status5xx),
  };
}
