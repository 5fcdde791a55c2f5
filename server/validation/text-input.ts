import { describeValue } from "./type-names";
import { echoInput } from "./echo-input";

/**
 * Rules every input obeys before any schema reads it, whatever the procedure: text a database can
 * store (PostgreSQL refuses U+0000 in text and jsonb; a lone UTF-16 surrogate is not Unicode and
 * cannot be encoded as UTF-8), no keys that name an object's prototype machinery, and a bounded depth.
 * One walk over the raw value (server/api/trpc.ts runs it for every procedure; the manifest service
 * runs it on a manifest so the problem gets the manifest's own path and line).
 */
export type InputPath = (string | number)[];
export type InputProblem = { path: InputPath; message: string };

/** Keys that reach Object.prototype or a constructor when assigned or merged: never data. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
export const MAX_INPUT_DEPTH = 64;
const MAX_PROBLEMS = 20;

/** What is wrong with a piece of text as stored text, or null. */
export function textProblem(text: string): string | null {
  const nul = text.indexOf("\0");
  if (nul >= 0) return `contains a NUL character (\\u0000) at position ${nul}; text may not contain NUL`;
  if (!text.isWellFormed()) {
    let at = 0;
    for (; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (c >= 0xd800 && c <= 0xdbff && at + 1 < text.length && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00) at++;
      else if ((c & 0xf800) === 0xd800) break;
    }
    return `contains a lone surrogate (\\u${text.charCodeAt(at).toString(16)}) at position ${at}; text must be valid Unicode`;
  }
  return null;
}

/**
 * The problems of `value` (at most 20), depth-first in document order; `[]` when it is clean.
 * `skip` names top-level keys whose values the procedure checks itself (with its own paths).
 */
export function findInputProblems(value: unknown, opts: { skip?: readonly string[] } = {}): InputProblem[] {
  const problems: InputProblem[] = [];
  // Iterative: a deeply nested body must not overflow the stack of the one thread that serves every request.
  // A bad key waits on the stack as a ready problem, so problems come out in document order.
  type Entry = { value: unknown; path: InputPath; problem?: string };
  const stack: Entry[] = [{ value, path: [] }];
  while (stack.length && problems.length < MAX_PROBLEMS) {
    const { value: v, path, problem: ready } = stack.pop()!;
    if (ready) {
      problems.push({ path, message: ready });
      continue;
    }
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) problems.push({ path, message: problem });
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      problems.push({ path, message: `is nested more than ${MAX_INPUT_DEPTH} levels deep` });
      continue;
    }
    const children: Entry[] = [];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) children.push({ value: v[i], path: [...path, i] });
    } else if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) {
      // Only a superjson body can carry these; no input of Slipway is one.
      problems.push({ path, message: `must be plain data, not ${describeValue(v)}` });
      continue;
    } else {
      for (const key of Object.keys(v)) {
        if (path.length === 0 && opts.skip?.includes(key)) continue;
        const keyPath = [...path, key];
        const badText = PROTOTYPE_KEYS.has(key) ? null : textProblem(key);
        if (PROTOTYPE_KEYS.has(key)) children.push({ value: null, path: keyPath, problem: `the key ${echoInput(key)} is not allowed (it names JavaScript's object machinery, not data)` });
        else if (badText) children.push({ value: null, path: keyPath, problem: `the key ${echoInput(key)} ${badText}` });
        else children.push({ value: (v as Record<string, unknown>)[key], path: keyPath });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return problems;
}

/** Whether any object in `value` has an own prototype key (cheap: stops at the first). */
export function hasPrototypeKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  let seen = 0;
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    // A body nested past the limit is refused by findInputProblems anyway; stop looking.
    if (++seen > 1_000_000) return false;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (PROTOTYPE_KEYS.has(key)) return true;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}
