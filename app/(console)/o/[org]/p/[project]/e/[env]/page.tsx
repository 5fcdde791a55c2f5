import Link from "next/link";
import { getEnvironmentByName, getOrgBySlug } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { Badge, PageHeader } from "@/components/ui/card";
import { ServiceCards } from "@/components/services/service-cards";

export default async function EnvironmentPage({ params }: { params: Promise<{ org: string; project: string; env: string }> }) {
  const p = await params;
  const [org, env] = await Promise.all([getOrgBySlug(p.org), getEnvironmentByName(p.org, p.project, p.env)]);
  const base = `/o/${org.slug}/p/${p.project}/e/${env.name}`;
  const canWrite = can(env.role, "service.write", { mode: env.mode });
  return (
    <>
      <p className="mb-1 text-xs text-zinc-500">
        <Link href={`/o/${org.slug}`} className="hover:underline">
          Projects
        </Link>{" "}
        /{" "}
        <Link href={`/o/${org.slug}/p/${p.project}`} className="hover:underline">
          {p.project}
        </Link>{" "}
        /
      </p>
      <PageHeader
        title={env.name}
        subtitle={<Badge>{env.mode}</Badge>}
        actions={
          canWrite ? (
            <Link href={`${base}/services/new`} className="rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-500">
              New service
            </Link>
          ) : null
        }
      />
      <ServiceCards environmentId={env.id} baseHref={base} />
    </>
  );
}
