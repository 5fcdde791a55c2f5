// Where the CLI keeps its login: { url, token, org } in a file only its owner can read.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** $SLIPWAY_CONFIG, else $XDG_CONFIG_HOME/slipway/config.json, else ~/.config/slipway/config.json. */
export function configPath() {
  if (process.env.SLIPWAY_CONFIG) return path.resolve(process.env.SLIPWAY_CONFIG);
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "slipway", "config.json");
}

export class ConfigError extends Error {}

function readFileConfig(file) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${file}: ${err.message}`);
  }
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : {};
  } catch {
    throw new ConfigError(`${file} is not valid JSON; fix it or run \`slipway login\` again`);
  }
}

/** The saved login, with SLIPWAY_URL / SLIPWAY_TOKEN / SLIPWAY_ORG taking precedence field by field. */
export function loadConfig() {
  const file = configPath();
  const saved = readFileConfig(file);
  return {
    file,
    url: process.env.SLIPWAY_URL || saved.url || null,
    token: process.env.SLIPWAY_TOKEN || saved.token || null,
    org: process.env.SLIPWAY_ORG || (process.env.SLIPWAY_TOKEN ? null : saved.org) || null,
  };
}

/** Writes atomically, mode 0600; the folder is created 0700 (and tightened when it is our own default folder). */
export function saveConfig(config) {
  const file = configPath();
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!process.env.SLIPWAY_CONFIG) fs.chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}
