import "server-only";
import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { DetectedCommands } from "./detect-commands";

/** Bump when what a build folder contains changes for the same inputs (layout, env, static server). */
const BUILDER_VERSION = 1;

const KEY_FILE = ".build-key";

/**
 * A per-installation secret for build ids: they hash the build-time variables, and a plain hash
 * of a short secret could be guessed back from an id shown in the UI. Readable by the console only.
 */
function buildKey(buildsRoot: string): Buffer {
  const file = path.join(buildsRoot, KEY_FILE);
  fs.mkdirSync(buildsRoot, { recursive: true, mode: 0o711 });
  try {
    fs.writeFileSync(file, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
}

/** Same revision, commands and build variables → same id → the finished build is reused. */
export function computeBuildId(buildsRoot: string, input: { revision: string; commands: DetectedCommands; buildEnv: Record<string, string> }): string {
  const { kind, install = null, build = null, start } = input.commands;
  const env = Object.entries(input.buildEnv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const material = JSON.stringify({ v: BUILDER_VERSION, revision: input.revision, commands: { kind, install, build, start }, env });
  return createHmac("sha256", buildKey(buildsRoot)).update(material).digest("hex").slice(0, 16);
}
