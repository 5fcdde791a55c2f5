import "server-only";
import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { configureTrustedProxies, normalizeRequestAddresses } from "@/server/auth/client-address";

type RequestStart = { request: IncomingMessage };

const g = globalThis as typeof globalThis & { __slipwayClientAddressHook?: true };

/**
 * Route handlers, server actions and next-auth see headers, never the socket. Node's
 * `http.server.request.start` channel hands over each request with its socket before any handler
 * runs, whichever server (console-server.mjs, `next start`, the tests' API server) accepted it: every
 * request's addresses are normalized there, once (client-address.ts has the rule). The router is not
 * an http.Server (it reads raw sockets), so app traffic never passes here.
 */
export function installClientAddressHook(): void {
  if (g.__slipwayClientAddressHook) return;
  // A bad SLIPWAY_TRUSTED_PROXIES stops the boot with the reason, before anything is served.
  configureTrustedProxies();
  g.__slipwayClientAddressHook = true;
  diagnostics.subscribe("http.server.request.start", (message) => {
    normalizeRequestAddresses((message as RequestStart).request);
  });
}
