/**
 * The chunked log store (log_chunks: one row per run of lines of one service and deployment in a
 * stored batch, per-line fields as arrays) against what chunks make risky: awkward text round-trips
 * byte for byte, interleaved batches keep arrival order and exact ids, every filter and direction of
 * paging across chunk boundaries returns exactly what one row per line returned (an oracle computed
 * here over the written lines), retention cuts chunks exactly, and a database migrated from
 * log_lines keeps its lines and ids. Real PGlite or PostgreSQL, no mocks.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { openDb, type DbHandle } from "@/db/client";
import { rowsOf } from "@/db/rows-of";
import { LogWriter, type LogLine } from "@/server/engine/log-writer";
import { storedBatches, type StoredBatch } from "@/server/logs/stored-batches";
import { storeChunks } from "@/server/logs/store-chunks";
import { pruneLogs } from "@/server/logs/prune-logs";
import { countLines, idFromNewest, type IdRange, type LineFilter } from "@/server/logs/log-query";
import type { LogRow } from "@/server/logs/log-schemas";
import type { Caller } from "../support/context";
import { createTestDb } from "../support/test-db";
import { makeEnvironment } from "../support/actors";
import { storedChunks, storedLines, type StoredChunk } from "../support/log-store";
import { seededRandom } from "../support/seeded-random";

let h: DbHandle & { url?: string };
let api: Caller;
let envId: string;
let n = 0;

const DEP_A = "00000000-0000-4000-8000-00000000000a";
const DEP_B = "00000000-0000-4000-8000-00000000000b";
const DAY = 24 * 3600 * 1000;

async function newService(): Promise<string> {
  return (await api.service.create({ environmentId: envId, name: `chunks-${++n}`, type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } })).id;
}

const line = (serviceId: string, text: string, more: Partial<LogLine> = {}): LogLine => ({ serviceId, deploymentId: null, instanceId: null, stream: "stdout", line: text, at: new Date(), ...more });


/** What every chunk must be: contiguous ids, arrays of one length, times and bytes that match its lines. */
function expectWellFormed(chunks: StoredChunk[]): void {
  for (const c of chunks) {
    const count = c.lastId - c.firstId + 1;
    expect([c.lines.length, c.instanceIds.length, c.streams.length, c.ats.length]).toEqual([count, count, count, count]);
    expect(c.bytes).toBe(c.lines.reduce((s, l) => s + Buffer.byteLength(l), 0));
    const times = c.ats.map((a) => a.getTime());
    expect([c.minAt.getTime(), c.maxAt.getTime()]).toEqual([Math.min(...times), Math.max(...times)]);
  }
  for (let i = 1; i < chunks.length; i++) expect(chunks[i].firstId).toBeGreaterThan(chunks[i - 1].lastId);
}

beforeAll(async () => {
  h = await createTestDb();
  const made = await makeEnvironment(h, "chunks-org");
  api = made.api;
  envId = made.env.id;
});
afterAll(async () => h?.close());

describe("round trip", () => {
  it("stores awkward text byte for byte (NUL and lone surrogates as U+FFFD, as before) and reads it back the same way everywhere", async () => {
    const sid = await newService();
    const written = [
      "a,b,c",
      '"quoted"',
      "back\\slash",
      "ends with a backslash\\",
      "{braces}",
      '{"a","b"}',
      "{}",
      "NULL",
      "null",
      "",
      " ",
      "  leading and trailing  ",
      "tab\tand\rcarriage",
      "a newline\ninside",
      "nul\u0000byte",
      "\u0000",
      "unicode: héllo wörld — ✓ 日本語 🎉 👩‍👩‍👧",
      "combining e\u0301",
      "rtl: שלום",
      "'single' quotes; semi;colon",
      "$1 $$ dollar",
      "\\x00 is not a NUL",
      "E'\\n'",
      "%_ like wildcards",
      "lone \ud800 surrogate",
      `${"é".repeat(8000)}end`,
    ];
    const expected = written.map((l) => l.replaceAll("\u0000", "\uFFFD").replace("\ud800", "\uFFFD"));
    const instances = ["inst,1", 'inst"2', null, "NULL", "{i}", "back\\slash"];
    const handed: StoredBatch[] = [];
    const off = storedBatches.on((b) => handed.push(b));
    const w = new LogWriter(h.db);
    written.forEach((text, i) => w.write(line(sid, text, { instanceId: instances[i % instances.length], stream: i % 2 ? "stderr" : "stdout" })));
    await w.flush();
    off();

    const rows = await storedLines(h.db, sid);
    expect(rows.map((r) => r.line)).toEqual(expected);
    expect(rows.map((r) => r.instanceId)).toEqual(written.map((_, i) => instances[i % instances.length]));
    expect(rows.map((r) => r.stream)).toEqual(written.map((_, i) => (i % 2 ? "stderr" : "stdout")));
    // Through the console's own reads: a history page and the download's text.
    const page = await api.logs.history({ serviceId: sid, direction: "forward", limit: 100 });
    expect(page.lines.map((l) => [l.id, l.line, l.instanceId])).toEqual(rows.map((r) => [r.id, r.line, r.instanceId]));
    // What live tails were handed in memory is what was stored, id for id, once encoded as UTF-8 as
    // every response is (a lone surrogate is only replaced there, as it always was).
    const mine = handed.flatMap((b) => b.rows).filter((r) => r.serviceId === sid);
    expect(mine.map((r) => [r.id, Buffer.from(r.line).toString(), r.instanceId])).toEqual(rows.map((r) => [r.id, r.line, r.instanceId]));
    expectWellFormed(await storedChunks(h.db, sid));
  });
});

