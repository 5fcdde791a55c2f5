"use client";
import { useQuery } from "@tanstack/react-query";
import { Line, LineChart, ResponsiveContainer, XAxis } from "recharts";
import { useTRPC } from "@/components/trpc/trpc";
import { formatNumber } from "./format";

/** The last hour of a service's requests/s as a tiny line, from the environment overview (one query for all cards). */
export function ServiceSparkline({ environmentId, serviceId }: { environmentId: string; serviceId: string }) {
  const trpc = useTRPC();
  const overview = useQuery(trpc.metrics.environment.queryOptions({ environmentId }));
  const s = overview.data?.services.find((x) => x.id === serviceId);
  if (!s) return null;
  const last = s.points.at(-1);
  const label = `last hour: requests/s ${formatNumber(last?.rps ?? 0)}, CPU ${formatNumber(last?.cpu ?? 0)} %`;
  return (
    <div className="mt-2 flex items-center gap-2" data-testid="service-sparkline">
      <div className="h-8 w-28" role="img" aria-label={label}>
        {s.points.length > 1 ? (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={s.points}>
              <XAxis dataKey="t" type="number" domain={[overview.data?.from ?? "dataMin", overview.data?.to ?? "dataMax"]} hide />
              <Line type="monotone" dataKey="rps" stroke="#0284c7" dot={false} isAnimationActive={false} strokeWidth={1.25} />
              <Line type="monotone" dataKey="cpu" stroke="#8b5cf6" dot={false} isAnimationActive={false} strokeWidth={1} />
            </LineChart>
          </ResponsiveContainer>
        ) : null}
      </div>
      <span className="text-xs text-zinc-500">{formatNumber(last?.rps ?? 0)} req/s</span>
    </div>
  );
}
