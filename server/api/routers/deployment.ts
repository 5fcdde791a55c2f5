import { tracked } from "@trpc/server";
import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { busWaiter } from "@/server/engine/bus-waiter";
import { deploymentIdInput, listDeploymentsInput, requestDeploymentInput, watchDeploymentInput } from "@/server/deployments/deployment-schemas";
import { enqueueDeployment } from "@/server/deployments/request-deployment";
import { cancelDeployment } from "@/server/deployments/cancel-deployment";
import { rollbackDeployment } from "@/server/deployments/rollback-deployment";
import { listDeployments } from "@/server/deployments/list-deployments";
import { getDeployment, listDeploymentEvents } from "@/server/deployments/get-deployment";

export const deploymentRouter = createTRPCRouter({
  list: protectedProcedure.input(listDeploymentsInput).query(({ ctx, input }) => listDeployments({ ctx: svc(ctx), ...input })),
  get: protectedProcedure.input(deploymentIdInput).query(({ ctx, input }) => getDeployment({ ctx: svc(ctx), deploymentId: input.deploymentId })),
  events: protectedProcedure.input(watchDeploymentInput).query(({ ctx, input }) => listDeploymentEvents({ ctx: svc(ctx), deploymentId: input.deploymentId, afterId: input.lastEventId })),
  create: protectedProcedure.input(requestDeploymentInput).mutation(({ ctx, input }) => enqueueDeployment({ ctx: svc(ctx), ...input })),
  cancel: protectedProcedure.input(deploymentIdInput).mutation(({ ctx, input }) => cancelDeployment({ ctx: svc(ctx), deploymentId: input.deploymentId })),
  rollback: protectedProcedure.input(deploymentIdInput).mutation(({ ctx, input }) => rollbackDeployment({ ctx: svc(ctx), deploymentId: input.deploymentId })),
  /**
   * Live step timeline and status. Listens first, backfills from `lastEventId`, then yields each new
   * event as `tracked(id, …)` so a reconnecting client resumes without gaps or duplicates.
   */
  watch: protectedProcedure.input(watchDeploymentInput).subscription(async function* ({ ctx, input, signal }) {
    const c = svc(ctx);
    const waiter = busWaiter(["deployment", "service"], (name, p) => (name === "deployment" ? "deploymentId" in p && p.deploymentId === input.deploymentId : true));
    try {
      let last = input.lastEventId ?? 0;
      let lastStatus = "";
      while (!signal?.aborted) {
        const d = await waiter.read(() => getDeployment({ ctx: c, deploymentId: input.deploymentId }), signal);
        const from = last;
        for (const e of await waiter.read(() => listDeploymentEvents({ ctx: c, deploymentId: input.deploymentId, afterId: from }), signal)) {
          last = e.id;
          yield tracked(String(e.id), { type: "event" as const, event: e, deployment: d });
        }
        const statusKey = `${d.status}|${d.finishedAt?.getTime() ?? ""}`;
        if (statusKey !== lastStatus) {
          lastStatus = statusKey;
          yield tracked(String(last), { type: "status" as const, deployment: d });
        }
        await waiter.wait(signal);
      }
    } finally {
      waiter.close();
    }
  }),
});
