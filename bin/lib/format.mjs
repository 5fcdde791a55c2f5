// How the CLI prints things: plain text, aligned columns, no colours (output is often piped).

export const pad = (s, n) => String(s) + " ".repeat(Math.max(0, n - String(s).length));

export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? String(c ?? "") : pad(c ?? "", widths[i]))).join("  ").trimEnd()).join("\n");
}

const time = (d) => (d instanceof Date ? d : new Date(d)).toISOString();

/** `<time> <instance> <line>`; build and system lines have no instance, so their stream stands in. */
export const formatLogLine = (l) => `${time(l.at)} ${l.instanceId ?? l.stream} ${l.line}`;

const MARK = { running: "…", success: "✓", error: "✗", warning: "!", info: "·" };

/** One deployment step: `12:00:01 ✓ build web: built in 1.2 s`, and its hint below it. */
export function formatDeploymentEvent(e) {
  const at = time(e.createdAt).slice(11, 19);
  const who = e.serviceName ? ` ${e.serviceName}` : "";
  const line = `${at} ${MARK[e.status] ?? "·"} ${e.stage}${who}: ${e.message}`;
  return e.hint ? `${line}\n           hint: ${e.hint}` : line;
}
