import "server-only";

/**
 * What bounds one client's hold on the router (README, Configuration):
 * SLIPWAY_ROUTER_HEAD_TIMEOUT_MS — how long a connection may take to deliver a whole request head,
 * counted from its accept or from the end of its previous response (so it also bounds idle
 * keep-alive time); SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT — open connections per peer address.
 */
export type RouterLimits = { headTimeoutMs: number; maxConnectionsPerClient: number };

export const DEFAULT_ROUTER_LIMITS: RouterLimits = { headTimeoutMs: 10_000, maxConnectionsPerClient: 256 };

function wholeNumber(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return n;
}

export function routerLimitsFromEnv(env: Record<string, string | undefined> = process.env): RouterLimits {
  return {
    headTimeoutMs: wholeNumber(env, "SLIPWAY_ROUTER_HEAD_TIMEOUT_MS", DEFAULT_ROUTER_LIMITS.headTimeoutMs, 100, 3_600_000),
    maxConnectionsPerClient: wholeNumber(env, "SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT", DEFAULT_ROUTER_LIMITS.maxConnectionsPerClient, 1, 1_000_000),
  };
}
