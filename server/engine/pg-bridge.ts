import "server-only";
import crypto from "node:crypto";
import type { Client as PgClient } from "pg";
import { databaseErrorOf, isDatabaseUnreachable } from "@/db/unreachable";
import { bus, type BusEvents } from "./event-bus";
import { retryDelay } from "./retry-delay";

const CHANNEL = "slipway_events";
type Envelope = { origin: string; name: keyof BusEvents; payload: BusEvents[keyof BusEvents] };

/** What /api/health says about the bridge: connected, or since when it has been reconnecting and why. */
export type BridgeHealth = { state: "connected" | "reconnecting" | "off"; since: number; reason: string | null };

const g = globalThis as typeof globalThis & { __slipwayBridgeHealth?: BridgeHealth };
/** A globalThis singleton: the health route's bundle does not share modules with the boot's. */
export const bridgeHealth = (): BridgeHealth => g.__slipwayBridgeHealth ?? { state: "off", since: Date.now(), reason: null };

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Carries the event bus across console processes that share one PostgreSQL: LISTEN on a dedicated
 * connection, NOTIFY on publish. Payloads are pointers (ids), never data: subscribers re-read rows by id.
 *
 * When either connection drops (PostgreSQL restarted, network cut), both are replaced, with bounded
 * exponential backoff (100 ms → 5 s, jittered); the state change is logged once each way, never per
 * attempt. Notifications sent while a connection is down are lost for good (LISTEN has no replay), so
 * once both are back the bridge emits `resync` here — every live loop re-reads from its last id
 * (bus-waiter.ts) — and publishes it to the other consoles, which may have missed what this one
 * failed to publish meanwhile.
 */
export async function startPgBridge(databaseUrl: string): Promise<() => Promise<void>> {
  const { Client } = await import("pg");
  const origin = crypto.randomBytes(6).toString("hex");
  let stopped = false;
  let clients: { listener: PgClient; publisher: PgClient } | null = null;
  let reconnecting: Promise<void> | null = null;

  const setHealth = (state: BridgeHealth["state"], reason: string | null) => {
    g.__slipwayBridgeHealth = { state, since: Date.now(), reason };
  };

  const publish = (name: keyof BusEvents, payload: BusEvents[keyof BusEvents]) => {
    const c = clients;
    // Disconnected: the event is lost here, and the `resync` sent on reconnect stands for it.
    if (!c) return;
    void c.publisher.query("select pg_notify($1, $2)", [CHANNEL, JSON.stringify({ origin, name, payload } satisfies Envelope)]).catch((err: unknown) => {
      // A dead connection is replaced; any other refusal costs this one event (subscribers re-read on the next).
      if (isDatabaseUnreachable(err)) lost(c, err);
    });
  };

  const connect = async () => {
    const listener = new Client({ connectionString: databaseUrl });
    const publisher = new Client({ connectionString: databaseUrl });
    const pair = { listener, publisher };
    for (const c of [listener, publisher]) {
      // An 'error' without a listener would be an uncaught exception; either connection's end ends the pair.
      c.on("error", (err) => lost(pair, err));
      c.on("end", () => lost(pair, new Error("connection ended")));
    }
    listener.on("notification", (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        const e = JSON.parse(n.payload) as Envelope;
        if (e.origin !== origin) bus.emitLocal(e.name, e.payload);
      } catch {
        // not ours
      }
    });
    try {
      await listener.connect();
      await publisher.connect();
      await listener.query(`listen ${CHANNEL}`);
    } catch (err) {
      await closePair(pair);
      throw err;
    }
    return pair;
  };

  const closePair = async (pair: { listener: PgClient; publisher: PgClient }) => {
    await Promise.all([pair.listener.end().catch(() => {}), pair.publisher.end().catch(() => {})]);
  };

  /** Either connection of `pair` failed: drop both and reconnect (once, however many errors arrive). */
  const lost = (pair: { listener: PgClient; publisher: PgClient }, err: unknown) => {
    if (stopped || clients !== pair) return;
    clients = null;
    void closePair(pair);
    const reason = message(err);
    // /api/health answers anyone: the code only, never the server's text (hosts, ports).
    setHealth("reconnecting", databaseErrorOf(err).code ?? "connection lost");
    console.error(`[slipway] event bridge: lost the database connection (${reason}); reconnecting, live views re-read when it is back`);
    reconnecting ??= reconnect().finally(() => {
      reconnecting = null;
    });
  };

  const reconnect = async () => {
    const started = Date.now();
    for (let attempt = 0; !stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)).unref());
      if (stopped) return;
      try {
        const pair = await connect();
        if (stopped) return void (await closePair(pair));
        clients = pair;
        setHealth("connected", null);
        console.log(`[slipway] event bridge: reconnected after ${((Date.now() - started) / 1000).toFixed(1)} s (${attempt + 1} attempt(s)); live views re-read what they may have missed`);
        const resync = { reason: "event bridge reconnected" };
        bus.emitLocal("resync", resync);
        publish("resync", resync);
        return;
      } catch {
        // Still down: the next attempt waits longer (bounded); the outage was logged once already.
      }
    }
  };

  clients = await connect();
  setHealth("connected", null);
  bus.setRemote(publish);
  return async () => {
    stopped = true;
    bus.setRemote(null);
    g.__slipwayBridgeHealth = undefined;
    const c = clients;
    clients = null;
    if (c) await closePair(c);
  };
}
