import Link from "next/link";
import { getEnvironmentByName, getOrgBySlug } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { Badge, PageHeader } from "@/components/ui/card";
import { ServiceCards } from "@/components/services/service-cards";
import { DeployButton } from "@/components/deployments/deploy-button";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function EnvironmentPage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const [org, env] = await Promise.all([getOrgBySlug(p.org), getEnvironmentByName(p.org, p.project, p.env)]);
  const base = `/o/${org.slug}/p/${p.project}/e/${env.name}`;
  const canWrite = can(env.role, "service.write", { mode: env.mode });
  const canDeploy = can(env.role, "deployment.run", { mode: env.mode });
  return (
    <>
      <Breadcrumbs items={[{ href: `/o/${org.slug}`, label: "Projects" }, { href: `/o/${org.slug}/p/${p.project}`, label: p.project }]} />
      <PageHeader
        title={env.name}
        subtitle={<Badge>{env.mode}</Badge>}
        actions={
          <div className="flex items-start gap-2">
            <Link href={`${base}/deployments`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
              Deployments
            </Link>
            <Link href={`${base}/variables`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
              Variables
            </Link>
            {canWrite ? (
              <Link href={`${base}/services/new`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
                New service
              </Link>
            ) : null}
            {canDeploy ? <DeployButton environmentId={env.id} deploymentsHref={`${base}/deployments`} label="Deploy environment" /> : null}
          </div>
        }
      />
      <ServiceCards environmentId={env.id} baseHref={base} canDeploy={canDeploy} />
    </>
  );
}
