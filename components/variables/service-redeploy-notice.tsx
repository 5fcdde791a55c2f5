"use client";
import { useEnvironmentStatus } from "@/components/deployments/use-environment-status";
import { RedeployButton } from "@/components/deployments/redeploy-button";
import { NeedsRedeployBadge } from "./needs-redeploy-badge";

type Props = { environmentId: string; serviceId: string; serviceName: string; deploymentsHref: string; canDeploy: boolean };

/** Live: appears when the running deployment no longer matches the service's variables. */
export function ServiceRedeployNotice({ environmentId, serviceId, serviceName, deploymentsHref, canDeploy }: Props) {
  const status = useEnvironmentStatus(environmentId);
  const live = status?.services.find((s) => s.id === serviceId);
  if (!live?.needsRedeploy) return null;
  return (
    <div role="status" className="mb-4 flex flex-wrap items-center gap-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm dark:border-amber-900 dark:bg-amber-950/40">
      <NeedsRedeployBadge />
      <span className="text-amber-900 dark:text-amber-200">{serviceName} runs with older variables than these.</span>
      {canDeploy ? <RedeployButton environmentId={environmentId} serviceId={serviceId} serviceName={serviceName} deploymentsHref={deploymentsHref} /> : null}
    </div>
  );
}
