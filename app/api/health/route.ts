import { sql } from "drizzle-orm";
import { getDbHandle } from "@/db/client";
import { faultReport } from "@/server/health/health-report";
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

/**
 * 200 {status:"ok"} when all is well; 200 {status:"degraded", degraded:[reasons]} when the console
 * serves but loses (or lost, in the last ten minutes) data: log lines, live events, its own log;
 * 503 {status:"error"} when the database does not answer.
 */
export async function GET() {
  const handle = await getDbHandle();
  try {
    await handle.db.execute(sql`select 1`);
  } catch {
    return Response.json({ status: "error", db: handle.kind, version: pkg.version, error: "database unreachable", ...faultReport() }, { status: 503 });
  }
  const report = faultReport();
  return Response.json({ status: report.degraded.length ? "degraded" : "ok", db: handle.kind, version: pkg.version, ...report });
}
