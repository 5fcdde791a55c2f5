import type { VariableAvailability, VariableKind, VariableScope } from "@/db/schema";

/** The columns of a variable row that layering and resolution need. */
export type VariableRecord = {
  id: string;
  scope: VariableScope;
  environmentId: string | null;
  serviceId: string | null;
  name: string;
  kind: VariableKind;
  value: string | null;
  ciphertext: string | null;
  digest: string;
  availability: VariableAvailability;
  asFile: boolean;
};

/** One effective variable of a service: the narrowest definition, and the wider ones it hides. */
export type LayeredVariable = Omit<VariableRecord, "id" | "environmentId" | "serviceId"> & {
  id: string | null;
  overrides: ("project" | "environment")[];
  /** Declared in the service spec's `env` (or a manifest), not through the variables API. */
  fromSpec: boolean;
};

/** spec.env entries count as plain service-scope values available at build and run time (as before variables existed). */
export function specEnvRecords(specEnv: Record<string, string> | undefined, digest: (value: string) => string): LayeredVariable[] {
  return Object.entries(specEnv ?? {}).map(([name, value]) => ({
    id: null,
    scope: "service",
    name,
    kind: "value",
    value,
    ciphertext: null,
    digest: digest(value),
    availability: "both",
    asFile: false,
    overrides: [],
    fromSpec: true,
  }));
}

/** The rows one service sees: its project's, its environment's and its own. */
export function visibleTo(rows: readonly VariableRecord[], s: { environmentId: string; serviceId: string | null }): VariableRecord[] {
  return rows.filter((r) => r.scope === "project" || (r.scope === "environment" && r.environmentId === s.environmentId) || (r.scope === "service" && r.serviceId === s.serviceId && s.serviceId !== null));
}

const RANK: Record<VariableScope, number> = { project: 0, environment: 1, service: 2 };

/**
 * Project < environment < service: the narrowest wins. At service scope a variable set through the
 * API wins over the same name in spec.env.
 */
export function layerVariables(rows: readonly VariableRecord[], spec: readonly LayeredVariable[]): Map<string, LayeredVariable> {
  const byName = new Map<string, LayeredVariable[]>();
  const all: LayeredVariable[] = [...rows.map((r) => ({ ...r, overrides: [], fromSpec: false })), ...spec];
  for (const v of all) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const out = new Map<string, LayeredVariable>();
  for (const name of [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const defs = (byName.get(name) as LayeredVariable[]).sort((a, b) => RANK[a.scope] - RANK[b.scope] || Number(b.fromSpec) - Number(a.fromSpec));
    const winner = defs[defs.length - 1];
    const overrides = [...new Set(defs.slice(0, -1).flatMap((d) => (d.scope !== winner.scope && d.scope !== "service" ? [d.scope] : [])))];
    out.set(name, { ...winner, overrides });
  }
  return out;
}
