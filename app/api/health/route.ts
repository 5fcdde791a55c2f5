import { sql } from "drizzle-orm";
import { getDbHandle } from "@/db/client";
import { faultReport } from "@/server/health/health-report";
import pkg from "@/package.json";
import { isolationStatus } from "@/server/runtime/process/isolation-status";

export const dynamic = "force-dynamic";

/**
 * 200 {status:"ok"} when all is well; 200 {status:"degraded", degraded:[reasons]} when the console
 * serves but loses (or lost, in the last ten minutes) data: log lines, live events, its own log;
 * 503 {status:"error"} when the database does not answer.
 */
export async function GET() {
  const handle = await getDbHandle();
  // Said on every answer: whether services are kept apart on this machine (warnings name the fix).
  const { level, warnings } = isolationStatus();
  const isolation = { level, warnings };
  try {
    await handle.db.execute(sql`select 1`);
  } catch {
    return Response.json({ status: "error", db: handle.kind, version: pkg.version, isolation, error: "database unreachable", ...faultReport() }, { status: 503 });
  }
  const report = faultReport();
  return Response.json({ status: report.degraded.length ? "degraded" : "ok", db: handle.kind, version: pkg.version, isolation, ...report });
}
