import "server-only";
import { variables } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { badField } from "@/server/errors/app-error";
import { parseTemplate } from "./interpolate";
import { actorLabel } from "./load-variables";
import { notifyVariablesChanged } from "./notify-variables-changed";
import { requireScope } from "./require-scope";
import { aliasError, dropFromSpecEnv, loadScopeState, newProblems, withoutSpecEnv } from "./scope-change";
import { storedValue, toListItem, type VariableListItem } from "./variable-item";
import { nameProblem, valueProblem } from "./variable-rules";
import type { SetVariableInput } from "./variable-schemas";

/** Creates or replaces one variable at a scope (an upsert by name). Audited by name, never by value. */
export async function setVariable({ ctx, ...input }: { ctx: ServiceCtx } & SetVariableInput): Promise<VariableListItem> {
  const rs = await requireScope(ctx, input.scope, "write");
  const { name, kind, value, availability, asFile } = input;
  const badName = nameProblem(name);
  if (badName) throw badField("name", badName);
  const badValue = valueProblem(value);
  if (badValue) throw badField("value", badValue);
  if (kind === "alias") {
    const parsed = parseTemplate(value);
    if ("error" in parsed) throw badField("value", parsed.error);
    if (!parsed.parts.some((p) => "ref" in p)) throw badField("value", "an alias refers to at least one variable, like {{DATABASE_HOST}}; use kind value for plain text");
  }
  const stored = storedValue(name, kind, value);
  const row = await ctx.db.transaction(async (tx) => {
    const before = await loadScopeState(tx, rs);
    const existing = before.rows.find((r) => r.scopeId === rs.scopeId && r.name === name);
    const now = new Date();
    const updatedByLabel = await actorLabel(ctx, tx);
    const next = {
      orgId: rs.orgId,
      projectId: rs.projectId,
      environmentId: rs.environmentId,
      serviceId: rs.serviceId,
      scope: rs.scope,
      scopeId: rs.scopeId,
      name,
      kind,
      ...stored,
      availability,
      asFile,
      updatedAt: now,
      updatedBy: ctx.actor.userId,
      updatedByLabel,
    };
    const simulated = [...before.rows.filter((r) => r !== existing), { ...next, id: existing?.id ?? "new", createdAt: now }];
    const names = new Set([name]);
    const problems = newProblems(before, simulated, withoutSpecEnv(before.pool, rs.serviceId, names), rs);
    if (problems.length) throw aliasError("value", problems);
    const [saved] = await tx
      .insert(variables)
      .values(next)
      .onConflictDoUpdate({ target: [variables.scopeId, variables.name], set: { kind, ...stored, availability, asFile, updatedAt: now, updatedBy: ctx.actor.userId, updatedByLabel } })
      .returning();
    const fromSpec = await dropFromSpecEnv(tx, before, rs.serviceId, names);
    await recordAudit(tx, ctx, {
      orgId: rs.orgId,
      action: "variable.set",
      resourceType: "variable",
      resourceId: saved.id,
      resourceName: `${rs.label}:${name}`,
      metadata: { name, kind, scope: rs.scope, availability, asFile, change: existing || fromSpec.length ? "update" : "create" },
    });
    return { saved, consumers: before.consumers };
  });
  notifyVariablesChanged(row.consumers);
  return toListItem(row.saved);
}
