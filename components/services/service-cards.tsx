"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Badge, Card } from "@/components/ui/card";
import { RunningStatus } from "@/components/deployments/status-badge";
import { useEnvironmentStatus } from "@/components/deployments/use-environment-status";
import { RedeployButton } from "@/components/deployments/redeploy-button";
import { NeedsRedeployBadge } from "@/components/variables/needs-redeploy-badge";
import { ServiceSparkline } from "@/components/metrics/service-sparkline";
import { useLiveEnvironmentMetrics } from "@/components/metrics/use-live-environment-metrics";
import { describeSource } from "./describe-source";

export function ServiceCards({ environmentId, baseHref, canDeploy = false }: { environmentId: string; baseHref: string; canDeploy?: boolean }) {
  const trpc = useTRPC();
  const services = useQuery(trpc.service.list.queryOptions({ environmentId }));
  const status = useEnvironmentStatus(environmentId);
  useLiveEnvironmentMetrics(environmentId);
  const byId = new Map(status?.services.map((s) => [s.id, s]) ?? []);
  if (services.data?.length === 0) return <p className="text-sm text-zinc-500">No services yet.</p>;
  return (
    <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Services">
      {services.data?.map((s) => {
        const live = byId.get(s.id);
        return (
          <li key={s.id}>
            <Card className="h-full">
              <div className="flex items-center justify-between gap-2">
                <Link href={`${baseHref}/s/${s.name}`} className="font-medium hover:underline">
                  {s.name}
                </Link>
                <Badge>{s.type}</Badge>
              </div>
              <div className="mt-1 truncate text-xs text-zinc-500">{describeSource(s.spec.source)}</div>
              <div className="mt-3 flex flex-wrap items-center gap-2 text-xs">
                <RunningStatus status={live?.status ?? "NOT_DEPLOYED"} />
                {live && live.instances.length ? <span className="text-zinc-500">· {live.instances.length} instance(s)</span> : null}
                {s.spec.port ? <span className="text-zinc-500">· port {s.spec.port}</span> : null}
              </div>
              {live?.needsRedeploy ? (
                <div className="mt-2 flex items-center gap-2">
                  <NeedsRedeployBadge />
                  {canDeploy ? <RedeployButton environmentId={environmentId} serviceId={s.id} serviceName={s.name} deploymentsHref={`${baseHref}/deployments`} /> : null}
                </div>
              ) : null}
              {live?.url && live.status !== "NOT_DEPLOYED" ? (
                <a href={live.url} target="_blank" rel="noreferrer" className="mt-2 block truncate text-xs text-sky-600 hover:underline">
                  {live.url}
                </a>
              ) : null}
              {live?.message ? <p className="mt-1 truncate text-xs text-zinc-500">{live.message}</p> : null}
              {live && live.status !== "NOT_DEPLOYED" ? <ServiceSparkline environmentId={environmentId} serviceId={s.id} /> : null}
            </Card>
          </li>
        );
      })}
    </ul>
  );
}
