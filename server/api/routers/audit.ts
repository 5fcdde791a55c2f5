import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { listAuditInput } from "@/server/audit/audit-schemas";
import { listAuditEvents } from "@/server/audit/list-audit-events";

export const auditRouter = createTRPCRouter({
  list: protectedProcedure.input(listAuditInput).query(({ ctx, input }) => listAuditEvents({ ctx: svc(ctx), input })),
});
