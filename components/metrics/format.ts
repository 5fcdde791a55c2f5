export const formatNumber = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return "0 MB";
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

/** Axis and tooltip times: clock time for short ranges, date and time beyond a day. */
export function timeFormatter(spanMs: number): (t: number) => string {
  const f = new Intl.DateTimeFormat(undefined, spanMs > 86_400_000 ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" } : { hour: "2-digit", minute: "2-digit", second: spanMs <= 3_600_000 ? "2-digit" : undefined });
  return (t) => f.format(new Date(t));
}

/** `datetime-local` input value (local time, minutes) for a Date. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
