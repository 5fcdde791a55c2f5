import "server-only";
import { and, desc, eq, gte, ilike, lt, lte } from "drizzle-orm";
import { auditEvents } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";
import type { ListAuditInput } from "./audit-schemas";

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listAuditEvents({ ctx, input }: { ctx: ServiceCtx; input: ListAuditInput }) {
  await requireOrg(ctx, input.orgId, "audit.read");
  const rows = await ctx.db
    .select({
      id: auditEvents.id,
      seq: auditEvents.seq,
      actor: auditEvents.actorLabel,
      action: auditEvents.action,
      resourceType: auditEvents.resourceType,
      resourceId: auditEvents.resourceId,
      resourceName: auditEvents.resourceName,
      source: auditEvents.source,
      ip: auditEvents.ip,
      metadata: auditEvents.metadata,
      createdAt: auditEvents.createdAt,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.orgId, input.orgId),
        input.actor ? ilike(auditEvents.actorLabel, `%${escapeLike(input.actor)}%`) : undefined,
        input.action ? ilike(auditEvents.action, `${escapeLike(input.action)}%`) : undefined,
        input.resourceType ? eq(auditEvents.resourceType, input.resourceType) : undefined,
        input.from ? gte(auditEvents.createdAt, input.from) : undefined,
        input.to ? lte(auditEvents.createdAt, input.to) : undefined,
        input.before ? lt(auditEvents.seq, input.before) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(input.limit + 1);
  const hasMore = rows.length > input.limit;
  const items = rows.slice(0, input.limit);
  return { items, nextBefore: hasMore ? items[items.length - 1].seq : null };
}
