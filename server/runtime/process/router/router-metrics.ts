import "server-only";

/**
 * Per-service request counters kept by the router: cumulative since the service was first routed.
 * Recording is a handful of array increments (no allocation), so it runs on every request.
 */

/** Upper bounds (ms, inclusive) of the latency histogram buckets; one more bucket catches the rest. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000,
  10_000, 30_000, 60_000,
];

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

export type RouterMetricsSnapshot = {
  serviceId: string;
  /** Requests answered (a WebSocket handshake counts once, with its status). */
  requests: number;
  byClass: Record<StatusClass, number>;
  /** Exact status codes, e.g. { "200": 10, "502": 1 }. 499: the client went away before the response ended. */
  byCode: Record<string, number>;
  /** Response body bytes sent to clients. */
  bytesSent: number;
  latency: {
    /** Upper bounds in ms; `counts` has one more entry for everything above the last bound. */
    bucketsMs: readonly number[];
    counts: number[];
    sumMs: number;
    maxMs: number;
  };
};

const CLASS_NAMES: readonly StatusClass[] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const BOUNDS = Float64Array.from(LATENCY_BUCKETS_MS);
const BUCKET_COUNT = BOUNDS.length + 1;

export class ServiceMetrics {
  private requests = 0;
  private bytesSent = 0;
  private sumMs = 0;
  private maxMs = 0;
  /** Index = status code (100–599). */
  private readonly codes = new Float64Array(600);
  private readonly buckets = new Float64Array(BUCKET_COUNT);

  constructor(readonly serviceId: string) {}

  record(status: number, durationMs: number, bytes: number): void {
    this.requests++;
    this.bytesSent += bytes;
    this.codes[status >= 100 && status < 600 ? status : 599]++;
    this.sumMs += durationMs;
    if (durationMs > this.maxMs) this.maxMs = durationMs;
    let i = 0;
    while (i < BOUNDS.length && durationMs > BOUNDS[i]) i++;
    this.buckets[i]++;
  }

  snapshot(): RouterMetricsSnapshot {
    const byClass: Record<StatusClass, number> = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
    const byCode: Record<string, number> = {};
    for (let code = 100; code < 600; code++) {
      const n = this.codes[code];
      if (n === 0) continue;
      byCode[String(code)] = n;
      byClass[CLASS_NAMES[Math.floor(code / 100) - 1]] += n;
    }
    return {
      serviceId: this.serviceId,
      requests: this.requests,
      byClass,
      byCode,
      bytesSent: this.bytesSent,
      latency: {
        bucketsMs: LATENCY_BUCKETS_MS,
        counts: Array.from(this.buckets),
        sumMs: this.sumMs,
        maxMs: this.maxMs,
      },
    };
  }
}

export function emptySnapshot(serviceId: string): RouterMetricsSnapshot {
  return new ServiceMetrics(serviceId).snapshot();
}

/**
 * Estimates the p-th percentile (0 < p ≤ 100) of the latency in ms from the histogram, by linear
 * interpolation inside the bucket that holds it (the overflow bucket reports the observed maximum).
 * Returns 0 when nothing was recorded. Works on the difference of two snapshots too.
 */
export function latencyPercentile(snapshot: RouterMetricsSnapshot, p: number): number {
  const { counts, bucketsMs, maxMs } = snapshot.latency;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = Math.min(Math.max(p, 0), 100) / 100 * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n === 0) continue;
    if (seen + n >= rank) {
      if (i >= bucketsMs.length) return maxMs;
      const lower = i === 0 ? 0 : bucketsMs[i - 1];
      const upper = Math.min(bucketsMs[i], maxMs > lower ? maxMs : bucketsMs[i]);
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return maxMs;
}

/** The counters of every service the router has seen, keyed by serviceId. */
export class RouterMetrics {
  private readonly services = new Map<string, ServiceMetrics>();

  for(serviceId: string): ServiceMetrics {
    let m = this.services.get(serviceId);
    if (!m) {
      m = new ServiceMetrics(serviceId);
      this.services.set(serviceId, m);
    }
    return m;
  }

  snapshot(serviceId: string): RouterMetricsSnapshot {
    return (this.services.get(serviceId) ?? new ServiceMetrics(serviceId)).snapshot();
  }
}
