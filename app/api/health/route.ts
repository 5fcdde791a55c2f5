import { sql } from "drizzle-orm";
import { getDbHandle } from "@/db/client";
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

export async function GET() {
  const handle = await getDbHandle();
  try {
    await handle.db.execute(sql`select 1`);
    return Response.json({ status: "ok", db: handle.kind, version: pkg.version });
  } catch {
    return Response.json({ status: "error", db: handle.kind, version: pkg.version, error: "database unreachable" }, { status: 503 });
  }
}
