// A signed-in client for commands that need one.
import { CliError, makeClient } from "./api.mjs";
import { loadConfig } from "./config.mjs";

export function connect() {
  const config = loadConfig();
  if (!config.url || !config.token) {
    throw new CliError("not logged in: run `slipway login --url URL --email EMAIL --password PASSWORD` (or set SLIPWAY_URL and SLIPWAY_TOKEN)");
  }
  return { config, api: makeClient({ url: config.url, token: config.token }) };
}

/** Resolves when the user presses Ctrl-C (SIGINT) or the process is asked to stop (SIGTERM). */
export function interrupted() {
  return new Promise((resolve) => {
    const done = (signal) => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve(signal);
    };
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}
