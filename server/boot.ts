import "server-only";
import { getDbHandle } from "@/db/client";
import { ensureAuthSecret } from "@/server/config/auth-secret";
import { resolveDataDir } from "@/server/config/data-dir";
import { seedOwnerFromEnv } from "@/server/users/seed-owner-from-env";

/** Runs once per console process before it serves: keys, database and migrations, first-run seed. */
export async function bootServer(): Promise<void> {
  ensureAuthSecret(resolveDataDir());
  const handle = await getDbHandle();
  await seedOwnerFromEnv(handle.db);
  console.log(`[slipway] ready: database ${handle.kind}${handle.kind === "pglite" ? ` at ${resolveDataDir()}` : ""}`);
}
