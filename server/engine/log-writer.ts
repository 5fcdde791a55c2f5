import "server-only";
import type { Db } from "@/db/client";
import { logLines } from "@/db/schema";
import { bus } from "./event-bus";
import { noRedaction, type Redactor } from "@/server/secrets/redactor";

export type LogLine = {
  serviceId: string;
  deploymentId: string | null;
  instanceId: string | null;
  stream: "stdout" | "stderr" | "build" | "system";
  line: string;
  at: Date;
};

const MAX_LINE = 16 * 1024;

const rootMessage = (err: unknown): string => {
  let e = err;
  while (e instanceof Error && e.cause) e = e.cause;
  return e instanceof Error ? e.message : "unknown error";
};
const FLUSH_MS = 100;
const MAX_BATCH = 1000;

/**
 * Batches log lines into multi-row inserts: one row at a time cannot keep up with a chatty app.
 * The telemetry work replaces this with the full pipeline (redaction, retention, live tail).
 */
export class LogWriter {
  private buffer: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** The newest lines per service, for failure hints ("it printed: …"). */
  private tails = new Map<string, string[]>();

  /** Per service: masks its secret values before a line is stored or kept in a tail. */
  private redactors = new Map<string, Redactor>();

  constructor(private readonly db: Db) {}

  setRedactor(serviceId: string, redactor: Redactor | null): void {
    if (redactor) this.redactors.set(serviceId, redactor);
    else this.redactors.delete(serviceId);
  }

  write(l: LogLine): void {
    // Redact before cutting, so a secret straddling the cut cannot leave half of itself behind.
    const clean = (this.redactors.get(l.serviceId) ?? noRedaction)(l.line);
    const line = clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE)}…[truncated ${clean.length - MAX_LINE} chars]` : clean;
    this.buffer.push({ ...l, line });
    const key = l.deploymentId ? `${l.serviceId}:${l.deploymentId}` : l.serviceId;
    const tail = this.tails.get(key) ?? [];
    tail.push(line);
    if (tail.length > 50) tail.shift();
    this.tails.set(key, tail);
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** The last lines a service printed during a deployment (at most 50). */
  tail(serviceId: string, deploymentId: string | null, n = 50): string[] {
    return (this.tails.get(deploymentId ? `${serviceId}:${deploymentId}` : serviceId) ?? []).slice(-n);
  }

  forget(serviceId: string, deploymentId: string): void {
    this.tails.delete(`${serviceId}:${deploymentId}`);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.db
        .insert(logLines)
        .values(batch.map((l) => ({ serviceId: l.serviceId, deploymentId: l.deploymentId, instanceId: l.instanceId, stream: l.stream, line: l.line, createdAt: l.at })))
        .then(
          () => {
            for (const serviceId of new Set(batch.map((l) => l.serviceId))) bus.emit("logs", { serviceId });
          },
          // Never print the failed query: its parameters are the log lines themselves.
          (err: unknown) => console.error(`[slipway] could not store ${batch.length} log lines: ${rootMessage(err)}`),
        ),
    );
    return this.flushing;
  }
}
