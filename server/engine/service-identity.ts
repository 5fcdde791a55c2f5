import "server-only";
import { and, between, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { serviceUids } from "@/db/schema";
import { isServiceUid, serviceUidRange, type UidRange } from "@/server/config/service-uids";
import type { ServiceIdentity } from "./runtime";

/** Attempts before giving up when other consoles keep taking the uid we picked (each loses at most one race per winner). */
const MAX_ATTEMPTS = 50;

/**
 * The service's own uid/gid, allocated on first use and recorded, so every redeploy and restore runs it
 * as the same user. Safe with several consoles on one database: the uid is the primary key and the
 * service id unique, so a lost race is a conflict that we answer by reading again or taking the next uid.
 * A recorded uid outside a since-changed range is retired and a new one allocated.
 */
export async function serviceIdentity(db: Db, serviceId: string, range: UidRange = serviceUidRange()): Promise<ServiceIdentity> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [mine] = await db.select({ uid: serviceUids.uid }).from(serviceUids).where(eq(serviceUids.serviceId, serviceId));
    if (mine && isServiceUid(mine.uid, range)) return { uid: mine.uid, gid: mine.uid };
    if (mine) await db.update(serviceUids).set({ serviceId: null }).where(and(eq(serviceUids.uid, mine.uid), eq(serviceUids.serviceId, serviceId)));
    const [{ next }] = await db
      .select({ next: sql<number>`coalesce(max(${serviceUids.uid}) + 1, ${range.first}::int)` })
      .from(serviceUids)
      .where(between(serviceUids.uid, range.first, range.last));
    const uid = Number(next);
    if (uid > range.last) {
      throw new Error(`no free service uid left in SLIPWAY_SERVICE_UID_RANGE ${range.first}-${range.last}: widen the range (uids of deleted services are never reused)`);
    }
    const taken = await db.insert(serviceUids).values({ uid, serviceId }).onConflictDoNothing().returning({ uid: serviceUids.uid });
    if (taken.length) return { uid, gid: uid };
  }
  throw new Error(`could not allocate a uid for service ${serviceId}: other consoles kept taking the same one`);
}

/** Identities of several services, in their order (one allocation each; a deployment holds a handful). */
export async function serviceIdentities(db: Db, serviceIds: string[]): Promise<ServiceIdentity[]> {
  const out: ServiceIdentity[] = [];
  for (const id of serviceIds) out.push(await serviceIdentity(db, id));
  return out;
}
