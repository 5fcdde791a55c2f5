/**
 * Text filters for logs. A substring matches case-insensitively. A regular expression is validated
 * with JavaScript's parser (so the viewer and the API report the same parse error), then runs inside
 * the database with PostgreSQL's regex engine, whose automaton-based matcher does not backtrack
 * exponentially the way JavaScript's does on patterns like `(a+)+$`. Back-references (the one feature
 * that needs backtracking there too) are refused, and patterns are capped at MAX_PATTERN characters.
 * No server-only: the viewer validates with the same code before it asks.
 */
export const MAX_PATTERN = 256;

/** Why a pattern cannot be used, or null when it can. */
export function regexProblem(pattern: string): string | null {
  try {
    new RegExp(pattern);
  } catch (err) {
    return err instanceof Error ? err.message : "invalid regular expression";
  }
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(pattern) || pattern.includes("\\k<")) return "back-references are not supported in log filters";
  return null;
}

/**
 * JavaScript's `\b` / `\B` (word boundary) are `\y` / `\Y` in PostgreSQL, where `\b` is a backspace.
 * Everything else the JavaScript parser accepts and people write in log searches (classes, `\d \w \s`,
 * groups, `(?:…)`, look-ahead, counted repetition) means the same in both.
 */
export function toPostgresRegex(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && i + 1 < pattern.length) {
      const n = pattern[i + 1];
      out += !inClass && n === "b" ? "\\y" : !inClass && n === "B" ? "\\Y" : c + n;
      i++;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    out += c;
  }
  return out;
}
