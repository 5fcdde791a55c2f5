import "server-only";
import { eq } from "drizzle-orm";
import { variables } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError, badField } from "@/server/errors/app-error";
import { notifyVariablesChanged } from "./notify-variables-changed";
import { requireScope } from "./require-scope";
import { dropFromSpecEnv, loadScopeState, newProblems, withoutSpecEnv } from "./scope-change";
import type { ScopeInput } from "./variable-schemas";

/** Removes a variable from one scope (a service's spec.env included). Refused while an alias still needs it. */
export async function unsetVariable({ ctx, scope, name }: { ctx: ServiceCtx; scope: ScopeInput; name: string }): Promise<{ name: string; removed: true }> {
  const rs = await requireScope(ctx, scope, "write");
  const consumers = await ctx.db.transaction(async (tx) => {
    const before = await loadScopeState(tx, rs);
    const existing = before.rows.find((r) => r.scopeId === rs.scopeId && r.name === name);
    const inSpec = rs.serviceId ? Object.hasOwn(before.pool.find((s) => s.id === rs.serviceId)?.spec.env ?? {}, name) : false;
    if (!existing && !inSpec) throw new AppError("NOT_FOUND", `${name} is not set at ${rs.label}`, { name: [`${name} is not set here`] });
    const names = new Set([name]);
    const problems = newProblems(before, before.rows.filter((r) => r !== existing), withoutSpecEnv(before.pool, rs.serviceId, names), rs);
    if (problems.length) throw badField("name", `cannot unset ${name}: ${problems.map((p) => p.message).join("; ")}`);
    if (existing) await tx.delete(variables).where(eq(variables.id, existing.id));
    await dropFromSpecEnv(tx, before, rs.serviceId, names);
    await recordAudit(tx, ctx, {
      orgId: rs.orgId,
      action: "variable.unset",
      resourceType: "variable",
      resourceId: existing?.id ?? null,
      resourceName: `${rs.label}:${name}`,
      metadata: { name, scope: rs.scope, ...(existing ? { kind: existing.kind } : { kind: "value", fromSpec: true }) },
    });
    return before.consumers;
  });
  notifyVariablesChanged(consumers);
  return { name, removed: true };
}
