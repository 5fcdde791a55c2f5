import "server-only";
import { and, eq, inArray } from "drizzle-orm";
import { variables } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError } from "@/server/errors/app-error";
import { decryptSecret } from "@/server/secrets/secret-box";
import { parseDotenv, type DotenvEntry } from "./dotenv";
import { looksLikeTemplate } from "./interpolate";
import { actorLabel, type VariableRow } from "./load-variables";
import { notifyVariablesChanged } from "./notify-variables-changed";
import { requireScope, type ResolvedScope } from "./require-scope";
import { dropFromSpecEnv, loadScopeState, newProblems, withoutSpecEnv, type ScopeState } from "./scope-change";
import { storedValue } from "./variable-item";
import { nameProblem, valueProblem } from "./variable-rules";
import type { ImportVariablesInput } from "./variable-schemas";

export type ImportPlan = {
  create: string[];
  update: string[];
  unchanged: string[];
  skip: { name: string; reason: string }[];
  /** Replace mode only: names at the scope that the text does not have. Secrets are never removed this way. */
  remove: string[];
  errors: { line: number; message: string }[];
};

type Planned = ImportPlan & { writes: { entry: DotenvEntry; kind: "value" | "secret" | "alias"; existing: VariableRow | null }[]; dropSpec: Set<string>; state: ScopeState };

/** Imported entries are values, or aliases when they contain a {{NAME}} reference (or an escaped \{{). */
const importedKind = (value: string) => (looksLikeTemplate(value) ? "alias" : "value");

async function plan(tx: DbOrTx, rs: ResolvedScope, input: Pick<ImportVariablesInput, "text" | "mode" | "overwriteSecrets">): Promise<Planned> {
  const parsed = parseDotenv(input.text);
  const errors = [...parsed.errors];
  const firstLine = new Map<string, number>();
  const entries: DotenvEntry[] = [];
  for (const e of parsed.entries) {
    const problem = nameProblem(e.name) ?? valueProblem(e.value);
    const seen = firstLine.get(e.name);
    if (problem) errors.push({ line: e.line, message: problem });
    else if (seen !== undefined) errors.push({ line: e.line, message: `${e.name} is already set on line ${seen}` });
    else {
      firstLine.set(e.name, e.line);
      entries.push(e);
    }
  }
  const state = await loadScopeState(tx, rs);
  const own = new Map(state.rows.filter((r) => r.scopeId === rs.scopeId).map((r) => [r.name, r]));
  const specEnv = rs.serviceId ? (state.pool.find((s) => s.id === rs.serviceId)?.spec.env ?? {}) : {};
  const overwrite = new Set(input.overwriteSecrets);
  const out: Planned = { create: [], update: [], unchanged: [], skip: [], remove: [], errors, writes: [], dropSpec: new Set(), state };
  for (const e of entries) {
    const row = own.get(e.name) ?? null;
    if (row?.kind === "secret") {
      if (!overwrite.has(e.name)) {
        out.skip.push({ name: e.name, reason: "a secret: not overwritten unless named in overwriteSecrets" });
      } else if (decryptSecret(row.ciphertext ?? "", row.name) === e.value) {
        out.unchanged.push(e.name);
      } else {
        out.update.push(e.name);
        out.writes.push({ entry: e, kind: "secret", existing: row });
      }
      continue;
    }
    const kind = importedKind(e.value);
    if (row) {
      if (row.kind === kind && row.value === e.value) out.unchanged.push(e.name);
      else {
        out.update.push(e.name);
        out.writes.push({ entry: e, kind, existing: row });
      }
    } else if (Object.hasOwn(specEnv, e.name)) {
      // A spec.env name: the same value stays where it is; a new one moves into a variable.
      if (kind === "value" && specEnv[e.name] === e.value) out.unchanged.push(e.name);
      else {
        out.update.push(e.name);
        out.writes.push({ entry: e, kind, existing: null });
        out.dropSpec.add(e.name);
      }
    } else {
      out.create.push(e.name);
      out.writes.push({ entry: e, kind, existing: null });
    }
  }
  if (input.mode === "replace") {
    const inText = new Set(entries.map((e) => e.name));
    for (const r of own.values()) if (!inText.has(r.name) && r.kind !== "secret") out.remove.push(r.name);
    for (const n of Object.keys(specEnv)) if (!inText.has(n) && !own.has(n)) out.remove.push(n);
    for (const n of out.remove) if (!own.has(n)) out.dropSpec.add(n);
  }
  // Aliases are checked as the result would be: with every write and removal applied.
  if (errors.length === 0) {
    const removed = new Set(out.remove);
    const written = new Map(out.writes.map((w) => [w.entry.name, w]));
    const simulated: VariableRow[] = state.rows
      .filter((r) => !(r.scopeId === rs.scopeId && (removed.has(r.name) || written.has(r.name))))
      .concat(
        out.writes.map((w) => ({
          ...(w.existing ?? { id: `new:${w.entry.name}`, orgId: rs.orgId, projectId: rs.projectId, environmentId: rs.environmentId, serviceId: rs.serviceId, scope: rs.scope, scopeId: rs.scopeId, availability: "runtime" as const, asFile: false, createdAt: new Date(), updatedAt: new Date(), updatedBy: null, updatedByLabel: null }),
          name: w.entry.name,
          kind: w.kind,
          value: w.kind === "secret" ? null : w.entry.value,
          ciphertext: null,
          keyId: null,
          digest: "",
        })),
      );
    for (const p of newProblems(state, simulated, withoutSpecEnv(state.pool, rs.serviceId, new Set([...out.dropSpec, ...written.keys()])), rs)) {
      errors.push({ line: firstLine.get(p.name) ?? 0, message: p.message });
    }
  }
  out.errors.sort((a, b) => a.line - b.line);
  for (const list of [out.create, out.update, out.unchanged, out.remove]) list.sort();
  return out;
}

