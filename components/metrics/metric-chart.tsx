"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Card } from "@/components/ui/card";

export type ChartLine = { key: string; name: string; color: string };
export type Marker = { id: string; at: number; status: string; kind: string };

const MARKER_COLOR: Record<string, string> = { DEPLOYED: "#10b981", BUILD_ERROR: "#ef4444", DEPLOYMENT_ERROR: "#ef4444", CANCELED: "#f59e0b" };

/** Evenly spaced axis ticks across the whole range, whatever part of it has data. */
const ticksBetween = (from: number, to: number) => Array.from({ length: 6 }, (_, i) => Math.round(from + ((to - from) * i) / 5));

/**
 * One metric over time, with deployment markers as vertical lines. The summary line under the title
 * ("requests/s: 12.3") is the latest value in words: what screen readers (and the e2e test) read.
 */
export function MetricChart<T extends { t: number }>({
  id,
  title,
  summary,
  data,
  lines,
  from,
  to,
  markers,
  formatTime,
  formatValue,
}: {
  id: string;
  title: string;
  summary: string;
  data: T[];
  lines: ChartLine[];
  from: number;
  to: number;
  markers: Marker[];
  formatTime: (t: number) => string;
  formatValue?: (v: number) => string;
}) {
  return (
    <Card>
      <section aria-labelledby={`${id}-title`}>
        <div className="mb-2 flex items-baseline justify-between gap-2">
          <h3 id={`${id}-title`} className="text-sm font-semibold">
            {title}
          </h3>
          <p data-testid={`summary-${id}`} aria-live="polite" className="font-mono text-xs text-zinc-600 dark:text-zinc-400">
            {summary}
          </p>
        </div>
        <div className="h-44" role="img" aria-label={`${title} chart: ${summary}`}>
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e4e4e7" />
              <XAxis dataKey="t" type="number" scale="time" domain={[from, to]} ticks={ticksBetween(from, to)} tickFormatter={formatTime} tick={{ fontSize: 10 }} minTickGap={40} />
              <YAxis tick={{ fontSize: 10 }} width={52} tickFormatter={formatValue} />
              <Tooltip labelFormatter={(t) => formatTime(Number(t))} formatter={(v) => (formatValue ? formatValue(Number(v)) : String(v))} />
              {lines.length > 1 ? <Legend wrapperStyle={{ fontSize: 11 }} /> : null}
              {markers.map((m) => (
                <ReferenceLine key={m.id} x={m.at} stroke={MARKER_COLOR[m.status] ?? "#71717a"} strokeDasharray="4 2" />
              ))}
              {lines.map((l) => (
                <Line key={l.key} type="monotone" dataKey={l.key} name={l.name} stroke={l.color} dot={false} isAnimationActive={false} strokeWidth={1.5} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </section>
    </Card>
  );
}
