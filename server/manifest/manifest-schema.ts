import { z } from "zod";
import { dnsLabel, uuidSchema } from "@/server/validation/names";
import { environmentModeSchema } from "@/server/environments/environment-schemas";
import { serviceTypeSchema } from "@/server/services/service-schemas";
import { serviceSpecSchema, type ServiceSpec } from "@/server/services/service-spec";
import { checkSpecForType } from "@/server/services/check-spec-for-type";
import { AppError } from "@/server/errors/app-error";

/**
 * One service in a manifest: its name and type next to the same spec fields the UI and the API
 * write (serviceSpecSchema), so a manifest accepts exactly what a service form accepts.
 */
export const manifestServiceSchema = z.strictObject({
  name: dnsLabel("service"),
  type: serviceTypeSchema.default("application"),
  ...serviceSpecSchema.shape,
});

export const MAX_MANIFEST_SERVICES = 100;

/** The declarative manifest of one environment (design.md "Declarative manifest"). */
export const manifestSchema = z
  .strictObject({
    project: dnsLabel("project"),
    environment: dnsLabel("environment"),
    mode: environmentModeSchema,
    services: z
      .array(manifestServiceSchema, { error: "services must be a list of services" })
      .max(MAX_MANIFEST_SERVICES, { error: `a manifest has at most ${MAX_MANIFEST_SERVICES} services` })
      .default([]),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Map<string, number>();
    manifest.services.forEach((service, i) => {
      const first = seen.get(service.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["services", i, "name"],
          message: `duplicate service name "${service.name}" (also services[${first}].name); service names must be unique in an environment`,
        });
      } else seen.set(service.name, i);
      // Cross-field rules (a worker has no port …) live in one place; re-key their field to the manifest's path.
      try {
        checkSpecForType(service.type, specOf(service));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        for (const [field, messages] of Object.entries(err.fieldErrors ?? { spec: [err.message] })) {
          const rest = field.replace(/^spec\.?/, "");
          for (const message of messages) ctx.addIssue({ code: "custom", path: ["services", i, ...(rest ? rest.split(".") : [])], message });
        }
      }
    });
  });

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestService = Manifest["services"][number];

/** The service's spec as the services table stores it: the manifest entry without name and type. */
export function specOf(service: ManifestService): ServiceSpec {
  const { name: _name, type: _type, ...spec } = service;
  return spec;
}

// ---------------------------------------------------------------------------------------------
// API inputs

const fileLabel = z.string().trim().min(1).max(300).optional();

/** `manifest` is validated by the manifest service (not here), so its errors name manifest paths (`services[1].port`). */
export const planManifestInput = z.object({
  orgId: uuidSchema,
  manifest: z.unknown(),
  prune: z.boolean().default(false),
  /** Only names the manifest in error messages (e.g. "slipway.yaml"). */
  file: fileLabel,
});
export const applyManifestInput = planManifestInput.extend({
  /** Plan and authorize as apply would, change nothing. */
  dryRun: z.boolean().default(false),
});
export const exportManifestInput = z.object({ environmentId: uuidSchema });

export type PlanManifestInput = z.infer<typeof planManifestInput>;
export type ApplyManifestInput = z.infer<typeof applyManifestInput>;
