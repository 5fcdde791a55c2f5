import "server-only";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/server/auth/actor";
import { serviceRuntime } from "@/db/schema";
import { bus } from "./event-bus";

type Patch = Partial<Omit<typeof serviceRuntime.$inferInsert, "serviceId" | "updatedAt">>;

/** Upserts what is running for a service and tells live subscribers. */
export async function setServiceState(db: DbOrTx, serviceId: string, environmentId: string | null, patch: Patch): Promise<void> {
  await db
    .insert(serviceRuntime)
    .values({ serviceId, ...patch, updatedAt: new Date() })
    .onConflictDoUpdate({ target: serviceRuntime.serviceId, set: { ...patch, updatedAt: new Date() } });
  bus.emit("service", { serviceId, environmentId });
}

export async function getServiceState(db: DbOrTx, serviceId: string) {
  const [row] = await db.select().from(serviceRuntime).where(eq(serviceRuntime.serviceId, serviceId));
  return row ?? null;
}
