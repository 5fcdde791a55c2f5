import Link from "next/link";
import { getServiceByName } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { VariablesPanel } from "@/components/variables/variables-panel";
import { EffectiveVariables } from "@/components/variables/effective-variables";
import { ServiceRedeployNotice } from "@/components/variables/service-redeploy-notice";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function ServiceVariablesPage({ params }: { params: Promise<{ org: string; project: string; env: string; service: string }> }) {
  const p = await params;
  const service = await getServiceByName(p.org, p.project, p.env, p.service);
  const envHref = `/o/${p.org}/p/${p.project}/e/${p.env}`;
  const serviceHref = `${envHref}/s/${service.name}`;
  return (
    <>
      <Breadcrumbs items={[{ href: envHref, label: `${p.project} / ${p.env}` }, { href: serviceHref, label: service.name }]} />
      <PageHeader
        title={`Variables of ${service.name}`}
        subtitle={
          <>
            Set here, they override the{" "}
            <Link href={`${envHref}/variables`} className="text-sky-600 hover:underline">
              environment
            </Link>{" "}
            and{" "}
            <Link href={`/o/${p.org}/p/${p.project}/variables`} className="text-sky-600 hover:underline">
              project
            </Link>{" "}
            variables.
          </>
        }
      />
      <ServiceRedeployNotice
        environmentId={service.environmentId}
        serviceId={service.id}
        serviceName={service.name}
        deploymentsHref={`${envHref}/deployments`}
        canDeploy={can(service.role, "deployment.run", { mode: service.environmentMode })}
      />
      <VariablesPanel scope={{ serviceId: service.id }} canWrite={can(service.role, "variable.write", { mode: service.environmentMode })} exportName={`${p.project}-${p.env}-${service.name}.env`} title="Set on this service" />
      <h2 className="mb-2 mt-8 text-sm font-semibold">Effective variables</h2>
      <p className="mb-2 text-xs text-zinc-500">What {service.name} gets at its next deploy: each name from the narrowest scope that sets it.</p>
      <EffectiveVariables serviceId={service.id} />
    </>
  );
}
