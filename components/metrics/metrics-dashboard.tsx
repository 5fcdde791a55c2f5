"use client";
import { useMemo, useState } from "react";
import Link from "next/link";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Alert } from "@/components/ui/card";
import { DeploymentStatusBadge } from "@/components/deployments/status-badge";
import { fieldError, formError } from "@/components/ui/trpc-errors";
import { MetricChart } from "./metric-chart";
import { RangePicker } from "./range-picker";
import { PRESET_RANGES, type RangeChoice } from "./ranges";
import { formatBytes, formatNumber, timeFormatter } from "./format";
import { InstanceTable } from "./instance-table";

/** Read in event handlers only: a new sample or a new range moves the window's end to now. */
const clockNow = () => Date.now();

/**
 * A service's charts for one range. Recent ranges follow the sampler live: each sample pushed over
 * SSE (metrics.watch) moves the range's end to now, which re-reads the series.
 */
export function MetricsDashboard({ serviceId, deploymentsHref }: { serviceId: string; deploymentsHref: string }) {
  const trpc = useTRPC();
  const [choice, setChoice] = useState<RangeChoice>({ kind: "preset", key: "1h" });
  const [now, setNow] = useState(() => Date.now());
  const preset = choice.kind === "preset" ? PRESET_RANGES.find((r) => r.key === choice.key) : undefined;
  const from = preset ? now - preset.spanMs : new Date(choice.kind === "custom" ? choice.from : 0).getTime();
  const to = preset ? now : new Date(choice.kind === "custom" ? choice.to : 0).getTime();
  const live = Boolean(preset?.live);

  const series = useQuery({ ...trpc.metrics.service.queryOptions({ serviceId, from: new Date(from), to: new Date(to) }), placeholderData: keepPreviousData, retry: false });
  // Always on: the per-instance table shows the newest sample whatever the range; only live ranges re-read the series.
  const latest = useSubscription(trpc.metrics.watch.subscriptionOptions({ serviceId }, { onData: () => (live ? setNow(clockNow()) : undefined) }));

  const data = series.data;
  const points = useMemo(() => (data?.points ?? []).map((p) => ({ ...p, rssMb: p.rss / 1024 ** 2 })), [data]);
  const last = points.at(-1);
  const fmtTime = useMemo(() => timeFormatter(to - from), [to, from]);
  const markers = data?.markers ?? [];
  const common = { data: points, from: data?.from ?? from, to: data?.to ?? to, markers, formatTime: fmtTime };

  return (
    <div>
      <RangePicker
        value={choice}
        onChange={(c) => {
          setNow(clockNow());
          setChoice(c);
        }}
        errors={{ from: fieldError(series.error, "from"), to: fieldError(series.error, "to") }}
      />
      {formError(series.error) ? <Alert>{formError(series.error)}</Alert> : null}
      <p className="mb-3 text-xs text-zinc-500" data-testid="metrics-range">
        {live ? "Live · " : ""}
        {data ? `${data.points.length} points, one per ${formatNumber(data.stepMs / 1000, 0)} s` : "Loading…"}
      </p>
      {data && data.points.length === 0 ? <p className="mb-3 text-sm text-zinc-500">No samples in this range yet.</p> : null}
      <div className="grid gap-3 lg:grid-cols-2">
        <MetricChart id="requests" title="Requests" summary={`requests/s: ${formatNumber(last?.rps ?? 0)}`} lines={[{ key: "rps", name: "requests/s", color: "#0284c7" }]} {...common} />
        <MetricChart
          id="latency"
          title="Latency"
          summary={`p50: ${formatNumber(last?.p50 ?? 0, 2)} ms · p95: ${formatNumber(last?.p95 ?? 0, 2)} ms · p99: ${formatNumber(last?.p99 ?? 0, 2)} ms`}
          lines={[
            { key: "p50", name: "p50 ms", color: "#10b981" },
            { key: "p95", name: "p95 ms", color: "#f59e0b" },
            { key: "p99", name: "p99 ms", color: "#ef4444" },
          ]}
          {...common}
        />
        <MetricChart
          id="errors"
          title="Errors"
          summary={`4xx/s: ${formatNumber(last?.rate4xx ?? 0, 2)} · 5xx/s: ${formatNumber(last?.rate5xx ?? 0, 2)}`}
          lines={[
            { key: "rate4xx", name: "4xx/s", color: "#f59e0b" },
            { key: "rate5xx", name: "5xx/s", color: "#ef4444" },
          ]}
          {...common}
        />
        <MetricChart id="cpu" title="CPU" summary={`CPU %: ${formatNumber(last?.cpu ?? 0)}`} lines={[{ key: "cpu", name: "CPU % (all instances)", color: "#8b5cf6" }, { key: "cpuMax", name: "busiest instance", color: "#c4b5fd" }]} {...common} />
        <MetricChart id="memory" title="Memory (RSS)" summary={`memory: ${formatBytes(last?.rss ?? 0)}`} lines={[{ key: "rssMb", name: "MB (all instances)", color: "#0d9488" }]} formatValue={(v) => formatNumber(v, 0)} {...common} />
        <MetricChart
          id="instances"
          title="Instances"
          summary={`instances: ${formatNumber(last?.instances ?? 0, 0)} · restarts: ${points.reduce((a, p) => a + p.restarts, 0)}`}
          lines={[
            { key: "instances", name: "instances", color: "#2563eb" },
            { key: "restarts", name: "restarts", color: "#dc2626" },
          ]}
          {...common}
        />
      </div>
      <InstanceTable sample={latest.data?.data} />
      <h3 className="mb-2 mt-5 text-sm font-semibold">Deployments in this range</h3>
      {markers.length === 0 ? (
        <p className="text-sm text-zinc-500">None.</p>
      ) : (
        <ul aria-label="Deployment markers" className="space-y-1 text-sm">
          {markers.map((m) => (
            <li key={m.id} className="flex items-center gap-2">
              <DeploymentStatusBadge status={m.status} testId="marker-status" />
              <span className="text-zinc-500">{m.kind}</span>
              <Link href={`${deploymentsHref}/${m.id}`} className="text-sky-600 hover:underline">
                {new Date(m.at).toLocaleString()}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
