import "server-only";
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deployments, environments } from "@/db/schema";
import { IN_FLIGHT } from "./deployment-status";

export type ClaimedDeployment = typeof deployments.$inferSelect;

/**
 * Claims the oldest queued deployment of an environment with nothing in flight. The environment
 * row is locked with SKIP LOCKED, so several console processes on one PostgreSQL never claim the
 * same work, and one environment never runs two deployments at once.
 */
export async function claimNext({ db, claimer }: { db: Db; claimer: string }): Promise<ClaimedDeployment | null> {
  return db.transaction(async (tx) => {
    const queuedHere = sql`(select min(d.created_at) from ${deployments} d where d.environment_id = ${environments.id} and d.status = 'QUEUED')`;
    const candidates = await tx
      .select({ id: environments.id })
      .from(environments)
      .where(sql`${queuedHere} is not null`)
      .orderBy(queuedHere)
      .for("update", { skipLocked: true });
    for (const { id: environmentId } of candidates) {
      // A fresh statement sees deployments other processes committed after this one started.
      const [busy] = await tx
        .select({ id: deployments.id })
        .from(deployments)
        .where(and(eq(deployments.environmentId, environmentId), inArray(deployments.status, [...IN_FLIGHT])))
        .limit(1);
      if (busy) continue;
      const [next] = await tx
        .select({ id: deployments.id })
        .from(deployments)
        .where(and(eq(deployments.environmentId, environmentId), eq(deployments.status, "QUEUED")))
        .orderBy(deployments.createdAt)
        .limit(1);
      if (!next) continue;
      const [claimed] = await tx
        .update(deployments)
        .set({ status: "PRECHECK", claimedBy: claimer, heartbeatAt: new Date(), startedAt: new Date(), runCount: sql`${deployments.runCount} + 1` })
        .where(and(eq(deployments.id, next.id), eq(deployments.status, "QUEUED")))
        .returning();
      if (claimed) return claimed;
    }
    return null;
  });
}

/** Says "still working on these" for every deployment this process runs. */
export async function heartbeat({ db, claimer }: { db: Db; claimer: string }): Promise<void> {
  await db
    .update(deployments)
    .set({ heartbeatAt: new Date() })
    .where(and(eq(deployments.claimedBy, claimer), inArray(deployments.status, [...IN_FLIGHT])));
}

/**
 * In-flight deployments whose runner is gone: a previous life of this console (same node id), or
 * any runner whose heartbeat is older than `staleMs`.
 */
export async function findOrphanedDeployments({ db, nodeId, staleMs }: { db: Db; nodeId: string | null; staleMs: number }) {
  return db
    .select()
    .from(deployments)
    .where(
      and(
        inArray(deployments.status, [...IN_FLIGHT]),
        or(
          nodeId ? sql`${deployments.claimedBy} like ${`${nodeId}/%`}` : undefined,
          isNull(deployments.heartbeatAt),
          lt(deployments.heartbeatAt, new Date(Date.now() - staleMs)),
        ),
      ),
    );
}
