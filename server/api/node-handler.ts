import "server-only";
import type { IncomingMessage, RequestListener } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { getDb, type Db } from "@/db/client";
import { appRouter } from "@/server/api/root";
import { createContext, type SessionUser } from "@/server/api/context";
import type { HeaderReader } from "@/server/auth/client-address";
import { sessionUserFromCookie } from "@/server/auth/session-cookie";

const FAST_LANE = Symbol.for("slipway.trpcNodeHandler");

/**
 * Node's request headers read like fetch `Headers` (lower-case names; repeated ones joined), with
 * `x-forwarded-for` filled from the socket when the client sent none, as Next does for its routes.
 */
export function nodeHeaders(req: IncomingMessage): HeaderReader {
  return {
    get(name: string) {
      const key = name.toLowerCase();
      const v = req.headers[key];
      if (v === undefined) return key === "x-forwarded-for" ? (req.socket.remoteAddress ?? null) : null;
      return Array.isArray(v) ? v.join(key === "cookie" ? "; " : ", ") : v;
    },
  };
}

type HandlerOptions = {
  /** The console's database (default); tests pass their own. */
  db?: () => Promise<Db>;
  /** Who the session cookie belongs to (default: decoded as auth() would). */
  sessionUser?: (headers: HeaderReader) => Promise<SessionUser>;
};

/** /api/trpc as a plain Node handler: the same router, context and auth as app/api/trpc/[trpc]/route.ts. */
export function createTrpcNodeHandler({ db = getDb, sessionUser = sessionUserFromCookie }: HandlerOptions = {}): RequestListener {
  return createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    // The console sends queries as POST: inputs such as a pasted .env file do not fit in a URL.
    allowMethodOverride: true,
    createContext: async ({ req }) => {
      const headers = nodeHeaders(req);
      return createContext({ db: await db(), headers, sessionUser: () => sessionUser(headers) });
    },
  });
}

/** Hands the handler to scripts/console-server.mjs, which serves /api/trpc/ with it (Next's bundles share no modules). */
export function registerTrpcNodeHandler(): void {
  (globalThis as typeof globalThis & { [FAST_LANE]?: RequestListener })[FAST_LANE] = createTrpcNodeHandler();
}
