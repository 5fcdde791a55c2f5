import Link from "next/link";
import { getServiceByName } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { Badge, PageHeader } from "@/components/ui/card";
import { ServiceForm } from "@/components/services/service-form";
import { DeleteServiceButton } from "@/components/services/delete-service-button";
import { ServiceRuntimePanel } from "@/components/deployments/service-runtime-panel";
import { DeploymentList } from "@/components/deployments/deployment-list";
import { LogViewer } from "@/components/logs/log-viewer";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function ServicePage({ params }: { params: Promise<{ org: string; project: string; env: string; service: string }> }) {
  const p = await params;
  const service = await getServiceByName(p.org, p.project, p.env, p.service);
  const envHref = `/o/${p.org}/p/${p.project}/e/${p.env}`;
  const canWrite = can(service.role, "service.write", { mode: service.environmentMode });
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${p.env}` }]} />
      <PageHeader
        title={service.name}
        subtitle={<Badge>{service.type}</Badge>}
        actions={
          <div className="flex items-start gap-2">
            <Link href={`${envHref}/s/${service.name}/metrics`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
              Metrics
            </Link>
            <Link href={`${envHref}/s/${service.name}/variables`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
              Variables
            </Link>
            {canWrite ? <DeleteServiceButton serviceId={service.id} name={service.name} afterHref={envHref} /> : null}
          </div>
        }
      />
      <ServiceRuntimePanel environmentId={service.environmentId} serviceId={service.id} deploymentsHref={`${envHref}/deployments`} canDeploy={can(service.role, "deployment.run", { mode: service.environmentMode })} />
      <section className="mb-5" aria-label="Logs">
        <h2 className="mb-2 text-sm font-semibold">Logs</h2>
        <LogViewer serviceId={service.id} serviceName={service.name} environmentId={service.environmentId} height="20rem" fullPageHref={`${envHref}/s/${service.name}/logs`} />
      </section>
      <ServiceForm mode="edit" serviceId={service.id} name={service.name} type={service.type} spec={service.spec} baseHref={envHref} canWrite={canWrite} />
      <h2 className="mb-2 mt-6 text-sm font-semibold">Deployments of {service.name}</h2>
      <DeploymentList environmentId={service.environmentId} serviceId={service.id} baseHref={`${envHref}/deployments`} />
    </>
  );
}
