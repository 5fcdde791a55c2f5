import { z } from "zod";

const nonEmpty = (what: string) => z.string().trim().min(1, { error: `${what} must not be empty` });

const gitUrl = z
  .string()
  .trim()
  .min(1, { error: "git URL must not be empty" })
  .max(2048)
  .refine((v) => /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|\/|[\w.-]+@[\w.-]+:)/.test(v), {
    error: "git URL must be http(s)://, ssh://, git://, file://, user@host:path or an absolute path to a repository",
  });

const gitRef = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/-]+$/, { error: "may use letters, digits, '.', '_', '/' and '-' only" })
  .refine((v) => !v.startsWith("-") && !v.includes(".."), { error: "is not a valid git ref" });

export const serviceSourceSchema = z.union(
  [
    z.strictObject({ path: nonEmpty("source path").max(4096) }),
    z.strictObject({
      git: gitUrl,
      branch: gitRef.optional(),
      commit: z
        .string()
        .regex(/^[0-9a-f]{7,40}$/, { error: "commit must be 7–40 hex characters" })
        .optional(),
    }),
  ],
  { error: "source must be { path } (a local folder) or { git, branch?, commit? }" },
);

/** Plain (non-secret) variables written in the spec or manifest. Secrets and scopes come with the variables model. */
const envName = z
  .string()
  .max(128, { error: "variable names are at most 128 characters" })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "variable names use letters, digits and _ and do not start with a digit" })
  .refine((n) => !n.startsWith("SLIPWAY_") && n !== "PORT", { error: "SLIPWAY_* and PORT are set by Slipway; choose another name" });

export const serviceEnvSchema = z.record(envName, z.string().max(65536, { error: "variable values are at most 64 KiB" }));

const command = z.string().trim().max(4096).optional();

export const serviceSpecSchema = z
  .strictObject({
    source: serviceSourceSchema,
    build: z.strictObject({ command }).optional(),
    run: z.strictObject({ command }).optional(),
    port: z
      .number({ error: "port must be a whole number from 1 to 65535" })
      .int({ error: "port must be a whole number from 1 to 65535" })
      .min(1, { error: "port must be from 1 to 65535" })
      .max(65535, { error: "port must be from 1 to 65535" })
      .optional(),
    healthcheck: z
      .strictObject({
        path: z
          .string()
          .regex(/^\/[^\s]*$/, { error: "health-check path must start with / and contain no spaces" })
          .optional(),
      })
      .optional(),
    instances: z
      .strictObject({
        min: z.number().int().min(1, { error: "instances.min must be at least 1" }).max(20, { error: "instances.min must be at most 20" }),
        max: z.number().int().min(1, { error: "instances.max must be at least 1" }).max(20, { error: "instances.max must be at most 20" }),
      })
      .refine((i) => i.min <= i.max, { error: "instances.min must not exceed instances.max", path: ["max"] })
      .default({ min: 1, max: 1 }),
    env: serviceEnvSchema.optional(),
    resources: z
      .strictObject({
        cpu: z.number().min(0.05, { error: "cpu must be at least 0.05 cores" }).max(64, { error: "cpu must be at most 64 cores" }).optional(),
        memoryMb: z
          .number()
          .int()
          .min(16, { error: "memory must be at least 16 MB" })
          .max(262144, { error: "memory must be at most 262144 MB" })
          .optional(),
      })
      .optional(),
  });

export type ServiceSpec = z.infer<typeof serviceSpecSchema>;
export type ServiceSpecInput = z.input<typeof serviceSpecSchema>;
