export type Stage = "precheck" | "build" | "deploy" | "health" | "traffic" | "drain" | "finish" | "cancel" | "recover";

/** A pipeline step that failed for a reason a person can act on. */
export class StepFailure extends Error {
  constructor(
    readonly stage: Stage,
    message: string,
    readonly hint?: string,
    /** The last log lines of the thing that failed, for the deployment's error. */
    readonly logTail: string[] = [],
    readonly status: "BUILD_ERROR" | "DEPLOYMENT_ERROR" = stage === "build" ? "BUILD_ERROR" : "DEPLOYMENT_ERROR",
  ) {
    super(message);
    this.name = "StepFailure";
  }
}

export class DeploymentCanceled extends Error {
  constructor() {
    super("the deployment was canceled");
    this.name = "DeploymentCanceled";
  }
}
