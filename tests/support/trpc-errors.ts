import { TRPCError } from "@trpc/server";
// getErrorShape runs the router's own errorFormatter: what an HTTP client would receive as `error.data`.
import { getErrorShape, getTRPCErrorFromUnknown } from "@trpc/server/unstable-core-do-not-import";
import { appRouter } from "@/server/api/root";

export type ErrorCode = TRPCError["code"];
export type Outcome = "allowed" | ErrorCode;
export type CaughtError = { code: ErrorCode; message: string; fieldErrors: Record<string, string[]> | null };

/** The formatted error a procedure call rejects with; fails the test if the call succeeds or throws something else. */
export async function caught(call: Promise<unknown>): Promise<CaughtError> {
  let error: unknown;
  try {
    await call;
  } catch (err) {
    error = err;
  }
  if (error === undefined) throw new Error("expected the call to fail, but it succeeded");
  if (!(error instanceof TRPCError)) throw error;
  const shape = getErrorShape({ config: appRouter._def._config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
  return { code: error.code, message: shape.message, fieldErrors: shape.data.fieldErrors };
}

/** "allowed" when the call resolves, else the tRPC error code (anything else is re-thrown). */
export async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return "allowed";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

/**
 * A subscription's outcome as its subscriber sees it: the call, then its first value. Access checks
 * may run inside the stream; an error there reaches an HTTP client the way tRPC's stream producer
 * reports it (getTRPCErrorFromUnknown: anything not a TRPCError becomes INTERNAL_SERVER_ERROR).
 */
export async function outcomeOfSubscription(call: Promise<unknown>): Promise<Outcome> {
  let stream: unknown;
  try {
    stream = await call;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  if (typeof stream !== "object" || stream === null || !(Symbol.asyncIterator in stream)) throw new Error("a subscription must return an async iterable");
  const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  try {
    await iterator.next();
    return "allowed";
  } catch (err) {
    return getTRPCErrorFromUnknown(err).code;
  } finally {
    await iterator.return?.();
  }
}
