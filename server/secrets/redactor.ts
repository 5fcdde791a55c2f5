/**
 * Replaces secret values in text before it is stored or shown: log lines, deployment errors and
 * hints, audit metadata. Each value is matched as written, base64-encoded and URL-encoded.
 */
export const REDACTED = "[redacted]";

export type Redactor = (text: string) => string;

/** Values shorter than this are not redacted: masking "1" or "on" would shred every line. */
export const MIN_SECRET_LENGTH = 4;

export const noRedaction: Redactor = (text) => text;

function formsOf(value: string): string[] {
  const forms = new Set<string>([value, Buffer.from(value, "utf8").toString("base64"), encodeURIComponent(value)]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** A 16-bit hash of two neighbouring UTF-16 code units (collisions only cost a needless check). */
const pairOf = (a: number, b: number) => ((a & 0xff) << 8) | (b & 0xff);

/** Window length: the shortest needle, capped so one table entry is small. */
const MAX_WINDOW = 32;

/**
 * Wu–Manber: one left-to-right pass that mostly jumps. With m the shortest needle's length, the
 * window text[pos-m+1..pos] can only start a match if its last two code units occur among the first
 * m of some needle; a table says how far the window may safely move when they do not (up to m-1
 * characters at once) and 0 when a needle could start at the window's first position. Only then
 * are the needles with that two-unit prefix compared, longest first, so a value wins over a shorter
 * one that starts the same. A line with no secret is returned as is, without allocating.
 */
export function createRedactor(secretValues: readonly string[]): Redactor {
  const needles = [...new Set(secretValues.flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return noRedaction;
  const m = Math.min(MAX_WINDOW, ...needles.map((n) => n.length));
  const shift = new Uint8Array(65536).fill(m - 1);
  const buckets: (string[] | undefined)[] = new Array(65536);
  for (const n of needles) {
    for (let j = 0; j + 1 < m; j++) {
      const h = pairOf(n.charCodeAt(j), n.charCodeAt(j + 1));
      shift[h] = Math.min(shift[h], m - 2 - j);
    }
    const p = pairOf(n.charCodeAt(0), n.charCodeAt(1));
    (buckets[p] ??= []).push(n);
  }
  return (text) => {
    let out = "";
    let copied = 0;
    let pos = m - 1;
    const len = text.length;
    while (pos < len) {
      const s = shift[pairOf(text.charCodeAt(pos - 1), text.charCodeAt(pos))];
      if (s > 0) {
        pos += s;
        continue;
      }
      const start = pos - m + 1;
      const list = buckets[pairOf(text.charCodeAt(start), text.charCodeAt(start + 1))];
      let matched = 0;
      if (list) {
        for (const n of list) {
          if (text.startsWith(n, start)) {
            matched = n.length;
            break;
          }
        }
      }
      if (matched) {
        out += text.slice(copied, start) + REDACTED;
        copied = start + matched;
        pos = copied + m - 1;
      } else pos++;
    }
    return copied === 0 ? text : out + text.slice(copied);
  };
}
