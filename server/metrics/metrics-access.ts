import "server-only";
import crypto from "node:crypto";
import { isLoopback, peerAddress } from "./peer-address";

export type MetricsAccess = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = (s: string) => crypto.createHash("sha256").update(s).digest();

/**
 * With SLIPWAY_METRICS_TOKEN set, /metrics needs `Authorization: Bearer <token>`. Unset, only clients
 * on this machine's loopback get it, judged by the socket's address (never by forwarding headers).
 */
export function checkMetricsAccess(headers: Headers, token = process.env.SLIPWAY_METRICS_TOKEN): MetricsAccess {
  if (token) {
    const auth = headers.get("authorization") ?? "";
    const given = /^bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? "";
    if (given && crypto.timingSafeEqual(digest(given), digest(token))) return { ok: true };
    return { ok: false, status: 401, message: "metrics need Authorization: Bearer <SLIPWAY_METRICS_TOKEN>\n" };
  }
  const peer = peerAddress(headers);
  if (peer && isLoopback(peer)) return { ok: true };
  return { ok: false, status: 403, message: "metrics are served to loopback clients only; set SLIPWAY_METRICS_TOKEN to scrape from elsewhere\n" };
}
