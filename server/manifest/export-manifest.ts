import "server-only";
import { asc, eq } from "drizzle-orm";
import { Document, isMap, isScalar, isSeq, YAMLMap } from "yaml";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import type { ServiceSpec } from "@/server/services/service-spec";
import { manifestServiceSchema } from "./manifest-schema";
import { orderKeys } from "./schema-walk";

const isEmptyGroup = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => x === undefined);

/** One manifest entry: name and type, then the spec in the schema's key order; empty groups (`build: {}`, `env: {}`) say nothing and are left out. */
function serviceEntry(s: { name: string; type: string; spec: ServiceSpec }): unknown {
  const spec = Object.fromEntries(Object.entries(s.spec).filter(([, v]) => v !== undefined && !isEmptyGroup(v)));
  return orderKeys({ name: s.name, type: s.type, ...spec }, manifestServiceSchema);
}

const FLOW_WIDTH = 72;

/** Small groups of scalars read best on one line — `instances: { min: 2, max: 4 }` — like the design's manifest. */
function flowSmallMaps(doc: Document) {
  const list = doc.get("services");
  if (!isSeq(list)) return;
  for (const service of list.items) {
    if (!isMap(service)) continue;
    for (const pair of service.items) {
      const value = pair.value;
      if (!(value instanceof YAMLMap)) continue;
      const scalars = value.items.every((p) => isScalar(p.value) && !String(p.value.value).includes("\n"));
      const width = value.items.reduce((n, p) => n + String(isScalar(p.key) ? p.key.value : "").length + String(isScalar(p.value) ? p.value.value : "").length + 4, 0);
      if (scalars && width <= FLOW_WIDTH) value.flow = true;
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
  flowSmallMaps(doc);
  doc.commentBefore = ` Slipway manifest of ${project.name}/${environment.name}. Apply it with: slipway apply -f <this file>`;
  return { yaml: doc.toString({ lineWidth: 0 }) };
}
