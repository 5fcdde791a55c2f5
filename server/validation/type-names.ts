import { z } from "zod";
import { echoInput } from "./echo-input";

/**
 * The one wording for "this field has the wrong type": `project must be text, not a number`.
 * Installed as zod's global error map (below), so every schema without its own message for a
 * type mismatch says what was expected and what was received; schemas with their own message
 * for a missing value (dnsLabel) hand type mismatches back to this one.
 */

/** "a number", "text", "a list" … for a value received in an input. */
export function describeValue(input: unknown): string {
  if (input === null) return "null";
  if (input === undefined) return "nothing";
  if (typeof input === "string") return "text";
  if (typeof input === "number") return Number.isFinite(input) ? "a number" : String(input);
  if (typeof input === "boolean") return `${input} (a yes/no value)`;
  if (typeof input === "bigint") return "a big integer";
  if (Array.isArray(input)) return "a list";
  if (input instanceof Date) return "a date";
  if (ArrayBuffer.isView(input)) return "binary data";
  if (input instanceof Map) return "a map";
  if (input instanceof Set) return "a set";
  if (typeof input === "object") return "a mapping";
  return `a ${typeof input}`;
}

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  tuple: "a list",
  date: "a date",
  bigint: "a big integer",
  null: "null",
};

export const describeExpected = (expected: string): string => EXPECTED[expected] ?? expected;

/** The field's name as the end of its path: `project`, `services[2]`, `env.PORT`. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (let i = path.length - 1; i >= 0; i--) {
    const seg = path[i];
    if (typeof seg === "number") out = `[${seg}]${out}`;
    else {
      out = `${typeof seg === "string" ? seg : String(seg)}${out}`;
      break;
    }
  }
  return out || "the input";
}

/** `project must be text, not a number`; `port is required (a whole number)` when nothing was sent. */
export function typeMismatch(path: readonly PropertyKey[], expected: string, input: unknown): string {
  const name = fieldName(path);
  if (input === undefined) return `${name} is required (${describeExpected(expected)})`;
  if (expected === "int" && typeof input === "number") return `${name} must be a whole number, not ${input}`;
  return `${name} must be ${describeExpected(expected)}, not ${describeValue(input)}`;
}

/** zod's global error map: type mismatches and unknown keys; everything else keeps zod's (or the schema's) wording. */
export function inputErrorMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") return typeMismatch(issue.path ?? [], issue.expected, issue.input);
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.slice(0, 5).map((k) => echoInput(k));
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${keys.join(", ")}${issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : ""}`;
  }
  return undefined;
}

z.config({ customError: inputErrorMessage });

/**
 * For a schema's own "X is required" message: used only when nothing was sent, so a value of the
 * wrong type still gets the "must be text, not a number" wording above. (A schema's `error` also
 * words its checks' issues — too long, … — unless they have their own: those keep zod's words.)
 */
export const requiredMessage =
  (message: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === "invalid_type" && issue.input === undefined ? message : undefined;
