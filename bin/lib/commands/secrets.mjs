import { CliError } from "../api.mjs";
import { connect } from "../session.mjs";
import { resolveOrg } from "../target.mjs";

export const usage = `Usage: slipway secrets rotate-key

Re-encrypts every secret of this Slipway installation (all organizations: the master key is the
installation's) under a new master key, in one transaction. Owners only.
With the generated key file (<data>/master-key) a new key is made and the old one dropped.
With SLIPWAY_MASTER_KEY set: put the new key there and the old one in SLIPWAY_MASTER_KEY_PREVIOUS,
restart the console, then run this; afterwards remove SLIPWAY_MASTER_KEY_PREVIOUS.

Options:
  -h, --help   show this help`;

export const options = {};

export async function run({ positionals }) {
  if (positionals[0] !== "rotate-key" || positionals.length !== 1) throw new CliError(`expected "rotate-key"\n\n${usage}`, 2);
  const { config, api } = connect();
  const org = await resolveOrg(api, config);
  const r = await api.variable.rotateKey.mutate({ orgId: org.id });
  console.log(`master key ${r.keyId} now encrypts ${r.secrets} secret(s) and ${r.deploymentSets} deployment variable set(s)${r.previousKeyIds.length ? `; replaced ${r.previousKeyIds.join(", ")}` : ""}`);
  if (r.note) console.log(r.note);
  return 0;
}