describe("batches", () => {
  it("keeps arrival order and exact ids in a batch interleaving services, deployments and instances; one chunk per run", async () => {
    const a = await newService();
    const b = await newService();
    const pattern: [string, string | null][] = [
      [a, DEP_A], [a, DEP_A], [a, DEP_B], [b, DEP_A], [a, DEP_B], [a, null], [a, null], [b, null], [b, null], [a, DEP_A],
      [a, DEP_B], [b, DEP_B], [a, DEP_A], [a, DEP_A], [a, DEP_A], [b, DEP_A], [a, null], [a, DEP_B], [a, DEP_B], [b, DEP_B],
    ];
    const written = pattern.map(([sid, dep], i) => line(sid, `line ${i}`, { deploymentId: dep, instanceId: `i-${i % 2}`, at: new Date(Date.now() - (i % 3) * 1000) }));
    const handed: StoredBatch[] = [];
    const off = storedBatches.on((batch) => handed.push(batch));
    const w = new LogWriter(h.db);
    for (const l of written) w.write(l);
    await w.flush();
    off();

    // One batch: its ids are consecutive in arrival order, across both services.
    expect(handed).toHaveLength(1);
    const firstId = handed[0].minId;
    expect(handed[0].rows.map((r) => [r.id, r.line])).toEqual(written.map((l, i) => [firstId + i, l.line]));
    const both = [...(await storedLines(h.db, a)), ...(await storedLines(h.db, b))].sort((x, y) => x.id - y.id);
    expect(both.map((r) => [r.id, r.serviceId, r.deploymentId, r.instanceId, r.line, r.createdAt.getTime()])).toEqual(
      written.map((l, i) => [firstId + i, l.serviceId, l.deploymentId, l.instanceId, l.line, l.at.getTime()]),
    );
    // A chunk per maximal run of one service and deployment.
    let runs = 0;
    pattern.forEach(([sid, dep], i) => {
      if (i === 0 || pattern[i - 1][0] !== sid || pattern[i - 1][1] !== dep) runs++;
    });
    const chunks = [...(await storedChunks(h.db, a)), ...(await storedChunks(h.db, b))];
    expect(chunks).toHaveLength(runs);
    expectWellFormed(chunks.sort((x, y) => x.firstId - y.firstId));
  });
});

