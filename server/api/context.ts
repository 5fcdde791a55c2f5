import "server-only";
import type { Db } from "@/db/client";
import type { Actor, RequestMeta, ServiceCtx } from "@/server/auth/actor";
import { authenticateToken } from "@/server/tokens/authenticate-token";
import { clientAddress, type HeaderReader } from "@/server/auth/client-address";

export type TrpcContext = {
  db: Db;
  actor: Actor | null;
  meta: RequestMeta;
  /** A bearer token was sent but is unknown or revoked: answer 401, never fall back to the cookie. */
  rejectedToken: boolean;
  /** When the session cookie that signed this request in expires (ms); null for tokens and when unknown. Streams end then. */
  sessionExpiresAt: number | null;
  /** An HTTP status a middleware chose for the whole answer (a refused stream: 429), which tRPC's own mapping cannot give an SSE answer. */
  response: { status: number | null };
};

/** `expiresAt`: when the session ends (ms), where the decoder knows it. */
export type SessionUser = { id: string; email: string; expiresAt?: number } | null;

/** Builds the context from a request: a bearer token wins over the session cookie. */
export async function createContext(opts: { db: Db; headers: HeaderReader; sessionUser: () => Promise<SessionUser> }): Promise<TrpcContext> {
  const ip = clientAddress(opts.headers);
  const auth = opts.headers.get("authorization");
  // "Bearer" with no token (headers arrive trimmed) is a bad token too, not a reason to use the cookie.
  if (auth && /^bearer(\s|$)/i.test(auth)) {
    const actor = await authenticateToken({ db: opts.db, token: auth.slice(7).trim() });
    const source = opts.headers.get("x-slipway-client") === "cli" ? "cli" : "api";
    return { db: opts.db, actor, meta: { source, ip }, rejectedToken: actor === null, sessionExpiresAt: null, response: { status: null } };
  }
  const user = await opts.sessionUser();
  const actor: Actor | null = user ? { userId: user.id, email: user.email, token: null } : null;
  return { db: opts.db, actor, meta: { source: "ui", ip }, rejectedToken: false, sessionExpiresAt: user?.expiresAt ?? null, response: { status: null } };
}

/** For tRPC's `responseMeta` (the fast lane and the Next route): the status a middleware set on the context. */
export const responseMetaFromContext = ({ ctx }: { ctx?: TrpcContext }) => (ctx?.response.status ? { status: ctx.response.status } : {});

/** The service-layer view of a narrowed tRPC context. */
export const svc = (ctx: { db: Db; actor: Actor; meta: RequestMeta }): ServiceCtx => ({ db: ctx.db, actor: ctx.actor, meta: ctx.meta });
