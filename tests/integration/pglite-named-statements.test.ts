/**
 * db/pglite-named-statements.ts gives PGlite's query() server-side prepared statements for hot SQL.
 * It must answer exactly what query() answers — types, nulls, errors, transactions — and leave the
 * database usable after an error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import { installNamedStatements } from "@/db/pglite-named-statements";

let plain: PGlite;
let named: PGlite;

const SETUP = `create table t (id uuid primary key, name text unique, n int, big bigint, ok boolean, doc jsonb, at timestamptz, tags text[], note text);`;
const ROW = ["7f1c8b2e-2a8e-4c0e-9a59-1f7b2c3d4e5f", "it's \"quoted\" ✓", 42, "9007199254740993", true, { a: [1, "x"], b: null }, new Date("2026-11-27T10:00:00.123Z"), ["a", "b,c", 'd"e'], null];

beforeAll(async () => {
  plain = await PGlite.create();
  named = await PGlite.create();
  installNamedStatements(named);
  for (const db of [plain, named]) {
    await db.exec(SETUP);
    await db.query("insert into t values ($1, $2, $3, $4, $5, $6, $7, $8, $9)", ROW);
  }
});
afterAll(async () => {
  await plain?.close();
  await named?.close();
});

// Explicit (empty) parameter types keep this lookup itself unprepared.
const preparedNames = async () => (await named.query<{ name: string }>("select name from pg_prepared_statements", [], { paramTypes: [] })).rows.map((r) => r.name);

describe("named statements for PGlite", () => {
  it("answers what query() answers, every time, once the text is hot (and prepares it once)", async () => {
    const text = "select id, name, n, big, ok, doc, at, tags, note from t where id = $1 and n > $2";
    const expected = await plain.query(text, [ROW[0], 1]);
    for (let i = 0; i < 6; i++) expect(await named.query(text, [ROW[0], 1])).toEqual(expected);
    for (const mode of ["array", "object"] as const) expect(await named.query(text, [ROW[0], 1], { rowMode: mode })).toEqual(await plain.query(text, [ROW[0], 1], { rowMode: mode }));
    // Per-call parsers, as drizzle passes them (timestamps as text), reused across calls.
    const options = { rowMode: "array" as const, parsers: { 1184: (v: string) => `raw:${v}` } };
    for (let i = 0; i < 3; i++) expect(await named.query(text, [ROW[0], 1], options)).toEqual(await plain.query(text, [ROW[0], 1], options));
    expect((await named.query<unknown[]>(text, [ROW[0], 1], options)).rows[0][6]).toMatch(/^raw:2026-11-27/);
    expect((await preparedNames()).filter((n) => n.startsWith("slipway_s"))).toHaveLength(1);
  });

  it("serializes parameters by their declared types, nulls included", async () => {
    const text = "select $1::jsonb as doc, $2::timestamptz as at, $3::text[] as tags, $4::int as n, $5::text as nothing";
    const params = [{ k: "v" }, new Date(0), ["x", "y z"], 7, null];
    for (let i = 0; i < 4; i++) expect(await named.query(text, params)).toEqual(await plain.query(text, params));
  });

  it("raises the database's error (with its code) and keeps working after it", async () => {
    const text = "insert into t (id, name) values ($1, $2)";
    let fresh = 0;
    const id = () => `00000000-0000-4000-8000-${String(++fresh).padStart(12, "0")}`;
    for (let i = 0; i < 4; i++) await named.query(text, [id(), `unique-${i}`]);
    const err = await named.query(text, [id(), "unique-0"]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "23505" });
    expect((await named.query<{ c: number }>("select count(*)::int as c from t where name like 'unique-%'")).rows[0].c).toBe(4);
    await named.query(text, [id(), "unique-after"]);
  });

  it("waits for a transaction in progress, and leaves the transaction's own queries to PGlite", async () => {
    const text = "select count(*)::int as c from t where name like $1";
    for (let i = 0; i < 4; i++) await named.query(text, ["tx-%"]);
    let outside: Promise<{ rows: { c: number }[] }> | null = null;
    await named.transaction(async (tx) => {
      await tx.query("insert into t (id, name) values ($1, $2)", ["10000000-0000-4000-8000-000000000001", "tx-1"]);
      outside = named.query<{ c: number }>(text, ["tx-%"]);
      expect((await tx.query<{ c: number }>(text, ["tx-%"])).rows[0].c).toBe(1);
    });
    // Queued behind the transaction: it sees the committed row.
    expect((await outside!).rows[0].c).toBe(1);
  });

  it("leaves texts used only a few times, and calls with explicit parameter types, unprepared", async () => {
    const before = (await preparedNames()).length;
    await named.query("select $1::int + 1 as x", [1]);
    await named.query("select $1::int + 2 as x", [1], { paramTypes: [23] });
    for (let i = 0; i < 5; i++) await named.query("select $1 as x", [1], { paramTypes: [23] });
    expect((await preparedNames()).length).toBe(before);
  });
});
