import { sql } from "drizzle-orm";
import { getDbHandle } from "@/db/client";
import pkg from "@/package.json";
import { isolationStatus } from "@/server/runtime/process/isolation-status";

export const dynamic = "force-dynamic";

export async function GET() {
  const handle = await getDbHandle();
  // Said on every answer: whether services are kept apart on this machine (warnings name the fix).
  const { level, warnings } = isolationStatus();
  const isolation = { level, warnings };
  try {
    await handle.db.execute(sql`select 1`);
    return Response.json({ status: "ok", db: handle.kind, version: pkg.version, isolation });
  } catch {
    return Response.json({ status: "error", db: handle.kind, version: pkg.version, isolation, error: "database unreachable" }, { status: 503 });
  }
}
