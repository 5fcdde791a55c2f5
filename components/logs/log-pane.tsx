"use client";
import { useState } from "react";
import type { ApiError } from "@/components/ui/trpc-errors";
import { isSkip } from "./log-buffer";
import { AnsiText, LogRow } from "./log-row";
import { VirtualLogList } from "./virtual-log-list";
import { useLogFeed, type LogFilters, type LogRange } from "./use-log-feed";

const ROW = 20;

/**
 * The lines of one filter set and range: status line, virtual list, and the selected line in full.
 * Remounted (by key) whenever filters or range change, which resets its buffer and subscription.
 */
export function LogPane({
  serviceId,
  filters,
  range,
  follow,
  onFollowChange,
  showTime,
  height,
  onInstances,
  onError,
}: {
  serviceId: string;
  filters: LogFilters;
  range: LogRange | null;
  follow: boolean;
  onFollowChange: (f: boolean) => void;
  showTime: boolean;
  height: string;
  onInstances: (ids: string[]) => void;
  onError: (err: ApiError) => void;
}) {
  const feed = useLogFeed({ serviceId, filters, range, onInstances, onError });
  const [selected, setSelected] = useState<number | null>(null);
  const { items } = feed.view;
  const selectedLine = selected === null ? null : items.find((i) => i.id === selected);
  return (
    <>
      {/* data-lines: the buffer's size, read by bench/log-viewer.mjs (no UI text parsing). */}
      <div className="flex flex-wrap items-center gap-2 text-xs text-zinc-500" data-testid="log-status" data-lines={items.length}>
        <span data-testid="log-mode">
          {range
            ? `Stored lines${range.from ? ` from ${range.from.toLocaleString()}` : ""}${range.until ? ` up to ${range.until.toLocaleString()}` : ""}${filters.deploymentId ? ` of deployment ${filters.deploymentId.slice(0, 8)}` : ""}`
            : `Live · ${feed.status === "pending" ? "streaming" : feed.status}`}
        </span>
        <span>· {items.length.toLocaleString()} line(s) shown</span>
        {feed.view.droppedOldest > 0 ? <span>· {feed.view.droppedOldest.toLocaleString()} older line(s) dropped from view (it keeps the newest {feed.view.cap.toLocaleString()})</span> : null}
        {feed.moreOlder ? (
          <button className="text-sky-600 hover:underline disabled:opacity-50" disabled={feed.loading} onClick={() => void feed.loadOlder()}>
            Load older
          </button>
        ) : null}
        {feed.moreNewer ? (
          <button className="text-sky-600 hover:underline disabled:opacity-50" disabled={feed.loading} onClick={() => void feed.loadNewer()}>
            Load newer
          </button>
        ) : null}
        {feed.loading ? <span>· loading…</span> : null}
      </div>
      <VirtualLogList
        count={items.length}
        version={feed.view.version}
        rowHeight={ROW}
        follow={follow}
        onFollowChange={onFollowChange}
        height={height}
        label="Log lines"
        shift={feed.shift}
        renderRow={(i) => <LogRow item={items[i]} showTime={showTime} selected={items[i].id === selected} onSelect={setSelected} />}
      />
      {selectedLine && !isSkip(selectedLine) ? (
        <div className="rounded-md border border-zinc-200 p-2 text-xs dark:border-zinc-800" data-testid="log-detail">
          <div className="mb-1 flex justify-between text-zinc-500">
            <span>
              #{selectedLine.id} · {selectedLine.at.toISOString()} · {selectedLine.instanceId ?? "—"} · {selectedLine.stream}
            </span>
            <button className="hover:underline" onClick={() => setSelected(null)}>
              Close
            </button>
          </div>
          <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all font-mono">
            <AnsiText line={selectedLine.line} />
          </pre>
        </div>
      ) : null}
    </>
  );
}
