import "server-only";
import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Db } from "@/db/client";
import { findOpenInvitation } from "./find-open-invitation";

/** What the invite page shows before accepting. Anyone holding the link may read this much. */
export async function lookupInvitation({ db, token }: { db: Db; token: string }) {
  const inv = await findOpenInvitation(db, token);
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, inv.email)).limit(1);
  return { email: inv.email, role: inv.role, orgName: inv.orgName, orgSlug: inv.orgSlug, hasAccount: Boolean(user) };
}
