import "server-only";

export type BuildStage = "fetch" | "detect" | "build";

/**
 * Why a build did not produce a runnable folder, told to a person: `message` says what went wrong,
 * `hint` what to do about it. A canceled build is a BuildFailure too, named "AbortError" (like the
 * DOMException an aborted fetch throws) with `canceled: true`, so callers can tell it from a failure.
 */
export class BuildFailure extends Error {
  readonly stage: BuildStage;
  readonly hint: string | undefined;
  readonly canceled: boolean;

  constructor(stage: BuildStage, message: string, hint?: string, options?: { canceled?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = options?.canceled ? "AbortError" : "BuildFailure";
    this.stage = stage;
    this.hint = hint;
    this.canceled = options?.canceled ?? false;
  }
}

export function buildCanceled(stage: BuildStage): BuildFailure {
  return new BuildFailure(stage, "build canceled", undefined, { canceled: true });
}

/** Throws the canceled failure when the signal has fired; call between steps. */
export function throwIfCanceled(signal: AbortSignal | undefined, stage: BuildStage): void {
  if (signal?.aborted) throw buildCanceled(stage);
}
