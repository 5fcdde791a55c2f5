import "server-only";
import crypto from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/** Set on /metrics requests from the socket itself; whatever a client sent under this name is overwritten. */
export const PEER_HEADER = "x-slipway-peer-address";

type RequestStart = { request: IncomingMessage; socket: Socket };

// Shared by the instrumentation bundle (which installs the hook) and the route bundle (which reads it).
const g = globalThis as typeof globalThis & { __slipwayPeerHook?: { nonce: string } };

/**
 * Route handlers see headers, never the socket, and Next only *defaults* X-Forwarded-For to the peer
 * (a client may send its own). /metrics, open to loopback when no token is set, needs the real peer:
 * Node's `http.server.request.start` channel hands over each request with its socket before any
 * handler runs. Only /metrics requests are touched, so no other request (nor the router's hot path)
 * pays for building its header object.
 */
export function installPeerAddressHook(): void {
  if (g.__slipwayPeerHook) return;
  // The value carries a per-process secret, so a forged header on a request the hook did not stamp
  // (another spelling of the path that still reaches the route) is refused, never trusted.
  const hook = (g.__slipwayPeerHook = { nonce: crypto.randomBytes(16).toString("hex") });
  diagnostics.subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as RequestStart;
    const url = request.url ?? "";
    if (url !== "/metrics" && !url.startsWith("/metrics?")) return;
    request.headers[PEER_HEADER] = `${hook.nonce} ${socket.remoteAddress ?? ""}`;
  });
}

/** The peer address the hook stamped on this request, or null when it did not (or the header is forged). */
export function peerAddress(headers: Headers): string | null {
  const hook = g.__slipwayPeerHook;
  const value = headers.get(PEER_HEADER);
  if (!hook || !value) return null;
  const [nonce, address] = value.split(" ");
  return nonce === hook.nonce && address ? address : null;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
