import Link from "next/link";
import { getServiceByName } from "@/server/api/server-queries";
import { Badge, PageHeader } from "@/components/ui/card";
import { MetricsDashboard } from "@/components/metrics/metrics-dashboard";

export default async function ServiceMetricsPage({ params }: { params: Promise<{ org: string; project: string; env: string; service: string }> }) {
  const p = await params;
  const service = await getServiceByName(p.org, p.project, p.env, p.service);
  const envHref = `/o/${p.org}/p/${p.project}/e/${p.env}`;
  return (
    <>
      <p className="mb-1 text-xs text-zinc-500">
        <Link href={envHref} className="hover:underline">
          {p.project} / {p.env}
        </Link>{" "}
        /{" "}
        <Link href={`${envHref}/s/${service.name}`} className="hover:underline">
          {service.name}
        </Link>{" "}
        /
      </p>
      <PageHeader title={`Metrics of ${service.name}`} subtitle={<Badge>{service.type}</Badge>} />
      <MetricsDashboard serviceId={service.id} deploymentsHref={`${envHref}/deployments`} />
    </>
  );
}
