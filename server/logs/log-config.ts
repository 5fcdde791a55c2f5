import "server-only";

/** Retention limits, per service: lines older than `maxAgeMs`, or beyond the newest `maxBytes`, are pruned. */
export type LogRetention = { maxAgeMs: number; maxBytes: number };

const DAY_MS = 24 * 60 * 60 * 1000;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`[slipway] ${name}=${raw} is not a positive number; using ${fallback}`);
    return fallback;
  }
  return n;
}

/** SLIPWAY_LOG_RETENTION_DAYS (default 7) and SLIPWAY_LOG_RETENTION_MB (default 512) per service. */
export function logRetention(): LogRetention {
  return {
    maxAgeMs: positive("SLIPWAY_LOG_RETENTION_DAYS", 7) * DAY_MS,
    maxBytes: Math.round(positive("SLIPWAY_LOG_RETENTION_MB", 512) * 1024 * 1024),
  };
}

/** How often the background pruner runs (SLIPWAY_LOG_PRUNE_INTERVAL_S, default 300). */
export const pruneIntervalMs = (): number => positive("SLIPWAY_LOG_PRUNE_INTERVAL_S", 300) * 1000;

/**
 * How long a log batch the database fails to store is retried before it is dropped and counted
 * (SLIPWAY_LOG_RETRY_S, default 30): long enough to ride out a PostgreSQL restart.
 */
export const logRetryMs = (): number => positive("SLIPWAY_LOG_RETRY_S", 30) * 1000;
