import "server-only";
import type { Db } from "@/db/client";
import { logCounters } from "@/server/logs/log-counters";
import { storedBatches } from "@/server/logs/stored-batches";
import { storeChunks } from "@/server/logs/store-chunks";
import { bus } from "./event-bus";
import { retryDelay } from "./retry-delay";
import { logRetryMs } from "@/server/logs/log-config";
import { countDropped, logHealth } from "@/server/logs/log-health";
import { describeStoreFailure } from "@/server/logs/store-failure";
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

type Dropped = { serviceId: string; cause: string; count: number; deploymentId: string | null; instanceId: string | null };

/** The cause said for lines dropped because the buffer was full while the database was keeping up. */
export const TOO_FAST = "the service printed faster than they could be stored";
/** Between two attempts at a failing batch: short first (a restart takes a second or two), at most this. */
const RETRY_MAX_DELAY_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The log pipeline's write side: redact, cut, buffer, and store in batched inserts, one batch in flight
 * at a time. Memory is bounded: beyond MAX_PENDING_* new lines are dropped and counted.
 *
 * A batch the database fails to store is retried with backoff for up to SLIPWAY_LOG_RETRY_S (30 s):
 * a PostgreSQL restart loses nothing. Past that window the outage's batches get one attempt each and
 * are dropped. Every drop is counted with its true cause — the database's refusal ("disk full
 * (53100)"), its absence ("unreachable for 30 s"), or the service printing faster than the database
 * stores — in /metrics, in /api/health (server/logs/log-health.ts) and, once the database takes writes
 * again, as a system line in each affected service's log, in the place the lines were lost. After each
 * stored batch the bus carries `logs` (service id only) to live tails, in this process and others.
 */
