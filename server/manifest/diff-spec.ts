import type { ServiceSpec } from "@/server/services/service-spec";

/** A spec value as a plan shows it; null means "not set". */
export type PlanValue = string | number | boolean | null;

/**
 * One changed field of a service spec. Variables are reported by name only — added, removed,
 * changed — never with their values: they may become secrets.
 */
export type FieldChange =
  | { kind: "value"; field: string; from: PlanValue; to: PlanValue }
  | { kind: "env"; field: "env"; added: string[]; removed: string[]; changed: string[] };

/** How a plan names a source: the folder, or the git URL with its branch and commit. */
export function describeSource(source: ServiceSpec["source"]): string {
  if ("path" in source) return source.path;
  return `${source.git}${source.branch ? `#${source.branch}` : ""}${source.commit ? `@${source.commit}` : ""}`;
}

/** JSON with sorted keys and no undefined members: equal values give equal text whatever their key order (jsonb reorders keys). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Every scalar leaf of a spec by its dotted name (`instances.min`), except source and env, which are compared whole. */
function leaves(spec: ServiceSpec): Map<string, PlanValue> {
  const out = new Map<string, PlanValue>();
  const walk = (value: unknown, name: string) => {
    if (value === undefined || value === null) return;
    if (typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, name ? `${name}.${k}` : k);
      return;
    }
    out.set(name, typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : canonical(value));
  };
  const { source: _source, env: _env, ...rest } = spec;
  walk(rest, "");
  return out;
}

const ORDER = ["source", "build.command", "run.command", "port", "healthcheck.path", "instances.min", "instances.max", "env", "resources.cpu", "resources.memoryMb"];
const rank = (field: string) => {
  const i = ORDER.indexOf(field);
  return i === -1 ? ORDER.length : i;
};

/** What changes from `before` to `after` (before = null: everything is new). */
export function diffSpec(before: ServiceSpec | null, after: ServiceSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  if (!before || canonical(before.source) !== canonical(after.source)) {
    changes.push({ kind: "value", field: "source", from: before ? describeSource(before.source) : null, to: describeSource(after.source) });
  }
  const a = before ? leaves(before) : new Map<string, PlanValue>();
  const b = leaves(after);
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const from = a.get(field) ?? null;
    const to = b.get(field) ?? null;
    if (from !== to) changes.push({ kind: "value", field, from, to });
  }
  const envBefore = before?.env ?? {};
  const envAfter = after.env ?? {};
  const added = Object.keys(envAfter).filter((k) => !(k in envBefore)).sort();
  const removed = Object.keys(envBefore).filter((k) => !(k in envAfter)).sort();
  const changed = Object.keys(envAfter).filter((k) => k in envBefore && envBefore[k] !== envAfter[k]).sort();
  if (added.length || removed.length || changed.length) changes.push({ kind: "env", field: "env", added, removed, changed });
  return changes.sort((x, y) => rank(x.field) - rank(y.field) || (x.field < y.field ? -1 : x.field > y.field ? 1 : 0));
}

/** Field names only, for audit metadata. */
export const changedFieldNames = (changes: FieldChange[]) => changes.map((c) => c.field);
