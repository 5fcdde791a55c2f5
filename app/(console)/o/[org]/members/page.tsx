import { getOrgBySlug } from "@/server/api/server-queries";
import { can } from "@/server/policy/policy";
import { PageHeader } from "@/components/ui/card";
import { MemberList } from "@/components/members/member-list";
import { InvitePanel } from "@/components/members/invite-panel";

export default async function MembersPage({ params }: { params: Promise<{ org: string }> }) {
  const org = await getOrgBySlug((await params).org);
  const canManage = can(org.role, "member.manage");
  return (
    <>
      <PageHeader title="Members" subtitle="Who can see and change this organization." />
      <div className="grid gap-6 md:grid-cols-[1fr_20rem]">
        <MemberList orgId={org.id} canManage={canManage} isOwner={org.role === "owner"} />
        {canManage ? <InvitePanel orgId={org.id} /> : null}
      </div>
    </>
  );
}