describe("several writers", () => {
  it("give each batch its own run of consecutive ids, and commit in id order: no line ever appears below an id a reader saw as the newest", async () => {
    const sid = await newService();
    // On PostgreSQL, a second pool on the same database (another console); on PGlite, the one database.
    const other = h.url ? await openDb({ databaseUrl: h.url, migrate: false }) : null;
    try {
      // The newest id and how many of the service's lines are at or below it, in one snapshot.
      const look = async () => {
        const [row] = rowsOf(
          await h.db.execute(sql`with hi as (select coalesce((select last_id from log_chunks order by first_id desc limit 1), 0) as id)
            select hi.id::bigint as hi, (select coalesce(sum(least(c.last_id, hi.id) - c.first_id + 1), 0) from log_chunks c where c.service_id = ${sid} and c.first_id <= hi.id)::int as n from hi`),
        );
        return { hi: Number(row.hi), n: Number(row.n) };
      };
      const seen: { hi: number; n: number }[] = [];
      let writing = true;
      const reader = (async () => {
        while (writing) seen.push(await look());
      })();
      const batches: { first: number; lines: string[] }[] = [];
      const rnd = seededRandom(7);
      // Four writers per handle, 25 batches each, sizes 1–60.
      const writer = async (db: DbHandle["db"], w: number) => {
        for (let b = 0; b < 25; b++) {
          const lines = Array.from({ length: 1 + Math.floor(rnd() * 60) }, (_, i) => `w${w} b${b} l${i}`);
          const first = await storeChunks(db, lines.map((text) => line(sid, text)));
          batches.push({ first, lines });
        }
      };
      await Promise.all([0, 1, 2, 3].flatMap((w) => [writer(h.db, w), writer(other?.db ?? h.db, w + 4)]));
      writing = false;
      await reader;

      const stored = new Map((await storedLines(h.db, sid)).map((l) => [l.id, l.line]));
      expect(stored.size).toBe(batches.reduce((s, b) => s + b.lines.length, 0));
      for (const b of batches) expect(b.lines.map((_, i) => stored.get(b.first + i))).toEqual(b.lines);
      expectWellFormed(await storedChunks(h.db, sid));
      // Every count a reader took is still the count: nothing committed later below what it saw.
      expect(seen.length).toBeGreaterThan(5);
      for (const s of seen) expect([s.hi, [...stored.keys()].filter((id) => id <= s.hi).length]).toEqual([s.hi, s.n]);
    } finally {
      await other?.close();
    }
  });
});

