import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { getDb } from "@/db/client";
import { currentUser } from "@/server/auth/auth";
import { createContext } from "./context";
import { createCaller } from "./root";

/** tRPC for server components: the same procedures and checks as over HTTP, with the page's session. */
export const getServerCaller = cache(async () => {
  const ctx = await createContext({ db: await getDb(), headers: await headers(), sessionUser: currentUser });
  return createCaller(ctx);
});
