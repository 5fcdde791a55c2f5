import "server-only";
import { eq } from "drizzle-orm";
import { organizations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";

export async function getOrganization({ ctx, slug }: { ctx: ServiceCtx; slug: string }) {
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.slug, slug)).limit(1);
  if (!org) throw notFound("organization");
  const { role } = await requireOrg(ctx, org.id, "org.read");
  return { id: org.id, name: org.name, slug: org.slug, role, createdAt: org.createdAt };
}
