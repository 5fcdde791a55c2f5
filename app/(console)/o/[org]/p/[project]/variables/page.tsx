import { getOrgBySlug, getProjectByName } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { VariablesPanel } from "@/components/variables/variables-panel";
import { Breadcrumbs } from "@/components/ui/breadcrumbs";

/** Project-wide variables reach production too, so changing them takes what production takes (as the service checks). */
export default async function ProjectVariablesPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const p = await params;
  const [org, project] = await Promise.all([getOrgBySlug(p.org), getProjectByName(p.org, p.project)]);
  return (
    <>
      <Breadcrumbs items={[{ href: `/o/${org.slug}`, label: "Projects" }, { href: `/o/${org.slug}/p/${project.name}`, label: project.name }]} />
      <PageHeader title="Project variables" subtitle="Every environment and service of this project inherits these; narrower scopes override them." />
      <VariablesPanel scope={{ projectId: project.id }} canWrite={can(project.role, "variable.write", { mode: "production" })} exportName={`${project.name}.env`} />
    </>
  );
}
