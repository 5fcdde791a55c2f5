import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import {
  effectiveVariablesInput,
  exportVariablesInput,
  importVariablesInput,
  listVariablesInput,
  rotateKeyInput,
  setVariableInput,
  unsetVariableInput,
} from "@/server/variables/variable-schemas";
import { listVariables } from "@/server/variables/list-variables";
import { setVariable } from "@/server/variables/set-variable";
import { unsetVariable } from "@/server/variables/unset-variable";
import { effectiveVariables } from "@/server/variables/effective-variables";
import { exportVariables } from "@/server/variables/export-variables";
import { importPlan, importVariables } from "@/server/variables/import-variables";
import { rotateMasterKey } from "@/server/secrets/rotate-master-key";

export const variableRouter = createTRPCRouter({
  list: protectedProcedure.input(listVariablesInput).query(({ ctx, input }) => listVariables({ ctx: svc(ctx), scope: input.scope })),
  set: protectedProcedure.input(setVariableInput).mutation(({ ctx, input }) => setVariable({ ctx: svc(ctx), ...input })),
  unset: protectedProcedure.input(unsetVariableInput).mutation(({ ctx, input }) => unsetVariable({ ctx: svc(ctx), ...input })),
  effective: protectedProcedure.input(effectiveVariablesInput).query(({ ctx, input }) => effectiveVariables({ ctx: svc(ctx), serviceId: input.serviceId })),
  export: protectedProcedure.input(exportVariablesInput).query(({ ctx, input }) => exportVariables({ ctx: svc(ctx), scope: input.scope })),
  /** A query (it changes nothing): the UI shows it before the person confirms `import`. */
  importPlan: protectedProcedure.input(importVariablesInput).query(({ ctx, input }) => importPlan({ ctx: svc(ctx), ...input })),
  import: protectedProcedure.input(importVariablesInput).mutation(({ ctx, input }) => importVariables({ ctx: svc(ctx), ...input })),
  /** `slipway secrets rotate-key`: the master key is the installation's; an owner of the given organization may rotate it. */
  rotateKey: protectedProcedure.input(rotateKeyInput).mutation(({ ctx, input }) => rotateMasterKey({ ctx: svc(ctx), orgId: input.orgId })),
});
