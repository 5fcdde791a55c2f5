/**
 * The log pipeline on a real database: the writer (batching, redaction, cutting, bounded memory with
 * honest drop counts), history (paging both ways, time ranges, filters), bad input, the live tail's
 * skipped-lines notice, and retention pruning.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { LogWriter, MAX_LINE_BYTES, type LogLine } from "@/server/engine/log-writer";
import { createRedactor } from "@/server/secrets/redactor";
import { bus } from "@/server/engine/event-bus";
import { readLogCounters } from "@/server/logs/log-counters";
import { pruneLogs } from "@/server/logs/prune-logs";
import { watchLogs } from "@/server/logs/watch-logs";
import { watchLogsInput } from "@/server/logs/log-schemas";
import { logDownloadResponse } from "@/server/logs/download-response";
import type { Caller } from "../support/context";
import { createTestDb } from "../support/test-db";
import { actorOf, callerFor, makeEnvironment, makeUser } from "../support/actors";
import { caught } from "../support/trpc-errors";
import { makeToken } from "../support/fixtures";
import { items } from "../support/log-events";
import { newestStoredId, storedChunks, storedLines } from "../support/log-store";
import { storeChunks } from "@/server/logs/store-chunks";

let h: DbHandle;
let api: Caller;
let owner: { id: string; email: string };
let envId: string;
let n = 0;

const DEPLOY_A = "00000000-0000-4000-8000-00000000000a";
const DEPLOY_B = "00000000-0000-4000-8000-00000000000b";

async function newService() {
  const s = await api.service.create({ environmentId: envId, name: `svc-${++n}`, type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  return s.id;
}

const line = (serviceId: string, text: string, more: Partial<LogLine> = {}): LogLine => ({ serviceId, deploymentId: null, instanceId: null, stream: "stdout", line: text, at: new Date(), ...more });

const stored = (serviceId: string) => storedLines(h.db, serviceId);

beforeAll(async () => {
  h = await createTestDb();
  const made = await makeEnvironment(h, "logs-org");
  owner = made.user;
  api = made.api;
  envId = made.env.id;
});
afterAll(async () => h?.close());

describe("LogWriter", () => {
  it("stores every field, in order, with increasing ids; redacts before storing; cuts long lines with a marker", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db);
    w.setRedactor(sid, createRedactor(["hunter2-password"]));
    const t0 = new Date("2026-01-01T00:00:00Z");
    for (let i = 0; i < 2500; i++) w.write(line(sid, `line ${i}`, { deploymentId: DEPLOY_A, instanceId: `i-${i % 2}`, stream: i % 3 ? "stdout" : "stderr", at: new Date(t0.getTime() + i) }));
    w.write(line(sid, "password is hunter2-password, really"));
    w.write(line(sid, `${"é".repeat(MAX_LINE_BYTES)}tail`));
    await w.flush();
    const rows = await stored(sid);
    expect(rows).toHaveLength(2502);
    expect(rows.slice(0, 2500).map((r) => r.line)).toEqual(Array.from({ length: 2500 }, (_, i) => `line ${i}`));
    for (let i = 1; i < rows.length; i++) expect(rows[i].id).toBeGreaterThan(rows[i - 1].id);
    expect(rows[3]).toMatchObject({ deploymentId: DEPLOY_A, instanceId: "i-1", stream: "stderr", createdAt: new Date(t0.getTime() + 3) });
    expect(rows[2500].line).toBe("password is [redacted], really");
    // 16 KiB of two-byte characters, then the marker naming the bytes that were dropped.
    expect(rows[2501].line).toBe(`${"é".repeat(MAX_LINE_BYTES / 2)}…[truncated ${MAX_LINE_BYTES + 4} bytes]`);
    // Each chunk's size (for retention) is its lines' stored UTF-8 bytes, the cut line's included.
    const chunks = await storedChunks(h.db, sid);
    expect(chunks.some((c) => c.lines.includes(rows[2501].line))).toBe(true);
    for (const c of chunks) expect(c.bytes).toBe(c.lines.reduce((n, l) => n + Buffer.byteLength(l), 0));
  });

  it("keeps memory bounded when the database stalls: drops, counts, and says so in the service's log", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db);
    const before = readLogCounters();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    // Hold the writers' lock: on PGlite the whole database, on PostgreSQL the insert lock.
    const blocker = h.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(7244102)`);
      holding();
      await released;
    });
    await held;
    const total = 110_000;
    for (let i = 0; i < total; i++) w.write(line(sid, `x${i}`));
    // The first batch (2,000) left for the database; 100,000 wait; the rest were dropped.
    const dropped = total - 2_000 - 100_000;
    expect(w.pending).toBe(100_000);
    release();
    await blocker;
    await w.flush();
    const after = readLogCounters();
    expect(after.linesDropped - before.linesDropped).toBe(dropped);
    expect(after.linesIngested - before.linesIngested).toBe(total);
    const rows = await stored(sid);
    expect(rows).toHaveLength(102_000 + 1);
    expect(rows.at(-1)).toMatchObject({ stream: "system", line: `[slipway] ${dropped} log line(s) dropped: the service printed faster than they could be stored` });
    // What was kept is a prefix: the drop happened at the end, never in the middle.
    expect(rows[101_999].line).toBe("x101999");
  });
});

describe("history", () => {
  let sid: string;
  let ids: number[];
  const t0 = new Date(Date.now() - 60 * 60 * 1000);
  beforeAll(async () => {
    sid = await newService();
    const w = new LogWriter(h.db);
    for (let i = 0; i < 100; i++) {
      w.write(
        line(sid, i % 10 === 0 ? `\u001b[31mERROR\u001b[0m request ${i} failed` : `GET /item/${i} 200`, {
          deploymentId: i < 50 ? DEPLOY_A : DEPLOY_B,
          instanceId: `inst-${i % 2}`,
          stream: i % 10 === 0 ? "stderr" : "stdout",
          at: new Date(t0.getTime() + i * 1000),
        }),
      );
    }
    await w.flush();
    ids = (await stored(sid)).map((r) => r.id);
  });

  it("pages backwards from the newest and from any id, and forwards from any id", async () => {
    const newest = await api.logs.history({ serviceId: sid, limit: 30 });
    expect(newest.lines.map((l) => l.id)).toEqual(ids.slice(70));
    expect(newest.more).toBe(true);
    const older = await api.logs.history({ serviceId: sid, beforeId: newest.lines[0].id, limit: 30 });
    expect(older.lines.map((l) => l.id)).toEqual(ids.slice(40, 70));
    const oldest = await api.logs.history({ serviceId: sid, beforeId: ids[10], limit: 30 });
    expect(oldest.lines.map((l) => l.id)).toEqual(ids.slice(0, 10));
    expect(oldest.more).toBe(false);
    const forward = await api.logs.history({ serviceId: sid, direction: "forward", afterId: ids[89], limit: 30 });
    expect(forward.lines.map((l) => l.id)).toEqual(ids.slice(90));
    expect(forward.more).toBe(false);
  });

  it("searches a time range, in both directions", async () => {
    const from = new Date(t0.getTime() + 20_000);
    const to = new Date(t0.getTime() + 29_000);
    const fwd = await api.logs.history({ serviceId: sid, direction: "forward", from, to, limit: 5 });
    expect(fwd.lines.map((l) => l.id)).toEqual(ids.slice(20, 25));
    expect(fwd.more).toBe(true);
    const back = await api.logs.history({ serviceId: sid, from, to, limit: 100 });
    expect(back.lines.map((l) => l.id)).toEqual(ids.slice(20, 30));
    expect(back.more).toBe(false);
  });

  it("filters by deployment, instance, stream, substring and regular expression", async () => {
    const all = { serviceId: sid, limit: 500 };
    expect((await api.logs.history({ ...all, deploymentId: DEPLOY_B })).lines.map((l) => l.id)).toEqual(ids.slice(50));
    expect((await api.logs.history({ ...all, instanceId: "inst-1" })).lines.map((l) => l.id)).toEqual(ids.filter((_, i) => i % 2 === 1));
    expect((await api.logs.history({ ...all, stream: "stderr" })).lines).toHaveLength(10);
    // Substring: case-insensitive.
    expect((await api.logs.history({ ...all, text: "REQUEST 30 FAILED" })).lines.map((l) => l.line)).toEqual(["\u001b[31mERROR\u001b[0m request 30 failed"]);
    // Regular expression, JavaScript syntax: \d, \b, counted repetition, alternation.
    const re = await api.logs.history({ ...all, text: "^GET /item/(1\\d|9\\d)\\b 200$", regex: true });
    expect(re.lines.map((l) => l.line)).toEqual([...[11, 12, 13, 14, 15, 16, 17, 18, 19], ...[91, 92, 93, 94, 95, 96, 97, 98, 99]].map((i) => `GET /item/${i} 200`));
    // A pattern that backtracks exponentially in JavaScript is answered at once by the database.
    expect((await api.logs.history({ ...all, text: "^(a+)+$", regex: true })).lines).toEqual([]);
  });

  it("answers bad input clearly: a regex's parse error, a backwards range, a range wider than retention", async () => {
    const badRe = await caught(api.logs.history({ serviceId: sid, text: "GET (unclosed", regex: true }));
    expect(badRe.code).toBe("BAD_REQUEST");
    expect(badRe.fieldErrors?.text?.[0]).toMatch(/Invalid regular expression: .*Unterminated group/);
    const backRef = await caught(api.logs.history({ serviceId: sid, text: "(a)\\1", regex: true }));
    expect(backRef.fieldErrors?.text).toEqual(["back-references are not supported in log filters"]);
    const watchBad = watchLogsInput.safeParse({ serviceId: sid, text: "[z-a]", regex: true });
    expect(watchBad.success ? null : watchBad.error.issues[0]).toMatchObject({ path: ["text"], message: expect.stringMatching(/Invalid regular expression/) });
    const backwards = await caught(api.logs.history({ serviceId: sid, from: new Date("2026-01-02T00:00:00Z"), to: new Date("2026-01-01T00:00:00Z") }));
    expect(backwards.code).toBe("BAD_REQUEST");
    expect(backwards.fieldErrors?.to?.[0]).toMatch(/^the end of the range \(2026-01-01T00:00:00.000Z\) is before its start \(2026-01-02T00:00:00.000Z\)$/);
    const wide = await caught(api.logs.history({ serviceId: sid, from: new Date(Date.now() - 30 * 24 * 3600 * 1000) }));
    expect(wide.code).toBe("BAD_REQUEST");
    expect(wide.fieldErrors?.from?.[0]).toMatch(/^the range spans 30\.0 days, but logs are kept for 7 days/);
  });

  it("is NOT_FOUND outside the caller's organizations", async () => {
    const stranger = callerFor(h.db, actorOf(await makeUser(h.db)));
    expect((await caught(stranger.logs.history({ serviceId: sid }))).code).toBe("NOT_FOUND");
  });
});

describe("live tail", () => {
  const ctx = () => ({ db: h.db, actor: actorOf(owner), meta: { source: "api" as const, ip: null } });

  it("backfills the newest lines, then streams new ones; a subscriber too far behind is told how many it skipped", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db);
    for (let i = 0; i < 500; i++) w.write(line(sid, `old ${i}`));
    await w.flush();
    const ids = (await stored(sid)).map((r) => r.id);
    const abort = new AbortController();
    // Resuming from before the first line: 500 behind, more than the bound of 100 (keeping 50).
    const it = items(watchLogs({ ctx: ctx(), input: watchLogsInput.parse({ serviceId: sid, lastEventId: String(ids[0] - 1) }), signal: abort.signal, maxLag: 100, keep: 50 }));
    const first = await it.next();
    expect(first.value?.[0]).toBe(String(ids[449]));
    expect(first.value?.[1]).toEqual({ type: "skipped", count: 450, fromId: ids[0], toId: ids[449] });
    const rest: number[] = [];
    for (let i = 0; i < 50; i++) {
      const v = (await it.next()).value;
      if (v && v[1].type === "line") rest.push(v[1].id);
    }
    expect(rest).toEqual(ids.slice(450));
    // New lines arrive through the bus, filtered.
    const next = it.next();
    w.write(line(sid, "new and matching"));
    await w.flush();
    const v = (await next).value;
    expect(v?.[1]).toMatchObject({ type: "line", line: "new and matching" });
    abort.abort();
    await it.return(undefined);
  });

  it("applies filters to the backfill and the stream, and passes over lines that do not match", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db);
    for (let i = 0; i < 50; i++) w.write(line(sid, i % 5 === 0 ? `match ${i}` : `other ${i}`));
    await w.flush();
    const abort = new AbortController();
    const it = items(watchLogs({ ctx: ctx(), input: watchLogsInput.parse({ serviceId: sid, text: "^match \\d+$", regex: true, tail: 3 }), signal: abort.signal }));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = (await it.next()).value;
      if (v?.[1].type === "line") got.push(v[1].line);
    }
    expect(got).toEqual(["match 35", "match 40", "match 45"]);
    const next = it.next();
    w.write(line(sid, "other 50"));
    w.write(line(sid, "match 51"));
    await w.flush();
    expect((await next).value?.[1]).toMatchObject({ line: "match 51" });
    abort.abort();
    await it.return(undefined);
  });
});

describe("live tail from memory", () => {
  it("yields lines handed over by the writer with the same filters as the database, and reads across lines it was not handed", async () => {
    const sid = await newService();
    const other = await newService();
    const w = new LogWriter(h.db);
    const abort = new AbortController();
    const ctx = { db: h.db, actor: actorOf(owner), meta: { source: "api" as const, ip: null } };
    const start = await newestStoredId(h.db);
    const it = items(watchLogs({ ctx, input: watchLogsInput.parse({ serviceId: sid, text: "KeEp", stream: "stdout", lastEventId: String(start) }), signal: abort.signal }));
    const got: string[] = [];
    const take = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const v = (await it.next()).value;
        if (v?.[1].type === "line") got.push(v[1].line);
      }
    };
    // Once this first line is through, the tail is running and waiting for more.
    w.write(line(sid, "keep 0"));
    await w.flush();
    await take(1);
    const batch = take(2);
    w.write(line(sid, "keep 1"));
    w.write(line(sid, "drop 2"));
    w.write(line(other, "keep, but another service"));
    w.write(line(sid, "KEEP 3 on stderr", { stream: "stderr" }));
    w.write(line(sid, "and KEEP 4"));
    await w.flush();
    await batch;
    expect(got).toEqual(["keep 0", "keep 1", "and KEEP 4"]);
    // A line stored elsewhere (another console: only its bus event arrives) is read from the database…
    const elsewhere = take(1);
    await storeChunks(h.db, [line(sid, "keep 5, from elsewhere")]);
    bus.emit("logs", { serviceId: sid });
    await elsewhere;
    // …and the writer's next batch, right after it, comes from memory again.
    const next = take(1);
    w.write(line(sid, "keep 6"));
    await w.flush();
    await next;
    expect(got.slice(3)).toEqual(["keep 5, from elsewhere", "keep 6"]);
    abort.abort();
    await it.return(undefined);
  });
});

describe("retention", () => {
  it("prunes exactly the lines past the age limit, then the oldest beyond the size limit, per service", async () => {
    const a = await newService();
    const b = await newService();
    const now = new Date();
    const day = 24 * 3600 * 1000;
    const w = new LogWriter(h.db);
    // Service a: 10 lines, one per day back from now (ages 9 days … 0 days), each 100 bytes.
    for (let i = 9; i >= 0; i--) w.write(line(a, `${String(i).padStart(2, "0")}${"a".repeat(98)}`, { at: new Date(now.getTime() - i * day) }));
    // Service b: 20 fresh lines of 100 bytes.
    for (let i = 0; i < 20; i++) w.write(line(b, `${String(i).padStart(2, "0")}${"b".repeat(98)}`, { at: new Date(now.getTime() - 60_000) }));
    await w.flush();
    const before = readLogCounters().linesPruned;
    // Keep 7 days and 1,050 bytes per service: a loses the lines 9 and 8 days old (a line exactly 7 days
    // old is at the limit, not past it) and is then under the size limit.
    const result = await pruneLogs({ db: h.db, retention: { maxAgeMs: 7 * day, maxBytes: 1_050 }, now, serviceIds: [a, b] });
    expect((await stored(a)).map((r) => r.line.slice(0, 2))).toEqual(["07", "06", "05", "04", "03", "02", "01", "00"]);
    // b: the newest 10 lines make 1,000 bytes; the 11th would pass 1,050, so it and everything older go.
    expect((await stored(b)).map((r) => r.line.slice(0, 2))).toEqual(["10", "11", "12", "13", "14", "15", "16", "17", "18", "19"]);
    expect(result).toEqual({ byAge: 2, bySize: 10 });
    expect(readLogCounters().linesPruned - before).toBe(12);
    // Nothing left to prune: a second run deletes nothing.
    expect(await pruneLogs({ db: h.db, retention: { maxAgeMs: 7 * day, maxBytes: 1_050 }, now, serviceIds: [a, b] })).toEqual({ byAge: 0, bySize: 0 });
  });
});

describe("download", () => {
  it("streams the matching lines as text to a token or session with access; refuses everyone else clearly", async () => {
    const sid = await newService();
    const w = new LogWriter(h.db);
    const t0 = new Date("2026-02-01T10:00:00.000Z");
    for (let i = 0; i < 12_000; i++) w.write(line(sid, `row ${i}`, { instanceId: "web-1", stream: i % 2 ? "stderr" : "stdout", at: new Date(t0.getTime() + i) }));
    await w.flush();
    const [org] = await api.organization.list();
    const { token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "viewer" });
    const get = (query: string, headers: Record<string, string>, session: { id: string; email: string } | null = null) =>
      logDownloadResponse({ db: h.db, request: new Request(`http://console/api/logs/${sid}/download${query}`, { headers }), serviceId: sid, sessionUser: async () => session });

    const all = await get("", { authorization: `Bearer ${token}` });
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(all.headers.get("content-disposition")).toMatch(/^attachment; filename="logs-[0-9a-f]{8}-.*\.txt"$/);
    const text = await all.text();
    const rows = text.trimEnd().split("\n");
    // More than two pages of 5,000, in order, each line whole.
    expect(rows).toHaveLength(12_000);
    expect(rows[0]).toBe("2026-02-01T10:00:00.000Z web-1 stdout row 0");
    expect(rows[11_999]).toBe("2026-02-01T10:00:11.999Z web-1 stderr row 11999");

    const filtered = await get(`?stream=stderr&text=${encodeURIComponent("^row 1\\d\\d$")}&regex=true`, {}, owner);
    expect((await filtered.text()).trimEnd().split("\n")).toEqual(Array.from({ length: 50 }, (_, i) => `2026-02-01T10:00:00.${String(101 + 2 * i).padStart(3, "0")}Z web-1 stderr row ${101 + 2 * i}`));

    expect((await get("", {})).status).toBe(401);
    expect((await get("", { authorization: "Bearer slw_not-a-token" })).status).toBe(401);
    const stranger = await get("", {}, await makeUser(h.db));
    expect(stranger.status).toBe(404);
    const badRe = await get("?text=(&regex=true", {}, owner);
    expect(badRe.status).toBe(400);
    expect(await badRe.text()).toMatch(/^text: Invalid regular expression/);
    const backwards = await get("?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z", {}, owner);
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toMatch(/^to: the end of the range/);
  });
});
