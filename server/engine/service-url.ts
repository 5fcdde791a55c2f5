/** The router's public port: what a person opens. */
export const routerPort = () => Number(process.env.SLIPWAY_ROUTER_PORT ?? 8000);

export const routeHostname = (service: string, environment: string, project: string) => `${service}.${environment}.${project}.localhost`;

/** http://<service>.<environment>.<project>.localhost:<router port>, or null for services without a port. */
export function serviceUrl(service: { name: string; type: string; port?: number }, target: { environmentName: string; projectName: string }): string | null {
  if (service.type !== "application" || service.port === undefined) return null;
  const port = routerPort();
  return `http://${routeHostname(service.name, target.environmentName, target.projectName)}${port === 80 ? "" : `:${port}`}`;
}
