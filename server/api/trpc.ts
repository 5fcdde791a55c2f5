import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { addFieldError, AppError } from "@/server/errors/app-error";
import { countedStream } from "@/server/metrics/sse-subscriptions";
import type { TrpcContext } from "./context";
import { guardedStream, releasingSlot, takeStreamSlot, type StreamLease } from "./stream-guard";
import { findInputProblems, PROTOTYPE_KEYS, textProblem } from "@/server/validation/text-input";
import { ECHO_MAX, echoInput } from "@/server/validation/echo-input";
import "@/server/validation/type-names";
import { transformer, TransportError } from "./transformer";

/**
 * An input's field as forms and clients name it: `spec.port`, `spec.env.FOO`; the root is `input`.
 * A field that is exactly a prototype key is written `input["__proto__"]`: an answer's own keys
 * must never be one (superjson refuses to write them).
 */
function fieldKey(path: readonly PropertyKey[]): string {
  // A long key, or one that is not storable text itself, is quoted and cut like any echoed input.
  const key = path.map((seg) => (typeof seg === "string" && (seg.length > ECHO_MAX || textProblem(seg)) ? echoInput(seg) : String(seg))).join(".") || "input";
  return PROTOTYPE_KEYS.has(key) ? `input[${JSON.stringify(key)}]` : key;
}

function zodFieldErrors(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) addFieldError(out, fieldKey(issue.path), issue.message);
  return out;
}

const linesOf = (fieldErrors: Record<string, string[]>) => Object.entries(fieldErrors).map(([k, v]) => `${k}: ${v.join("; ")}`).join("\n");

/** What a procedure may declare about itself (`.meta({ … })`). */
export type ProcedureMeta = {
  /** `"manifest"`: the call takes the larger body limit (server/http/body-limits.ts). */
  body?: "manifest";
  /**
   * Top-level input keys whose text the procedure checks itself with the same rules
   * (findInputProblems), to report them with its own paths: the manifest procedures say
   * `services[0].env.A`, with the line, rather than `manifest.services.0.env.A`.
   */
  checksOwnText?: readonly string[];
};

const t = initTRPC
  .context<TrpcContext>()
  .meta<ProcedureMeta>()
  .create({
    transformer,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      // A body that is not JSON, or not superjson, or that tRPC itself refuses (a batch that is not an
      // object …): the transport's fault, said as such, and the field is the whole input.
      const refusedByTrpc = (error.code === "BAD_REQUEST" || error.code === "PARSE_ERROR") && !(cause instanceof AppError) && !(cause instanceof ZodError);
      const transport =
        cause instanceof TransportError
          ? cause.message
          : cause instanceof SyntaxError && error.code === "BAD_REQUEST"
            ? `the request body is not valid JSON: ${cause.message.slice(0, 200)}`
            : refusedByTrpc
              ? `the request is not a valid tRPC call: ${shape.message.slice(0, 200)}`
              : null;
      const fieldErrors = transport ? { input: [transport] } : cause instanceof ZodError ? zodFieldErrors(cause) : cause instanceof AppError ? (cause.fieldErrors ?? null) : null;
      // Unexpected errors may carry anything (SQL, values): never send their text to a client.
      const message =
        error.code === "INTERNAL_SERVER_ERROR" ? "internal error; the server log has details" : transport ? transport : cause instanceof ZodError ? linesOf(fieldErrors ?? {}) : shape.message;
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

/**
 * Every procedure's raw input, before its schema reads it: no NUL or lone surrogate in any text or
 * key, no `__proto__`/`constructor`/`prototype` key, bounded depth (server/validation/text-input.ts).
 * Here rather than in each string schema so that no procedure, present or future, can forget it:
 * every procedure is built on publicProcedure, and `z.unknown()` inputs (a manifest) are walked too.
 */
const refuseUnstorableInput = t.middleware(async ({ getRawInput, meta, next }) => {
  const problems = findInputProblems(await getRawInput(), { skip: meta?.checksOwnText });
  if (problems.length === 0) return next();
  const fieldErrors: Record<string, string[]> = {};
  for (const p of problems) addFieldError(fieldErrors, fieldKey(p.path), p.message);
  throw toTrpcError(new AppError("BAD_REQUEST", linesOf(fieldErrors), fieldErrors));
});

export const publicProcedure = t.procedure.use(mapAppErrors).use(refuseRejectedToken).use(refuseUnstorableInput);

/** Narrows the context: `ctx.actor` is a signed-in person or a valid API token. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  // A rejected token never gets here (refuseRejectedToken): no actor means nobody signed in.
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});