describe("reads across chunk boundaries", () => {
  let sid: string;
  /** Every line of the service as written, with its id: the oracle's input. */
  let all: (LogRow & { serviceId: string })[] = [];
  const t0 = Date.now() - 2 * 3600 * 1000;

  beforeAll(async () => {
    sid = await newService();
    const other = await newService();
    const rnd = seededRandom(4);
    const streams = ["stdout", "stderr", "build", "system"] as const;
    let i = 0;
    // Batches of different sizes, the service's lines mixed with another's: many chunks of many sizes.
    for (const size of [1, 7, 300, 2, 450, 64, 999, 13, 500, 120]) {
      const batch: LogLine[] = [];
      for (let j = 0; j < size; j++, i++) {
        const dep = Math.floor(i / 40) % 3 === 0 ? DEP_A : Math.floor(i / 40) % 3 === 1 ? DEP_B : null;
        const status = rnd() < 0.1 ? 500 : 200;
        // Times mostly rise with arrival, but not always (jitter of ±5 s): min/max per chunk matter.
        const at = new Date(t0 + i * 1000 + Math.round((rnd() - 0.5) * 10_000));
        const mine = rnd() < 0.8;
        batch.push(line(mine ? sid : other, `GET /item/${Math.floor(rnd() * 1000)} ${status} #${i}`, { deploymentId: dep, instanceId: `i-${Math.floor(rnd() * 3)}`, stream: streams[Math.floor(rnd() * 4)], at }));
      }
      const first = await storeChunks(h.db, batch);
      batch.forEach((l, k) => {
        if (l.serviceId === sid) all.push({ id: first + k, serviceId: l.serviceId, deploymentId: l.deploymentId, instanceId: l.instanceId, stream: l.stream, line: l.line, at: l.at });
      });
    }
    all = all.sort((x, y) => x.id - y.id);
  });

  type Case = { name: string; filter: Partial<LineFilter>; from?: Date; to?: Date };
  const mid = (k: number) => new Date(t0 + k * 1000);
  const cases: Case[] = [
    { name: "everything", filter: {} },
    { name: "deployment", filter: { deploymentId: DEP_B } },
    { name: "instance", filter: { instanceId: "i-1" } },
    { name: "stream", filter: { stream: "stderr" } },
    { name: "text", filter: { text: " 500 #" } },
    { name: "regex", filter: { text: "^GET /item/\\d*7 200", regex: true } },
    { name: "several filters", filter: { deploymentId: DEP_A, instanceId: "i-2", stream: "stdout" } },
    { name: "time range", filter: {}, from: mid(500), to: mid(1700) },
    { name: "time range and filters", filter: { deploymentId: DEP_B, text: "item/1" }, from: mid(900), to: mid(2100) },
    { name: "from only", filter: { stream: "build" }, from: mid(2000) },
    { name: "to only", filter: { instanceId: "i-0" }, to: mid(300) },
  ];

  /** The lines one row per line returned for these conditions, oldest first. */
  function oracle(c: Case, r: IdRange = {}): LogRow[] {
    const f = c.filter;
    const re = f.regex && f.text ? new RegExp(f.text) : null;
    const from = r.from ?? c.from;
    const to = r.to ?? c.to;
    return all
      .filter(
        (l) =>
          (!f.deploymentId || l.deploymentId === f.deploymentId) &&
          (!f.instanceId || l.instanceId === f.instanceId) &&
          (!f.stream || l.stream === f.stream) &&
          (!f.text || (re ? re.test(l.line) : l.line.toLowerCase().includes(f.text.toLowerCase()))) &&
          (r.afterId === undefined || l.id > r.afterId) &&
          (r.beforeId === undefined || l.id < r.beforeId) &&
          (r.upToId === undefined || l.id <= r.upToId) &&
          (!from || l.at >= from) &&
          (!to || l.at <= to),
      )
      .map(({ serviceId: _s, ...row }) => row);
  }

  const input = (c: Case) => ({ serviceId: sid, regex: false, ...c.filter, from: c.from, to: c.to });
  const view = (rows: LogRow[]) => rows.map((l) => [l.id, l.deploymentId, l.instanceId, l.stream, l.line, l.at.getTime()]);

  it.each(cases)("pages backwards and forwards through exactly the oracle's lines: $name", async (c) => {
    const expected = oracle(c);
    expect(expected.length).toBeGreaterThan(3);
    // Backwards from the newest, 37 at a time.
    const back: LogRow[] = [];
    for (let beforeId: number | undefined, guard = 0; guard < 500; guard++) {
      const page = await api.logs.history({ ...input(c), direction: "backward", beforeId, limit: 37 });
      back.unshift(...page.lines);
      if (!page.more) break;
      beforeId = page.lines[0].id;
    }
    expect(view(back)).toEqual(view(expected));
    // Forwards from the oldest, 41 at a time.
    const fwd: LogRow[] = [];
    for (let afterId: number | undefined, guard = 0; guard < 500; guard++) {
      const page = await api.logs.history({ ...input(c), direction: "forward", afterId, limit: 41 });
      fwd.push(...page.lines);
      if (!page.more) break;
      afterId = page.lines[page.lines.length - 1].id;
    }
    expect(view(fwd)).toEqual(view(expected));
  });

  it("starts pages in the middle of chunks, and counts and finds lines from the newest like the oracle", async () => {
    const ids = all.map((l) => l.id);
    for (const k of [1, 5, 333, 777, 1200, ids.length - 2]) {
      const at = ids[k];
      const f = { serviceId: sid, regex: false };
      const back = await api.logs.history({ ...f, beforeId: at, limit: 25 });
      expect(back.lines.map((l) => l.id)).toEqual(ids.slice(Math.max(0, k - 25), k));
      const fwd = await api.logs.history({ ...f, direction: "forward", afterId: at, limit: 25 });
      expect(fwd.lines.map((l) => l.id)).toEqual(ids.slice(k + 1, k + 26));
      for (const c of [cases[0], cases[3], cases[6]]) {
        const window = { afterId: at, upToId: ids[Math.min(ids.length - 1, k + 900)] };
        const matching = oracle(c, window);
        const lf = { serviceId: sid, regex: false, ...c.filter };
        expect(await countLines(h.db, lf, window)).toBe(matching.length);
        expect(await countLines(h.db, lf, window, 10)).toBe(Math.min(11, matching.length));
        expect(await idFromNewest(h.db, lf, window, 0)).toBe(matching.at(-1)?.id ?? null);
        expect(await idFromNewest(h.db, lf, window, 7)).toBe(matching.at(-8)?.id ?? null);
      }
    }
  });
});

