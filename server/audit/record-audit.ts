import "server-only";
import { auditEvents } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { redactAuditMetadata } from "@/server/secrets/audit-redaction";

export type AuditEntry = {
  orgId: string | null;
  action: string;
  resourceType: string;
  resourceId?: string | null;
  resourceName?: string | null;
  /** Names and ids only — never secret values. */
  metadata?: Record<string, unknown>;
};

/** Call inside the transaction that makes the change, so the change and its record land together. */
export async function recordAudit(tx: DbOrTx, ctx: Pick<ServiceCtx, "actor" | "meta">, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    orgId: entry.orgId,
    actorUserId: ctx.actor.userId,
    actorTokenId: ctx.actor.token?.id ?? null,
    actorLabel: ctx.actor.token ? `${ctx.actor.email} (token)` : ctx.actor.email,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    resourceName: entry.resourceName ?? null,
    source: ctx.meta.source,
    ip: ctx.meta.ip,
    metadata: await redactAuditMetadata(tx, entry.orgId, entry.metadata ?? {}),
  });
}
