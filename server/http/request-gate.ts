import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gateByDeclaredLength } from "./body-limits";
import { closeLingering } from "./lingering-close";

const REQUEST_GATE = Symbol.for("slipway.requestGate");

/**
 * What scripts/console-server.mjs asks before it hands a request to Next (its routes and server
 * actions read bodies themselves): true when the request was answered here (its body too large, or of
 * no declared length). /api/trpc/ bounds its own body by procedure (node-handler.ts).
 */
function gate(req: IncomingMessage, res: ServerResponse): boolean {
  const verdict = gateByDeclaredLength(req.headers);
  if (verdict.ok) return false;
  // Closing: Node would otherwise read the whole body to reuse the connection.
  closeLingering(req.socket);
  res.writeHead(verdict.status, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end(`${verdict.message}\n`);
  return true;
}

/** Hands the gate to console-server.mjs (plain JS run by node: it shares no modules with Next's bundles). */
export function registerRequestGate(): void {
  (globalThis as typeof globalThis & { [REQUEST_GATE]?: typeof gate })[REQUEST_GATE] = gate;
}
