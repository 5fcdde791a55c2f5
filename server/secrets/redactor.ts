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

export function createRedactor(secretValues: readonly string[]): Redactor {
  const needles = [...new Set(secretValues.flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return noRedaction;
  return (text) => {
    let out = text;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  };
}
