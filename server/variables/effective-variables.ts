import "server-only";
import type { VariableAvailability, VariableKind } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { serviceUrl } from "@/server/engine/service-url";
import { builtinValues } from "./builtins";
import { getsPort, siblingsOf } from "./check-aliases";
import { resolveAll, type ResolvableEntry } from "./interpolate";
import { layerVariables, specEnvRecords, visibleTo } from "./layer-variables";
import { loadPool, loadProjectRows } from "./load-variables";
import { requireScope } from "./require-scope";
import { organizationSlug } from "@/server/organizations/organization-slug";
import { SECRET_MASK } from "./variable-rules";

export type EffectiveVariable = {
  name: string;
  kind: VariableKind | "builtin";
  value: string | null;
  mask: string | null;
  scope: "project" | "environment" | "service" | "builtin";
  overrides: ("project" | "environment")[];
  availability: VariableAvailability;
  asFile: boolean;
  /** For an alias: why it could not be resolved (unknown reference, cycle). */
  problem?: string;
};

const SET_AT_DEPLOY = "(set at deploy)";

/**
 * What a service would get if deployed now: every scope layered (narrowest wins), aliases resolved
 * (masked when they contain a secret) and the built-ins as the deployment computes them.
 */
export async function effectiveVariables({ ctx, serviceId }: { ctx: ServiceCtx; serviceId: string }): Promise<EffectiveVariable[]> {
  const rs = await requireScope(ctx, { serviceId }, "read");
  const [rows, pool, organizationSlugOf] = await Promise.all([loadProjectRows(ctx.db, rs.projectId), loadPool(ctx.db, rs), organizationSlug(ctx.db, rs.orgId)]);
  const svc = pool.find((s) => s.id === serviceId);
  if (!svc) return [];
  const layered = layerVariables(visibleTo(rows, { environmentId: svc.environmentId, serviceId }), specEnvRecords(svc.spec.env, () => ""));
  const builtins = builtinValues({
    projectName: rs.projectName,
    environmentName: svc.environmentName,
    serviceName: svc.name,
    deploymentId: SET_AT_DEPLOY,
    revision: SET_AT_DEPLOY,
    port: getsPort(svc) ? "(assigned at start)" : null,
    siblings: siblingsOf(pool, svc).map((o) => ({
      name: o.name,
      url: serviceUrl({ name: o.name, type: o.type, port: o.spec.port }, { environmentName: svc.environmentName, projectName: rs.projectName, organizationSlug: organizationSlugOf }) ?? "",
    })),
  });
  const entries = new Map<string, ResolvableEntry>([...layered.values()].map((v) => [v.name, { kind: v.kind, value: v.value ?? "" }]));
  const { values, errors } = resolveAll(entries, builtins);
  const out: EffectiveVariable[] = [...layered.values()].map((v) => {
    const resolved = values.get(v.name);
    const secret = v.kind === "secret" || Boolean(resolved?.secret);
    const problem = errors.find((e) => e.name === v.name)?.message;
    return {
      name: v.name,
      kind: v.kind,
      value: secret ? null : (resolved?.value ?? v.value),
      mask: secret ? SECRET_MASK : null,
      scope: v.scope,
      overrides: v.overrides,
      availability: v.availability,
      asFile: v.asFile,
      ...(problem ? { problem } : {}),
    };
  });
  for (const [name, value] of Object.entries(builtins)) {
    out.push({ name, kind: "builtin", value, mask: null, scope: "builtin", overrides: [], availability: "both", asFile: false });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
