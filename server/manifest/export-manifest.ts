import "server-only";
import { asc, eq } from "drizzle-orm";
import { Document, isMap, isScalar, YAMLMap } from "yaml";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import type { ServiceSpec } from "@/server/services/service-spec";

// The order a person reads a service in (and the design's minimal manifest uses).
const SPEC_KEYS = ["source", "build", "run", "port", "healthcheck", "instances", "env", "resources"] as const;

function sortedEnv(env: Record<string, string>): Record<string, string> {
  // jsonb does not keep key order: sort, so an export is stable.
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function serviceEntry(s: { name: string; type: string; spec: ServiceSpec }): Record<string, unknown> {
  const out: Record<string, unknown> = { name: s.name, type: s.type };
  const spec = s.spec as Record<string, unknown>;
  for (const key of SPEC_KEYS) {
    const value = spec[key];
    if (value === undefined) continue;
    if (key === "env") {
      if (Object.keys(value as object).length) out.env = sortedEnv(value as Record<string, string>);
      continue;
    }
    // An empty group (`build: {}`) says nothing: leave it out.
    if (value && typeof value === "object" && Object.values(value).every((v) => v === undefined)) continue;
    out[key] = value;
  }
  // Fields added to the spec later are exported too, after the known ones.
  for (const [key, value] of Object.entries(spec)) if (!(key in out) && !SPEC_KEYS.includes(key as (typeof SPEC_KEYS)[number]) && value !== undefined) out[key] = value;
  return out;
}

/** Small groups of scalars read best on one line: `instances: { min: 2, max: 4 }`, like the design's manifest. */
function useFlowForSmallMaps(doc: Document) {
  const list = doc.get("services");
  if (!list || typeof list !== "object" || !("items" in list) || !Array.isArray(list.items)) return;
  for (const service of list.items) {
    if (!isMap(service)) continue;
    for (const pair of service.items) {
      const value = pair.value;
      if (!(value instanceof YAMLMap)) continue;
      const scalars = value.items.every((p) => isScalar(p.value));
      const width = value.items.reduce((n, p) => n + String(isScalar(p.key) ? p.key.value : "").length + String(isScalar(p.value) ? p.value.value : "").length + 4, 0);
      if (scalars && width <= 60) value.flow = true;
    }
  }
}

/** The environment's desired state as a manifest that applies cleanly (applying it plans no change). */
export async function exportManifest({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }): Promise<{ yaml: string }> {
  const { environment, project } = await requireEnvironment(ctx, environmentId, "org.read");
  const rows = await ctx.db
    .select({ name: services.name, type: services.type, spec: services.spec })
    .from(services)
    .where(eq(services.environmentId, environmentId))
    .orderBy(asc(services.name));
  const doc = new Document({ project: project.name, environment: environment.name, mode: environment.mode, services: rows.map(serviceEntry) });
  useFlowForSmallMaps(doc);
  doc.commentBefore = ` Slipway manifest of ${project.name}/${environment.name}. Apply it with: slipway apply -f <this file>`;
  return { yaml: doc.toString({ lineWidth: 0 }) };
}
