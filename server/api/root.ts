import "server-only";
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { organizationRouter } from "./routers/organization";
import { memberRouter } from "./routers/member";
import { invitationRouter } from "./routers/invitation";
import { projectRouter } from "./routers/project";
import { environmentRouter } from "./routers/environment";
import { serviceRouter } from "./routers/service";
import { tokenRouter } from "./routers/token";
import { auditRouter } from "./routers/audit";
import { viewerRouter } from "./routers/viewer";
import { deploymentRouter } from "./routers/deployment";
import { runtimeRouter } from "./routers/runtime";
import { manifestRouter } from "./routers/manifest";
import { cliRouter } from "./routers/cli";
import { variableRouter } from "./routers/variable";
import { metricsRouter } from "./routers/metrics";
import { logsRouter } from "./routers/logs";

export const appRouter = createTRPCRouter({
  viewer: viewerRouter,
  organization: organizationRouter,
  member: memberRouter,
  invitation: invitationRouter,
  project: projectRouter,
  environment: environmentRouter,
  service: serviceRouter,
  token: tokenRouter,
  audit: auditRouter,
  deployment: deploymentRouter,
  runtime: runtimeRouter,
  manifest: manifestRouter,
  cli: cliRouter,
  variable: variableRouter,
  metrics: metricsRouter,
  logs: logsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
