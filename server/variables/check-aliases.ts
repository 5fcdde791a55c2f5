import "server-only";
import type { PoolService } from "./load-variables";
import { builtinNames } from "./builtins";
import { resolveAll, type ResolvableEntry } from "./interpolate";
import { layerVariables, specEnvRecords, visibleTo, type VariableRecord } from "./layer-variables";
import type { ResolvedScope } from "./require-scope";

export type AliasProblem = { name: string; message: string };

/** Whether the process runtime gives the service a port (an HTTP application). */
export const getsPort = (s: Pick<PoolService, "type" | "spec">) => s.type === "application" && (s.spec.port !== undefined || Boolean(s.spec.healthcheck?.path));
/** Services reachable through the router: SLIPWAY_<NAME>_URL. */
export const servesHttp = (s: Pick<PoolService, "type" | "spec">) => s.type === "application" && s.spec.port !== undefined;

export const siblingsOf = (pool: readonly PoolService[], s: Pick<PoolService, "id" | "environmentId">) => pool.filter((o) => o.environmentId === s.environmentId && o.id !== s.id && servesHttp(o));

const asResolvable = (entries: Iterable<{ name: string; kind: ResolvableEntry["kind"]; value: string | null }>) =>
  new Map<string, ResolvableEntry>([...entries].map((e) => [e.name, { kind: e.kind, value: e.value ?? "" }]));

/**
 * Resolves every alias as each affected service would see it (narrower scopes may redefine what an
 * alias refers to), and reports unknown references and cycles once each, naming where. A scope no
 * service uses yet is checked on its own: its variables, the wider ones and the built-in names.
 */
export function checkAliases(rows: readonly VariableRecord[], pool: readonly PoolService[], consumers: readonly PoolService[], rs: ResolvedScope): AliasProblem[] {
  const found = new Map<string, { name: string; message: string; where: string[] }>();
  const note = (p: AliasProblem, where: string) => {
    const key = `${p.name}\0${p.message}`;
    const f = found.get(key) ?? { ...p, where: [] };
    f.where.push(where);
    found.set(key, f);
  };
  const namesAsBuiltins = (names: string[]) => Object.fromEntries(names.map((n) => [n, ""]));
  for (const s of consumers) {
    const layered = layerVariables(visibleTo(rows, { environmentId: s.environmentId, serviceId: s.id }), specEnvRecords(s.spec.env, () => ""));
    const builtins = namesAsBuiltins(builtinNames({ port: getsPort(s) ? 0 : null, siblings: siblingsOf(pool, s).map((o) => ({ name: o.name, url: "" })) }));
    for (const e of resolveAll(asResolvable(layered.values()), builtins).errors) note(e, `${rs.projectName}/${s.environmentName}/${s.name}`);
  }
  if (consumers.length === 0) {
    const own = rows.filter((r) => r.scope === "project" || (rs.scope !== "project" && r.scope === "environment" && r.environmentId === rs.environmentId) || (rs.scope === "service" && r.serviceId === rs.serviceId));
    const layered = layerVariables(own, []);
    const siblings = rs.environmentId ? pool.filter((o) => o.environmentId === rs.environmentId && servesHttp(o)).map((o) => ({ name: o.name, url: "" })) : [];
    const builtins = namesAsBuiltins(builtinNames({ port: 0, siblings }));
    for (const e of resolveAll(asResolvable(layered.values()), builtins).errors) note(e, rs.label);
  }
  return [...found.values()].map((f) => ({ name: f.name, message: `${f.message} (in ${f.where.slice(0, 3).join(", ")}${f.where.length > 3 ? ` and ${f.where.length - 3} more` : ""})` }));
}
