import { getServiceByName } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { LogViewer } from "@/components/logs/log-viewer";
import { LOG_STREAMS, type LogStream } from "@/server/logs/log-schemas";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

type Search = { deployment?: string; instance?: string; stream?: string; q?: string; regex?: string; from?: string; until?: string };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const date = (v: string | undefined) => {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A service's logs, full height. The query string picks filters and a stored window (deployment steps link here). */
export default async function ServiceLogsPage({
  params,
  searchParams,
}: {
  params: Promise<{ org: string; project: string; env: string; service: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const p = await params;
  const raw = await searchParams;
  const s: Search = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, one(v)]));
  const service = await getServiceByName(p.org, p.project, p.env, p.service);
  const serviceHref = `/o/${p.org}/p/${p.project}/e/${p.env}/s/${p.service}`;
  const from = date(s.from);
  const until = date(s.until);
  return (
    <>
      <Breadcrumbs items={[{ href: serviceHref, label: `${p.project} / ${p.env} / ${p.service}` }]} />
      <PageHeader title={`Logs of ${service.name}`} />
      <LogViewer
        serviceId={service.id}
        serviceName={service.name}
        environmentId={service.environmentId}
        height="calc(100vh - 22rem)"
        urlSync
        initialFilters={{
          deploymentId: s.deployment && UUID.test(s.deployment) ? s.deployment : undefined,
          instanceId: s.instance || undefined,
          stream: LOG_STREAMS.includes(s.stream as LogStream) ? (s.stream as LogStream) : undefined,
          text: s.q || undefined,
          regex: s.regex === "1" || s.regex === "true",
        }}
        initialRange={from || until ? { from, until } : null}
      />
    </>
  );
}
