import "server-only";

/** stdout/stderr: the build's own output; system: what the builder itself says (steps, cache hits). */
export type BuildLogStream = "stdout" | "stderr" | "system";

export type BuildLogLine = { stream: BuildLogStream; line: string };

export type BuildLogSink = (entry: BuildLogLine) => void;

export const ignoreLog: BuildLogSink = () => {};
