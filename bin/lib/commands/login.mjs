import os from "node:os";
import { CliError, makeClient } from "../api.mjs";
import { configPath, saveConfig } from "../config.mjs";

export const usage = `Usage: slipway login --url URL --email EMAIL --password PASSWORD [--org SLUG]

Signs in with your console account, creates an API token named cli@<this machine> with your role in
the organization, and saves { url, token, org } to ${configPath()} (mode 0600).

Options:
  --url URL            the console's address, e.g. http://localhost:3000
  --email EMAIL        your account's email
  --password PASSWORD  your password (or set SLIPWAY_PASSWORD)
  --org SLUG           the organization, when you belong to several
  -h, --help           show this help`;

export const options = {
  url: { type: "string" },
  email: { type: "string" },
  password: { type: "string" },
  org: { type: "string" },
};

export async function run({ values }) {
  const password = values.password ?? process.env.SLIPWAY_PASSWORD;
  const missing = [!values.url && "--url", !values.email && "--email", !password && "--password"].filter(Boolean);
  if (missing.length) throw new CliError(`missing ${missing.join(", ")}\n\n${usage}`, 2);
  let url;
  try {
    url = new URL(values.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
  } catch {
    throw new CliError(`--url must be an http:// or https:// address, got "${values.url}"`, 2);
  }
  const base = url.toString().replace(/\/+$/, "");
  // No token on this request: a stale one would be refused before the password is even checked.
  const api = makeClient({ url: base, token: null });
  const result = await api.cli.login.mutate({ email: values.email, password, org: values.org, hostname: os.hostname() });
  const file = saveConfig({ url: base, token: result.token, org: result.org.slug });
  console.log(`Logged in to ${base} as ${values.email}: organization ${result.org.name} (${result.org.slug}), role ${result.role}.`);
  console.log(`Token saved to ${file}.`);
  return 0;
}
