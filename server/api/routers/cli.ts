import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { cliLoginInput } from "@/server/cli-auth/cli-auth-schemas";
import { cliLogin } from "@/server/cli-auth/cli-login";

export const cliRouter = createTRPCRouter({
  /** Email + password → an API token for one organization. Only the CLI calls it, so its audit says "cli". */
  login: publicProcedure.input(cliLoginInput).mutation(({ ctx, input }) => cliLogin({ db: ctx.db, input, meta: { ...ctx.meta, source: "cli" } })),
});
