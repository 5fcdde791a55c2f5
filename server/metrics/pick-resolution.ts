import "server-only";
import type { MetricTier } from "@/db/schema";
import { MAX_POINTS, retentionMs, TIER_MS } from "./metric-config";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
/** Point spacings a chart may use: round numbers people read on an axis. */
const STEPS = [10 * S, 20 * S, 30 * S, M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, H, 2 * H, 3 * H, 6 * H, 12 * H, 24 * H];
/**
 * Most rows one query reads. Reading costs ~30 µs a row on PGlite (the bench): 2,500 rows stay well
 * under 100 ms, while 7 days of minute rows (10,080) took ~350 ms for a picture hour rows draw as well.
 */
export const ROW_BUDGET = 2_500;

export type Resolution = { tier: MetricTier; stepMs: number };

/**
 * The tier to read and the spacing of points for a range: the finest tier that still holds data as old
 * as `from` and covers the range within ROW_BUDGET rows; the spacing is the smallest round step that
 * keeps the range within MAX_POINTS, and never finer than the tier's buckets.
 */
export function pickResolution(opts: { from: number; to: number; now: number; rawIntervalMs: number }): Resolution {
  const span = opts.to - opts.from;
  const retention = retentionMs();
  const width: Record<MetricTier, number> = { 0: opts.rawIntervalMs, 1: TIER_MS[1], 2: TIER_MS[2] };
  const holds = (tier: MetricTier) => opts.from >= opts.now - retention[tier];
  const tier: MetricTier = ([0, 1, 2] as const).find((t) => holds(t) && span / width[t] <= ROW_BUDGET) ?? 2;
  const fewest = STEPS.find((s) => span / s <= MAX_POINTS) ?? STEPS[STEPS.length - 1];
  const stepMs = STEPS.find((s) => s >= fewest && s >= width[tier]) ?? STEPS[STEPS.length - 1];
  return { tier, stepMs };
}
