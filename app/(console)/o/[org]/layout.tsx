import type { ReactNode } from "react";
import { getOrgBySlug } from "@/server/api/server-queries";
import { OrgNav } from "@/components/orgs/org-nav";

export default async function OrgLayout({ children, params }: { children: ReactNode; params: Promise<{ org: string }> }) {
  const org = await getOrgBySlug((await params).org);
  return (
    <div>
      <OrgNav slug={org.slug} name={org.name} role={org.role} />
      {children}
    </div>
  );
}
