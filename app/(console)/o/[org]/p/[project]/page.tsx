import Link from "next/link";
import { getOrgBySlug, getProjectByName } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { EnvironmentList } from "@/components/environments/environment-list";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

export default async function ProjectPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org: orgSlug, project: projectName } = await params;
  const [org, project] = await Promise.all([getOrgBySlug(orgSlug), getProjectByName(orgSlug, projectName)]);
  return (
    <>
      <Breadcrumbs items={[{ href: `/o/${org.slug}`, label: "Projects" }]} />
      <PageHeader
        title={project.name}
        subtitle={project.description || "Environments of this project"}
        actions={
          <Link href={`/o/${org.slug}/p/${project.name}/variables`} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
            Variables
          </Link>
        }
      />
      <EnvironmentList projectId={project.id} baseHref={`/o/${org.slug}/p/${project.name}`} canWrite={can(org.role, "environment.write")} />
    </>
  );
}
