import { pgTable, text, timestamp, uuid, jsonb, boolean, index, unique, primaryKey } from "drizzle-orm/pg-core";
import { organizations } from "./organizations";
import { environments, projects, services } from "./projects";
import { deployments } from "./deployments";
import { users } from "./users";

export type VariableScope = "project" | "environment" | "service";
export type VariableKind = "value" | "secret" | "alias";
export type VariableAvailability = "build" | "runtime" | "both";

/**
 * A variable at one scope: a project, an environment or a service (the narrowest wins). `scopeId` is
 * the id of that project/environment/service, so one unique constraint covers every scope.
 * Secrets keep only `ciphertext` (AES-256-GCM, see server/secrets/secret-box.ts); `value` is null.
 */
export const variables = pgTable(
  "variables",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    environmentId: uuid("environment_id").references(() => environments.id, { onDelete: "cascade" }),
    serviceId: uuid("service_id").references(() => services.id, { onDelete: "cascade" }),
    scope: text("scope").$type<VariableScope>().notNull(),
    scopeId: uuid("scope_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind").$type<VariableKind>().notNull(),
    // Clear text for value and alias (an alias holds its {{NAME}} template); null for a secret.
    value: text("value"),
    // Secrets only: "v1:<key id>:<nonce>:<ciphertext+tag>".
    ciphertext: text("ciphertext"),
    keyId: text("key_id"),
    // Keyed HMAC of the clear value: tells "changed since the running deployment" without the value.
    digest: text("digest").notNull(),
    availability: text("availability").$type<VariableAvailability>().notNull().default("runtime"),
    asFile: boolean("as_file").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid("updated_by").references(() => users.id, { onDelete: "set null" }),
    updatedByLabel: text("updated_by_label"),
  },
  (t) => [
    unique("variables_scope_name_uq").on(t.scopeId, t.name),
    index("variables_project_idx").on(t.projectId),
    index("variables_org_kind_idx").on(t.orgId, t.kind),
    index("variables_key_idx").on(t.keyId),
  ],
);

/** One variable as a deployment used it. Secrets stay ciphertext; aliases keep their template. */
export type SnapshotVariable = {
  name: string;
  kind: VariableKind;
  value?: string;
  ciphertext?: string;
  digest: string;
  availability: VariableAvailability;
  asFile: boolean;
};

/**
 * The variables each service of a deployment ran with: restarts and recovery after a console
 * restart use exactly these, and the fingerprint says whether the current ones differ.
 */
export const deploymentVariableSets = pgTable(
  "deployment_variable_sets",
  {
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    serviceId: uuid("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    entries: jsonb("entries").$type<SnapshotVariable[]>().notNull(),
    fingerprint: text("fingerprint").notNull(),
    // The build-time variables of the build it runs: its own for a fresh build; a reused build
    // (restart, start, rollback) keeps those it was built with, copied from the set that built it.
    buildFingerprint: text("build_fingerprint"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.deploymentId, t.serviceId] })],
);
