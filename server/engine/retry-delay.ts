import "server-only";

/**
 * Bounded exponential backoff with jitter ("equal jitter": half fixed, half random), for reconnecting
 * to the database and retrying log batches: attempt 0 waits ~minMs, each next one up to twice as long,
 * never more than maxMs. The random half keeps consoles that lost the same database from retrying in step.
 */
export function retryDelay(attempt: number, { minMs = 100, maxMs = 5_000 }: { minMs?: number; maxMs?: number } = {}): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
