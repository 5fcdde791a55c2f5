import "server-only";
import type { Db } from "@/db/client";
import { logCounters } from "@/server/logs/log-counters";
import { storedBatches } from "@/server/logs/stored-batches";
import { storeChunks } from "@/server/logs/store-chunks";
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

/** Longest stored line. The supervisor cuts instance output at the same size with its own marker, hence the slack. */
export const MAX_LINE_BYTES = 16 * 1024;
const CUT_SLACK = 64;

const rootMessage = (err: unknown): string => {
  let e = err;
  while (e instanceof Error && e.cause) e = e.cause;
  return e instanceof Error ? e.message : "unknown error";
};

/** A quiet service's line waits at most this long; a chatty one fills a batch first. */
const FLUSH_MS = 40;
/** Lines per stored batch (one insert statement; a chunk never spans two batches). */
const BATCH = 2000;
/** Lines waiting for the database, at most: beyond it new lines are dropped (and counted), never memory. */
const MAX_PENDING_LINES = 100_000;
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** Where to cut UTF-8 `bytes` to keep at most `max` of them as whole characters (bytes is longer than max). */
export function utf8CutPoint(bytes: Uint8Array, max: number): number {
  let cut = max;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--; // bytes[cut] would start the dropped part
  return cut;
}

/** The first `max` bytes of `text` as whole characters, and how many bytes of it were left out. */
export function cutUtf8(text: string, max: number): { kept: string; dropped: number } {
  const bytes = Buffer.from(text, "utf8");
  const cut = utf8CutPoint(bytes, max);
  return { kept: bytes.subarray(0, cut).toString("utf8"), dropped: bytes.length - cut };
}

/** Cuts a line longer than MAX_LINE_BYTES (on a character boundary) and says how much was dropped. */
export function cutLine(line: string): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short lines skip the byte count.
  if (line.length * 3 <= MAX_LINE_BYTES + CUT_SLACK || Buffer.byteLength(line, "utf8") <= MAX_LINE_BYTES + CUT_SLACK) return line;
  const { kept, dropped } = cutUtf8(line, MAX_LINE_BYTES);
  return `${kept}…[truncated ${dropped} bytes]`;
}

type Dropped = { count: number; deploymentId: string | null; instanceId: string | null };

/**
 * The log pipeline's write side: redact, cut, buffer, and store in batched inserts, one batch in flight
 * at a time. Memory is bounded: when the database falls behind by more than MAX_PENDING_*, lines are
 * dropped and counted, and a system line in the service's log says how many. After each stored batch
 * the bus carries `logs` (service id only) to live tails, in this process and (pg-bridge) others.
 */
export class LogWriter {
  private buffer: LogLine[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private dropped = new Map<string, Dropped>();
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
    logCounters.linesIngested++;
    // Redact before cutting, so a secret straddling the cut cannot leave half of itself behind.
    const line = cutLine((this.redactors.get(l.serviceId) ?? noRedaction)(l.line));
    const key = l.deploymentId ? `${l.serviceId}:${l.deploymentId}` : l.serviceId;
    const tail = this.tails.get(key) ?? [];
    tail.push(line);
    if (tail.length > 50) tail.shift();
    this.tails.set(key, tail);
    if (this.buffer.length >= MAX_PENDING_LINES || this.pendingBytes >= MAX_PENDING_BYTES) {
      logCounters.linesDropped++;
      const d = this.dropped.get(l.serviceId) ?? { count: 0, deploymentId: l.deploymentId, instanceId: l.instanceId };
      d.count++;
      this.dropped.set(l.serviceId, d);
      return;
    }
    this.enqueue({ serviceId: l.serviceId, deploymentId: l.deploymentId, instanceId: l.instanceId, stream: l.stream, line, at: l.at });
  }

  private enqueue(l: LogLine): void {
    this.buffer.push(l);
    this.pendingBytes += l.line.length;
    if (this.draining) return; // the running drain picks it up
    if (this.buffer.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** The last lines a service printed during a deployment (at most 50). */
  tail(serviceId: string, deploymentId: string | null, n = 50): string[] {
    return (this.tails.get(deploymentId ? `${serviceId}:${deploymentId}` : serviceId) ?? []).slice(-n);
  }

  forget(serviceId: string, deploymentId: string): void {
    this.tails.delete(`${serviceId}:${deploymentId}`);
  }

  /** Lines waiting for the database right now. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Resolves once every line written so far is stored (or counted as dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BATCH);
      for (const l of batch) this.pendingBytes -= l.line.length;
      await this.store(batch);
      // PGlite runs queries synchronously and resolves them in microtasks: without this, a backlog would
      // be drained without ever letting HTTP requests, live tails or the instances' pipes be served.
      if (this.buffer.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      // Room again: say in each affected log how many lines were lost, in the place they were lost.
      if (this.dropped.size > 0 && this.buffer.length < MAX_PENDING_LINES / 2) this.noteDropped();
    }
  }

  private noteDropped(): void {
    for (const [serviceId, d] of this.dropped) {
      const line = `[slipway] ${d.count} log line(s) dropped: the service printed faster than they could be stored`;
      this.buffer.push({ serviceId, deploymentId: d.deploymentId, instanceId: d.instanceId, stream: "system", line, at: new Date() });
      this.pendingBytes += line.length;
    }
    this.dropped.clear();
  }

  /** Gives live tails in this process the batch with its ids (consecutive from `firstId`, in order). */
  private handOver(batch: LogLine[], firstId: number): void {
    const rows = batch.map((l, i) => ({ id: firstId + i, serviceId: l.serviceId, deploymentId: l.deploymentId || null, instanceId: l.instanceId, stream: l.stream, line: l.line, at: l.at }));
    storedBatches.emit({ minId: firstId, maxId: firstId + batch.length - 1, rows });
  }

  private async store(batch: LogLine[]): Promise<void> {
    // PostgreSQL text cannot hold NUL bytes.
    const lines = batch.map((l) => (l.line.includes("\u0000") ? { ...l, line: l.line.replaceAll("\u0000", "\uFFFD") } : l));
    try {
      const firstId = await storeChunks(this.db, lines);
      logCounters.linesStored += batch.length;
      this.handOver(lines, firstId);
      for (const serviceId of new Set(lines.map((l) => l.serviceId))) bus.emit("logs", { serviceId });
    } catch (err) {
      logCounters.linesDropped += batch.length;
      // Never print the failed query: its parameters are the log lines themselves.
      console.error(`[slipway] could not store ${batch.length} log lines: ${rootMessage(err)}`);
    }
  }
}
