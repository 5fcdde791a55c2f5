import "server-only";

type Counter = { open: number; total: number };

// A globalThis singleton: the tRPC route and /metrics are separate bundles that share no modules.
const g = globalThis as typeof globalThis & { __slipwaySseSubscriptions?: Counter };
const counter: Counter = (g.__slipwaySseSubscriptions ??= { open: 0, total: 0 });

/** Counts a subscription stream while a client is iterating it (open SSE subscriptions for /metrics). */
export async function* countedStream<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  counter.open++;
  counter.total++;
  try {
    yield* stream;
  } finally {
    counter.open--;
  }
}

export const sseSubscriptions = (): Counter => ({ ...counter });
