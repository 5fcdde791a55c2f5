import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { eq } from "drizzle-orm";
import { services } from "@/db/schema";
import { requireScope } from "./require-scope";
import { loadScopeRows } from "./load-variables";
import { specEnvRecords } from "./layer-variables";
import { byName, specListItem, toListItem, type VariableListItem } from "./variable-item";
import type { ScopeInput } from "./variable-schemas";

/** The variables defined at exactly this scope (a service's includes its spec.env), sorted by name. */
export async function listVariables({ ctx, scope }: { ctx: ServiceCtx; scope: ScopeInput }): Promise<VariableListItem[]> {
  const rs = await requireScope(ctx, scope, "read");
  const items = (await loadScopeRows(ctx.db, rs.scopeId)).map(toListItem);
  if (rs.serviceId) {
    const [svc] = await ctx.db.select({ spec: services.spec, updatedAt: services.updatedAt }).from(services).where(eq(services.id, rs.serviceId));
    const taken = new Set(items.map((i) => i.name));
    for (const v of specEnvRecords(svc?.spec.env, () => "")) if (!taken.has(v.name)) items.push(specListItem(v, svc.updatedAt));
  }
  return items.sort(byName);
}
