/**
 * server/api/transformer.ts writes superjson's wire format itself for plain data: the client reads
 * it with superjson, so what it writes must be exactly what superjson writes (or, where it hands
 * over, superjson's own output).
 */
import { describe, expect, it } from "vitest";
import superjson from "superjson";
import { serialize, serializeOnce, transformer } from "@/server/api/transformer";

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

const cyclic: Record<string, unknown> = { name: "loop" };
cyclic.self = cyclic;
let deep: unknown = "bottom";
for (let i = 0; i < 200; i++) deep = { next: deep };

const fastPathCases: [string, unknown][] = [
  ["a string", "hello"],
  ["a number", 42.5],
  ["zero", 0],
  ["a boolean", false],
  ["null", null],
  ["an empty object", {}],
  ["an empty array", []],
  ["nested plain data", { a: [1, "two", { three: [true, null] }], b: { c: { d: "e" } } }],
  ["a top-level Date", new Date("2026-11-27T10:00:00.123Z")],
  ["Dates in a list of rows", [{ id: "a", at: new Date(0) }, { id: "b", at: new Date(1), nested: { when: new Date(2) } }]],
  ["keys with dots and backslashes", { "a.b": new Date(3), "c\\d": { "e.f\\g": new Date(4) }, plain: 1 }],
  ["an object without a prototype", Object.assign(Object.create(null) as object, { k: new Date(5) })],
  ["unicode keys and values", { "clé": "välue ✓", "🚀": [new Date(6)] }],
  ["a list of 200 service-like rows", Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, spec: { port: 8080 + i, env: { A: "1" } }, updatedAt: new Date(1_700_000_000_000 + i) }))],
];

const handedOverCases: [string, unknown][] = [
  ["undefined", undefined],
  ["an undefined property", { a: undefined, b: 1 }],
  ["undefined in an array", [1, undefined, 3]],
  ["-0", { n: -0 }],
  ["NaN and Infinity", [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
  ["an invalid Date", { at: new Date("nope") }],
  ["a Map", new Map([["k", new Date(7)]])],
  ["a Set", { s: new Set([1, 2]) }],
  ["a BigInt", { big: BigInt(2) ** BigInt(70) }],
  ["a RegExp", { r: /a.b/gi }],
  ["an Error", { e: new Error("boom") }],
  ["a class instance", { p: new Point(1, 2) }],
  ["a cycle", cyclic],
  ["a value deeper than the fast path goes", deep],
];

describe("transformer", () => {
  it.each(fastPathCases)("writes what superjson writes for %s", (_name, value) => {
    expect(JSON.stringify(serialize(value))).toBe(JSON.stringify(superjson.serialize(value)));
    expect(transformer.deserialize(JSON.parse(JSON.stringify(serialize(value))))).toEqual(value);
  });

  it.each(handedOverCases)("hands %s to superjson and reads back the same", (_name, value) => {
    const wire = JSON.parse(JSON.stringify(serialize(value)));
    expect(wire).toEqual(JSON.parse(JSON.stringify(superjson.serialize(value))));
    expect(superjson.deserialize(wire)).toEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjson.serialize(value)))));
  });

  it("serializes a value given to serializeOnce once, and every later answer reuses it", () => {
    const list = Object.freeze([Object.freeze({ id: "a", at: new Date(10) })]);
    expect(serializeOnce(list)).toBe(list);
    const first = serialize(list);
    expect(serialize(list)).toBe(first);
    expect(JSON.stringify(first)).toBe(JSON.stringify(superjson.serialize(list)));
    // Other values are not memoized: an equal but distinct object is serialized afresh.
    const other = [{ id: "a", at: new Date(10) }];
    expect(serialize(other)).not.toBe(serialize(other));
  });

  it("refuses prototype-polluting keys as superjson does", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    expect(() => serialize(hostile)).toThrow(/prototype pollution/);
  });
});
