import { pgTable, text, timestamp, uuid, jsonb, index, bigserial } from "drizzle-orm/pg-core";
import { requestSourceEnum } from "./enums";
import { organizations } from "./organizations";

/** Who did what to which resource, when and from where. Written in the same transaction as the change. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    // Total order for paging: several events of one transaction share a timestamp.
    seq: bigserial("seq", { mode: "number" }).notNull().unique(),
    // Null only for events before any organization exists (owner setup).
    orgId: uuid("org_id").references(() => organizations.id, { onDelete: "cascade" }),
    actorUserId: uuid("actor_user_id"),
    actorTokenId: uuid("actor_token_id"),
    // Denormalised so the log still reads after a user or token is gone.
    actorLabel: text("actor_label").notNull(),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id"),
    resourceName: text("resource_name"),
    source: requestSourceEnum("source").notNull(),
    ip: text("ip"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("audit_events_org_seq_idx").on(t.orgId, t.seq)],
);