describe("retention", () => {
  const retention = (maxAgeMs: number, maxBytes: number) => ({ maxAgeMs, maxBytes });

  it("by age, removes exactly the old lines from a chunk whose times are not in order, keeping the ids of the rest", async () => {
    const sid = await newService();
    const now = new Date();
    const old = (i: number) => new Date(now.getTime() - 9 * DAY + i);
    const fresh = (i: number) => new Date(now.getTime() - DAY + i);
    // A batch all old, a batch mixing old and new (first line kept: its chunk is put back under the same first id), a batch all new.
    const mixed = "NOONONNOOONO";
    const firstOld = await storeChunks(h.db, Array.from({ length: 5 }, (_, i) => line(sid, `old ${i}`, { at: old(i) })));
    const firstMixed = await storeChunks(h.db, [...mixed].map((k, i) => line(sid, `mixed ${i} ${k}`, { at: k === "N" ? fresh(i) : old(i), instanceId: `i-${i % 2}` })));
    const firstNew = await storeChunks(h.db, Array.from({ length: 3 }, (_, i) => line(sid, `new ${i}`, { at: fresh(100 + i) })));
    const before = await storedLines(h.db, sid);
    expect(before.map((l) => l.id)).toEqual([...[0, 1, 2, 3, 4].map((i) => firstOld + i), ...[...mixed].map((_, i) => firstMixed + i), ...[0, 1, 2].map((i) => firstNew + i)]);

    const result = await pruneLogs({ db: h.db, retention: retention(7 * DAY, 1e12), now, serviceIds: [sid] });
    const kept = before.filter((l) => l.createdAt.getTime() >= now.getTime() - 7 * DAY);
    expect(result).toEqual({ byAge: before.length - kept.length, bySize: 0 });
    expect(result.byAge).toBe(5 + [...mixed].filter((k) => k === "O").length);
    expect(await storedLines(h.db, sid)).toEqual(kept);
    // The mixed chunk became one chunk per run of kept lines (N, N, NN, N), then the new batch.
    const chunks = await storedChunks(h.db, sid);
    expectWellFormed(chunks);
    expect(chunks.map((c) => c.lines.length)).toEqual([1, 1, 2, 1, 3]);
    expect(chunks[0].firstId).toBe(firstMixed);
    expect(await pruneLogs({ db: h.db, retention: retention(7 * DAY, 1e12), now, serviceIds: [sid] })).toEqual({ byAge: 0, bySize: 0 });
  });

  it("by size, cuts the chunk where the limit falls (in its middle or at its edge), counting bytes as UTF-8", async () => {
    for (const where of ["middle", "edge"] as const) {
      const sid = await newService();
      // Three batches of 40 lines of varied length, some with two-byte characters.
      for (let b = 0; b < 3; b++) {
        await storeChunks(h.db, Array.from({ length: 40 }, (_, i) => line(sid, `${b}-${i} ${(i % 3 ? "x" : "é").repeat(5 + ((i * 7) % 50))}`)));
      }
      const before = await storedLines(h.db, sid);
      const sizes = before.map((l) => Buffer.byteLength(l.line));
      // Newest first: the running totals; the limit falls inside the middle chunk, or exactly at its end.
      const newer = (k: number) => sizes.slice(k).reduce((s, x) => s + x, 0);
      const maxBytes = where === "middle" ? newer(57) + 3 : newer(40);
      const kept = before.filter((_, k) => newer(k) <= maxBytes);
      expect(kept.length).toBe(where === "middle" ? 63 : 80);
      const result = await pruneLogs({ db: h.db, retention: retention(30 * DAY, maxBytes), serviceIds: [sid] });
      expect(result).toEqual({ byAge: 0, bySize: before.length - kept.length });
      expect(await storedLines(h.db, sid)).toEqual(kept);
      const chunks = await storedChunks(h.db, sid);
      expectWellFormed(chunks);
      expect(chunks.map((c) => c.lines.length)).toEqual(where === "middle" ? [23, 40] : [40, 40]);
      expect(chunks.reduce((s, c) => s + c.bytes, 0)).toBeLessThanOrEqual(maxBytes);
      expect(await pruneLogs({ db: h.db, retention: retention(30 * DAY, maxBytes), serviceIds: [sid] })).toEqual({ byAge: 0, bySize: 0 });
    }
  });
});

