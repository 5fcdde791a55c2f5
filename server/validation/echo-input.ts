/**
 * How an error message quotes what a person sent: JSON-quoted (so control characters and lone
 * surrogates show as escapes, never raw), and cut at `max` characters with "…" and the full length,
 * so a 1 MB key is never echoed whole into a message, a log line or a terminal.
 */
export const ECHO_MAX = 80;

export function echoInput(value: string, max = ECHO_MAX): string {
  if (value.length <= max) return JSON.stringify(value);
  // Never cut a surrogate pair in two: the cut itself would make a lone surrogate.
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${JSON.stringify(value.slice(0, end) + "…")} (${value.length} characters)`;
}
