import type { ServiceSpec } from "@/server/services/service-spec";

/** What the service form edits: strings, as typed. The server validates; this only shapes. */
export type ServiceFormValues = {
  name: string;
  type: "application" | "worker";
  sourceKind: "path" | "git";
  path: string;
  git: string;
  branch: string;
  buildCommand: string;
  startCommand: string;
  port: string;
  healthPath: string;
  minInstances: string;
  maxInstances: string;
  cpu: string;
  memoryMb: string;
};

export const emptyServiceForm = (): ServiceFormValues => ({
  name: "",
  type: "application",
  sourceKind: "path",
  path: "",
  git: "",
  branch: "main",
  buildCommand: "",
  startCommand: "",
  port: "",
  healthPath: "",
  minInstances: "1",
  maxInstances: "1",
  cpu: "",
  memoryMb: "",
});

export function formFromSpec(name: string, type: ServiceFormValues["type"], spec: ServiceSpec): ServiceFormValues {
  const s = spec.source;
  return {
    name,
    type,
    sourceKind: "path" in s ? "path" : "git",
    path: "path" in s ? s.path : "",
    git: "git" in s ? s.git : "",
    branch: "git" in s ? (s.branch ?? "") : "main",
    buildCommand: spec.build?.command ?? "",
    startCommand: spec.run?.command ?? "",
    port: spec.port?.toString() ?? "",
    healthPath: spec.healthcheck?.path ?? "",
    minInstances: String(spec.instances.min),
    maxInstances: String(spec.instances.max),
    cpu: spec.resources?.cpu?.toString() ?? "",
    memoryMb: spec.resources?.memoryMb?.toString() ?? "",
  };
}

// An unparsable number stays NaN so the server rejects it with the field's message instead of dropping it.
const num = (s: string) => (s.trim() === "" ? undefined : Number(s.trim()));
const str = (s: string) => (s.trim() === "" ? undefined : s.trim());

export function specFromForm(v: ServiceFormValues): ServiceSpec {
  const source = v.sourceKind === "path" ? { path: v.path.trim() } : { git: v.git.trim(), ...(str(v.branch) ? { branch: str(v.branch) } : {}) };
  const cpu = num(v.cpu);
  const memoryMb = num(v.memoryMb);
  return {
    source,
    ...(str(v.buildCommand) ? { build: { command: str(v.buildCommand) } } : {}),
    ...(str(v.startCommand) ? { run: { command: str(v.startCommand) } } : {}),
    ...(num(v.port) !== undefined ? { port: num(v.port) } : {}),
    ...(str(v.healthPath) ? { healthcheck: { path: str(v.healthPath) } } : {}),
    instances: { min: num(v.minInstances) ?? 1, max: num(v.maxInstances) ?? 1 },
    ...(cpu !== undefined || memoryMb !== undefined ? { resources: { ...(cpu !== undefined ? { cpu } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) } } : {}),
  };
}
