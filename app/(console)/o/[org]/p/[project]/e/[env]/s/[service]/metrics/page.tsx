import { getServiceByName } from "@/server/api/server-queries";
import { Badge, PageHeader } from "@/components/ui/card";
import { MetricsDashboard } from "@/components/metrics/metrics-dashboard";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function ServiceMetricsPage({ params }: { params: Promise<{ org: string; project: string; env: string; service: string }> }) {
  const p = await params;
  const service = await getServiceByName(p.org, p.project, p.env, p.service);
  const envHref = `/o/${p.org}/p/${p.project}/e/${p.env}`;
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${p.env}` }, { href: `${envHref}/s/${service.name}`, label: service.name }]} />
      <PageHeader title={`Metrics of ${service.name}`} subtitle={<Badge>{service.type}</Badge>} />
      <MetricsDashboard serviceId={service.id} deploymentsHref={`${envHref}/deployments`} />
    </>
  );
}
