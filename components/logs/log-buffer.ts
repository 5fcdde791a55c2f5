/**
 * The viewer's lines: ordered by id, without duplicates, and bounded. Appending past the cap drops
 * the oldest lines (counted, so the viewer can say so); prepending older pages past the cap drops
 * the newest. Mutable on purpose: 100k lines are not copied on every arriving line — the viewer
 * re-renders from a version counter.
 */
export type ViewLine = { id: number; deploymentId: string | null; instanceId: string | null; stream: string; line: string; at: Date };
export type ViewItem = ViewLine | { id: number; skipped: number };

export const isSkip = (item: ViewItem): item is { id: number; skipped: number } => "skipped" in item;

export class LogBuffer {
  items: ViewItem[] = [];
  /** Lines dropped from the top (oldest) to stay under the cap. */
  droppedOldest = 0;

  constructor(readonly cap = 100_000) {}

  get firstId(): number | null {
    return this.items.length ? this.items[0].id : null;
  }

  get lastId(): number | null {
    return this.items.length ? this.items[this.items.length - 1].id : null;
  }

  /** Adds newer items (ids above the newest held; anything else is a duplicate and ignored). */
  append(batch: ViewItem[]): void {
    for (const item of batch) {
      const last = this.lastId;
      if (last !== null && item.id <= last) continue;
      this.items.push(item);
    }
    // Trim in steps of 10% so a busy stream does not shift 100k entries for every line.
    if (this.items.length > this.cap * 1.1) {
      const drop = this.items.length - this.cap;
      this.items.splice(0, drop);
      this.droppedOldest += drop;
    }
  }

  /** Adds an older page (ids below the oldest held), returning how many were added. */
  prepend(batch: ViewItem[]): number {
    const first = this.firstId;
    const older = first === null ? batch : batch.filter((i) => i.id < first);
    this.items.unshift(...older);
    if (this.items.length > this.cap) this.items.length = this.cap;
    return older.length;
  }

  clear(): void {
    this.items = [];
    this.droppedOldest = 0;
  }
}
