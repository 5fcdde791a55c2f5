import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uuid, jsonb, bigserial, index, integer } from "drizzle-orm/pg-core";
import { services } from "./projects";

export type RunningStatus = "NOT_DEPLOYED" | "STARTING" | "RUNNING" | "DEGRADED" | "STOPPED" | "ERROR";
export type InstanceRecord = { instanceId: string; pid: number | null; startTime: string | null; port: number | null; state: string; restarts: number };

/** What is actually running for a service (observed state), next to its desired state in `services`. */
export const serviceRuntime = pgTable("service_runtime", {
  serviceId: uuid("service_id")
    .primaryKey()
    .references(() => services.id, { onDelete: "cascade" }),
  status: text("status").$type<RunningStatus>().notNull().default("NOT_DEPLOYED"),
  // The deployment whose version is serving, and its build (so start/restart/rollback need no rebuild).
  deploymentId: uuid("deployment_id"),
  buildId: text("build_id"),
  buildDir: text("build_dir"),
  startCommand: text("start_command"),
  revision: text("revision"),
  instances: jsonb("instances").$type<InstanceRecord[]>().notNull().default([]),
  // Which console process supervises these instances.
  ownerId: text("owner_id"),
  message: text("message"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Build and instance output: written in batches by LogWriter, pruned by server/logs/log-pruner.ts. */
export const logLines = pgTable(
  "log_lines",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    serviceId: uuid("service_id").notNull(),
    deploymentId: uuid("deployment_id"),
    instanceId: text("instance_id"),
    stream: text("stream").$type<"stdout" | "stderr" | "build" | "system">().notNull(),
    line: text("line").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    // Stored size of the line, for size-based retention (computed by the database, so it cannot drift).
    bytes: integer("bytes")
      .generatedAlwaysAs(sql`octet_length(line)`)
      .notNull(),
  },
  (t) => [
    index("log_lines_service_idx").on(t.serviceId, t.id),
    index("log_lines_deployment_idx").on(t.deploymentId, t.id),
    // Time-range search and age-based retention per service.
    index("log_lines_service_time_idx").on(t.serviceId, t.createdAt),
  ],
);

/** Every process Slipway started, so a restarted console can find and stop what it left behind. */
export const processRecords = pgTable(
  "process_records",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ownerId: text("owner_id").notNull(),
    serviceId: uuid("service_id"),
    instanceId: text("instance_id").notNull(),
    pid: integer("pid").notNull(),
    startTime: text("start_time"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [index("process_records_open_idx").on(t.endedAt)],
);
