import type { Db } from "@/db/client";
import { createContext, type SessionUser } from "@/server/api/context";
import { createCaller } from "@/server/api/root";
import { ADDRESS_HEADER, stampOf } from "@/server/auth/client-address";

export type RequestOpts = { bearer?: string; ip?: string; client?: "cli"; session?: SessionUser };

/** Builds the tRPC context exactly as the HTTP route does, from request headers and a session. */
export async function contextFrom(db: Db, opts: RequestOpts = {}) {
  const headers = new Headers();
  if (opts.bearer !== undefined) headers.set("authorization", `Bearer ${opts.bearer}`);
  // As the console's entry stamps a request that came from `ip` (server/http/client-address-hook.ts).
  if (opts.ip) headers.set(ADDRESS_HEADER, stampOf({ client: opts.ip, forwarded: false, peer: opts.ip, peerPort: 0, local: "127.0.0.1", localPort: 0 }));
  if (opts.client) headers.set("x-slipway-client", opts.client);
  let sessionAsked = false;
  const ctx = await createContext({
    db,
    headers,
    sessionUser: async () => {
      sessionAsked = true;
      return opts.session ?? null;
    },
  });
  return { ctx, sessionAsked };
}

/** A caller for a request: the bearer token (when given) or the session decides who is calling. */
export async function callerFrom(db: Db, opts: RequestOpts = {}) {
  return createCaller((await contextFrom(db, opts)).ctx);
}

export type Caller = ReturnType<typeof createCaller>;
