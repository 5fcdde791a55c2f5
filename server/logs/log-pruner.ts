import "server-only";
import type { Db } from "@/db/client";
import { logRetention, pruneIntervalMs } from "./log-config";
import { pruneLogs } from "./prune-logs";

type Global = typeof globalThis & { __slipwayLogPruner?: () => void };

/**
 * Runs retention in the background: once shortly after start, then every SLIPWAY_LOG_PRUNE_INTERVAL_S.
 * A timer, not a poll: pruning is periodic by nature. Several consoles on one PostgreSQL may each run it;
 * deletes are idempotent. Returns a stop function.
 */
export function startLogPruner(db: Db): () => void {
  const g = globalThis as Global;
  if (g.__slipwayLogPruner) return g.__slipwayLogPruner;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const { byAge, bySize } = await pruneLogs({ db, retention: logRetention() });
      if (byAge + bySize > 0) console.log(`[slipway] log retention: pruned ${byAge} line(s) by age, ${bySize} by size`);
    } catch (err) {
      console.error("[slipway] log retention failed:", err instanceof Error ? err.message : err);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), 10_000);
  const every = setInterval(() => void run(), pruneIntervalMs());
  first.unref();
  every.unref();
  const stop = () => {
    clearTimeout(first);
    clearInterval(every);
    g.__slipwayLogPruner = undefined;
  };
  g.__slipwayLogPruner = stop;
  return stop;
}
