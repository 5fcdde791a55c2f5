import { getDbHandle } from "@/db/client";
import { checkMetricsAccess } from "@/server/metrics/metrics-access";
import { slipwayMetrics } from "@/server/metrics/prometheus";

export const dynamic = "force-dynamic";

/** Slipway's own metrics in Prometheus text format (token, or loopback when no token is set). */
export async function GET(request: Request) {
  const access = await checkMetricsAccess(request.headers);
  if (!access.ok) return new Response(access.message, { status: access.status, headers: { "content-type": "text/plain; charset=utf-8" } });
  const { db } = await getDbHandle();
  return new Response(await slipwayMetrics(db), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
}
