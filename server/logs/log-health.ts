import "server-only";

/** How recently lost log lines keep /api/health degraded after the fault itself is over. */
export const DROP_MEMORY_MS = 10 * 60 * 1000;

/**
 * The log pipeline's faults, for /api/health: a store failing right now (with its cause), and the lines
 * dropped since start per true cause. A globalThis singleton: Next's bundles do not share module state.
 */
export type LogHealth = {
  /** Set while batches fail to store (and are being retried); cleared by the next stored batch. */
  failing: { cause: string; since: number } | null;
  /** Lines dropped since the process started, per cause. */
  droppedByCause: Record<string, number>;
  /** The last drop: when and why. */
  lastDrop: { at: number; cause: string } | null;
};

const g = globalThis as typeof globalThis & { __slipwayLogHealth?: LogHealth };
export const logHealth: LogHealth = (g.__slipwayLogHealth ??= { failing: null, droppedByCause: {}, lastDrop: null });

export function countDropped(cause: string, count: number): void {
  logHealth.droppedByCause[cause] = (logHealth.droppedByCause[cause] ?? 0) + count;
  logHealth.lastDrop = { at: Date.now(), cause };
}
