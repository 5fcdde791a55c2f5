import Link from "next/link";
import { getEnvironmentByName } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { Badge, PageHeader } from "@/components/ui/card";
import { VariablesPanel } from "@/components/variables/variables-panel";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function EnvironmentVariablesPage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  const envHref = `/o/${p.org}/p/${p.project}/e/${env.name}`;
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${env.name}` }]} />
      <PageHeader
        title="Environment variables"
        subtitle={
          <>
            <Badge>{env.mode}</Badge> Override the project&apos;s variables for every service of {env.name}.{" "}
            <Link href={`/o/${p.org}/p/${p.project}/variables`} className="text-sky-600 hover:underline">
              Project variables
            </Link>
          </>
        }
      />
      <VariablesPanel scope={{ environmentId: env.id }} canWrite={can(env.role, "variable.write", { mode: env.mode })} exportName={`${p.project}-${env.name}.env`} />
    </>
  );
}
