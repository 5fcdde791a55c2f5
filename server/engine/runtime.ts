import type { SnapshotService } from "@/db/schema";
import type { ServiceVariables } from "@/server/variables/materialize";
import type { StepEvent } from "./record-event";
import type { RunningStatus } from "./deployment-status";
import type { ServicePlace } from "./service-url";

export type DeployTarget = ServicePlace & {
  deploymentId: string;
  environmentId: string;
};

/** What a pipeline step may do besides its work: report progress, write log lines, notice cancellation. */
export type StepContext = DeployTarget & {
  emit: (e: Omit<StepEvent, "deploymentId" | "environmentId">) => Promise<void>;
  log: (serviceId: string, line: string, stream?: "build" | "system") => void;
  /** The last lines a service printed during this deployment. */
  tail: (serviceId: string) => string[];
  signal: AbortSignal;
};

/** A built, runnable version of one service: start/restart/rollback reuse it without rebuilding. */
export type BuiltVersion = { buildId: string; dir: string; startCommand: string; revision: string; reused: boolean };

/**
 * `variables`: what the engine resolved for this deployment (secrets decrypted, in memory only).
 * Without it the runtime uses spec.env alone, as before variables existed.
 */
export type ServiceRef = {
  id: string;
  name: string;
  type: SnapshotService["type"];
  spec: SnapshotService["spec"];
  variables?: ServiceVariables;
  /** The service's own unprivileged user (allocated and recorded by the engine, server/engine/service-identity.ts). */
  runAs: ServiceIdentity;
};

/** A service's uid and gid (the same number): its builds, instances and folders belong to it alone. */
export type ServiceIdentity = { uid: number; gid: number };

/**
 * Where services actually run. The engine talks only to this; the process runtime implements it
 * today, the Kubernetes runtime later.
 */
export interface Runtime {
  readonly kind: "process";
  /** Source reachable, commands knowable, resources available. Throws StepFailure("precheck"). */
  precheck(service: ServiceRef, ctx: StepContext): Promise<void>;
  /** Fetch + build (or reuse a cached build). Throws StepFailure("build"). */
  build(service: ServiceRef, ctx: StepContext): Promise<BuiltVersion>;
  /**
   * Start the new version beside the old, wait for health, switch traffic atomically, drain and stop
   * the old. On failure: stop the new instances, keep the old serving, throw StepFailure.
   */
  rollout(service: ServiceRef, version: BuiltVersion, ctx: StepContext): Promise<void>;
  /** Stop every instance of a service (desired state: stopped). */
  stop(serviceId: string): Promise<void>;
  /** Start the service's current version again (after stop, or on recovery). */
  start(service: ServiceRef, version: BuiltVersion, target: Omit<DeployTarget, "deploymentId"> & { deploymentId: string | null }): Promise<void>;
  /** Stop everything of a service and remove its builds, sources and instance folders. */
  remove(serviceId: string): Promise<void>;
  status(serviceId: string): RunningStatus;
  /** The address a person opens (through the router), or null for services without a port. */
  url(service: { name: string; type: string }, target: ServicePlace): string | null;
  /** Whether a kept build still exists (a rollback reuses it instead of rebuilding). */
  hasBuild(version: Pick<BuiltVersion, "dir">): boolean;
  /** Stops processes a previous life of this console left behind; returns how many. */
  stopOrphans(): Promise<number>;
  /**
   * The engine is done bringing back what ran before a restart (whether or not all of it came
   * back): addresses nothing is routed to stop answering "starting" and answer "not found".
   */
  restoreDone(): void;
  shutdown(): Promise<void>;
}
