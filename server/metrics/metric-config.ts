import "server-only";
import type { MetricTier } from "@/db/schema";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}

/** How often the sampler reads the OS and the router (SLIPWAY_METRICS_INTERVAL_MS, default 5 s). */
export const metricsIntervalMs = () => positive("SLIPWAY_METRICS_INTERVAL_MS", 5_000);

/** Width of one bucket per tier in ms; raw rows are as wide as the sampler interval. */
export const TIER_MS: Record<MetricTier, number> = { 0: 0, 1: 60_000, 2: HOUR };

/** How long each tier is kept (raw 24 h, minutes 7 d, hours 90 d unless configured). */
export function retentionMs(): Record<MetricTier, number> {
  return {
    0: positive("SLIPWAY_METRICS_RAW_HOURS", 24) * HOUR,
    1: positive("SLIPWAY_METRICS_MINUTE_DAYS", 7) * DAY,
    2: positive("SLIPWAY_METRICS_HOUR_DAYS", 90) * DAY,
  };
}

/** A chart never gets more points than this per series. */
export const MAX_POINTS = 500;
