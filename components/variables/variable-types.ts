import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Inputs = inferRouterInputs<AppRouter>["variable"];
type Outputs = inferRouterOutputs<AppRouter>["variable"];

/** Where a variable lives: `{ projectId }`, `{ environmentId }` or `{ serviceId }`. */
export type VariableScope = Inputs["list"]["scope"];
export type VariableRow = Outputs["list"][number];
export type EffectiveVariable = Outputs["effective"][number];
export type ImportPlan = Outputs["importPlan"];
export type ImportMode = Inputs["importPlan"]["mode"];
export type VariableKind = VariableRow["kind"];
export type Availability = VariableRow["availability"];

export const KINDS: { value: VariableKind; label: string }[] = [
  { value: "value", label: "value" },
  { value: "secret", label: "secret (write-only)" },
  { value: "alias", label: "alias ({{OTHER}})" },
];

export const AVAILABILITY: { value: Availability; label: string }[] = [
  { value: "runtime", label: "runtime only" },
  { value: "both", label: "build and runtime" },
  { value: "build", label: "build only" },
];
