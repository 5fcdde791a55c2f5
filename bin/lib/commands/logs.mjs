import { CliError } from "../api.mjs";
import { formatLogLine } from "../format.mjs";
import { connect, interrupted } from "../session.mjs";
import { resolveTarget, splitTarget } from "../target.mjs";

export const usage = `Usage: slipway logs <project>/<environment>/<service> [--deployment ID] [--follow] [--tail N]

Prints a service's log lines as <time> <instance> <line>.

Options:
  --deployment ID   only the lines of this deployment (its build and its instances)
  --follow          keep streaming new lines until Ctrl-C
  --tail N          start with the last N lines (default 200, at most 5000)
  -h, --help        show this help`;

export const options = {
  deployment: { type: "string" },
  follow: { type: "boolean" },
  tail: { type: "string" },
};

export async function run({ values, positionals }) {
  if (positionals.length !== 1) throw new CliError(`expected one <project>/<environment>/<service>\n\n${usage}`, 2);
  const [project, environment, service] = splitTarget(positionals[0], ["<project>", "<environment>", "<service>"], usage);
  const tail = values.tail === undefined ? 200 : Number(values.tail);
  if (!Number.isInteger(tail) || tail < 0 || tail > 5000) throw new CliError(`--tail must be a whole number from 0 to 5000, got "${values.tail}"`, 2);
  const { config, api } = connect();
  const t = await resolveTarget(api, config, { project, environment, service });
  const scope = { serviceId: t.service.id, deploymentId: values.deployment };
  if (!values.follow) {
    if (tail === 0) return 0;
    for (const line of await api.runtime.logs.query({ ...scope, limit: tail })) console.log(formatLogLine(line));
    return 0;
  }
  // Start after the newest stored line when no backlog is wanted (the stream's tail of 0 would replay from the start).
  let lastEventId;
  if (tail === 0) {
    const [newest] = await api.runtime.logs.query({ ...scope, limit: 1 });
    lastEventId = newest ? String(newest.id) : undefined;
  }
  return new Promise((resolve) => {
    let sub = null;
    const finish = (code) => {
      sub?.unsubscribe();
      resolve(code);
    };
    sub = api.runtime.watchLogs.subscribe(
      { ...scope, tail, lastEventId },
      {
        onData: ({ data }) => console.log(formatLogLine(data)),
        onError: (err) => {
          console.error(`slipway: ${err.message}`);
          finish(1);
        },
      },
    );
    void interrupted().then(() => finish(0));
  });
}
