import { CliError } from "../api.mjs";
import { connect } from "../session.mjs";
import { resolveTarget, splitTarget } from "../target.mjs";

export const usage = `Usage: slipway export <project>/<environment>

Prints the environment's desired state as a manifest; \`slipway apply -f\` of it changes nothing.

Options:
  -h, --help   show this help`;

export const options = {};

export async function run({ positionals }) {
  if (positionals.length !== 1) throw new CliError(`expected one <project>/<environment>\n\n${usage}`, 2);
  const [project, environment] = splitTarget(positionals[0], ["<project>", "<environment>"], usage);
  const { config, api } = connect();
  const t = await resolveTarget(api, config, { project, environment });
  const { yaml } = await api.manifest.export.query({ environmentId: t.environment.id });
  process.stdout.write(yaml);
  return 0;
}
