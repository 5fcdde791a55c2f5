import "server-only";
import type { ServiceMetrics } from "./router-metrics";
import type { UpstreamEndpoint } from "./upstream-pool";
import type { RouteInfo, RouteSnapshot, Upstream } from "./types";

/** An upstream resolved for the hot path: address and its connection pool, nothing to compute per request. */
export type Target = { readonly upstream: Upstream; readonly host: string; readonly port: number; readonly endpoint: UpstreamEndpoint };

/**
 * One hostname's routing state. The object lives as long as the hostname is routed; `setRoute`
 * replaces `targets` (a frozen array) in one assignment, so a request picks from either the old or
 * the new set, never a mix, and a request already sent keeps its old target.
 */
export class Route {
  targets: readonly Target[] = [];
  removed = false;
  private cursor = 0;

  constructor(
    readonly hostname: string,
    public info: RouteInfo,
    public metrics: ServiceMetrics,
  ) {}

  /**
   * Next target round-robin, skipping those in `tried` (a retry) and, while others are left, those
   * whose instance refused a connection in the last moment; undefined when none is left.
   */
  pick(tried: readonly Target[] | null, now: number): Target | undefined {
    const targets = this.targets;
    const n = targets.length;
    let fallback: Target | undefined;
    for (let i = 0; i < n; i++) {
      const c = this.cursor;
      this.cursor = c + 1 >= n ? 0 : c + 1;
      const t = targets[c < n ? c : 0];
      if (tried !== null && wasTried(tried, t)) continue;
      if (t.endpoint.downUntil > now) {
        fallback ??= t;
        continue;
      }
      return t;
    }
    return fallback;
  }

  snapshot(): RouteSnapshot {
    return { hostname: this.hostname, info: { ...this.info }, upstreams: this.targets.map((t) => ({ ...t.upstream })) };
  }
}

function wasTried(tried: readonly Target[], t: Target): boolean {
  for (let i = 0; i < tried.length; i++) {
    const x = tried[i];
    if (x === t || (x.port === t.port && x.host === t.host)) return true;
  }
  return false;
}

/**
 * Host header → hostname: drops the port (`:8000`, and IPv6 `[::1]:8000` keeps its brackets), a
 * trailing dot, and case.
 */
export function normalizeHostname(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf("]");
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.indexOf(":");
    if (colon !== -1) end = colon;
  }
  if (end > 0 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return host.slice(0, end).trim().toLowerCase();
}

/** Raw Host header values seen recently → route, so the hot path skips normalizing. */
const MAX_CACHED_HOSTS = 1024;

export class RouteTable {
  private readonly byHostname = new Map<string, Route>();
  private readonly cache = new Map<string, Route | null>();

  lookup(hostHeader: string): Route | undefined {
    const cached = this.cache.get(hostHeader);
    if (cached !== undefined) return cached ?? undefined;
    const route = this.byHostname.get(normalizeHostname(hostHeader));
    if (this.cache.size >= MAX_CACHED_HOSTS) this.cache.clear();
    this.cache.set(hostHeader, route ?? null);
    return route;
  }

  get(hostname: string): Route | undefined {
    return this.byHostname.get(normalizeHostname(hostname));
  }

  add(route: Route): void {
    this.byHostname.set(route.hostname, route);
    this.cache.clear();
  }

  delete(hostname: string): Route | undefined {
    const key = normalizeHostname(hostname);
    const route = this.byHostname.get(key);
    if (!route) return undefined;
    this.byHostname.delete(key);
    this.cache.clear();
    return route;
  }

  all(): Route[] {
    return [...this.byHostname.values()];
  }
}
