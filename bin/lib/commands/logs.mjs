import { CliError } from "../api.mjs";
import { formatLogLine } from "../format.mjs";
import { connect, interrupted } from "../session.mjs";
import { resolveTarget, splitTarget } from "../target.mjs";

export const usage = `Usage: slipway logs <project>/<environment>/<service> [options]

Prints a service's log lines as <time> <instance> <line>.

Options:
  --deployment ID   only the lines of this deployment (its build and its instances)
  --instance ID     only the lines of this instance
  --stream NAME     only stdout, stderr, build or system lines
  --grep TEXT       only lines containing TEXT (case-insensitive)
  --regex RE        only lines matching the regular expression RE
  --since TIME      lines from TIME (ISO 8601, e.g. 2026-01-31T12:00:00Z)
  --until TIME      lines up to TIME
  --follow          keep streaming new lines until Ctrl-C
  --tail N          start with the last N lines (default 200, at most 5000)
  -h, --help        show this help`;

export const options = {
  deployment: { type: "string" },
  instance: { type: "string" },
  stream: { type: "string" },
  grep: { type: "string" },
  regex: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  follow: { type: "boolean" },
  tail: { type: "string" },
};

function timeOption(name, value) {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new CliError(`--${name} must be a time such as 2026-01-31T12:00:00Z, got "${value}"`, 2);
  return d;
}

export async function run({ values, positionals }) {
  if (positionals.length !== 1) throw new CliError(`expected one <project>/<environment>/<service>\n\n${usage}`, 2);
  const [project, environment, service] = splitTarget(positionals[0], ["<project>", "<environment>", "<service>"], usage);
  const tail = values.tail === undefined ? 200 : Number(values.tail);
  if (!Number.isInteger(tail) || tail < 0 || tail > 5000) throw new CliError(`--tail must be a whole number from 0 to 5000, got "${values.tail}"`, 2);
  if (values.grep !== undefined && values.regex !== undefined) throw new CliError("use --grep or --regex, not both", 2);
  const from = timeOption("since", values.since);
  const to = timeOption("until", values.until);
  if (values.follow && (from || to)) throw new CliError("--since/--until read stored lines; they cannot be combined with --follow", 2);
  const { config, api } = connect();
  const t = await resolveTarget(api, config, { project, environment, service });
  const scope = {
    serviceId: t.service.id,
    deploymentId: values.deployment,
    instanceId: values.instance,
    stream: values.stream,
    text: values.regex ?? values.grep,
    regex: values.regex !== undefined,
  };
  if (!values.follow) {
    if (from) {
      // A time range reads forwards from its start, page after page, until its end.
      let afterId;
      for (;;) {
        const page = await api.logs.history.query({ ...scope, direction: "forward", from, to, afterId, limit: 5000 });
        for (const line of page.lines) console.log(formatLogLine(line));
        if (!page.more || page.lines.length === 0) return 0;
        afterId = page.lines[page.lines.length - 1].id;
      }
    }
    if (tail === 0) return 0;
    const page = await api.logs.history.query({ ...scope, to, limit: tail });
    for (const line of page.lines) console.log(formatLogLine(line));
    return 0;
  }
  return new Promise((resolve) => {
    let sub = null;
    const finish = (code) => {
      sub?.unsubscribe();
      resolve(code);
    };
    sub = api.logs.watch.subscribe(
      { ...scope, tail },
      {
        onData: ({ data }) => {
          if (data.type === "skipped") console.error(`slipway: fell behind; skipped ${data.count} line(s)`);
          else for (const line of data.lines) console.log(formatLogLine(line));
        },
        onError: (err) => {
          console.error(`slipway: ${err.message}`);
          finish(1);
        },
      },
    );
    void interrupted().then(() => finish(0));
  });
}
