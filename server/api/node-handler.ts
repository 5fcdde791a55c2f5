import "server-only";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { createURL, internal_exceptionHandler } from "@trpc/server/adapters/node-http";
import { resolveResponse } from "@trpc/server/http";
import { getDb, type Db } from "@/db/client";
import { appRouter } from "@/server/api/root";
import { createContext, responseMetaFromContext, type SessionUser } from "@/server/api/context";
import type { HeaderReader } from "@/server/auth/client-address";
import { sessionUserFromCookie } from "@/server/auth/session-cookie";
import { bodyTooLargeMessage, maxBodyBytes, maxManifestBytes } from "@/server/http/body-limits";
import { boundedRequest } from "@/server/http/bounded-request";
import type { ProcedureMeta } from "@/server/api/trpc";
import { MemoizedJsonSlot, memoizedJsonSlots } from "./memoized-json";

const FAST_LANE = Symbol.for("slipway.trpcNodeHandler");

/**
 * Node's request headers read like fetch `Headers` (lower-case names; repeated ones joined). The
 * client's address was stamped on them from the socket as the request arrived (client-address-hook.ts).
 */
export function nodeHeaders(req: IncomingMessage): HeaderReader {
  return {
    get(name: string) {
      const key = name.toLowerCase();
      const v = req.headers[key];
      if (v === undefined) return null;
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

const BASE_PATH = "/api/trpc/";

/** A procedure's meta by its path (tRPC keeps the router's procedures flat, by dotted path). */
const procedureMeta = (path: string): ProcedureMeta | undefined =>
  (appRouter._def.procedures as Record<string, { _def?: { meta?: ProcedureMeta } } | undefined>)[path]?._def?.meta;

/**
 * /api/trpc as a plain Node handler: the same router, context and auth as app/api/trpc/[trpc]/route.ts,
 * assembled from tRPC's own adapter parts (as its standalone adapter is) so that a JSON answer is
 * written in one piece with its memoized parts spliced in (memoized-json.ts); streams (SSE) are
 * written as they come, with backpressure, and stop when the client goes.
 */
export function createTrpcNodeHandler({ db = getDb, sessionUser = sessionUserFromCookie }: HandlerOptions = {}): RequestListener {
  const contextFor = async (req: IncomingMessage) => {
    const headers = nodeHeaders(req);
    return createContext({ db: await db(), headers, sessionUser: () => sessionUser(headers) });
  };
  const createNodeContext = ({ req }: { req: IncomingMessage }) => contextFor(req);
  return (req, res) => {
    const slot = new MemoizedJsonSlot();
    memoizedJsonSlots.run(slot, () => {
      // Anything thrown outside tRPC's own error handling answers as its standalone adapter would.
      serve(req, res, slot, contextFor).catch(internal_exceptionHandler({ req, res, router: appRouter, path: "", createContext: createNodeContext }));
    });
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, slot: MemoizedJsonSlot, contextFor: (req: IncomingMessage) => ReturnType<typeof createContext>) {
  const url = createURL(req);
  const path = url.pathname.slice(BASE_PATH.length);
  // A batch gets the manifest limit only when every call in it takes a manifest.
  const manifest = path.split(",").every((p) => procedureMeta(p)?.body === "manifest");
  const limit = manifest ? maxManifestBytes() : maxBodyBytes();
  const tooLarge = () => new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: bodyTooLargeMessage(limit, manifest) });
  const request = boundedRequest(req, res, { url, limit, tooLarge });
  const response = await resolveResponse({
    router: appRouter,
    req: request,
    path,
    // The console sends queries as POST: inputs such as a pasted .env file do not fit in a URL.
    allowMethodOverride: true,
    responseMeta: responseMetaFromContext,
    error: null,
    createContext: () => contextFor(req),
  });
  slot.open = false;
  res.statusCode = response.status;
  for (const [key, value] of response.headers) if (key !== "set-cookie") res.setHeader(key, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body) {
    res.end();
    return;
  }
  if (response.headers.get("content-type")?.startsWith("application/json")) {
    // One write with a Content-Length: no stream machinery for an answer that is already complete.
    const body = await response.text();
    res.end(slot.used ? slot.splice(body) : body);
    return;
  }
  await writeStream(res, response.body, request.signal);
}

/** Copies a streamed body (SSE, JSON lines) to the client, waiting for drain; stops quietly when the client leaves. */
async function writeStream(res: ServerResponse, body: ReadableStream<Uint8Array>, signal: AbortSignal) {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) break;
      if (!res.write(value)) await drained(res);
    }
  } catch (err) {
    if (!signal.aborted) {
      if (!res.headersSent) res.statusCode = 500;
      throw err;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    res.end();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      res.off("error", failed);
      resolve();
    };
    const failed = (err: Error) => {
      res.off("drain", done);
      res.off("close", done);
      reject(err);
    };
    res.once("drain", done);
    res.once("close", done);
    res.once("error", failed);
  });
}

/** Hands the handler to scripts/console-server.mjs, which serves /api/trpc/ with it (Next's bundles share no modules). */
export function registerTrpcNodeHandler(): void {
  (globalThis as typeof globalThis & { [FAST_LANE]?: RequestListener })[FAST_LANE] = createTrpcNodeHandler();
}