describe("retention of chunks stored out of line", () => {
  it("cuts chunks big enough for TOAST (incompressible text) by age and by size, exactly", async () => {
    const sid = await newService();
    const now = new Date();
    // 300 lines of 64 random hex characters: ~19 KB per chunk, stored out of line.
    const text = () => crypto.randomBytes(32).toString("hex");
    const times = (i: number) => new Date(now.getTime() - (i % 7 === 3 ? 9 * DAY : DAY) + i);
    await storeChunks(h.db, Array.from({ length: 300 }, (_, i) => line(sid, `a${i} ${text()}`, { at: times(i) })));
    await storeChunks(h.db, Array.from({ length: 300 }, (_, i) => line(sid, `b${i} ${text()}`, { at: new Date(now.getTime() - 60_000 + i) })));
    // Larger than a page even as stored (compressed or not): out of line.
    const sizes0 = rowsOf(await h.db.execute(sql`select pg_column_size(lines) as size from log_chunks where service_id = ${sid}`)).map((r) => Number(r.size));
    expect(sizes0.every((size) => size > 8192)).toBe(true);
    const before = await storedLines(h.db, sid);
    const keptByAge = before.filter((l) => l.createdAt.getTime() >= now.getTime() - 7 * DAY);
    const sizes = keptByAge.map((l) => Buffer.byteLength(l.line));
    const newer = (k: number) => sizes.slice(k).reduce((a, b) => a + b, 0);
    // After the age cut, keep the newest lines up to the middle of the first batch's remains.
    const maxBytes = newer(150) + 5;
    const kept = keptByAge.filter((_, k) => newer(k) <= maxBytes);
    const result = await pruneLogs({ db: h.db, retention: { maxAgeMs: 7 * DAY, maxBytes }, now, serviceIds: [sid] });
    expect(result).toEqual({ byAge: before.length - keptByAge.length, bySize: keptByAge.length - kept.length });
    expect(await storedLines(h.db, sid)).toEqual(kept);
    expectWellFormed(await storedChunks(h.db, sid));
  });
});

describe("migration from log_lines", () => {
  it("moves every stored line into chunks with its id and fields, and new ids continue after the old sequence", async () => {
    const m = await createTestDb({ migrate: false });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-migrations-"));
    try {
      const all = path.join(process.cwd(), "db", "migrations");
      // The migrations up to log_lines' last shape (0009), as a folder of their own.
      const journal = JSON.parse(fs.readFileSync(path.join(all, "meta", "_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
      fs.mkdirSync(path.join(dir, "meta"));
      const entries = journal.entries.filter((e) => e.idx <= 9);
      fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries }));
      for (const e of entries) fs.copyFileSync(path.join(all, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
      const migrate = async (folder: string) => {
        if (m.kind === "pglite") await (await import("drizzle-orm/pglite/migrator")).migrate(m.db as never, { migrationsFolder: folder });
        else await (await import("drizzle-orm/node-postgres/migrator")).migrate(m.db as never, { migrationsFolder: folder });
      };
      await migrate(dir);

      const sid = "00000000-0000-4000-8000-0000000000c1";
      const t = new Date("2026-11-01T10:00:00.123Z");
      await m.db.execute(sql`insert into log_lines (service_id, deployment_id, instance_id, stream, line, created_at)
        select ${sid}::uuid, case when g % 2 = 0 then ${DEP_A}::uuid end, case when g % 3 = 0 then null else 'i-' || g end,
          case when g % 4 = 0 then 'stderr' else 'stdout' end, 'old line ' || g || ', "quoted" {x} é', ${t.toISOString()}::timestamptz + g * interval '1 second'
        from generate_series(1, 12) g`);
      // Deleted lines leave gaps; the newest ids deleted too, so the next id is not max(id) + 1.
      await m.db.execute(sql`delete from log_lines where id in (3, 11, 12)`);
      const old = await m.db.execute(sql`select id::int as id, deployment_id, instance_id, stream, line, created_at from log_lines order by id`);
      const oldRows = (old as unknown as { rows: { id: number; deployment_id: string | null; instance_id: string | null; stream: string; line: string; created_at: Date | string }[] }).rows;
      expect(oldRows.map((r) => r.id)).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10]);

      await migrate(all);
      const lines = await storedLines(m.db, sid);
      expect(lines.map((l) => [l.id, l.deploymentId, l.instanceId, l.stream, l.line, l.createdAt.getTime()])).toEqual(
        oldRows.map((r) => [r.id, r.deployment_id, r.instance_id, r.stream, r.line, new Date(r.created_at).getTime()]),
      );
      expectWellFormed(await storedChunks(m.db, sid));
      const tables = await m.db.execute(sql`select to_regclass('log_lines')::text as t`);
      expect((tables as unknown as { rows: { t: string | null }[] }).rows[0].t).toBeNull();
      // The console reads them as before, and new lines get ids after every old one, deleted or not.
      const first = await storeChunks(m.db, [line(sid, "new 1"), line(sid, "new 2")]);
      expect(first).toBe(13);
      expect((await storedLines(m.db, sid)).map((l) => l.id)).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10, 13, 14]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await m.close();
    }
  });
});
