import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { ServiceSpec } from "@/server/services/service-spec";
import { BuildFailure } from "./build-failure";

export type DetectedCommands = {
  /** Where the start command came from. */
  kind: "explicit" | "procfile" | "node" | "static";
  install?: string;
  build?: string;
  start: string;
};

/** The file the builder copies into a static site's build folder (see static-server.mjs). */
export const STATIC_SERVER_FILE = ".slipway-static-server.mjs";

const DETECT_HINT =
  "add a Procfile with a web: line, a package.json with a start script, or an index.html for a static site; or set run.command in the service spec";

type PackageJson = {
  scripts?: Record<string, unknown>;
  main?: unknown;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  optionalDependencies?: Record<string, unknown>;
};

/**
 * A file of the source, or null when there is none. The console reads it (as root, possibly): a
 * symbolic link that leads out of the source folder is refused, never followed.
 */
function readSourceFile(dir: string, name: string): string | null {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return null;
  const rel = path.relative(fs.realpathSync(dir), fs.realpathSync(file));
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new BuildFailure("detect", `${name} is a symbolic link to a file outside the source folder`, `make ${name} a file of the app, or set build.command and run.command`);
  }
  return fs.readFileSync(file, "utf8");
}

function readPackageJson(dir: string): PackageJson | null {
  const text = readSourceFile(dir, "package.json");
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("it is not a JSON object");
    return parsed as PackageJson;
  } catch (err) {
    throw new BuildFailure("detect", `package.json is not valid: ${(err as Error).message}`, "fix package.json, or set build.command and run.command");
  }
}

/** Procfile processes in file order: `name: command`, comments and blank lines skipped. */
function readProcfile(dir: string): Array<{ name: string; command: string }> {
  const text = readSourceFile(dir, "Procfile");
  if (text === null) return [];
  const processes: Array<{ name: string; command: string }> = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.+)$/.exec(line.trim());
    if (m && !line.trim().startsWith("#")) processes.push({ name: m[1], command: m[2].trim() });
  }
  return processes;
}

const hasEntries = (deps: Record<string, unknown> | undefined) => deps !== null && typeof deps === "object" && Object.keys(deps).length > 0;

const hasScript = (pkg: PackageJson, name: string) => typeof pkg.scripts?.[name] === "string" && (pkg.scripts[name] as string).trim() !== "";

/** `node <file>` with the file quoted for /bin/sh when it needs to be. */
function nodeCommand(file: string): string {
  return /^[\w./@-]+$/.test(file) ? `node ${file}` : `node '${file.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to install, build and start the app in `dir`. Explicit spec commands win, each on its own:
 * run.command replaces the detected start; build.command replaces the detected install and build
 * (it is the whole build step). Otherwise: Procfile (web:, else worker:, else the first process),
 * package.json (npm ci with a lockfile, npm install without, nothing without dependencies; npm run
 * build; npm start or node <main>), and a root index.html served by the built-in static server.
 */
export function detectCommands({ dir, spec }: { dir: string; spec: Pick<ServiceSpec, "build" | "run"> }): DetectedCommands {
  const explicitStart = spec.run?.command?.trim() || undefined;
  const explicitBuild = spec.build?.command?.trim() || undefined;
  const pkg = readPackageJson(dir);

  let install: string | undefined;
  let build: string | undefined;
  if (explicitBuild) {
    build = explicitBuild;
  } else if (pkg) {
    if (hasEntries(pkg.dependencies) || hasEntries(pkg.devDependencies) || hasEntries(pkg.optionalDependencies)) {
      const locked = fs.existsSync(path.join(dir, "package-lock.json")) || fs.existsSync(path.join(dir, "npm-shrinkwrap.json"));
      install = locked ? "npm ci" : "npm install";
    }
    if (hasScript(pkg, "build")) build = "npm run build";
  }
  const steps = { ...(install ? { install } : {}), ...(build ? { build } : {}) };

  if (explicitStart) return { kind: "explicit", ...steps, start: explicitStart };

  const procfile = readProcfile(dir);
  const proc = procfile.find((p) => p.name === "web") ?? procfile.find((p) => p.name === "worker") ?? procfile[0];
  if (proc) return { kind: "procfile", ...steps, start: proc.command };

  if (pkg) {
    if (hasScript(pkg, "start")) {
      // npm adds ~1–2 s and two processes to every instance start (and so to every rollout). Without
      // pre/post hooks, run the script itself the way npm would: node_modules/.bin first on PATH.
      const script = (pkg.scripts as Record<string, string>).start;
      const hooks = hasScript(pkg, "prestart") || hasScript(pkg, "poststart");
      return { kind: "node", ...steps, start: hooks ? "npm start" : `export PATH="$PWD/node_modules/.bin:$PATH"; ${script}` };
    }
    if (typeof pkg.main === "string" && pkg.main.trim() !== "") return { kind: "node", ...steps, start: nodeCommand(pkg.main.trim()) };
    // What `npm start` itself does without a start script.
    if (fs.existsSync(path.join(dir, "server.js"))) return { kind: "node", ...steps, start: "node server.js" };
  }

  if (fs.existsSync(path.join(dir, "index.html"))) return { kind: "static", ...steps, start: `node ${STATIC_SERVER_FILE}` };

  throw new BuildFailure("detect", "cannot tell how to start this service", DETECT_HINT);
}
