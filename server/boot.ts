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

/** If register() throws, Next keeps running and answers 500 to everything: exit loudly instead. */
export async function bootOrExit(): Promise<void> {
  try {
    await bootServer();
  } catch (err) {
    console.error(`[slipway] cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
