import "server-only";
import { EventEmitter } from "node:events";
import type { LogRow } from "./log-schemas";

/** A batch this process just committed: every id from `minId` to `maxId`, with the rows (service and line). */
export type StoredBatch = { minId: number; maxId: number; rows: (LogRow & { serviceId: string })[] };

/**
 * In-process hand-off from the LogWriter to live tails: the lines of each committed batch with their
 * ids, so a tail that is caught up can yield them without reading them back from the database. Only a
 * shortcut: a tail that missed anything (a batch from another console, a gap) reads the database.
 */
class StoredBatches {
  private emitter = new EventEmitter().setMaxListeners(0);
  emit(batch: StoredBatch): void {
    this.emitter.emit("batch", batch);
  }
  on(fn: (batch: StoredBatch) => void): () => void {
    this.emitter.on("batch", fn);
    return () => this.emitter.off("batch", fn);
  }
}

const g = globalThis as typeof globalThis & { __slipwayStoredBatches?: StoredBatches };
export const storedBatches: StoredBatches = (g.__slipwayStoredBatches ??= new StoredBatches());
