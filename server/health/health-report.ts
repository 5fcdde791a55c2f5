import "server-only";
import { bridgeHealth } from "@/server/engine/pg-bridge";
import { DROP_MEMORY_MS, logHealth } from "@/server/logs/log-health";

/** scripts/console-output-guard.mjs keeps this on globalThis (the custom server cannot import TypeScript). */
type ConsoleOutputState = { dropped: number; lastDropAt: number | null; failing: { stream: string; code: string; since: number } | null };
const CONSOLE_OUTPUT = Symbol.for("slipway.consoleOutput");

export type FaultReport = {
  /** Empty when nothing is wrong; else one sentence per fault, saying what is (or was) lost and why. */
  degraded: string[];
  /** Log lines dropped since the console started, per true cause. */
  logLinesDropped: Record<string, number>;
  /** Writes to the console's own stdout/stderr dropped since start. */
  consoleOutputDropped: number;
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The faults that lose data, for /api/health: a log store failing now or lines lost in the last ten
 * minutes (with the database's own reason), the event bridge reconnecting (live views through this
 * console may lag until it is back, then re-read), and the console's own log failing to be written.
 */
export function faultReport(now = Date.now()): FaultReport {
  const degraded: string[] = [];
  if (logHealth.failing) degraded.push(`log lines cannot be stored since ${iso(logHealth.failing.since)}: ${logHealth.failing.cause}; retrying, then dropping and counting them`);
  const drop = logHealth.lastDrop;
  if (drop && now - drop.at < DROP_MEMORY_MS) {
    const total = Object.values(logHealth.droppedByCause).reduce((a, b) => a + b, 0);
    degraded.push(`${total} log line(s) dropped since start, the last at ${iso(drop.at)}: ${drop.cause}`);
  }
  const bridge = bridgeHealth();
  if (bridge.state === "reconnecting") degraded.push(`events from other consoles paused since ${iso(bridge.since)}: the event bridge is reconnecting (${bridge.reason}); live views re-read when it is back`);
  const out = (globalThis as Record<symbol, ConsoleOutputState | undefined>)[CONSOLE_OUTPUT];
  if (out?.failing) degraded.push(`the console's own ${out.failing.stream} cannot be written since ${iso(out.failing.since)} (${out.failing.code}): ${out.dropped} write(s) dropped`);
  else if (out?.lastDropAt && now - out.lastDropAt < DROP_MEMORY_MS) degraded.push(`${out.dropped} write(s) to the console's own log dropped since start, the last at ${iso(out.lastDropAt)}`);
  return { degraded, logLinesDropped: { ...logHealth.droppedByCause }, consoleOutputDropped: out?.dropped ?? 0 };
}
