import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { perHandle } from "@/db/per-handle";
import { environments, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";

type Service = typeof services.$inferSelect;
export type ServiceListItem = Pick<Service, "id" | "name" | "type" | "spec" | "desiredState" | "updatedAt">;
/** As JSON carries it: the timestamp is an ISO 8601 string. */
type ServiceListJson = Omit<ServiceListItem, "updatedAt"> & { updatedAt: string };
/** One environment's list at one `services_version`: shared by every caller, so frozen. */
type Snapshot = { version: number; items: readonly ServiceListItem[] };

/** Environments whose last list each console keeps (the least recently read one makes room). */
const MAX_CACHED_ENVIRONMENTS = 64;

/**
 * The list is built by the database as ONE JSON value rather than 200 rows of 6 columns: both
 * drivers decode every field of every row in JavaScript (PGlite copies each one out of its WASM
 * heap), and that was most of this query's cost. Each element is the row `t` of the same select as
 * before — keys in the same order, `spec` as parsed JSON — sorted by name; `updatedAt` arrives as an
 * ISO 8601 string and becomes the same Date (to the millisecond) a plain select gives. The
 * environment's `services_version` comes from the same statement, so the list is exactly that version.
 */
function prepare(db: Db) {
  const rows = sql`select ${services.id} as "id", ${services.name} as "name", ${services.type} as "type", ${services.spec} as "spec", ${services.desiredState} as "desiredState", ${services.updatedAt} as "updatedAt" from ${services} where ${services.environmentId} = ${environments.id}`;
  return db
    .select({
      version: environments.servicesVersion,
      json: sql<string>`(select coalesce(json_agg(t order by t."name"), '[]')::text from (${rows}) t)`,
    })
    .from(environments)
    .where(sql`${environments.id} = ${sql.placeholder("environmentId")}`)
    .prepare("slipway_list_services");
}

const forDb = perHandle((db: Db) => ({ statement: prepare(db), snapshots: new Map<string, Snapshot>() }));

function freeze(items: ServiceListItem[]): readonly ServiceListItem[] {
  for (const item of items) {
    Object.freeze(item.spec);
    Object.freeze(item);
  }
  return Object.freeze(items);
}

/**
 * The environment's services, sorted by name. The access check reads the environment's
 * `services_version` (a trigger bumps it with every change to its services, from any console), so an
 * unchanged environment is answered from the list this console last built for it, without a query.
 */
export async function listServices({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }): Promise<readonly ServiceListItem[]> {
  const { environment } = await requireEnvironment(ctx, environmentId, "org.read");
  const { statement, snapshots } = forDb(ctx.db);
  const cached = snapshots.get(environmentId);
  if (cached && cached.version === environment.servicesVersion) {
    // Most recently read last: the first entry is the one to evict.
    snapshots.delete(environmentId);
    snapshots.set(environmentId, cached);
    return cached.items;
  }
  const [row] = await statement.execute({ environmentId });
  // Deleted between the access check and now.
  if (!row) return [];
  const items = freeze((JSON.parse(row.json) as ServiceListJson[]).map((s) => ({ ...s, updatedAt: new Date(s.updatedAt) })));
  snapshots.delete(environmentId);
  if (snapshots.size >= MAX_CACHED_ENVIRONMENTS) {
    const oldest = snapshots.keys().next();
    if (!oldest.done) snapshots.delete(oldest.value);
  }
  snapshots.set(environmentId, { version: row.version, items });
  return items;
}
