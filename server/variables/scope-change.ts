import "server-only";
import { eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";
import type { ServiceSpec } from "@/server/services/service-spec";
import { AppError } from "@/server/errors/app-error";
import { checkAliases, type AliasProblem } from "./check-aliases";
import { consumersOf, loadPool, loadProjectRows, type PoolService, type VariableRow } from "./load-variables";
import type { ResolvedScope } from "./require-scope";

/**
 * A change to one scope's variables, checked before it is written: the alias problems it would
 * introduce (problems that already existed are not blamed on it).
 */
export async function loadScopeState(tx: DbOrTx, rs: ResolvedScope) {
  const rows = await loadProjectRows(tx, rs.projectId);
  const pool = await loadPool(tx, rs);
  return { rows, pool, consumers: consumersOf(pool, rs) };
}

export type ScopeState = Awaited<ReturnType<typeof loadScopeState>>;

/** The pool with the service's spec.env as it will be after removing `names` from it. */
export function withoutSpecEnv(pool: PoolService[], serviceId: string | null, names: ReadonlySet<string>): PoolService[] {
  if (!serviceId || names.size === 0) return pool;
  return pool.map((s) => (s.id === serviceId && s.spec.env ? { ...s, spec: { ...s.spec, env: Object.fromEntries(Object.entries(s.spec.env).filter(([n]) => !names.has(n))) } } : s));
}

export function newProblems(before: ScopeState, afterRows: VariableRow[], afterPool: PoolService[], rs: ResolvedScope): AliasProblem[] {
  const old = new Set(checkAliases(before.rows, before.pool, before.consumers, rs).map((p) => p.message));
  return checkAliases(afterRows, afterPool, consumersOf(afterPool, rs), rs).filter((p) => !old.has(p.message));
}

/** Variables set through the API take a name over from spec.env: it is removed there in the same transaction. */
export async function dropFromSpecEnv(tx: DbOrTx, state: ScopeState, serviceId: string | null, names: ReadonlySet<string>): Promise<string[]> {
  const svc = serviceId ? state.pool.find((s) => s.id === serviceId) : undefined;
  const env = svc?.spec.env;
  if (!svc || !env) return [];
  const dropped = Object.keys(env).filter((n) => names.has(n));
  if (dropped.length === 0) return [];
  const rest = Object.fromEntries(Object.entries(env).filter(([n]) => !names.has(n)));
  const spec: ServiceSpec = { ...svc.spec, env: rest };
  if (Object.keys(rest).length === 0) delete spec.env;
  await tx.update(services).set({ spec, updatedAt: new Date() }).where(eq(services.id, svc.id));
  return dropped;
}

export const aliasError = (field: string, problems: AliasProblem[]) =>
  new AppError("BAD_REQUEST", problems.map((p) => p.message).join("; "), { [field]: problems.map((p) => p.message) });
