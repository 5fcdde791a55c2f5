import "server-only";
import { eq } from "drizzle-orm";
import { organizations } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";

/** Slugs never change once an organization exists, so what this process read once stays true. */
const slugs = new Map<string, string>();

/** The organization's slug (part of every service hostname), read once per process. */
export async function organizationSlug(db: DbOrTx, orgId: string): Promise<string> {
  const known = slugs.get(orgId);
  if (known) return known;
  const [row] = await db.select({ slug: organizations.slug }).from(organizations).where(eq(organizations.id, orgId));
  if (!row) throw new Error(`organization ${orgId} does not exist`);
  slugs.set(orgId, row.slug);
  return row.slug;
}
