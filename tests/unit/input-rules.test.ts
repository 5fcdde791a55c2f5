import { describe, expect, it } from "vitest";
import { z } from "zod";
import { echoInput } from "@/server/validation/echo-input";
import { findInputProblems, hasPrototypeKey, MAX_INPUT_DEPTH, textProblem } from "@/server/validation/text-input";
import { describeValue, typeMismatch } from "@/server/validation/type-names";
import { dnsLabel } from "@/server/validation/names";
import { parseForm } from "@/server/actions/form-state";
import { createOwnerInput } from "@/server/users/user-schemas";

describe("echoInput", () => {
  it("quotes short text as JSON, escaping control characters and lone surrogates", () => {
    expect(echoInput("web")).toBe('"web"');
    expect(echoInput("a\0b\ud800")).toBe('"a\\u0000b\\ud800"');
  });
  it("cuts at 80 characters with … and the full length, never splitting a surrogate pair", () => {
    expect(echoInput("x".repeat(81))).toBe(`"${"x".repeat(80)}…" (81 characters)`);
    const pairAtCut = `${"x".repeat(79)}😀rest`;
    expect(echoInput(pairAtCut)).toBe(`"${"x".repeat(79)}…" (${pairAtCut.length} characters)`);
    expect(echoInput("k".repeat(1024 * 1024)).length).toBeLessThan(120);
  });
});

describe("textProblem", () => {
  it("accepts any valid Unicode, astral characters included", () => {
    for (const ok of ["", "plain", "ünïcödé ✓", "😀 and 𝄞", "\t\r\n", "\ufffd"]) expect(textProblem(ok), ok).toBeNull();
  });
  it("names NUL and lone surrogates with their position", () => {
    expect(textProblem("ab\0")).toBe("contains a NUL character (\\u0000) at position 2; text may not contain NUL");
    expect(textProblem("😀\ud800")).toBe("contains a lone surrogate (\\ud800) at position 2; text must be valid Unicode");
    expect(textProblem("\udc00😀")).toMatch(/\\udc00\) at position 0/);
    expect(textProblem("a\udc00\ud800")).toMatch(/\\udc00\) at position 1/);
  });
});

describe("findInputProblems", () => {
  it("reports every bad text, key and prototype key by path, in document order", () => {
    const input = JSON.parse('{"a": ["ok", "x\\u0000"], "b": {"__proto__": 1, "c\\ud800": "v"}, "constructor": 2}');
    expect(findInputProblems(input).map((p) => p.path)).toEqual([["a", 1], ["b", "__proto__"], ["b", "c\ud800"], ["constructor"]]);
  });
  it("skips the top-level keys a procedure checks itself", () => {
    expect(findInputProblems({ manifest: { a: "\0" }, b: "\0" }, { skip: ["manifest"] }).map((p) => p.path)).toEqual([["b"]]);
  });
  it("bounds depth without recursion, and the number of problems", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const problems = findInputProblems(deep);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toHaveLength(MAX_INPUT_DEPTH);
    expect(findInputProblems(Array.from({ length: 1000 }, () => "\0"))).toHaveLength(20);
  });
  it("refuses what only a superjson body can carry", () => {
    expect(findInputProblems({ a: new Uint8Array(2), b: new Map(), c: new Set() }).map((p) => p.message)).toEqual([
      "must be plain data, not binary data",
      "must be plain data, not a map",
      "must be plain data, not a set",
    ]);
  });
  it("hasPrototypeKey finds an own __proto__ key anywhere", () => {
    expect(hasPrototypeKey(JSON.parse('{"a": [{"b": {"__proto__": {}}}]}'))).toBe(true);
    expect(hasPrototypeKey({ a: [{ b: { proto: 1 } }] })).toBe(false);
  });
});

describe("the type wording", () => {
  it("says what was expected and what came", () => {
    expect(typeMismatch(["project"], "string", 123)).toBe("project must be text, not a number");
    expect(typeMismatch(["services", 2], "object", "web")).toBe("services[2] must be a mapping, not text");
    expect(typeMismatch(["port"], "int", 1.5)).toBe("port must be a whole number, not 1.5");
    expect(typeMismatch(["port"], "number", undefined)).toBe("port is required (a number)");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(true)).toBe("true (a yes/no value)");
  });
  it("is zod's global wording, and a schema's own 'required' message hands wrong types back to it", () => {
    const schema = z.object({ name: dnsLabel("project"), count: z.number(), tags: z.array(z.string()) });
    const issues = schema.safeParse({ name: 5, tags: "x" }).error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues).toEqual(["name: name must be text, not a number", "count: count is required (a number)", "tags: tags must be a list, not text"]);
    expect(schema.safeParse({ count: 1, tags: [] }).error!.issues[0].message).toBe("project name is required");
    expect(z.strictObject({}).safeParse({ ["k".repeat(1000)]: 1 }).error!.issues[0].message).toBe(`unknown key "${"k".repeat(80)}…" (1000 characters)`);
  });
});

describe("server action forms", () => {
  it("go through the same input rules before their schema", () => {
    expect(parseForm(createOwnerInput, { name: "Ada\0", email: "ada@example.test", password: "correct horse battery" })).toEqual({
      success: false,
      fieldErrors: { name: ["contains a NUL character (\\u0000) at position 3; text may not contain NUL"] },
    });
    expect(parseForm(createOwnerInput, { name: 5, email: "ada@example.test", password: "correct horse battery" })).toMatchObject({ success: false, fieldErrors: { name: [expect.stringMatching(/not a number/)] } });
    expect(parseForm(createOwnerInput, { name: "Ada", email: "ada@example.test", password: "correct horse battery" })).toMatchObject({ success: true, data: { name: "Ada" } });
  });
});
