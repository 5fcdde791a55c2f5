import { tracked } from "@trpc/server";
import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { busWaiter } from "@/server/engine/bus-waiter";
import { deploymentLogsInput, serviceIdInput, watchEnvironmentInput, watchLogsInput } from "@/server/deployments/deployment-schemas";
import { environmentStatus } from "@/server/deployments/environment-status";
import { restartService, startService, stopService } from "@/server/deployments/service-control";
import { listLogs } from "@/server/deployments/list-logs";
import { uuidSchema } from "@/server/validation/names";
import { z } from "zod";

export const runtimeRouter = createTRPCRouter({
  status: protectedProcedure.input(z.object({ environmentId: uuidSchema })).query(({ ctx, input }) => environmentStatus({ ctx: svc(ctx), environmentId: input.environmentId })),
  stop: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => stopService({ ctx: svc(ctx), serviceId: input.serviceId })),
  start: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => startService({ ctx: svc(ctx), serviceId: input.serviceId })),
  restart: protectedProcedure.input(serviceIdInput).mutation(({ ctx, input }) => restartService({ ctx: svc(ctx), serviceId: input.serviceId })),
  logs: protectedProcedure.input(deploymentLogsInput).query(({ ctx, input }) => listLogs({ ctx: svc(ctx), ...input })),
  /** Live tail: backfills after `lastEventId` (or the newest `tail` lines), then streams new lines as `tracked(id, line)`. */
  watchLogs: protectedProcedure.input(watchLogsInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    const waiter = busWaiter(["logs"], (_n, p) => p.serviceId === input.serviceId);
    try {
      let after = input.lastEventId !== undefined ? Number(input.lastEventId) : undefined;
      if (after === undefined) {
        // At least one line is read so the stream starts after the newest, even when no tail is wanted.
        const newest = await listLogs({ ctx: c, serviceId: input.serviceId, deploymentId: input.deploymentId, limit: Math.max(1, input.tail) });
        for (const l of input.tail === 0 ? [] : newest) yield tracked(String(l.id), l);
        after = newest.length ? newest[newest.length - 1].id : 0;
      }
      while (!signal?.aborted) {
        const batch = await listLogs({ ctx: c, serviceId: input.serviceId, deploymentId: input.deploymentId, afterId: after, limit: 1000 });
        for (const l of batch) {
          after = l.id;
          yield tracked(String(l.id), l);
        }
        if (batch.length < 1000) await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
  /** The environment's services and their running status, pushed whenever something changes. */
  watchStatus: protectedProcedure.input(watchEnvironmentInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    const waiter = busWaiter(["service", "deployment"], (_name, p) => p.environmentId === input.environmentId || p.environmentId === null);
    try {
      while (!signal?.aborted) {
        yield await environmentStatus({ ctx: c, environmentId: input.environmentId });
        await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
});

