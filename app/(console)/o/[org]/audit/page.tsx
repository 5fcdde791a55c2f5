import { getOrgBySlug } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { AuditLog } from "@/components/audit/audit-log";

export default async function AuditPage({ params }: { params: Promise<{ org: string }> }) {
  const org = await getOrgBySlug((await params).org);
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change: who, what, when and from where." />
      <AuditLog orgId={org.id} />
    </>
  );
}
