import "server-only";
import type { LogWriter } from "@/server/engine/log-writer";
import { secretValuesOf, type ServiceVariables } from "@/server/variables/materialize";
import { createRedactor, noRedaction, type Redactor } from "./redactor";

type Global = typeof globalThis & { __slipwaySecretsInUse?: Map<string, string[]> };
/** Per service: the secret values of the version serving now (its logs must stay masked). */
const inUse = ((globalThis as Global).__slipwaySecretsInUse ??= new Map<string, string[]>());

export const secretsOf = (vars: ServiceVariables | undefined | null, builtins: Record<string, string> = {}) => (vars ? secretValuesOf(vars, builtins) : []);

/**
 * Masks a service's secrets in its log lines. While a new version rolls out the old one still
 * logs, so the redactor covers both until the next deployment.
 */
export function armServiceRedaction(logs: LogWriter, serviceId: string, secrets: string[]): Redactor {
  const all = [...new Set([...(inUse.get(serviceId) ?? []), ...secrets])];
  const redactor = all.length ? createRedactor(all) : null;
  logs.setRedactor(serviceId, redactor);
  return redactor ?? noRedaction;
}

/** The new version serves now: its secrets are the ones in use. */
export function secretsNowInUse(serviceId: string, secrets: string[]): void {
  inUse.set(serviceId, secrets);
}
