/**
 * The viewer's pure parts: ANSI colour parsing, the bounded line buffer, and the regex checks the
 * viewer and the API share.
 */
import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "@/components/logs/ansi";
import { LogBuffer, type ViewLine } from "@/components/logs/log-buffer";
import { regexProblem, toPostgresRegex } from "@/server/logs/log-pattern";

const ESC = "\u001b";

describe("parseAnsi", () => {
  it("turns SGR codes into styled segments and drops every other escape", () => {
    expect(parseAnsi("plain")).toEqual([{ text: "plain", style: {} }]);
    expect(parseAnsi(`${ESC}[1;31mERROR${ESC}[0m done`)).toEqual([
      { text: "ERROR", style: { bold: true, fg: "#cd3131" } },
      { text: " done", style: {} },
    ]);
    expect(parseAnsi(`${ESC}[38;5;196mred${ESC}[48;2;0;0;255mon blue${ESC}[39;49m`)).toEqual([
      { text: "red", style: { fg: "rgb(255,0,0)" } },
      { text: "on blue", style: { fg: "rgb(255,0,0)", bg: "rgb(0,0,255)" } },
    ]);
    expect(parseAnsi(`${ESC}[92mok${ESC}[m`)).toEqual([{ text: "ok", style: { fg: "#23d18b" } }]);
    // Cursor movement, erase line and an OSC window title are not shown.
    expect(stripAnsi(`${ESC}[2K${ESC}[1Gprogress ${ESC}]0;title\u0007100%`)).toBe("progress 100%");
    expect(parseAnsi(`${ESC}[2Kx`)).toEqual([{ text: "x", style: {} }]);
  });
});

describe("LogBuffer", () => {
  const l = (id: number): ViewLine => ({ id, deploymentId: null, instanceId: null, stream: "stdout", line: `l${id}`, at: new Date(0) });
  it("keeps ids ordered and unique, bounded, and counts what it dropped", () => {
    const b = new LogBuffer(100);
    b.append([l(1), l(2), l(3)]);
    b.append([l(2), l(3), l(4)]);
    expect(b.items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(b.prepend([l(0), l(1)])).toBe(1);
    expect(b.firstId).toBe(0);
    b.append(Array.from({ length: 200 }, (_, i) => l(10 + i)));
    expect(b.items.length).toBe(100);
    expect(b.lastId).toBe(209);
    expect(b.droppedOldest).toBe(105);
  });
});

describe("regex checks", () => {
  it("reports JavaScript's parse error, refuses back-references, and maps word boundaries for PostgreSQL", () => {
    expect(regexProblem("GET (")).toMatch(/^Invalid regular expression: \/GET \(\/: Unterminated group$/);
    expect(regexProblem("(a)\\1")).toBe("back-references are not supported in log filters");
    expect(regexProblem("\\\\1")).toBeNull();
    expect(regexProblem("^GET /api/\\d+\\b")).toBeNull();
    expect(toPostgresRegex("\\bGET\\B [\\b] \\\\b")).toBe("\\yGET\\Y [\\b] \\\\b");
  });
});
