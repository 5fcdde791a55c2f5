import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { busWaiter } from "@/server/engine/bus-waiter";
import { serviceIdInput, watchEnvironmentInput } from "@/server/deployments/deployment-schemas";
import { environmentStatus } from "@/server/deployments/environment-status";
import { restartService, startService, stopService } from "@/server/deployments/service-control";
import { uuidSchema } from "@/server/validation/names";
import { z } from "zod";

export const runtimeRouter = createTRPCRouter({
  status: protectedProcedure.input(z.object({ environmentId: uuidSchema })).query(({ ctx, input }) => environmentStatus({ ctx: svc(ctx), environmentId: input.environmentId })),
  stop: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => stopService({ ctx: svc(ctx), serviceId: input.serviceId })),
  start: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => startService({ ctx: svc(ctx), serviceId: input.serviceId })),
  restart: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => restartService({ ctx: svc(ctx), serviceId: input.serviceId })),
  /** The environment's services and their running status, pushed whenever something changes. */
  watchStatus: protectedProcedure.input(watchEnvironmentInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    const waiter = busWaiter(["service", "deployment"], (_name, p) => p.environmentId === input.environmentId || p.environmentId === null);
    try {
      while (!signal?.aborted) {
        yield await waiter.read(() => environmentStatus({ ctx: c, environmentId: input.environmentId }), signal);
        await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
});

