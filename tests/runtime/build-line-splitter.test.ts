/**
 * Build output becomes log lines through server/runtime/process/builder/line-splitter.ts: line breaks
 * of every kind, characters split across chunks, and over-long lines cut with a marker the way
 * instance output is (never split into several lines).
 */
import { describe, expect, it } from "vitest";
import { MAX_LINE_BYTES } from "@/server/engine/log-writer";
import { lineSplitter } from "@/server/runtime/process/builder/line-splitter";

function run(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
  s.end();
  return lines;
}

describe("the build output line splitter", () => {
  it("ends lines at \\n, \\r\\n and a lone \\r, drops empty ones, and keeps the last partial line", () => {
    expect(run(["one\ntwo\r\nthree\rfour\n\n\r\n  \nfive"])).toEqual(["one", "two", "three", "four", "five"]);
  });

  it("keeps a character whose bytes arrive in two chunks whole", () => {
    const euro = Buffer.from("price: 5€\n", "utf8");
    const at = euro.indexOf(0xe2) + 1;
    expect(run([euro.subarray(0, at), euro.subarray(at)])).toEqual(["price: 5€"]);
  });

  it("keeps a line of exactly the limit whole", () => {
    const line = "x".repeat(MAX_LINE_BYTES);
    expect(run([`${line}\nnext\n`])).toEqual([line, "next"]);
  });

  it("cuts a longer line once, saying how many bytes were left out, and goes on with the next line", () => {
    const long = "a".repeat(40_000);
    expect(run([`${long}\nafter\n`])).toEqual([`${"a".repeat(MAX_LINE_BYTES)}…[truncated ${40_000 - MAX_LINE_BYTES} bytes]`, "after"]);
  });

  it("cuts a long line that arrives in many small chunks the same way (nothing past the limit is held)", () => {
    const chunks = Array.from({ length: 100 }, () => "b".repeat(1024));
    expect(run([...chunks, "\nafter"])).toEqual([`${"b".repeat(MAX_LINE_BYTES)}…[truncated ${100 * 1024 - MAX_LINE_BYTES} bytes]`, "after"]);
  });

  it("cuts on a character boundary and counts bytes, not characters", () => {
    // "€" is 3 bytes: 16,384 bytes hold 5,461 whole ones (16,383 bytes).
    const line = "€".repeat(6_000);
    const [cut] = run([`${line}\n`]);
    expect(cut).toBe(`${"€".repeat(5_461)}…[truncated ${18_000 - 16_383} bytes]`);
  });

  it("cuts an over-long last line that has no line break", () => {
    expect(run(["c".repeat(20_000)])).toEqual([`${"c".repeat(MAX_LINE_BYTES)}…[truncated ${20_000 - MAX_LINE_BYTES} bytes]`]);
  });
});
