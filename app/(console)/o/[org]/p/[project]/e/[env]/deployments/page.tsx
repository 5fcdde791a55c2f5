import Link from "next/link";
import { getEnvironmentByName } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { DeploymentList } from "@/components/deployments/deployment-list";

export default async function DeploymentsPage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  const envHref = `/o/${p.org}/p/${p.project}/e/${env.name}`;
  return (
    <>
      <p className="mb-1 text-xs text-zinc-500">
        <Link href={envHref} className="hover:underline">
          {p.project} / {env.name}
        </Link>{" "}
        /
      </p>
      <PageHeader title="Deployments" />
      <DeploymentList environmentId={env.id} baseHref={`${envHref}/deployments`} />
    </>
  );
}
