import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";

export const viewerRouter = createTRPCRouter({
  /** Who is calling; null when nobody is signed in. */
  me: publicProcedure.query(({ ctx }) =>
    ctx.actor ? { userId: ctx.actor.userId, email: ctx.actor.email, viaToken: ctx.actor.token !== null } : null,
  ),
});
