/**
 * The .env format Slipway imports and exports:
 * - `NAME=value`, optionally prefixed by `export `; blank lines and lines starting with `#` are skipped.
 * - Unquoted values run to the end of the line, or to ` #` (a comment); surrounding spaces are trimmed.
 * - 'single quotes' are literal: no escapes, no newlines inside.
 * - "double quotes" understand \n \r \t \" \\ (any other backslash is kept as written) and may span
 *   several lines; after the closing quote only spaces and a `# comment` may follow.
 * Windows line endings are read as plain newlines.
 */
export type DotenvEntry = { name: string; value: string; line: number };
export type DotenvError = { line: number; message: string };

const NAME_START = /^[ \t]*(?:export[ \t]+)?([^=\s#]*)[ \t]*=/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** Where a quoted value ends: only spaces, optionally a comment, may follow. */
const restIsComment = (rest: string) => /^[ \t]*(#.*)?$/.test(rest);

export function parseDotenv(text: string): { entries: DotenvEntry[]; errors: DotenvError[] } {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const entries: DotenvEntry[] = [];
  const errors: DotenvError[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    if (/^[ \t]*(#.*)?$/.test(line)) continue;
    const m = NAME_START.exec(line);
    if (!m) {
      // The line itself is not quoted back: it may be a secret pasted without its name.
      errors.push({ line: lineNo, message: "expected NAME=value (or a # comment)" });
      continue;
    }
    const name = m[1];
    if (!name) {
      errors.push({ line: lineNo, message: "the variable name is missing before =" });
      continue;
    }
    let rest = line.slice(m[0].length).replace(/^[ \t]+/, "");
    if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close < 0) {
        errors.push({ line: lineNo, message: `${name}: the single-quoted value has no closing ' on this line (single quotes cannot span lines; use double quotes)` });
        continue;
      }
      if (!restIsComment(rest.slice(close + 1))) {
        errors.push({ line: lineNo, message: `${name}: unexpected text after the closing quote` });
        continue;
      }
      entries.push({ name, value: rest.slice(1, close), line: lineNo });
    } else if (rest.startsWith('"')) {
      let value = "";
      let j = 1;
      let closed = false;
      let endLine = i;
      for (;;) {
        while (j < rest.length) {
          const c = rest[j];
          if (c === "\\" && j + 1 < rest.length) {
            const next = rest[j + 1];
            value += ESCAPES[next] ?? `\\${next}`;
            j += 2;
          } else if (c === '"') {
            closed = true;
            break;
          } else {
            value += c;
            j++;
          }
        }
        if (closed || endLine + 1 >= lines.length) break;
        // The value goes on: the newline is part of it.
        value += "\n";
        endLine++;
        rest = lines[endLine];
        j = 0;
      }
      if (!closed) {
        errors.push({ line: lineNo, message: `${name}: the double-quoted value opened here is never closed` });
        break;
      }
      if (!restIsComment(rest.slice(j + 1))) {
        errors.push({ line: endLine + 1, message: `${name}: unexpected text after the closing quote` });
      } else {
        entries.push({ name, value, line: lineNo });
      }
      i = endLine;
    } else {
      const hash = rest.search(/[ \t]#/);
      const value = (hash >= 0 ? rest.slice(0, hash) : rest).replace(/[ \t]+$/, "");
      entries.push({ name, value, line: lineNo });
    }
  }
  return { entries, errors };
}

/** One `NAME=value` line (or several, never: newlines are escaped) that parseDotenv reads back byte for byte. */
export function formatDotenvLine(name: string, value: string): string {
  if (value === "") return `${name}=`;
  // Plain when nothing in it needs quoting; single quotes when it has no quote or newline; else double.
  if (/^[A-Za-z0-9_./:@%+,=-]+$/.test(value)) return `${name}=${value}`;
  if (!/['\n\r]/.test(value)) return `${name}='${value}'`;
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return `${name}="${escaped}"`;
}
