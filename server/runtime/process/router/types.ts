import "server-only";

/** One running instance of a service the router may send traffic to. */
export type Upstream = {
  id: string;
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
};

/** Who a hostname belongs to: names the service on error pages and keys its metrics. */
export type RouteInfo = {
  serviceId: string;
  serviceName: string;
  /** Shown on error pages as "web (shop/staging)"; derived from `<service>.<env>.<project>.localhost` when absent. */
  environmentName?: string;
  projectName?: string;
};

export type RouteSnapshot = { hostname: string; info: RouteInfo; upstreams: Upstream[] };

/** One finished request (or WebSocket handshake), for the telemetry hook. */
export type RouterSample = { serviceId: string; status: number; durationMs: number; at: number };
