import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createContext, responseMetaFromContext } from "@/server/api/context";
import { getDb } from "@/db/client";
import { auth } from "@/server/auth/auth";

const handler = async (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    // The console sends queries as POST: inputs such as a pasted .env file do not fit in a URL.
    allowMethodOverride: true,
    responseMeta: responseMetaFromContext,
    createContext: async () =>
      createContext({
        db: await getDb(),
        headers: req.headers,
        sessionUser: async () => {
          const session = await auth();
          const u = session?.user;
          return session && u?.id && u.email ? { id: u.id, email: u.email, expiresAt: Date.parse(session.expires) } : null;
        },
      }),
  });

export { handler as GET, handler as POST };
