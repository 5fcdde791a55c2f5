import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { createServiceInput, deleteServiceInput, getServiceInput, listServicesInput, updateServiceInput } from "@/server/services/service-schemas";
import { listServices } from "@/server/services/list-services";
import { serializeOnce } from "@/server/api/transformer";
import { getService } from "@/server/services/get-service";
import { createService } from "@/server/services/create-service";
import { updateService } from "@/server/services/update-service";
import { deleteService } from "@/server/services/delete-service";

export const serviceRouter = createTRPCRouter({
  // The same frozen list is answered until the environment's services change: serialized once.
  list: protectedProcedure.input(listServicesInput).query(async ({ ctx, input }) => serializeOnce(await listServices({ ctx: svc(ctx), environmentId: input.environmentId }))),
  get: protectedProcedure.input(getServiceInput).query(({ ctx, input }) => getService({ ctx: svc(ctx), ...input })),
  create: protectedProcedure.input(createServiceInput).mutation(({ ctx, input }) => createService({ ctx: svc(ctx), input })),
  update: protectedProcedure.input(updateServiceInput).mutation(({ ctx, input }) => updateService({ ctx: svc(ctx), input })),
  delete: protectedProcedure.input(deleteServiceInput).mutation(({ ctx, input }) => deleteService({ ctx: svc(ctx), serviceId: input.serviceId })),
});
