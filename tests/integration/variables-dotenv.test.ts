/** The .env parser and writer, and alias templates: pure functions, no database. */
import { describe, expect, it } from "vitest";
import { formatDotenvLine, parseDotenv } from "@/server/variables/dotenv";
import { looksLikeTemplate, parseTemplate, resolveAll } from "@/server/variables/interpolate";

describe("parseDotenv", () => {
  it("reads plain, exported, quoted and multi-line values, skipping comments and blank lines", () => {
    const text = [
      "# comment",
      "",
      "PLAIN=hello world",
      "export EXPORTED=1",
      "  INDENTED = spaced  ",
      "TRAILING=value # a comment",
      "HASH=a#b",
      "EMPTY=",
      "SINGLE='literal $HOME \\n \"quotes\"' # comment",
      'DOUBLE="tab\\there \\"q\\" back\\\\slash \\x kept"',
      'MULTI="line 1',
      "line 2",
      '"',
      "EQUALS=a=b=c",
      "UNICODE=héllo ✓ 🚀",
    ].join("\r\n");
    const { entries, errors } = parseDotenv(text);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { name: "PLAIN", value: "hello world", line: 3 },
      { name: "EXPORTED", value: "1", line: 4 },
      { name: "INDENTED", value: "spaced", line: 5 },
      { name: "TRAILING", value: "value", line: 6 },
      { name: "HASH", value: "a#b", line: 7 },
      { name: "EMPTY", value: "", line: 8 },
      { name: "SINGLE", value: 'literal $HOME \\n "quotes"', line: 9 },
      { name: "DOUBLE", value: 'tab\there "q" back\\slash \\x kept', line: 10 },
      { name: "MULTI", value: "line 1\nline 2\n", line: 11 },
      { name: "EQUALS", value: "a=b=c", line: 14 },
      { name: "UNICODE", value: "héllo ✓ 🚀", line: 15 },
    ]);
  });

  it("reports malformed lines with their numbers and without quoting them", () => {
    const { errors } = parseDotenv(["OK=1", "just some text", "=nothing", "BAD='open", 'TRAIL="x" y', 'OPEN="never', "closed"].join("\n"));
    expect(errors).toEqual([
      { line: 2, message: "expected NAME=value (or a # comment)" },
      { line: 3, message: "the variable name is missing before =" },
      { line: 4, message: expect.stringContaining("no closing '") },
      { line: 5, message: "TRAIL: unexpected text after the closing quote" },
      { line: 6, message: "OPEN: the double-quoted value opened here is never closed" },
    ]);
  });

  it("writes lines that read back byte for byte", () => {
    const values = ["", "plain", "with space", "it's", 'say "hi"', "a\nb\r\nc", "\\n literal", "  pad  ", "# hash", "x #y", "tab\t", "ünï ✓ 🚀", "$HOME", "a=b", "'quoted'", '"\\"'];
    const text = values.map((v, i) => formatDotenvLine(`V${i}`, v)).join("\n");
    const { entries, errors } = parseDotenv(text);
    expect(errors).toEqual([]);
    expect(entries.map((e) => e.value)).toEqual(values);
  });
});

describe("alias templates", () => {
  it("parses references, spaces inside braces, and \\{{ as a literal", () => {
    expect(parseTemplate("a{{B}}c{{ D_1 }}\\{{E}}")).toEqual({ parts: [{ text: "a" }, { ref: "B" }, { text: "c" }, { ref: "D_1" }, { text: "{{E}}" }] });
    expect(parseTemplate("x{{1A}}")).toEqual({ error: expect.stringContaining('"{{" at character 2') });
    expect(parseTemplate("x{{A")).toEqual({ error: expect.stringContaining("does not start a reference") });
    expect(looksLikeTemplate("{{A}}")).toBe(true);
    expect(looksLikeTemplate("\\{{A}}")).toBe(true);
    expect(looksLikeTemplate("{{ not a name }}")).toBe(false);
    expect(looksLikeTemplate("plain }} {")).toBe(false);
  });

  it("resolves chains, marks what contains a secret, and names cycles and unknown references", () => {
    const entries = new Map([
      ["HOST", { kind: "value" as const, value: "db" }],
      ["PASS", { kind: "secret" as const, value: "pw" }],
      ["URL", { kind: "alias" as const, value: "pg://{{PASS}}@{{HOST}}:{{PORT}}" }],
      ["OUTER", { kind: "alias" as const, value: "[{{URL}}]" }],
      ["A", { kind: "alias" as const, value: "{{B}}" }],
      ["B", { kind: "alias" as const, value: "{{C}}" }],
      ["C", { kind: "alias" as const, value: "{{A}}" }],
      ["LOST", { kind: "alias" as const, value: "{{NOWHERE}} and {{ALSO_MISSING}}" }],
      ["USES_CYCLE", { kind: "alias" as const, value: "{{A}}" }],
    ]);
    const { values, errors } = resolveAll(entries, { PORT: "5432" });
    expect(values.get("URL")).toEqual({ value: "pg://pw@db:5432", secret: true });
    expect(values.get("OUTER")).toEqual({ value: "[pg://pw@db:5432]", secret: true });
    expect(values.get("HOST")).toEqual({ value: "db", secret: false });
    expect(values.has("A")).toBe(false);
    expect(values.has("USES_CYCLE")).toBe(false);
    expect(errors).toEqual([
      { name: "A", message: "alias cycle: A → B → C → A" },
      { name: "LOST", message: "alias LOST refers to {{NOWHERE}}, which is not defined" },
      { name: "LOST", message: "alias LOST refers to {{ALSO_MISSING}}, which is not defined" },
    ]);
  });
});
