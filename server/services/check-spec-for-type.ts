import { badField } from "@/server/errors/app-error";
import type { ServiceSpec } from "./service-spec";

/** Rules that span fields: a worker serves no HTTP, so it has no port or health-check path. */
export function checkSpecForType(type: "application" | "worker", spec: ServiceSpec): void {
  if (type === "worker" && spec.port !== undefined) throw badField("spec.port", "a worker has no port; remove the port or make the service an application");
  if (type === "worker" && spec.healthcheck?.path) {
    throw badField("spec.healthcheck.path", "a worker has no HTTP health check; remove the path or make the service an application");
  }
}