export class LogWriter {
  private buffer: LogLine[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  /** Per service and cause: lines lost and not yet said in the service's log. */
  private dropped = new Map<string, Dropped>();
  /** The system notes in the buffer, with what they report (put back if a note itself cannot be stored). */
  private notes = new Map<LogLine, Dropped>();
  /** While batches fail: since when, and why (the last failure). */
  private failing: { cause: string; unreachable: boolean; since: number; dropping: boolean } | null = null;
  /** The newest lines per service, for failure hints ("it printed: …"). */
  private tails = new Map<string, string[]>();

  /** Per service: masks its secret values before a line is stored or kept in a tail. */
  private redactors = new Map<string, Redactor>();

  constructor(
    private readonly db: Db,
    private readonly retryMs = logRetryMs(),
  ) {}

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
      // A full buffer while the database fails is the database's fault, not the service's.
      this.drop(l, 1, this.failing?.cause ?? TOO_FAST);
      return;
    }
    this.enqueue({ serviceId: l.serviceId, deploymentId: l.deploymentId, instanceId: l.instanceId, stream: l.stream, line, at: l.at });
  }

  private drop(l: Pick<LogLine, "serviceId" | "deploymentId" | "instanceId">, count: number, cause: string): void {
    logCounters.linesDropped += count;
    countDropped(cause, count);
    const key = `${l.serviceId}\n${cause}`;
    const d = this.dropped.get(key) ?? { serviceId: l.serviceId, cause, count: 0, deploymentId: l.deploymentId, instanceId: l.instanceId };
    d.count += count;
    this.dropped.set(key, d);
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
    for (;;) {
      // Room again (or nothing else to store): say in each affected log how many lines were lost.
      if (this.dropped.size > 0 && ((!this.failing && this.buffer.length < MAX_PENDING_LINES / 2) || this.buffer.length === 0)) this.noteDropped();
      if (this.buffer.length === 0) return;
      const batch = this.buffer.splice(0, BATCH);
      for (const l of batch) this.pendingBytes -= l.line.length;
      if (!(await this.storeWithRetry(batch)) && this.buffer.length === 0) {
        // Only the notes were left and the database still fails: try them again later, not in a loop.
        this.timer ??= setTimeout(() => void this.flush(), RETRY_MAX_DELAY_MS);
        return;
      }
      // PGlite runs queries synchronously and resolves them in microtasks: without this, a backlog would
      // be drained without ever letting HTTP requests, live tails or the instances' pipes be served.
      if (this.buffer.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private noteDropped(): void {
    for (const d of this.dropped.values()) {
      const line = `[slipway] ${d.count} log line(s) dropped: ${d.cause}`;
      const note: LogLine = { serviceId: d.serviceId, deploymentId: d.deploymentId, instanceId: d.instanceId, stream: "system", line, at: new Date() };
      this.buffer.push(note);
      this.notes.set(note, d);
      this.pendingBytes += line.length;
    }
    this.dropped.clear();
  }

  /** Gives live tails in this process the batch with its ids (consecutive from `firstId`, in order). */
  private handOver(batch: LogLine[], firstId: number): void {
    const rows = batch.map((l, i) => ({ id: firstId + i, serviceId: l.serviceId, deploymentId: l.deploymentId || null, instanceId: l.instanceId, stream: l.stream, line: l.line, at: l.at }));
    storedBatches.emit({ minId: firstId, maxId: firstId + batch.length - 1, rows });
  }

  /**
   * Stores `batch`, retrying while the outage is younger than the retry window; false if it was given
   * up (dropped and counted). A batch made only of notes gets one attempt: the notes go back to wait.
   */
  private async storeWithRetry(batch: LogLine[]): Promise<boolean> {
    // PostgreSQL text cannot hold NUL bytes.
    const lines = batch.map((l) => (l.line.includes("\u0000") ? { ...l, line: l.line.replaceAll("\u0000", "\uFFFD") } : l));
    const onlyNotes = batch.every((l) => this.notes.has(l));
    for (let attempt = 0; ; attempt++) {
      try {
        const firstId = await storeChunks(this.db, lines);
        for (const l of batch) this.notes.delete(l);
        this.recovered();
        logCounters.linesStored += batch.length;
        this.handOver(lines, firstId);
        for (const serviceId of new Set(lines.map((l) => l.serviceId))) bus.emit("logs", { serviceId });
        return true;
      } catch (err) {
        const failure = this.failed(err);
        if (onlyNotes || Date.now() - failure.since >= this.retryMs) {
          this.giveUp(batch, failure);
          await sleep(retryDelay(attempt, { maxMs: RETRY_MAX_DELAY_MS }));
          return false;
        }
        await sleep(retryDelay(attempt, { maxMs: RETRY_MAX_DELAY_MS }));
      }
    }
  }

  /** Records a failed attempt; says so in the console's log once per outage (and when the cause changes). */
  private failed(err: unknown): NonNullable<LogWriter["failing"]> {
    const { cause, detail, unreachable } = describeStoreFailure(err);
    const prev = this.failing;
    this.failing = { cause, unreachable, since: prev?.since ?? Date.now(), dropping: prev?.dropping ?? false };
    logHealth.failing = { cause, since: this.failing.since };
    // Never print the failed query: its parameters are the log lines themselves.
    if (prev?.cause !== cause) console.error(`[slipway] log lines cannot be stored: ${cause}: ${detail}; retrying for up to ${this.retryMs / 1000} s, then dropping and counting them`);
    return this.failing;
  }

  private giveUp(batch: LogLine[], failure: NonNullable<LogWriter["failing"]>): void {
    const cause = failure.unreachable ? `the database was unreachable for ${Math.max(1, Math.round((Date.now() - failure.since) / 1000))} s (${failure.cause.replace(/^the database was unreachable \((.*)\)$/, "$1")})` : failure.cause;
    let n = 0;
    for (const l of batch) {
      const note = this.notes.get(l);
      if (note) {
        // A note that could not be stored waits again (its count intact); it is not a lost line of the service.
        this.notes.delete(l);
        const key = `${note.serviceId}\n${note.cause}`;
        const d = this.dropped.get(key);
        if (d) d.count += note.count;
        else this.dropped.set(key, note);
        continue;
      }
      n++;
      this.drop(l, 1, cause);
    }
    // Once per outage: the totals are in /api/health and, when it is over, in each service's log.
    if (n > 0 && !failure.dropping) console.error(`[slipway] dropping log lines until the database takes writes again: ${cause}`);
    if (n > 0) failure.dropping = true;
  }

  private recovered(): void {
    if (!this.failing) return;
    console.log(`[slipway] log lines are stored again after ${((Date.now() - this.failing.since) / 1000).toFixed(1)} s (${this.failing.cause})`);
    this.failing = null;
    logHealth.failing = null;
  }
}
