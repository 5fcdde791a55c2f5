import type { Db } from "@/db/client";
import type { Role } from "@/server/policy/policy";

/** Who is calling: a signed-in user, or a user acting through an API token scoped to one organization. */
export type Actor = {
  userId: string;
  email: string;
  token: { id: string; orgId: string; role: Role } | null;
};

export type RequestSource = "ui" | "api" | "cli";
export type RequestMeta = { source: RequestSource; ip: string | null };

/** What every service function receives: the database, the caller and where the request came from. */
export type ServiceCtx = { db: Db; actor: Actor; meta: RequestMeta };

/** A transaction handle has the same query API as the database. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;
