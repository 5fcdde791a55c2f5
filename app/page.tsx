import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { currentUser } from "@/server/auth/auth";
import { hasUsers } from "@/server/users/has-users";
import { getServerCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

/** Sends a person where they belong: first-run setup, sign-in, or their first organization. */
export default async function Home() {
  if (!(await hasUsers(await getDb()))) redirect("/setup");
  if (!(await currentUser())) redirect("/sign-in");
  const orgs = await (await getServerCaller()).organization.list();
  redirect(orgs.length ? `/o/${orgs[0].slug}` : "/orgs/new");
}
