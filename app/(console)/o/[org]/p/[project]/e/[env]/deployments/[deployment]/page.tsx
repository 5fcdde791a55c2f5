import Link from "next/link";
import { notFound } from "next/navigation";
import { getEnvironmentByName } from "@/server/api/server-queries";
import { uuidSchema } from "@/server/validation/names";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { DeploymentView } from "@/components/deployments/deployment-view";

export default async function DeploymentPage({ params }: { params: Promise<{ org: string; project: string; env: string; deployment: string }> }) {
  const p = await params;
  if (!uuidSchema.safeParse(p.deployment).success) notFound();
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  const envHref = `/o/${p.org}/p/${p.project}/e/${env.name}`;
  return (
    <>
      <p className="mb-1 text-xs text-zinc-500">
        <Link href={envHref} className="hover:underline">
          {p.project} / {env.name}
        </Link>{" "}
        /{" "}
        <Link href={`${envHref}/deployments`} className="hover:underline">
          deployments
        </Link>{" "}
        /
      </p>
      <PageHeader title={`Deployment ${p.deployment.slice(0, 8)}`} />
      <DeploymentView deploymentId={p.deployment} deploymentsHref={`${envHref}/deployments`} canDeploy={can(env.role, "deployment.run", { mode: env.mode })} />
    </>
  );
}
