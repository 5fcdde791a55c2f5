import { getOrgBySlug } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { ProjectList } from "@/components/projects/project-list";

export default async function ProjectsPage({ params }: { params: Promise<{ org: string }> }) {
  const org = await getOrgBySlug((await params).org);
  return (
    <>
      <PageHeader title="Projects" subtitle="Each project holds environments, and each environment its services." />
      <ProjectList orgId={org.id} orgSlug={org.slug} canWrite={can(org.role, "project.write")} />
    </>
  );
}
