#!/usr/bin/env node
// slipway — the Slipway console from a terminal: apply manifests, deploy, read status and logs.
// Exit codes: 0 done, 1 failed (network, auth, refused, invalid input, failed deployment), 2 usage.
import { parseArgs } from "node:util";
import { CliError, describeError } from "./lib/api.mjs";
import { ConfigError, loadConfig } from "./lib/config.mjs";
import * as login from "./lib/commands/login.mjs";
import * as apply from "./lib/commands/apply.mjs";
import * as deploy from "./lib/commands/deploy.mjs";
import * as status from "./lib/commands/status.mjs";
import * as logs from "./lib/commands/logs.mjs";
import * as exportCmd from "./lib/commands/export.mjs";
import * as vars from "./lib/commands/vars.mjs";
import * as secrets from "./lib/commands/secrets.mjs";

const COMMANDS = { login, apply, deploy, status, logs, export: exportCmd, vars, secrets };

const USAGE = `slipway — the Slipway console from a terminal

Usage: slipway <command> [options]

Commands:
  login    sign in and save an API token     slipway login --url URL --email EMAIL --password PASSWORD [--org SLUG]
  apply    plan and apply a manifest         slipway apply -f slipway.yaml [--prune] [--dry-run]
  deploy   deploy an environment             slipway deploy <project>/<environment> [--service NAME] [--wait]
  status   what is running, and where        slipway status <project>/<environment> [--json]
  logs     print or follow a service's logs  slipway logs <project>/<environment>/<service> [--deployment ID] [--follow] [--tail N]
  export   print an environment's manifest   slipway export <project>/<environment>
  vars     manage variables and secrets      slipway vars <list|set|unset|import|export> <project>[/<environment>[/<service>]] …
  secrets  rotate the master key             slipway secrets rotate-key

Run \`slipway <command> --help\` for a command's options.
The login is kept in $SLIPWAY_CONFIG (default ~/.config/slipway/config.json); SLIPWAY_URL and
SLIPWAY_TOKEN (and SLIPWAY_ORG) override it.`;

async function main(argv) {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = rest[0] && COMMANDS[rest[0]];
    console.log(topic ? topic.usage : USAGE);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  if (!command) {
    console.error(`slipway: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({ args: rest, options: { ...command.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`slipway ${name}: ${err.message}\n\n${command.usage}`);
    return 2;
  }
  if (args.values.help) {
    console.log(command.usage);
    return 0;
  }
  let url = null;
  try {
    url = loadConfig().url;
    return await command.run(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`slipway: ${err.message}`);
      return 1;
    }
    console.error(`slipway: ${describeError(err, { url: name === "login" ? args.values.url : url, loggingIn: name === "login" })}`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/**
 * Resolves once everything written to `stream` so far has been handed to the OS. Writes to a pipe are
 * asynchronous: exiting right after one loses what the reader has not taken yet (a piped `export` was
 * cut at 64–128 KiB). An empty write's callback runs after the writes queued before it.
 */
function flushed(stream) {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    // A reader that went away (EPIPE) has nothing left to wait for.
    stream.once("error", resolve);
    stream.write("", () => {
      stream.off("error", resolve);
      resolve();
    });
  });
}

/** Exit once stdout and stderr are drained; explicitly, so an open keep-alive socket or event stream cannot keep a finished command alive. */
async function exit(code) {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

main(process.argv.slice(2)).then(exit, (err) => {
  console.error(`slipway: ${err instanceof Error ? err.message : String(err)}`);
  return exit(1);
});
