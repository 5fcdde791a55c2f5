"use client";
import { useRouter } from "next/navigation";
import { restartServiceAction, startServiceAction, stopServiceAction } from "@/server/actions/deploy-actions";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { NeedsRedeployBadge } from "@/components/variables/needs-redeploy-badge";
import { DeployButton } from "./deploy-button";
import { RunningStatus } from "./status-badge";
import { useAction } from "./use-action";
import { useEnvironmentStatus } from "./use-environment-status";

export function ServiceRuntimePanel({ environmentId, serviceId, deploymentsHref, canDeploy }: { environmentId: string; serviceId: string; deploymentsHref: string; canDeploy: boolean }) {
  const router = useRouter();
  const status = useEnvironmentStatus(environmentId);
  const live = status?.services.find((s) => s.id === serviceId);
  const { pending, error, run } = useAction();
  const openDeployment = (d: { id: string }) => router.push(`${deploymentsHref}/${d.id}`);
  const allowed = new Set(live?.actions ?? []);
  return (
    <Card className="mb-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex flex-col gap-1 text-sm">
          <div className="flex items-center gap-3">
            <RunningStatus status={live?.status ?? "NOT_DEPLOYED"} />
            {live?.instances.length ? <span className="text-zinc-500">{live.instances.length} instance(s)</span> : null}
            {live?.revision ? <span className="font-mono text-xs text-zinc-500">{live.revision}</span> : null}
            {live?.needsRedeploy ? <NeedsRedeployBadge /> : null}
          </div>
          {live?.url && live.status !== "NOT_DEPLOYED" ? (
            <a href={live.url} target="_blank" rel="noreferrer" className="text-sky-600 hover:underline" data-testid="service-url">
              {live.url}
            </a>
          ) : null}
          {live?.message ? <span className="text-xs text-zinc-500">{live.message}</span> : null}
        </div>
        {canDeploy ? (
          <div className="flex flex-wrap items-start gap-2">
            {allowed.has("restart") ? (
              <Button variant="secondary" disabled={pending} onClick={() => run(() => restartServiceAction(serviceId), openDeployment)}>
                Restart
              </Button>
            ) : null}
            {allowed.has("stop") ? (
              <Button variant="secondary" disabled={pending} onClick={() => run(() => stopServiceAction(serviceId))}>
                Stop
              </Button>
            ) : null}
            {allowed.has("start") ? (
              <Button variant="secondary" disabled={pending} onClick={() => run(() => startServiceAction(serviceId), openDeployment)}>
                Start
              </Button>
            ) : null}
            <DeployButton environmentId={environmentId} serviceId={serviceId} deploymentsHref={deploymentsHref} label={live && live.status !== "NOT_DEPLOYED" ? "Redeploy" : "Deploy"} />
          </div>
        ) : null}
      </div>
      {error ? (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
    </Card>
  );
}
