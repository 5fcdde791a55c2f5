import { pgTable, pgSequence, text, timestamp, uuid, jsonb, bigserial, bigint, index, integer } from "drizzle-orm/pg-core";
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

/**
 * Log line ids: global, strictly increasing, never reused (a live tail's position is an id). The
 * writer takes a whole batch's ids in one step under its advisory lock (server/logs/store-chunks.ts).
 */
export const logLineIds = pgSequence("log_line_ids");

/**
 * Build and instance output, stored as chunks: one row per run of consecutive lines of one service and
 * deployment within a stored batch, its per-line fields as arrays in arrival order. Line i (from 1) of
 * a chunk has id first_id + i − 1. One row per line cost PGlite ~21–26 µs of CPU per line (a heap
 * tuple and three index entries each); chunks cost ~7–9 µs per line (docs/architecture.md, Logs).
 * Written by server/logs/store-chunks.ts, read by server/logs/log-query.ts, pruned (exactly, per line)
 * by server/logs/prune-logs.ts.
 */
export const logChunks = pgTable(
  "log_chunks",
  {
    firstId: bigint("first_id", { mode: "number" }).primaryKey(),
    lastId: bigint("last_id", { mode: "number" }).notNull(),
    serviceId: uuid("service_id").notNull(),
    deploymentId: uuid("deployment_id"),
    // The earliest and latest `ats` (lines are in arrival order, not necessarily in time order).
    minAt: timestamp("min_at", { withTimezone: true }).notNull(),
    maxAt: timestamp("max_at", { withTimezone: true }).notNull(),
    instanceIds: text("instance_ids").array().notNull(),
    streams: text("streams").array().$type<("stdout" | "stderr" | "build" | "system")[]>().notNull(),
    // When each line was printed.
    ats: timestamp("ats", { withTimezone: true }).array().notNull(),
    lines: text("lines").array().notNull(),
    // Sum of octet_length(lines), for size-based retention (computed by the database on every write).
    bytes: integer("bytes").notNull(),
  },
  (t) => [
    index("log_chunks_service_idx").on(t.serviceId, t.firstId),
    index("log_chunks_deployment_idx").on(t.deploymentId, t.firstId),
    // Time ranges and age-based retention per service.
    index("log_chunks_service_time_idx").on(t.serviceId, t.minAt),
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

/**
 * The unprivileged uid (and gid, the same number) each service's builds and instances run as when the
 * console is root. Allocated once from SLIPWAY_SERVICE_UID_RANGE (server/engine/service-identity.ts)
 * and reused on every redeploy. A deleted service's row stays with service_id null: the uid is retired,
 * never handed to another service (files or processes it left could otherwise become the new one's).
 */
export const serviceUids = pgTable("service_uids", {
  uid: integer("uid").primaryKey(),
  serviceId: uuid("service_id")
    .unique("service_uids_service_uq")
    .references(() => services.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
