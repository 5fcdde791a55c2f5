import { isSkip, LogBuffer, type ViewItem } from "./log-buffer";

/** What the view renders: the buffer's items (mutated in place; `version` marks each change) and its counters. */
export type FeedView = { items: ViewItem[]; droppedOldest: number; cap: number; version: number };

/**
 * Holds one view's lines outside React state: lines arriving from the stream are collected and
 * applied once per animation frame (a render per frame, however fast they come), and the newest id
 * is remembered in sessionStorage so a reload resumes after it. React reads it through
 * useSyncExternalStore.
 */
export class FeedStore {
  readonly buffer = new LogBuffer();
  private pending: ViewItem[] = [];
  private frame: number | null = null;
  private listeners = new Set<() => void>();
  private view: FeedView = { items: this.buffer.items, droppedOldest: 0, cap: this.buffer.cap, version: 0 };

  constructor(
    private readonly resumeKey: string | null,
    private readonly onInstances: (ids: string[]) => void,
  ) {}

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  getView = (): FeedView => this.view;

  /** A live line (or skipped notice): applied at the next frame. */
  push(item: ViewItem): void {
    this.pending.push(item);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  /** Older lines (a history page): applied now; returns how many were added above the first line. */
  prepend(items: ViewItem[]): number {
    const n = this.buffer.prepend(items);
    this.noteInstances(items);
    this.publish();
    return n;
  }

  /** Newer lines from history (a range read forwards): applied now. */
  append(items: ViewItem[]): void {
    this.buffer.append(items);
    this.noteInstances(items);
    this.publish();
  }

  dispose(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
    this.listeners.clear();
  }

  private flush(): void {
    this.frame = null;
    const batch = this.pending;
    this.pending = [];
    this.buffer.append(batch);
    this.noteInstances(batch);
    const last = this.buffer.lastId;
    if (this.resumeKey && last !== null) {
      try {
        sessionStorage.setItem(this.resumeKey, String(last));
      } catch {
        // storage full or disabled: resuming after a reload is lost, the view is not
      }
    }
    this.publish();
  }

  private noteInstances(items: ViewItem[]): void {
    const ids = new Set<string>();
    for (const it of items) if (!isSkip(it) && it.instanceId) ids.add(it.instanceId);
    if (ids.size) this.onInstances([...ids]);
  }

  private publish(): void {
    const b = this.buffer;
    this.view = { items: b.items, droppedOldest: b.droppedOldest, cap: b.cap, version: this.view.version + 1 };
    for (const fn of this.listeners) fn();
  }
}
