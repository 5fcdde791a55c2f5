import { CliError, errorCode, fieldErrorsOf } from "../api.mjs";
import { describeManifestErrors, readManifest } from "../manifest-file.mjs";
import { connect } from "../session.mjs";
import { resolveOrg } from "../target.mjs";

export const usage = `Usage: slipway apply -f FILE [--prune] [--dry-run]

Applies a manifest: prints the plan (+ create, ~ update, - delete, = unchanged) and applies it in one
transaction — all of it or nothing. Applying the same file twice changes nothing. Relative
source.path values are resolved against the manifest's folder.

Options:
  -f, --file FILE   the manifest (YAML); - reads standard input
  --prune           delete services of the environment that the manifest does not name
  --dry-run         only print the plan (checked and authorized as a real apply would be)
  -h, --help        show this help`;

export const options = {
  file: { type: "string", short: "f" },
  prune: { type: "boolean" },
  "dry-run": { type: "boolean" },
};

export async function run({ values }) {
  if (!values.file) throw new CliError(`missing -f FILE\n\n${usage}`, 2);
  const file = readManifest(values.file);
  const { config, api } = connect();
  const org = await resolveOrg(api, config);
  const dryRun = Boolean(values["dry-run"]);
  let result;
  try {
    result = await api.manifest.applyManifest.mutate({ orgId: org.id, manifest: file.manifest, prune: Boolean(values.prune), dryRun, file: file.label });
  } catch (err) {
    const fieldErrors = fieldErrorsOf(err);
    if (errorCode(err) === "BAD_REQUEST" && fieldErrors) throw new CliError(describeManifestErrors(file, fieldErrors));
    throw err;
  }
  const { plan } = result;
  for (const line of plan.lines) console.log(line);
  const target = `${plan.project.name}/${plan.environment.name}`;
  if (dryRun) console.log(`dry run: nothing was applied to ${target}`);
  else if (result.applied) console.log(`applied to ${target}; deploy it with: slipway deploy ${target} --wait`);
  else console.log(`${target} already matches the manifest`);
  return 0;
}
