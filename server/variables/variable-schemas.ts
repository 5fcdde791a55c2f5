import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";
import { requiredMessage } from "@/server/validation/type-names";

/** Names and values are checked by the service (nameProblem/valueProblem) for precise messages; zod only bounds the input. */
export const scopeSchema = z.union([z.strictObject({ projectId: uuidSchema }), z.strictObject({ environmentId: uuidSchema }), z.strictObject({ serviceId: uuidSchema })], {
  error: "scope must be { projectId }, { environmentId } or { serviceId }",
});
export const variableKindSchema = z.enum(["value", "secret", "alias"], { error: "kind must be value, secret or alias" });
export const availabilitySchema = z.enum(["build", "runtime", "both"], { error: "availability must be build, runtime or both" });

const nameInput = z.string({ error: requiredMessage("name is required") }).max(4096);
// Bounded above the 64 KiB rule so the rule, not zod, reports an oversized value precisely.
const valueInput = z.string({ error: requiredMessage("value is required") }).max(1024 * 1024);

export const listVariablesInput = z.object({ scope: scopeSchema });
export const setVariableInput = z.object({
  scope: scopeSchema,
  name: nameInput,
  kind: variableKindSchema.default("value"),
  value: valueInput,
  availability: availabilitySchema.default("runtime"),
  asFile: z.boolean().default(false),
});
export const unsetVariableInput = z.object({ scope: scopeSchema, name: nameInput });
export const effectiveVariablesInput = z.object({ serviceId: uuidSchema });
export const exportVariablesInput = z.object({ scope: scopeSchema });
export const importVariablesInput = z.object({
  scope: scopeSchema,
  text: z.string().max(8 * 1024 * 1024, { error: "the .env text is at most 8 MiB" }),
  mode: z.enum(["merge", "replace"], { error: "mode must be merge or replace" }).default("merge"),
  overwriteSecrets: z.array(nameInput).max(10_000).default([]),
});
export const rotateKeyInput = z.object({ orgId: uuidSchema });

export type ScopeInput = z.infer<typeof scopeSchema>;
export type SetVariableInput = z.infer<typeof setVariableInput>;
export type ImportVariablesInput = z.infer<typeof importVariablesInput>;
