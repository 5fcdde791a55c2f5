import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { AppError } from "@/server/errors/app-error";
import type { EnvironmentMode } from "@/server/policy/policy";
import { requireOrg } from "@/server/policy/access";
import { diffSpec, type FieldChange, type PlanValue } from "./diff-spec";
import { loadDesiredState, type DesiredState } from "./desired-state";
import { specOf, type Manifest, type PlanManifestInput } from "./manifest-schema";
import { validateManifest } from "./parse-manifest";

export type ServiceType = "application" | "worker";

/**
 * create / update / none: the manifest names the service. delete: not in the manifest and pruned.
 * keep: not in the manifest, left alone because prune was not asked for.
 */
export type ServicePlan = { name: string; type: ServiceType; action: "create" | "update" | "none" | "delete" | "keep"; changes: FieldChange[] };

export type ManifestPlan = {
  project: { name: string; action: "create" | "none" };
  environment: { name: string; action: "create" | "update" | "none"; mode: { from: EnvironmentMode | null; to: EnvironmentMode } };
  services: ServicePlan[];
  prune: boolean;
  /** How many things the apply writes (each is one audit event). 0: applying changes nothing. */
  changes: number;
  /** The plan as a person reads it, one line per resource, the same for every client. */
  lines: string[];
};

/** Compares a manifest with the current desired state. Pure: reads nothing, writes nothing. */
export function computePlan(manifest: Manifest, current: DesiredState, opts: { prune: boolean; file?: string }): ManifestPlan {
  const byName = new Map(current.services.map((s) => [s.name, s]));
  const services: ServicePlan[] = manifest.services.map((wanted, i) => {
    const existing = byName.get(wanted.name);
    if (!existing) return { name: wanted.name, type: wanted.type, action: "create", changes: diffSpec(null, specOf(wanted)) };
    if (existing.type !== wanted.type) {
      const key = `services[${i}].type`;
      const message = `service "${wanted.name}" exists as a ${existing.type}; its type cannot change (delete it, or give the ${wanted.type} another name)`;
      throw new AppError("BAD_REQUEST", `${opts.file ?? "manifest"}: ${key}: ${message}`, { [key]: [message] });
    }
    const changes = diffSpec(existing.spec, specOf(wanted));
    return { name: wanted.name, type: wanted.type, action: changes.length ? "update" : "none", changes };
  });
  const named = new Set(manifest.services.map((s) => s.name));
  for (const s of current.services) {
    if (!named.has(s.name)) services.push({ name: s.name, type: s.type, action: opts.prune ? "delete" : "keep", changes: [] });
  }
  const envAction = !current.environment ? "create" : current.environment.mode !== manifest.mode ? "update" : "none";
  const plan: Omit<ManifestPlan, "lines"> = {
    project: { name: manifest.project, action: current.project ? "none" : "create" },
    environment: { name: manifest.environment, action: envAction, mode: { from: current.environment?.mode ?? null, to: manifest.mode } },
    services,
    prune: opts.prune,
    changes:
      (current.project ? 0 : 1) + (envAction === "none" ? 0 : 1) + services.filter((s) => s.action === "create" || s.action === "update" || s.action === "delete").length,
  };
  return { ...plan, lines: formatPlan(plan) };
}

const show = (v: PlanValue) => (v === null ? "(none)" : typeof v === "string" && (v === "" || /\s|"/.test(v)) ? JSON.stringify(v) : String(v));

export function describeChange(c: FieldChange, creating: boolean): string {
  if (c.kind === "env") {
    if (creating) return `env ${c.added.join(", ")}`;
    const parts = [...c.changed.map((k) => `${k} changed`), ...c.added.map((k) => `${k} added`), ...c.removed.map((k) => `${k} removed`)];
    return `env changed (${parts.join(", ")})`;
  }
  return creating ? `${c.field} ${show(c.to)}` : `${c.field} ${show(c.from)} → ${show(c.to)}`;
}

function formatPlan(plan: Omit<ManifestPlan, "lines">): string[] {
  const lines: string[] = [];
  const { project, environment } = plan;
  lines.push(project.action === "create" ? `+ create project ${project.name}` : `= project ${project.name} unchanged`);
  if (environment.action === "create") lines.push(`+ create environment ${environment.name} (mode ${environment.mode.to})`);
  else if (environment.action === "update") lines.push(`~ update environment ${environment.name}: mode ${environment.mode.from} → ${environment.mode.to}`);
  else lines.push(`= environment ${environment.name} unchanged`);
  for (const s of plan.services) {
    if (s.action === "create") lines.push(`+ create service ${s.name} (${s.type}): ${s.changes.map((c) => describeChange(c, true)).join(", ")}`);
    else if (s.action === "update") lines.push(`~ update service ${s.name}: ${s.changes.map((c) => describeChange(c, false)).join(", ")}`);
    else if (s.action === "none") lines.push(`= service ${s.name} unchanged`);
    else if (s.action === "delete") lines.push(`- delete service ${s.name}`);
    else lines.push(`! service ${s.name} is not in the manifest, kept (prune to delete it)`);
  }
  lines.push(plan.changes === 0 ? "no changes" : `${plan.changes} change${plan.changes === 1 ? "" : "s"}`);
  return lines;
}

/** The plan an apply of this manifest would carry out now. Read-only: anyone who can read the organization may ask. */
export async function planManifest({ ctx, input }: { ctx: ServiceCtx; input: PlanManifestInput }): Promise<ManifestPlan> {
  const manifest = validateManifest(input.manifest, { file: input.file, requireAbsolutePaths: true });
  await requireOrg(ctx, input.orgId, "org.read");
  const current = await loadDesiredState(ctx.db, { orgId: input.orgId, project: manifest.project, environment: manifest.environment });
  return computePlan(manifest, current, { prune: input.prune, file: input.file });
}
