import "server-only";

/**
 * Process-wide counters of the log pipeline, for /metrics. Cumulative since the process started.
 * A globalThis singleton: Next's bundles do not share module state.
 */
export type LogCounters = {
  /** Lines handed to the LogWriter (builds, instances, system notes). */
  linesIngested: number;
  /** Lines stored (in log_chunks). */
  linesStored: number;
  /** Lines thrown away because the database could not keep up (or refused a batch). */
  linesDropped: number;
  /** Lines deleted by retention (age or size). */
  linesPruned: number;
};

const g = globalThis as typeof globalThis & { __slipwayLogCounters?: LogCounters };
export const logCounters: LogCounters = (g.__slipwayLogCounters ??= { linesIngested: 0, linesStored: 0, linesDropped: 0, linesPruned: 0 });

/** A copy, so a reader sees one consistent moment. */
export const readLogCounters = (): LogCounters => ({ ...logCounters });
