import { pgEnum } from "drizzle-orm/pg-core";

export const roleEnum = pgEnum("role", ["owner", "admin", "developer", "viewer"]);
export const environmentModeEnum = pgEnum("environment_mode", ["production", "staging", "development", "preview"]);
export const runtimeEnum = pgEnum("runtime", ["process"]);
export const serviceTypeEnum = pgEnum("service_type", ["application", "worker"]);
export const desiredStateEnum = pgEnum("desired_state", ["running", "stopped"]);
export const deploymentStatusEnum = pgEnum("deployment_status", [
  "QUEUED",
  "PRECHECK",
  "BUILDING",
  "DEPLOYING",
  "DEPLOYED",
  "BUILD_ERROR",
  "DEPLOYMENT_ERROR",
  "CANCELING",
  "CANCELED",
]);
export const requestSourceEnum = pgEnum("request_source", ["ui", "api", "cli", "webhook", "system"]);
