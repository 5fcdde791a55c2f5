import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import type { RequestMeta } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError } from "@/server/errors/app-error";
import { hashPassword } from "./password";
import type { CreateOwnerInput } from "./user-schemas";

/** First run only: creates the owner account while no user exists. */
export async function createOwner({ db, input, meta }: { db: Db; input: CreateOwnerInput; meta: RequestMeta }) {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    // Two first-run requests at once must not create two owners.
    await tx.execute(sql`select pg_advisory_xact_lock(7244102)`);
    const existing = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing.length > 0) throw new AppError("FORBIDDEN", "the owner account already exists; sign in instead");
    const [user] = await tx.insert(users).values({ email: input.email, name: input.name, passwordHash }).returning({ id: users.id, email: users.email });
    await recordAudit(tx, { actor: { userId: user.id, email: user.email, token: null }, meta }, { orgId: null, action: "user.create_owner", resourceType: "user", resourceId: user.id, resourceName: user.email });
    return user;
  });
}
