// "<project>/<environment>[/<service>]" → ids, through the same procedures the console uses.
import { CliError, errorCode } from "./api.mjs";

export function splitTarget(text, parts, usage) {
  const names = typeof text === "string" ? text.split("/") : [];
  if (names.length !== parts.length || names.some((n) => !n)) throw new CliError(`expected ${parts.join("/")}, got "${text ?? ""}"\n${usage}`, 2);
  return names;
}

async function orNotFound(call, message) {
  try {
    return await call;
  } catch (err) {
    if (errorCode(err) === "NOT_FOUND") throw new CliError(message);
    throw err;
  }
}

/** The organization the login is for: the configured slug, else the token's only one. */
export async function resolveOrg(api, config) {
  const orgs = await api.organization.list.query();
  if (config.org) {
    const org = orgs.find((o) => o.slug === config.org);
    if (!org) throw new CliError(`organization "${config.org}" is not reachable with this login (it has: ${orgs.map((o) => o.slug).join(", ") || "none"})`);
    return org;
  }
  if (orgs.length === 1) return orgs[0];
  if (orgs.length === 0) throw new CliError("this login reaches no organization: run `slipway login` again");
  throw new CliError(`this login reaches several organizations (${orgs.map((o) => o.slug).join(", ")}): set SLIPWAY_ORG or log in with --org`);
}

export async function resolveTarget(api, config, { project, environment, service }) {
  const org = await resolveOrg(api, config);
  const p = await orNotFound(api.project.get.query({ orgId: org.id, name: project }), `project "${project}" not found in organization ${org.slug}`);
  const e = await orNotFound(api.environment.get.query({ projectId: p.id, name: environment }), `environment "${environment}" not found in project ${project}`);
  const s = service ? await orNotFound(api.service.get.query({ environmentId: e.id, name: service }), `service "${service}" not found in ${project}/${environment}`) : null;
  return { org, project: p, environment: e, service: s };
}
