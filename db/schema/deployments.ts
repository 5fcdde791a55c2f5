import { pgTable, text, timestamp, uuid, jsonb, index, integer, bigserial, pgEnum } from "drizzle-orm/pg-core";
import { deploymentStatusEnum, requestSourceEnum } from "./enums";
import { environments, services } from "./projects";
import { users } from "./users";
import type { ServiceSpec } from "@/server/services/service-spec";

export type SnapshotService = { id: string; name: string; type: "application" | "worker"; spec: ServiceSpec };
export type DeploymentSnapshot = { services: SnapshotService[] };
/** What each service's build produced, so a rollback can run exactly that again without rebuilding. */
export type DeploymentBuilds = Record<string, { buildId: string; dir: string; startCommand: string; revision: string }>;

export const deploymentKindEnum = pgEnum("deployment_kind", ["deploy", "rollback", "start", "restart"]);

/** One request to bring an environment (or one service) to a snapshot of its desired state. */
export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    environmentId: uuid("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    serviceId: uuid("service_id").references(() => services.id, { onDelete: "cascade" }),
    kind: deploymentKindEnum("kind").notNull().default("deploy"),
    status: deploymentStatusEnum("status").notNull().default("QUEUED"),
    trigger: requestSourceEnum("trigger").notNull(),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    requestedByLabel: text("requested_by_label"),
    snapshot: jsonb("snapshot").$type<DeploymentSnapshot>().notNull(),
    // Identical queued requests merge: same environment, scope, kind and snapshot.
    requestKey: text("request_key").notNull(),
    rollbackOf: uuid("rollback_of"),
    builds: jsonb("builds").$type<DeploymentBuilds>().notNull().default({}),
    // Short description of what was deployed (git commit or folder revision), filled by the build.
    revision: text("revision"),
    message: text("message"),
    hint: text("hint"),
    // Which console process runs it, and when it last said so: a stale heartbeat means it died.
    claimedBy: text("claimed_by"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    runCount: integer("run_count").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("deployments_environment_idx").on(t.environmentId, t.createdAt), index("deployments_status_idx").on(t.status)],
);

/** Every step of a deployment, in order; the id is the resume point for live subscribers. */
export const deploymentEvents = pgTable(
  "deployment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    serviceId: uuid("service_id"),
    serviceName: text("service_name"),
    stage: text("stage").notNull(),
    step: text("step").notNull(),
    status: text("status").$type<"running" | "success" | "error" | "info" | "warning">().notNull(),
    message: text("message").notNull(),
    hint: text("hint"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("deployment_events_deployment_idx").on(t.deploymentId, t.id)],
);
