import { BuildFailure } from "@/server/runtime/process/builder/build-failure";

/** The BuildFailure a promise rejects with; any other outcome fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<BuildFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BuildFailure) return err;
    throw err;
  }
  throw new Error("expected a BuildFailure");
}
