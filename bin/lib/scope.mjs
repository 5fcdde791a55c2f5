// "<project>[/<environment>[/<service>]]" → the variables API's scope, through the same procedures the console uses.
import { CliError, errorCode } from "./api.mjs";
import { resolveOrg } from "./target.mjs";

async function orNotFound(call, message) {
  try {
    return await call;
  } catch (err) {
    if (errorCode(err) === "NOT_FOUND") throw new CliError(message);
    throw err;
  }
}

export async function resolveScope(api, config, text, usage) {
  const names = typeof text === "string" ? text.split("/") : [];
  if (names.length < 1 || names.length > 3 || names.some((n) => !n)) {
    throw new CliError(`expected <project>, <project>/<environment> or <project>/<environment>/<service>, got "${text ?? ""}"\n\n${usage}`, 2);
  }
  const [project, environment, service] = names;
  const org = await resolveOrg(api, config);
  const p = await orNotFound(api.project.get.query({ orgId: org.id, name: project }), `project "${project}" not found in organization ${org.slug}`);
  if (!environment) return { org, scope: { projectId: p.id }, label: project };
  const e = await orNotFound(api.environment.get.query({ projectId: p.id, name: environment }), `environment "${environment}" not found in project ${project}`);
  if (!service) return { org, scope: { environmentId: e.id }, label: `${project}/${environment}` };
  const s = await orNotFound(api.service.get.query({ environmentId: e.id, name: service }), `service "${service}" not found in ${project}/${environment}`);
  return { org, scope: { serviceId: s.id }, label: `${project}/${environment}/${service}` };
}
