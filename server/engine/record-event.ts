import "server-only";
import type { DbOrTx } from "@/server/auth/actor";
import { deploymentEvents } from "@/db/schema";
import { bus } from "./event-bus";
import type { Stage } from "./step-failure";

export type StepEvent = {
  deploymentId: string;
  environmentId: string;
  stage: Stage;
  step: string;
  status: "running" | "success" | "error" | "info" | "warning";
  message: string;
  hint?: string | null;
  serviceId?: string | null;
  serviceName?: string | null;
};

/** Stores a step event with its deployment and tells live subscribers there is something new. */
export async function recordEvent(db: DbOrTx, e: StepEvent): Promise<number> {
  const [row] = await db
    .insert(deploymentEvents)
    .values({
      deploymentId: e.deploymentId,
      stage: e.stage,
      step: e.step,
      status: e.status,
      message: e.message,
      hint: e.hint ?? null,
      serviceId: e.serviceId ?? null,
      serviceName: e.serviceName ?? null,
    })
    .returning({ id: deploymentEvents.id });
  bus.emit("deployment", { deploymentId: e.deploymentId, environmentId: e.environmentId });
  return row.id;
}
