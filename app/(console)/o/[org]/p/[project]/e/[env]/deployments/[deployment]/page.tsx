import { notFound } from "next/navigation";
import { getEnvironmentByName } from "@/server/api/server-queries";
import { uuidSchema } from "@/server/validation/names";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { DeploymentView } from "@/components/deployments/deployment-view";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function DeploymentPage({ params }: { params: Promise<{ org: string; project: string; env: string; deployment: string }> }) {
  const p = await params;
  if (!uuidSchema.safeParse(p.deployment).success) notFound();
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  const envHref = `/o/${p.org}/p/${p.project}/e/${env.name}`;
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${env.name}` }, { href: `${envHref}/deployments`, label: "deployments" }]} />
      <PageHeader title={`Deployment ${p.deployment.slice(0, 8)}`} />
      <DeploymentView deploymentId={p.deployment} deploymentsHref={`${envHref}/deployments`} canDeploy={can(env.role, "deployment.run", { mode: env.mode })} />
    </>
  );
}
