/**
 * Faults that say what they lost, on a real database: a log batch the database refuses is retried
 * across a short outage (nothing lost, nothing said), and past the retry window dropped and counted
 * with the database's own reason — in the service's log once writes succeed again, and in the health
 * report — never as "printed faster". The refusal is real: a NOT VALID check constraint that rejects
 * every new chunk, dropped to end the outage. And a `resync` (what the event bridge emits after a
 * reconnect) makes a live tail re-read lines whose notification never came.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { LogWriter, TOO_FAST, type LogLine } from "@/server/engine/log-writer";
import { bus } from "@/server/engine/event-bus";
import { busWaiter } from "@/server/engine/bus-waiter";
import { readLogCounters } from "@/server/logs/log-counters";
import { logHealth } from "@/server/logs/log-health";
import { faultReport } from "@/server/health/health-report";
import { storeChunks } from "@/server/logs/store-chunks";
import { watchLogs } from "@/server/logs/watch-logs";
import { watchLogsInput } from "@/server/logs/log-schemas";
import { createTestDb } from "../support/test-db";
import { actorOf, makeEnvironment } from "../support/actors";
import { items } from "../support/log-events";
import { storedLines } from "../support/log-store";

let h: DbHandle;
let owner: { id: string; email: string };
let api: Awaited<ReturnType<typeof makeEnvironment>>["api"];
let envId: string;
let n = 0;

async function newService() {
  const s = await api.service.create({ environmentId: envId, name: `fault-${++n}`, type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  return s.id;
}
const line = (serviceId: string, text: string, more: Partial<LogLine> = {}): LogLine => ({ serviceId, deploymentId: null, instanceId: null, stream: "stdout", line: text, at: new Date(), ...more });

const refuse = () => h.db.execute(sql`alter table log_chunks add constraint refuse_all check (false) not valid`);
const accept = () => h.db.execute(sql`alter table log_chunks drop constraint refuse_all`);

/** Polls `ok` every 20 ms until it holds or `ms` pass (then fails saying what was awaited). */
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  h = await createTestDb();
  const made = await makeEnvironment(h, "faults-org");
  owner = made.user;
  api = made.api;
  envId = made.env.id;
});
afterAll(async () => h?.close());

describe("LogWriter across a refused write", () => {
  it("retries a batch through a short outage: every line stored in order, none dropped, nothing noted", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db, 60_000);
    const before = readLogCounters();
    await refuse();
    for (let i = 0; i < 10; i++) w.write(line(sid, `kept ${i} secret-ish-text`));
    const flushed = w.flush();
    await until("the writer to report the failing store", () => logHealth.failing !== null);
    // The class and SQLSTATE only: never the lines (the query's parameters), nor the server's text.
    expect(logHealth.failing?.cause).toBe("the database refused the write: integrity constraint violation (23514)");
    expect(faultReport().degraded.join("\n")).toContain("log lines cannot be stored since");
    await accept();
    await flushed;
    expect(logHealth.failing).toBeNull();
    const rows = await storedLines(h.db, sid);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: 10 }, (_, i) => `kept ${i} secret-ish-text`));
    expect(readLogCounters().linesDropped - before.linesDropped).toBe(0);
  });

  it("past the retry window drops and counts the lines with the database's reason, and says so in the service's log once it can", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db, 300);
    const before = readLogCounters();
    await refuse();
    for (let i = 0; i < 5; i++) w.write(line(sid, `lost ${i}`));
    await w.flush();
    expect(readLogCounters().linesDropped - before.linesDropped).toBe(5);
    const cause = logHealth.lastDrop?.cause ?? "";
    expect(cause).toBe("the database refused the write: integrity constraint violation (23514)");
    expect(faultReport().degraded.join("\n")).toContain(cause);
    await accept();
    w.write(line(sid, "after the outage"));
    await until("the drop note to be stored", () => logHealth.failing === null && w.pending === 0);
    await w.flush();
    const rows = await storedLines(h.db, sid);
    expect(rows.map((r) => r.line)).toEqual(["after the outage", `[slipway] 5 log line(s) dropped: ${cause}`]);
    expect(rows[1].stream).toBe("system");
    expect(rows.some((r) => r.line.includes(TOO_FAST))).toBe(false);
  });
});

describe("resync", () => {
  it("wakes every waiter whatever its filter", async () => {
    const waiter = busWaiter(["logs"], () => false);
    const woke = waiter.wait();
    bus.emitLocal("resync", { reason: "test" });
    await woke;
    waiter.close();
  });

  it("makes a live tail re-read lines whose notification was lost", async () => {
    const sid = await newService();
    const abort = new AbortController();
    const ctx = { db: h.db, actor: actorOf(owner), meta: { source: "api" as const, ip: null } };
    const it = items(watchLogs({ ctx, input: watchLogsInput.parse({ serviceId: sid, tail: 0 }), signal: abort.signal }));
    const next = it.next();
    // Let the tail reach its wait (it has nothing to yield), then store lines without any notification.
    await new Promise((r) => setImmediate(r));
    await storeChunks(h.db, [line(sid, "silent 1"), line(sid, "silent 2")]);
    bus.emitLocal("resync", { reason: "test" });
    const got = [(await next).value?.[1], (await it.next()).value?.[1]];
    expect(got.map((g) => (g && g.type === "line" ? g.line : null))).toEqual(["silent 1", "silent 2"]);
    abort.abort();
    await it.return(undefined);
  });
});
