import "server-only";

export { Supervisor } from "./supervisor";
export type { InstanceSpec, InstanceState, InstanceInfo, InstanceExit, LogEvent, StateEvent, SpawnEvent, LimitsEvent, SupervisorEvents } from "./supervisor";
export type { RestartOptions } from "./restart-policy";
export { allocatePort, isPortFree } from "./ports";
export { waitForHealthy, waitForStable, type HealthResult } from "./health";
export { processStartTime, isAlive, groupMembers, killProcessGroupIfSame, type KillResult } from "./process-identity";
export { createLimits, detectCgroups, type Limits, type AppliedLimits, type CgroupKind } from "./cgroups";
