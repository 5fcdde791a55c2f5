import "server-only";
import { getDbHandle } from "@/db/client";
import { ensureAuthSecret } from "@/server/config/auth-secret";
import { ensureMasterKey } from "@/server/secrets/master-key";
import { resolveDataDir } from "@/server/config/data-dir";
import { seedOwnerFromEnv } from "@/server/users/seed-owner-from-env";
import { startEngine } from "@/server/engine/start-engine";
import { routerPort } from "@/server/engine/service-url";
import { startPgBridge } from "@/server/engine/pg-bridge";
import { installClientAddressHook } from "@/server/http/client-address-hook";
import { startLogPruner } from "@/server/logs/log-pruner";
import { registerTrpcNodeHandler } from "@/server/api/node-handler";
import { registerRequestGate } from "@/server/http/request-gate";
import { maxManifestBytes } from "@/server/http/body-limits";
import { maxStreamsPerCaller } from "@/server/api/stream-guard";
import { installFastTextEncoderStream } from "@/server/api/text-encoder-stream";

/** Runs once per console process before it serves: keys, database and migrations, first-run seed. */
export async function bootServer(): Promise<void> {
  // Every request's client address from its socket (or a trusted proxy): sign-in limits, audit, /metrics.
  installClientAddressHook();
  // Body limits for Next's routes and server actions (console-server.mjs asks); bad settings stop the boot here.
  maxManifestBytes();
  maxStreamsPerCaller();
  registerRequestGate();
  // Every SSE event (live tails) goes through TextEncoderStream: Node 20's costs ~9 µs per log line.
  installFastTextEncoderStream();
  ensureAuthSecret(resolveDataDir());
  // Generated on first start (or SLIPWAY_MASTER_KEY checked) before anything can need a secret.
  ensureMasterKey();
  const handle = await getDbHandle();
  await seedOwnerFromEnv(handle.db);
  if (handle.kind === "postgres" && process.env.DATABASE_URL) await startPgBridge(process.env.DATABASE_URL);
  // Log retention runs in every console, engine or not (deletes are idempotent).
  startLogPruner(handle.db);
  // SLIPWAY_ENGINE=off serves the console without deploying anything (a second console process, say).
  if (process.env.SLIPWAY_ENGINE !== "off") {
    await startEngine(handle.db);
    console.log(`[slipway] engine started; router on port ${routerPort()}`);
  }
  // Last: the fast lane serves /api/trpc/ only once everything it needs is up.
  registerTrpcNodeHandler();
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
