"use client";
import { useCallback, useLayoutEffect, useRef, useState, type ReactNode } from "react";

const OVERSCAN = 10;

/**
 * A fixed-row-height virtual list: only the rows in view (plus a few) are in the DOM, so 100k lines
 * cost what 60 do. Follow keeps the newest row in view; scrolling up pauses it, scrolling back to
 * the bottom resumes it.
 */
export function VirtualLogList({
  count,
  version,
  rowHeight,
  follow,
  onFollowChange,
  renderRow,
  height,
  label,
  shift,
}: {
  count: number;
  /** Changes whenever the items change (they are mutated in place). */
  version: number;
  rowHeight: number;
  follow: boolean;
  onFollowChange: (follow: boolean) => void;
  renderRow: (index: number) => ReactNode;
  height: string;
  label: string;
  /** Rows just added above the first one (a new object each time). */
  shift: { rows: number };
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 0 });
  // Our own scrolls (follow) must not read as the user scrolling away.
  const programmatic = useRef(false);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !follow) return;
    const bottom = el.scrollHeight - el.clientHeight;
    if (Math.abs(el.scrollTop - bottom) > 1) {
      programmatic.current = true;
      el.scrollTop = bottom;
    }
    setView((v) => (v.top === el.scrollTop ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, [count, version, follow]);

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    setView({ top: el.scrollTop, height: el.clientHeight });
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
    if (atBottom !== follow) onFollowChange(atBottom);
  }, [follow, onFollowChange, rowHeight]);

  // Keep the lines in view in place when older lines are added above them.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || shift.rows === 0 || follow) return;
    programmatic.current = true;
    el.scrollTop += shift.rows * rowHeight;
  }, [shift, rowHeight, follow]);

  const first = Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} role="listitem" className="absolute left-0 right-0" style={{ top: i * rowHeight, height: rowHeight }}>
        {renderRow(i)}
      </div>,
    );
  }
  return (
    <div ref={ref} onScroll={onScroll} className="relative overflow-y-auto overflow-x-hidden bg-zinc-950 font-mono text-xs text-zinc-100" style={{ height }} data-testid="log-scroller">
      <div role="list" aria-label={label} className="relative" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
