import { tracked } from "@trpc/server";
import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { busWaiter } from "@/server/engine/bus-waiter";
import { environmentMetricsInput, serviceMetricsInput, watchEnvironmentMetricsInput, watchMetricsInput } from "@/server/metrics/metric-schemas";
import { serviceMetrics } from "@/server/metrics/service-metrics";
import { environmentMetrics } from "@/server/metrics/environment-metrics";
import { latestEnvironmentSample, latestSamples } from "@/server/metrics/watch-metrics";

const LIVE_BATCH = 100;

export const metricsRouter = createTRPCRouter({
  /** Series for a range (≤ 500 points) and the deployment markers in it. */
  service: protectedProcedure.input(serviceMetricsInput).query(({ ctx, input }) => serviceMetrics({ ctx: svc(ctx), ...input })),
  /** Every service of an environment: status, instance count, last hour's sparklines. */
  environment: protectedProcedure.input(environmentMetricsInput).query(({ ctx, input }) => environmentMetrics({ ctx: svc(ctx), environmentId: input.environmentId })),
  /** Each new raw sample of a service as `tracked(bucket start ms, point)`, pushed at every sampler tick. */
  watch: protectedProcedure.input(watchMetricsInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    const waiter = busWaiter(["metrics"], () => true);
    try {
      let after = input.lastEventId !== undefined ? Number(input.lastEventId) : undefined;
      while (!signal?.aborted) {
        const afterMs = after;
        const batch = await waiter.read(() => latestSamples({ ctx: c, serviceId: input.serviceId, afterMs, limit: LIVE_BATCH }), signal);
        for (const p of batch) {
          after = p.t;
          yield tracked(String(p.t), p);
        }
        // Nothing stored yet: from now on, every sample is new.
        after ??= 0;
        // A full batch means a resuming client is behind: read on before waiting.
        if (batch.length < LIVE_BATCH) await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
  /**
   * The environment overview's sparklines are behind: `tracked(newest sample's bucket start ms, { t })`
   * once per sampler tick that stored something newer (the client then re-reads metrics.environment).
   * Resuming with the last id sends the newest at once if it is newer.
   */
  watchEnvironment: protectedProcedure.input(watchEnvironmentMetricsInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    // Listen first, so a tick between the read and the wait is not missed.
    const waiter = busWaiter(["metrics"], () => true);
    try {
      let after = input.lastEventId !== undefined ? Number(input.lastEventId) : null;
      while (!signal?.aborted) {
        const t = await waiter.read(() => latestEnvironmentSample({ ctx: c, environmentId: input.environmentId }), signal);
        if (t !== null && (after === null || t > after)) {
          after = t;
          yield tracked(String(t), { t });
        }
        await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
});
