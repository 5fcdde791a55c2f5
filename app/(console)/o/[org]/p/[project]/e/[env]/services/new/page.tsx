import { getEnvironmentByName } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { ServiceForm } from "@/components/services/service-form";

export default async function NewServicePage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const env = await getEnvironmentByName(p.org, p.project, p.env);
  return (
    <>
      <PageHeader title="New service" subtitle={`${p.project} / ${env.name}`} />
      <ServiceForm mode="create" environmentId={env.id} baseHref={`/o/${p.org}/p/${p.project}/e/${env.name}`} />
    </>
  );
}
