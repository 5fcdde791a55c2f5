/** The router's public port: what a person opens. */
export const routerPort = () => Number(process.env.SLIPWAY_ROUTER_PORT ?? 8000);

/** What names a service's place: each part is a DNS label, so the hostname built from them is unique on the machine. */
export type ServicePlace = { organizationSlug: string; projectName: string; environmentName: string };

/**
 * `<service>.<environment>.<project>.<organization>.localhost`. The organization is part of it so that
 * two organizations with the same project, environment and service names never share one hostname.
 */
export const routeHostname = (service: string, place: ServicePlace) =>
  `${service}.${place.environmentName}.${place.projectName}.${place.organizationSlug}.localhost`;

/** http://<hostname>:<router port>, or null for services without a port. */
export function serviceUrl(service: { name: string; type: string; port?: number }, place: ServicePlace): string | null {
  if (service.type !== "application" || service.port === undefined) return null;
  const port = routerPort();
  return `http://${routeHostname(service.name, place)}${port === 80 ? "" : `:${port}`}`;
}
