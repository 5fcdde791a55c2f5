/** Deployment lifecycle and the one table of what each status allows; the UI buttons and the API both read it. */
export const DEPLOYMENT_STATUSES = ["QUEUED", "PRECHECK", "BUILDING", "DEPLOYING", "DEPLOYED", "BUILD_ERROR", "DEPLOYMENT_ERROR", "CANCELING", "CANCELED"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const IN_FLIGHT: readonly DeploymentStatus[] = ["PRECHECK", "BUILDING", "DEPLOYING", "CANCELING"];
export const TERMINAL: readonly DeploymentStatus[] = ["DEPLOYED", "BUILD_ERROR", "DEPLOYMENT_ERROR", "CANCELED"];

export type DeploymentAction = "cancel" | "redeploy" | "rollback";

const DEPLOYMENT_ACTIONS: Record<DeploymentStatus, readonly DeploymentAction[]> = {
  QUEUED: ["cancel"],
  PRECHECK: ["cancel"],
  BUILDING: ["cancel"],
  DEPLOYING: ["cancel"],
  CANCELING: [],
  DEPLOYED: ["redeploy", "rollback"],
  BUILD_ERROR: ["redeploy"],
  DEPLOYMENT_ERROR: ["redeploy", "rollback"],
  CANCELED: ["redeploy"],
};

export const deploymentAllows = (status: DeploymentStatus, action: DeploymentAction) => DEPLOYMENT_ACTIONS[status].includes(action);
export const deploymentActions = (status: DeploymentStatus) => DEPLOYMENT_ACTIONS[status];

/** Service running status (observed), separate from the deployment's. */
export const RUNNING_STATUSES = ["NOT_DEPLOYED", "STARTING", "RUNNING", "DEGRADED", "STOPPED", "ERROR"] as const;
export type RunningStatus = (typeof RUNNING_STATUSES)[number];
export type ServiceAction = "deploy" | "restart" | "stop" | "start" | "delete";

const SERVICE_ACTIONS: Record<RunningStatus, readonly ServiceAction[]> = {
  NOT_DEPLOYED: ["deploy", "delete"],
  STARTING: ["deploy", "stop", "delete"],
  RUNNING: ["deploy", "restart", "stop", "delete"],
  DEGRADED: ["deploy", "restart", "stop", "delete"],
  STOPPED: ["deploy", "start", "delete"],
  ERROR: ["deploy", "restart", "stop", "start", "delete"],
};

export const serviceAllows = (status: RunningStatus, action: ServiceAction) => SERVICE_ACTIONS[status].includes(action);
export const serviceActions = (status: RunningStatus) => SERVICE_ACTIONS[status];