const publicPlan = ({ create, update, unchanged, skip, remove, errors }: Planned): ImportPlan => ({ create, update, unchanged, skip, remove, errors });

/** What importing the text would do, without doing it. */
export async function importPlan({ ctx, ...input }: { ctx: ServiceCtx } & ImportVariablesInput): Promise<ImportPlan> {
  const rs = await requireScope(ctx, input.scope, "read");
  return publicPlan(await plan(ctx.db, rs, input));
}

/** Applies the plan in one transaction: all of it, or (with any line error) nothing. */
export async function importVariables({ ctx, ...input }: { ctx: ServiceCtx } & ImportVariablesInput): Promise<ImportPlan> {
  const rs = await requireScope(ctx, input.scope, "write");
  const result = await ctx.db.transaction(async (tx) => {
    const p = await plan(tx, rs, input);
    if (p.errors.length) {
      const lines = p.errors.map((e) => (e.line ? `line ${e.line}: ${e.message}` : e.message));
      throw new AppError("BAD_REQUEST", `nothing was imported; fix ${p.errors.length === 1 ? "this line" : `these ${p.errors.length} problems`} first:\n${lines.join("\n")}`, { text: lines });
    }
    const now = new Date();
    const updatedByLabel = await actorLabel(ctx, tx);
    const who = { updatedAt: now, updatedBy: ctx.actor.userId, updatedByLabel };
    for (const w of p.writes) {
      const stored = storedValue(w.entry.name, w.kind, w.entry.value);
      if (w.existing) await tx.update(variables).set({ kind: w.kind, ...stored, ...who }).where(eq(variables.id, w.existing.id));
      else
        await tx.insert(variables).values({ orgId: rs.orgId, projectId: rs.projectId, environmentId: rs.environmentId, serviceId: rs.serviceId, scope: rs.scope, scopeId: rs.scopeId, name: w.entry.name, kind: w.kind, ...stored, ...who });
    }
    const removeRows = p.remove.filter((n) => !p.dropSpec.has(n));
    if (removeRows.length) await tx.delete(variables).where(and(eq(variables.scopeId, rs.scopeId), inArray(variables.name, removeRows)));
    await dropFromSpecEnv(tx, p.state, rs.serviceId, p.dropSpec);
    await recordAudit(tx, ctx, {
      orgId: rs.orgId,
      action: "variable.import",
      resourceType: "variable",
      resourceId: null,
      resourceName: rs.label,
      metadata: { scope: rs.scope, mode: input.mode, created: p.create, updated: p.update, removed: p.remove, skipped: p.skip.map((s) => s.name) },
    });
    return p;
  });
  notifyVariablesChanged(result.state.consumers);
  return publicPlan(result);
}
