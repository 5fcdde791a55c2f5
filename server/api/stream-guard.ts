import "server-only";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { apiTokens } from "@/db/schema";
import type { Actor, ServiceCtx } from "@/server/auth/actor";
import { bus } from "@/server/engine/event-bus";
import { requireEnvironment, requireOrg, requireProject, requireService } from "@/server/policy/access";
import { withinAccessScope, type AccessCheck } from "@/server/policy/access-scope";

const DEFAULT_MAX_STREAMS = 16;
/** setTimeout's largest delay; a session's end further away is re-armed then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** SLIPWAY_MAX_STREAMS_PER_TOKEN: open subscriptions per API token, and per signed-in person (all their sessions), in each console. */
export function maxStreamsPerCaller(raw = process.env.SLIPWAY_MAX_STREAMS_PER_TOKEN): number {
  const v = raw?.trim();
  if (!v) return DEFAULT_MAX_STREAMS;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`SLIPWAY_MAX_STREAMS_PER_TOKEN must be a whole number, at least 1 (got ${JSON.stringify(v.slice(0, 40))}); e.g. ${DEFAULT_MAX_STREAMS}`);
  return Number(v);
}

// Process-wide (the fast lane and the Next route are separate bundles).
const g = globalThis as typeof globalThis & { __slipwayOpenStreams?: Map<string, number> };
const openStreams: Map<string, number> = (g.__slipwayOpenStreams ??= new Map());

const callerKey = (actor: Actor) => (actor.token ? `token:${actor.token.id}` : `user:${actor.userId}`);

export type StreamLease = { release(): void };

/** Takes one of the caller's stream slots, or refuses with TOO_MANY_REQUESTS (HTTP 429). Release it exactly when the stream ends. */
export function takeStreamSlot(actor: Actor): StreamLease {
  const key = callerKey(actor);
  const count = openStreams.get(key) ?? 0;
  const max = maxStreamsPerCaller();
  if (count >= max) {
    const who = actor.token ? "this API token" : "you";
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `${who} already ${actor.token ? "has" : "have"} ${max} open live streams (SLIPWAY_MAX_STREAMS_PER_TOKEN); close one first` });
  }
  openStreams.set(key, count + 1);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      const left = (openStreams.get(key) ?? 1) - 1;
      if (left <= 0) openStreams.delete(key);
      else openStreams.set(key, left);
    },
  };
}

const REQUIRE = { org: requireOrg, project: requireProject, environment: requireEnvironment, service: requireService } as const;

/**
 * The stream a caller gets: its slot is released when the stream ends, when the caller returns it
 * (even before its first step: a generator that never started runs no `finally`), or when the call's
 * signal aborts, whichever comes first.
 */
export function releasingSlot<T>(stream: AsyncGenerator<T>, lease: StreamLease, signal: AbortSignal | undefined): AsyncGenerator<T> {
  signal?.addEventListener("abort", () => lease.release(), { once: true });
  const wrapped: AsyncGenerator<T> = {
    next: (...args) => stream.next(...args),
    return: (value) => {
      lease.release();
      return stream.return(value);
    },
    throw: (err) => {
      lease.release();
      return stream.throw(err);
    },
    [Symbol.asyncIterator]: () => wrapped,
    [Symbol.asyncDispose]: async () => {
      lease.release();
      await stream.return(undefined);
    },
  };
  return wrapped;
}

/** Asks again everything the stream was allowed on: the token still valid, every check it made still passing. Throws what a new request would get. */
async function recheck(ctx: ServiceCtx, checks: Iterable<AccessCheck>): Promise<void> {
  const token = ctx.actor.token;
  if (token) {
    const [row] = await ctx.db.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, token.id)).limit(1);
    if (!row || row.revokedAt) throw new TRPCError({ code: "UNAUTHORIZED", message: "the API token was revoked" });
  }
  for (const c of checks) await REQUIRE[c.kind](ctx, c.id, c.permission);
}

/**
 * A subscription's stream, bounded by its caller's rights for as long as it runs: it ends (with the
 * error a new request would get) when its token is revoked, its session expires, or an access check
 * it made no longer passes (the member removed, their role lowered). Driven by events, never a poll:
 * revocations and membership changes publish `access` on the event bus (across consoles through the
 * PostgreSQL bridge), and only streams that depend on that organization ask again.
 */
export async function* guardedStream<T>(stream: AsyncIterable<T>, opts: { ctx: ServiceCtx; sessionExpiresAt: number | null; lease: StreamLease }): AsyncGenerator<T> {
  const { ctx, sessionExpiresAt, lease } = opts;
  const checks = new Map<string, AccessCheck>();
  let end!: (err: unknown) => void;
  const ended = new Promise<never>((_, reject) => (end = reject));
  ended.catch(() => {});
  let asking: Promise<void> = Promise.resolve();
  const offAccess = bus.on("access", ({ orgId }) => {
    const concerned = ctx.actor.token?.orgId === orgId || [...checks.values()].some((c) => c.orgId === orgId);
    if (concerned) asking = asking.then(() => recheck(ctx, [...checks.values()])).catch(end);
  });
  // An `access` event may have been lost while the PostgreSQL bridge was down: ask again once it is back.
  const offResync = bus.on("resync", () => {
    asking = asking.then(() => recheck(ctx, [...checks.values()])).catch(end);
  });
  let timer: NodeJS.Timeout | undefined;
  const armSessionEnd = () => {
    if (sessionExpiresAt === null) return;
    const left = sessionExpiresAt - Date.now();
    if (left <= 0) end(new TRPCError({ code: "UNAUTHORIZED", message: "the session expired; sign in again" }));
    else timer = setTimeout(armSessionEnd, Math.min(left, MAX_TIMER_MS));
  };
  armSessionEnd();
  const it = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      // The stream's own access checks run inside its steps: remember them to ask again later.
      const next = withinAccessScope(checks, () => it.next());
      next.catch(() => {});
      const step = await Promise.race([next, ended]);
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    offAccess();
    offResync();
    clearTimeout(timer);
    lease.release();
    // The inner stream may be waiting for its next event: it ends at its next step or when its signal aborts.
    if (!finished) void it.return?.()?.catch(() => {});
  }
}
