import "server-only";
import { bus } from "@/server/engine/event-bus";
import type { PoolService } from "./load-variables";

/** runtime.watchStatus listens for "service": each affected service's needs-redeploy flag may have flipped. */
export function notifyVariablesChanged(consumers: readonly PoolService[]): void {
  for (const s of consumers) bus.emit("service", { serviceId: s.id, environmentId: s.environmentId });
}
