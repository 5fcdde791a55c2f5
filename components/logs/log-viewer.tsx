"use client";
import { useCallback, useState, useSyncExternalStore } from "react";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import { fieldError, type ApiError } from "@/components/ui/trpc-errors";
import { LogFilterBar } from "./log-filter-bar";
import { LogPane } from "./log-pane";
import { resumeKey, type LogFilters, type LogRange } from "./use-log-feed";

/** `YYYY-MM-DDTHH:mm:ss` in local time, as datetime-local inputs want it. */
const localInput = (d: Date | undefined) => (d ? new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19) : "");
const parseLocal = (s: string) => (s ? new Date(s) : undefined);

function downloadHref(serviceId: string, f: LogFilters, range: LogRange | null): string {
  const q = new URLSearchParams();
  if (f.deploymentId) q.set("deploymentId", f.deploymentId);
  if (f.instanceId) q.set("instanceId", f.instanceId);
  if (f.stream) q.set("stream", f.stream);
  if (f.text) q.set("text", f.text);
  if (f.regex) q.set("regex", "true");
  if (range?.from) q.set("from", range.from.toISOString());
  if (range?.until) q.set("to", range.until.toISOString());
  const s = q.toString();
  return `/api/logs/${serviceId}/download${s ? `?${s}` : ""}`;
}

/** Mirrors the view in the address bar, so a reload or a shared link shows the same lines. */
function syncUrl(f: LogFilters, range: LogRange | null) {
  const q = new URLSearchParams();
  if (f.deploymentId) q.set("deployment", f.deploymentId);
  if (f.instanceId) q.set("instance", f.instanceId);
  if (f.stream) q.set("stream", f.stream);
  if (f.text) q.set("q", f.text);
  if (f.regex) q.set("regex", "1");
  if (range?.from) q.set("from", range.from.toISOString());
  if (range?.until) q.set("until", range.until.toISOString());
  const s = q.toString();
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${s ? `?${s}` : ""}`);
}

const describe = (err: ApiError) => (err?.data?.fieldErrors ? Object.entries(err.data.fieldErrors).map(([k, v]) => `${k}: ${v.join("; ")}`).join(" · ") : (err?.message ?? null));

const noSubscribe = () => () => {};

/**
 * The log viewer: live tail or a stored window (a time range, or the lines leading up to a deployment
 * step), filters, follow/pause, timestamps, a colour per instance, ANSI colours, older pages on
 * demand, download, and a bounded buffer. The lines themselves live in LogPane, remounted per view.
 */
export function LogViewer({
  serviceId,
  serviceName,
  environmentId,
  height = "28rem",
  initialFilters,
  initialRange,
  fullPageHref,
  urlSync = false,
}: {
  serviceId: string;
  serviceName: string;
  environmentId: string;
  height?: string;
  initialFilters?: Partial<LogFilters>;
  initialRange?: LogRange | null;
  fullPageHref?: string;
  urlSync?: boolean;
}) {
  const trpc = useTRPC();
  // The pane reads sessionStorage when it starts: render it on the client only.
  const mounted = useSyncExternalStore(
    noSubscribe,
    () => true,
    () => false,
  );
  const [filters, setFiltersState] = useState<LogFilters>({ regex: false, ...initialFilters });
  const [range, setRangeState] = useState<LogRange | null>(initialRange ?? null);
  const [follow, setFollow] = useState(!initialRange?.from);
  const [showTime, setShowTime] = useState(true);
  const [draft, setDraft] = useState({ from: localInput(initialRange?.from), to: localInput(initialRange?.until) });
  const [instances, setInstances] = useState<string[]>([]);
  const [error, setError] = useState<ApiError>(null);
  const deployments = useQuery(trpc.deployment.list.queryOptions({ environmentId, limit: 30 }));

  const setFilters = useCallback(
    (f: LogFilters) => {
      setFiltersState(f);
      setError(null);
      if (urlSync) syncUrl(f, range);
    },
    [range, urlSync],
  );
  const setRange = (r: LogRange | null) => {
    setRangeState(r);
    setFollow(!r?.from);
    setError(null);
    if (urlSync) syncUrl(filters, r);
  };
  const onInstances = useCallback((ids: string[]) => setInstances((cur) => (ids.every((i) => cur.includes(i)) ? cur : [...new Set([...cur, ...ids])].sort())), []);

  const choices = (deployments.data ?? []).filter((d) => d.services.includes(serviceName)).map((d) => ({ id: d.id, label: `${d.id.slice(0, 8)} · ${d.kind} · ${d.status}` }));
  const textError = fieldError(error, "text")?.join("; ") ?? null;
  const otherError = error && !textError ? describe(error) : null;
  const paneKey = `${resumeKey(serviceId, filters)}|${range?.from?.toISOString() ?? ""}|${range?.until?.toISOString() ?? ""}`;

  return (
    <div className="flex flex-col gap-2" data-testid="log-viewer">
      <LogFilterBar filters={filters} onChange={setFilters} deployments={choices} instances={instances} serverTextError={textError} />
      <div className="flex flex-wrap items-end gap-2 text-sm">
        <label className="flex flex-col gap-0.5">
          <span className="text-xs text-zinc-500">From</span>
          <input type="datetime-local" step={1} aria-label="From" className="rounded-md border border-zinc-300 px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-xs text-zinc-500">To</span>
          <input type="datetime-local" step={1} aria-label="To" className="rounded-md border border-zinc-300 px-2 py-1 dark:border-zinc-700 dark:bg-zinc-900" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <Button variant="secondary" disabled={!draft.from && !draft.to} onClick={() => setRange({ from: parseLocal(draft.from), until: parseLocal(draft.to) })}>
          Search range
        </Button>
        {range ? (
          <Button
            variant="secondary"
            onClick={() => {
              setDraft({ from: "", to: "" });
              setRange(null);
            }}
          >
            Back to live
          </Button>
        ) : null}
        <span className="ml-auto flex items-center gap-3">
          <label className="flex items-center gap-1 text-xs">
            <input type="checkbox" checked={showTime} onChange={(e) => setShowTime(e.target.checked)} />
            Timestamps
          </label>
          <Button variant="secondary" onClick={() => setFollow(!follow)} aria-pressed={follow}>
            {follow ? "Pause" : "Follow"}
          </Button>
          <a className="text-sky-600 hover:underline" href={downloadHref(serviceId, filters, range)} download>
            Download
          </a>
          {fullPageHref ? (
            <Link className="text-sky-600 hover:underline" href={fullPageHref}>
              Open full view
            </Link>
          ) : null}
        </span>
      </div>
      {otherError ? (
        <p role="alert" className="text-sm text-red-600" data-testid="log-error">
          {otherError}
        </p>
      ) : null}
      {mounted ? (
        <LogPane
          key={paneKey}
          serviceId={serviceId}
          filters={filters}
          range={range}
          follow={follow}
          onFollowChange={setFollow}
          showTime={showTime}
          height={height}
          onInstances={onInstances}
          onError={setError}
        />
      ) : (
        <div className="bg-zinc-950" style={{ height }} />
      )}
    </div>
  );
}
