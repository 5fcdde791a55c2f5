import type { VariableAvailability, VariableKind } from "@/db/schema";
import { resolveAll, type ResolvableEntry } from "./interpolate";

/** A service's variables as a deployment runs them: secrets decrypted (in memory only), aliases as templates. */
export type ClearVariable = { name: string; kind: VariableKind; value: string; availability: VariableAvailability; asFile: boolean };
export type ServiceVariables = {
  entries: ClearVariable[];
  /** Application services of the same environment with a port (for SLIPWAY_<NAME>_URL). */
  siblings: { name: string }[];
};

export type Materialized = { env: Record<string, string>; files: { name: string; content: string }[] };

/** Built-ins that exist only later (the deployment id and commit, at build time) resolve to "". */
const LATE_BUILTINS = new Set(["SLIPWAY_DEPLOYMENT_ID", "SLIPWAY_GIT_COMMIT", "PORT"]);

/**
 * The variables of one phase, aliases resolved. References resolve against every variable whatever
 * its availability, so a runtime alias may use a build-only value. A file variable appears in
 * `files` and its name is later set to the file's path.
 */
export function materialize(vars: ServiceVariables | undefined, specEnv: Record<string, string> | undefined, builtins: Record<string, string>, phase: "build" | "runtime"): Materialized {
  // Deployed before variables existed (or a runtime test): spec.env as it always was.
  if (!vars) return { env: { ...(specEnv ?? {}) }, files: [] };
  const map = new Map<string, ResolvableEntry>(vars.entries.map((e) => [e.name, { kind: e.kind, value: e.value }]));
  const { values } = resolveAll(map, builtins, { unknownBuiltins: LATE_BUILTINS });
  const env: Record<string, string> = {};
  const files: Materialized["files"] = [];
  for (const e of vars.entries) {
    if (e.availability !== "both" && e.availability !== phase) continue;
    const v = values.get(e.name);
    // Validated before the deployment started; an entry that still fails is left out, not guessed.
    if (!v) continue;
    if (e.asFile) files.push({ name: e.name, content: v.value });
    else env[e.name] = v.value;
  }
  return { env, files };
}

/** Every clear value to mask in logs and errors: secrets, and aliases that contain one (whole, so their encodings are masked too). */
export function secretValuesOf(vars: ServiceVariables | undefined, builtins: Record<string, string>): string[] {
  if (!vars) return [];
  const map = new Map<string, ResolvableEntry>(vars.entries.map((e) => [e.name, { kind: e.kind, value: e.value }]));
  const { values } = resolveAll(map, builtins, { unknownBuiltins: LATE_BUILTINS });
  return [...values.values()].filter((v) => v.secret && v.value !== "").map((v) => v.value);
}
