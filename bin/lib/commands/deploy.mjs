import { CliError } from "../api.mjs";
import { formatDeploymentEvent } from "../format.mjs";
import { connect, interrupted } from "../session.mjs";
import { resolveTarget, splitTarget } from "../target.mjs";

export const usage = `Usage: slipway deploy <project>/<environment> [--service NAME] [--wait]

Queues a deployment of the environment's desired state (or of one service) and prints its id and
console URL. With --wait, streams its steps live and exits 0 only when it is DEPLOYED.

Options:
  --service NAME   deploy only this service
  --wait           follow the deployment until it ends; exit 1 unless DEPLOYED
  -h, --help       show this help`;

export const options = {
  service: { type: "string" },
  wait: { type: "boolean" },
};

const TERMINAL = ["DEPLOYED", "BUILD_ERROR", "DEPLOYMENT_ERROR", "CANCELED"];

export async function run({ values, positionals }) {
  if (positionals.length !== 1) throw new CliError(`expected one <project>/<environment>\n\n${usage}`, 2);
  const [project, environment] = splitTarget(positionals[0], ["<project>", "<environment>"], usage);
  const { config, api } = connect();
  const t = await resolveTarget(api, config, { project, environment, service: values.service });
  const d = await api.deployment.create.mutate({ environmentId: t.environment.id, serviceId: t.service?.id });
  const link = `${config.url}/o/${t.org.slug}/p/${project}/e/${environment}/deployments/${d.id}`;
  console.log(`deployment ${d.id} queued${d.merged ? " (merged into an identical queued request)" : ""}`);
  console.log(`  ${link}`);
  if (!values.wait) return 0;
  return watch(api, d.id);
}

/** Streams the deployment's steps until it ends; the exit code says whether it was DEPLOYED. */
function watch(api, deploymentId) {
  return new Promise((resolve) => {
    let lastStatus = null;
    let reconnecting = false;
    let sub = null;
    const finish = (code) => {
      sub?.unsubscribe();
      resolve(code);
    };
    sub = api.deployment.watch.subscribe(
      { deploymentId },
      {
        onData: ({ data }) => {
          if (data.type === "event") {
            console.log(formatDeploymentEvent(data.event));
            return;
          }
          const d = data.deployment;
          if (d.status !== lastStatus) {
            lastStatus = d.status;
            if (!TERMINAL.includes(d.status)) console.log(`status ${d.status}`);
          }
          if (!TERMINAL.includes(d.status)) return;
          if (d.status === "DEPLOYED") {
            console.log(`deployment ${d.id} DEPLOYED${d.revision ? ` (${d.revision})` : ""}`);
            finish(0);
          } else {
            console.log(`deployment ${d.id} ${d.status}${d.message ? `: ${d.message}` : ""}`);
            if (d.hint) console.log(`hint: ${d.hint}`);
            finish(1);
          }
        },
        onConnectionStateChange: (state) => {
          if (state.state === "connecting" && state.error && !reconnecting) {
            reconnecting = true;
            console.error(`slipway: lost the live stream (${state.error.message}); reconnecting…`);
          } else if (state.state === "pending") reconnecting = false;
        },
        onError: (err) => {
          console.error(`slipway: ${err.message}`);
          finish(1);
        },
      },
    );
    void interrupted().then(() => {
      console.error(`stopped watching; deployment ${deploymentId} goes on`);
      finish(130);
    });
  });
}
