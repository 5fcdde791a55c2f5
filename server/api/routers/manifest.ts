import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { applyManifestInput, exportManifestInput, planManifestInput } from "@/server/manifest/manifest-schema";
import { planManifest } from "@/server/manifest/plan-manifest";
import { applyManifest } from "@/server/manifest/apply-manifest";
import { exportManifest } from "@/server/manifest/export-manifest";

/**
 * validateManifest applies the input text rules to the manifest itself, so its problems carry manifest
 * paths and lines; manifests take the larger body limit (server/http/body-limits.ts).
 */
const manifestProcedure = protectedProcedure.meta({ checksOwnText: ["manifest"], body: "manifest" });

export const manifestRouter = createTRPCRouter({
  /** What applying the manifest would change now. A read: it authorizes nothing beyond reading the organization. */
  plan: manifestProcedure.input(planManifestInput).query(({ ctx, input }) => planManifest({ ctx: svc(ctx), input })),
  /**
   * Applies the manifest in one transaction (or, with dryRun, plans and authorizes it as apply would, over POST).
   * Named `applyManifest` because tRPC reserves `apply` (its client proxy is a function).
   */
  applyManifest: manifestProcedure.input(applyManifestInput).mutation(({ ctx, input }) => applyManifest({ ctx: svc(ctx), input })),
  export: protectedProcedure.input(exportManifestInput).query(({ ctx, input }) => exportManifest({ ctx: svc(ctx), environmentId: input.environmentId })),
});
