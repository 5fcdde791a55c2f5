import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { createTokenInput, listTokensInput, revokeTokenInput } from "@/server/tokens/token-schemas";
import { listTokens } from "@/server/tokens/list-tokens";
import { createToken } from "@/server/tokens/create-token";
import { revokeToken } from "@/server/tokens/revoke-token";

export const tokenRouter = createTRPCRouter({
  list: protectedProcedure.input(listTokensInput).query(({ ctx, input }) => listTokens({ ctx: svc(ctx), orgId: input.orgId })),
  create: protectedProcedure.input(createTokenInput).mutation(({ ctx, input }) => createToken({ ctx: svc(ctx), input })),
  revoke: protectedProcedure.input(revokeTokenInput).mutation(({ ctx, input }) => revokeToken({ ctx: svc(ctx), tokenId: input.tokenId })),
});
