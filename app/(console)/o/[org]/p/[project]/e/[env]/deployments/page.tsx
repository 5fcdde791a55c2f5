import { getEnvironmentByName } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { DeploymentList } from "@/components/deployments/deployment-list";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function DeploymentsPage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  const envHref = `/o/${p.org}/p/${p.project}/e/${env.name}`;
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${env.name}` }]} />
      <PageHeader title="Deployments" />
      <DeploymentList environmentId={env.id} baseHref={`${envHref}/deployments`} />
    </>
  );
}
