/**
 * Variables Slipway computes for each service at deploy time. Their names are reserved (SLIPWAY_*,
 * PORT), so no user variable can shadow them.
 */
export type BuiltinContext = {
  projectName: string;
  environmentName: string;
  serviceName: string;
  deploymentId: string | null;
  revision: string | null;
  /** The instance's port, "(assigned at start)" for display, or null when the service gets none. */
  port: number | string | null;
  /** Other services of the environment that serve HTTP, with their internal address. */
  siblings: { name: string; url: string }[];
};

/** `SLIPWAY_<SERVICE>_URL`: the service name upper-cased, anything but letters and digits as `_`. */
export const siblingUrlName = (serviceName: string) => `SLIPWAY_${serviceName.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;

/** Every built-in name a service may reference, whether or not its value is known yet. */
export function builtinNames(c: Pick<BuiltinContext, "port" | "siblings">): string[] {
  return [
    ...(c.port !== null ? ["PORT"] : []),
    "SLIPWAY_PROJECT",
    "SLIPWAY_ENVIRONMENT",
    "SLIPWAY_SERVICE",
    "SLIPWAY_DEPLOYMENT_ID",
    "SLIPWAY_GIT_COMMIT",
    ...c.siblings.map((s) => siblingUrlName(s.name)),
  ];
}

/** The values known now; SLIPWAY_DEPLOYMENT_ID and SLIPWAY_GIT_COMMIT only once they exist. */
export function builtinValues(c: BuiltinContext): Record<string, string> {
  const out: Record<string, string> = {
    SLIPWAY_PROJECT: c.projectName,
    SLIPWAY_ENVIRONMENT: c.environmentName,
    SLIPWAY_SERVICE: c.serviceName,
  };
  if (c.deploymentId) out.SLIPWAY_DEPLOYMENT_ID = c.deploymentId;
  if (c.revision) out.SLIPWAY_GIT_COMMIT = c.revision;
  for (const s of c.siblings) out[siblingUrlName(s.name)] = s.url;
  if (c.port !== null) out.PORT = String(c.port);
  return out;
}
