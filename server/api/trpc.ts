import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { AppError } from "@/server/errors/app-error";
import { countedStream } from "@/server/metrics/sse-subscriptions";
import type { TrpcContext } from "./context";
import { guardedStream, releasingSlot, takeStreamSlot, type StreamLease } from "./stream-guard";
import { transformer } from "./transformer";

function zodFieldErrors(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "input";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** What a procedure declares about itself: `body: "manifest"` takes the larger body limit (server/http/body-limits.ts). */
export type ProcedureMeta = { body?: "manifest" };

const t = initTRPC.context<TrpcContext>().meta<ProcedureMeta>().create({
  transformer,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors = cause instanceof ZodError ? zodFieldErrors(cause) : cause instanceof AppError ? (cause.fieldErrors ?? null) : null;
    // Unexpected errors may carry anything (SQL, values): never send their text to a client.
    const message =
      error.code === "INTERNAL_SERVER_ERROR"
        ? "internal error; the server log has details"
        : cause instanceof ZodError
          ? Object.entries(fieldErrors ?? {}).map(([k, v]) => `${k}: ${v.join("; ")}`).join("\n")
          : shape.message;
    return { ...shape, message, data: { ...shape.data, stack: undefined, fieldErrors } };
  },
});

const toTrpcError = (err: AppError) => new TRPCError({ code: err.code, message: err.message, cause: err });

/** A subscription's stream raises AppError too (access checks run inside it): map those the same way. */
async function* mapStreamErrors(stream: AsyncIterable<unknown>) {
  try {
    yield* stream;
  } catch (err) {
    throw err instanceof AppError ? toTrpcError(err) : err;
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof v === "object" && v !== null && Symbol.asyncIterator in v;

/**
 * Every subscription takes one of its caller's stream slots (refused with 429 beyond the limit) and
 * runs guarded: it ends when the caller's access to what it streams ends (stream-guard.ts).
 */
function streamSlot(ctx: TrpcContext, type: string): StreamLease | null {
  if (type !== "subscription" || !ctx.actor || ctx.rejectedToken) return null;
  try {
    return takeStreamSlot(ctx.actor);
  } catch (err) {
    // tRPC answers a subscription's error inside a 200 event stream; the status must say it too.
    ctx.response.status = 429;
    throw err;
  }
}

/** Service functions raise AppError; give it its tRPC code so HTTP status and clients see it. */
const mapAppErrors = t.middleware(async ({ ctx, next, type, signal }) => {
  const lease = streamSlot(ctx, type);
  let result: Awaited<ReturnType<typeof next>>;
  try {
    result = await next();
  } catch (err) {
    lease?.release();
    throw err;
  }
  if (lease && ctx.actor && result.ok && isAsyncIterable(result.data)) {
    const guarded = guardedStream(countedStream(result.data), { ctx: { db: ctx.db, actor: ctx.actor, meta: ctx.meta }, sessionExpiresAt: ctx.sessionExpiresAt, lease });
    return { ...result, data: releasingSlot(mapStreamErrors(guarded), lease, signal) };
  }
  lease?.release();
  if (!result.ok && result.error.cause instanceof AppError) {
    throw toTrpcError(result.error.cause);
  }
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR") console.error("[trpc] unexpected error", result.error.cause ?? result.error);
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** A bearer token that is unknown or revoked is refused everywhere, public procedures included: never treated as anonymous. */
const refuseRejectedToken = t.middleware(({ ctx, next }) => {
  if (ctx.rejectedToken) throw new TRPCError({ code: "UNAUTHORIZED", message: "the API token is unknown or revoked" });
  return next();
});

export const publicProcedure = t.procedure.use(mapAppErrors).use(refuseRejectedToken);

/** Narrows the context: `ctx.actor` is a signed-in person or a valid API token. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  // A rejected token never gets here (refuseRejectedToken): no actor means nobody signed in.
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});
