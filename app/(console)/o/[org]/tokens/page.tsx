import { getOrgBySlug } from "@/server/api/server-queries";
import { PageHeader } from "@/components/ui/card";
import { TokenManager } from "@/components/tokens/token-manager";
import { ROLES, roleAtLeast } from "@/server/policy/policy";

export default async function TokensPage({ params }: { params: Promise<{ org: string }> }) {
  const org = await getOrgBySlug((await params).org);
  return (
    <>
      <PageHeader title="API tokens" subtitle="For the CLI and scripts: send as Authorization: Bearer <token>." />
      <TokenManager orgId={org.id} roles={ROLES.filter((r) => roleAtLeast(org.role, r))} />
    </>
  );
}
