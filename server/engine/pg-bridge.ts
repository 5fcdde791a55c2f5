import "server-only";
import crypto from "node:crypto";
import { bus, type BusEvents } from "./event-bus";

const CHANNEL = "slipway_events";
type Envelope = { origin: string; name: keyof BusEvents; payload: BusEvents[keyof BusEvents] };

/**
 * Carries the event bus across console processes that share one PostgreSQL: LISTEN on a dedicated
 * connection, NOTIFY on publish. Payloads are pointers (ids), never data, so losing one costs only
 * latency: subscribers re-read rows by id.
 */
export async function startPgBridge(databaseUrl: string): Promise<() => Promise<void>> {
  const { Client } = await import("pg");
  const origin = crypto.randomBytes(6).toString("hex");
  const listener = new Client({ connectionString: databaseUrl });
  const publisher = new Client({ connectionString: databaseUrl });
  await listener.connect();
  await publisher.connect();
  listener.on("notification", (n) => {
    if (n.channel !== CHANNEL || !n.payload) return;
    try {
      const e = JSON.parse(n.payload) as Envelope;
      if (e.origin !== origin) bus.emitLocal(e.name, e.payload);
    } catch {
      // not ours
    }
  });
  // A dropped connection must not take the console down; live views fall back to their next read.
  listener.on("error", (err) => console.error("[slipway] event bridge listener:", err.message));
  publisher.on("error", (err) => console.error("[slipway] event bridge publisher:", err.message));
  await listener.query(`listen ${CHANNEL}`);
  bus.setRemote((name, payload) => {
    void publisher.query("select pg_notify($1, $2)", [CHANNEL, JSON.stringify({ origin, name, payload } satisfies Envelope)]).catch(() => {});
  });
  return async () => {
    bus.setRemote(null);
    await listener.end().catch(() => {});
    await publisher.end().catch(() => {});
  };
}
