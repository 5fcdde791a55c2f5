import "server-only";
import crypto from "node:crypto";
import { requestAddresses } from "@/server/auth/client-address";
import { isServiceUid } from "@/server/config/service-uids";
import { isLoopback } from "./peer-address";
import { socketOwnerUid } from "./socket-owner";

export type MetricsAccess = { ok: true } | { ok: false; status: 401 | 403; message: string };

const digest = (s: string) => crypto.createHash("sha256").update(s).digest();

const LOOPBACK_ONLY = "metrics are served to loopback clients only; set SLIPWAY_METRICS_TOKEN to scrape from elsewhere\n";

/**
 * With SLIPWAY_METRICS_TOKEN set, /metrics needs `Authorization: Bearer <token>`. Unset, only a direct
 * connection from this machine's loopback gets it (the socket's address, never a forwarding header;
 * through a proxy the console cannot tell who connected), and not from the apps Slipway runs: the
 * uid owning the client's socket must not be a service uid.
 */
export async function checkMetricsAccess(headers: Headers, token = process.env.SLIPWAY_METRICS_TOKEN): Promise<MetricsAccess> {
  if (token) {
    const auth = headers.get("authorization") ?? "";
    const given = /^bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? "";
    if (given && crypto.timingSafeEqual(digest(given), digest(token))) return { ok: true };
    return { ok: false, status: 401, message: "metrics need Authorization: Bearer <SLIPWAY_METRICS_TOKEN>\n" };
  }
  const a = requestAddresses(headers);
  if (!a || a.forwarded || !isLoopback(a.peer)) return { ok: false, status: 403, message: LOOPBACK_ONLY };
  const uid = await socketOwnerUid(a);
  // Not found: the connection is gone already, or not what it claims; either way not served.
  if (uid === null) return { ok: false, status: 403, message: LOOPBACK_ONLY };
  if (isServiceUid(uid)) {
    return { ok: false, status: 403, message: "metrics are not served to the apps Slipway runs; set SLIPWAY_METRICS_TOKEN and give it only to your scraper\n" };
  }
  return { ok: true };
}
