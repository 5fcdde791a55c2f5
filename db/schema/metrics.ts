import { pgTable, uuid, smallint, timestamp, real, integer, doublePrecision, jsonb, primaryKey, index } from "drizzle-orm/pg-core";
import { services } from "./projects";

/** Sample tiers: raw (one row per sampler tick), then minute and hour rollups. */
export type MetricTier = 0 | 1 | 2;
export type InstanceSample = { id: string; cpu: number; rss: number };

/**
 * One row per service, tier and bucket. Counters are totals over the bucket and the latency histogram
 * is kept whole, so rollups and downsampling add rows exactly (percentiles are never averaged).
 */
export const metricSamples = pgTable(
  "metric_samples",
  {
    serviceId: uuid("service_id")
      .notNull()
      .references(() => services.id, { onDelete: "cascade" }),
    tier: smallint("tier").$type<MetricTier>().notNull(),
    bucketStart: timestamp("bucket_start", { withTimezone: true, precision: 3 }).notNull(),
    /** How much time the row covers (a raw row: the time since the previous tick). */
    seconds: real("seconds").notNull(),
    /** Sum over instances of CPU % (100 = one core), time-averaged over the bucket. */
    cpu: real("cpu").notNull(),
    /** Highest CPU % of one instance in the bucket. */
    cpuMax: real("cpu_max").notNull(),
    /** Sum over instances of RSS bytes, time-averaged. */
    rss: doublePrecision("rss").notNull(),
    rssMax: doublePrecision("rss_max").notNull(),
    /** Instances running, time-averaged. */
    instances: real("instances").notNull(),
    restarts: integer("restarts").notNull(),
    requests: integer("requests").notNull(),
    status4xx: integer("status_4xx").notNull(),
    status5xx: integer("status_5xx").notNull(),
    /** Request counts per router latency bucket (LATENCY_BUCKETS_MS + overflow). */
    latency: integer("latency").array().notNull(),
    latencyMaxMs: real("latency_max_ms").notNull(),
    /** Raw rows only: each instance's CPU % and RSS. */
    perInstance: jsonb("per_instance").$type<InstanceSample[]>(),
  },
  (t) => [primaryKey({ name: "metric_samples_pk", columns: [t.serviceId, t.tier, t.bucketStart] }), index("metric_samples_prune_idx").on(t.tier, t.bucketStart)],
);
