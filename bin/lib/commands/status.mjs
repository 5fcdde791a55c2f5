import { CliError } from "../api.mjs";
import { table } from "../format.mjs";
import { connect } from "../session.mjs";
import { resolveTarget, splitTarget } from "../target.mjs";

export const usage = `Usage: slipway status <project>/<environment> [--json]

Each service's running status, instances and URL.

Options:
  --json       print { project, environment, services: [{ name, type, status, instances, url }] }
  -h, --help   show this help`;

export const options = { json: { type: "boolean" } };

export async function run({ values, positionals }) {
  if (positionals.length !== 1) throw new CliError(`expected one <project>/<environment>\n\n${usage}`, 2);
  const [project, environment] = splitTarget(positionals[0], ["<project>", "<environment>"], usage);
  const { config, api } = connect();
  const t = await resolveTarget(api, config, { project, environment });
  const st = await api.runtime.status.query({ environmentId: t.environment.id });
  const services = st.services.map((s) => ({
    name: s.name,
    type: s.type,
    status: s.status,
    instances: s.instances.map((i) => ({ id: i.id, state: i.state, restarts: i.restarts })),
    url: s.url,
  }));
  if (values.json) {
    console.log(JSON.stringify({ project: st.project, environment: st.environment, services }, null, 2));
    return 0;
  }
  if (services.length === 0) {
    console.log(`${project}/${environment} has no services`);
    return 0;
  }
  const withMessages = st.services.some((s) => s.message);
  const rows = st.services.map((s) => {
    const running = s.instances.filter((i) => i.state === "running").length;
    const row = [s.name, s.type, s.status, s.instances.length ? `${running}/${s.instances.length} running` : "-", s.url ?? "-"];
    return withMessages ? [...row, s.message ?? ""] : row;
  });
  console.log(table(["NAME", "TYPE", "STATUS", "INSTANCES", "URL", ...(withMessages ? ["MESSAGE"] : [])], rows));
  return 0;
}
