import { bigint, pgTable, text, timestamp, uuid, unique, jsonb } from "drizzle-orm/pg-core";
import { desiredStateEnum, environmentModeEnum, runtimeEnum, serviceTypeEnum } from "./enums";
import { organizations } from "./organizations";
import type { ServiceSpec } from "@/server/services/service-spec";

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("projects_org_name_uq").on(t.orgId, t.name)],
);

export const environments = pgTable(
  "environments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    mode: environmentModeEnum("mode").notNull(),
    runtime: runtimeEnum("runtime").notNull().default("process"),
    /**
     * Bumped by a trigger (migration 0007) in the same transaction as every insert, update or delete
     * of this environment's services: lets a console reuse its last services list while it is unchanged.
     */
    servicesVersion: bigint("services_version", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("environments_project_name_uq").on(t.projectId, t.name)],
);

export const services = pgTable(
  "services",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    type: serviceTypeEnum("type").notNull(),
    // Validated by serviceSpecSchema on every write; jsonb so the engine can snapshot it whole.
    spec: jsonb("spec").$type<ServiceSpec>().notNull(),
    desiredState: desiredStateEnum("desired_state").notNull().default("running"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("services_environment_name_uq").on(t.environmentId, t.name)],
);
