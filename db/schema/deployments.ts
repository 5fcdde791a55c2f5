import { pgTable, text, timestamp, uuid, jsonb, index } from "drizzle-orm/pg-core";
import { deploymentStatusEnum, requestSourceEnum } from "./enums";
import { environments, services } from "./projects";
import { users } from "./users";
import type { ServiceSpec } from "@/server/services/service-spec";

export type DeploymentSnapshot = { services: { id: string; name: string; type: string; spec: ServiceSpec }[] };

/** One request to bring an environment (or one service) to a snapshot of its desired state. */
export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    serviceId: uuid("service_id").references(() => services.id, { onDelete: "cascade" }),
    status: deploymentStatusEnum("status").notNull().default("QUEUED"),
    trigger: requestSourceEnum("trigger").notNull(),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    snapshot: jsonb("snapshot").$type<DeploymentSnapshot>().notNull(),
    message: text("message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("deployments_environment_idx").on(t.environmentId, t.createdAt)],
);
