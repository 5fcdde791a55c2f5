import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { ServiceSpec } from "@/server/services/service-spec";
import { handOver, type RunAs } from "../sandbox";
import { serviceFolder } from "../work-tree";
import { BuildFailure, buildCanceled, throwIfCanceled } from "./build-failure";
import { buildEnvironment, formatDuration } from "./build-environment";
import { computeBuildId } from "./build-id";
import { ignoreLog, type BuildLogSink } from "./build-log";
import { buildDirOf, readBuildRecord, touchBuildRecord, writeBuildRecord, type BuildRecord } from "./build-record";
import { detectCommands, STATIC_SERVER_FILE, type DetectedCommands } from "./detect-commands";
import { fetchSource } from "./fetch-source";
import type { FetchedSource, ServiceSource } from "./fetched-source";
import { pruneBuilds } from "./prune-builds";
import { makeTempSibling, publishDir } from "./publish-dir";
import { runSandboxed, type RunOutcome } from "./run-sandboxed";

export type BuildRequest = {
  /** Names the service's folder under buildsRoot: letters, digits, '-' and '_' only (a uuid). */
  serviceId: string;
  source: ServiceSource;
  spec: Pick<ServiceSpec, "build" | "run">;
  /** Build-time variables, already resolved (secrets included: they never reach logs or records). */
  buildEnv: Record<string, string>;
  /** Build-time file variables: written into the build folder for the build only, their path in the env. */
  buildFiles?: { name: string; content: string }[];
  /** This service's own source cache (never shared between services); created 0700 for its user. */
  cacheRoot: string;
  /** Holds `<serviceId>/<buildId>`; the service's folder is created 0700 for its user. */
  buildsRoot: string;
  /** The service's own user: the build runs as it and its folders belong to it (null only when not root). */
  runAs: RunAs | null;
  /** Folders the build must not see (the data folder…); cacheRoot and buildsRoot are added. */
  hiddenDirs: string[];
  onLog?: BuildLogSink;
  signal?: AbortSignal;
  /** For install and build together; default 15 min. */
  timeoutMs?: number;
  /** Finished builds kept per service for instant rollback; default 5. */
  keep?: number;
  /** Build ids never pruned (the running version, a rollback target). */
  inUse?: readonly string[];
  /** Relative path sources are resolved against this; default the console's cwd. */
  baseDir?: string;
  /** Called with the pid (= process group) of each build command, to record it for orphan cleanup. */
  onSpawn?: (pid: number) => void;
};

export type BuildResult = { buildId: string; dir: string; commands: DetectedCommands; revision: string; reused: boolean; durationMs: number };

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** Temp folders of builds running in this process: pruning leaves them alone. */
const activeTemps = new Set<string>();

/** The static file server shipped with the console (resolved like db/migrations: from the app root). */
function staticServerSource(): string {
  return path.join(/*turbopackIgnore: true*/ process.cwd(), "server", "runtime", "process", "builder", "static-server.mjs");
}

function stepFailure(label: string, command: string, outcome: RunOutcome, timeoutMs: number): BuildFailure | null {
  switch (outcome.kind) {
    case "canceled":
      return buildCanceled("build");
    case "timeout":
      return new BuildFailure(
        "build",
        `build exceeded the ${formatDuration(timeoutMs)} timeout`,
        `it was stopped while running ${label} command "${command}"; the last lines of its output are in the build log`,
      );
    case "spawn-error":
      return new BuildFailure("build", `could not start ${label} command "${command}": ${outcome.message}`, "check that bubblewrap works on this host (SLIPWAY_SANDBOX=off turns it off)");
    case "exited":
      if (outcome.code === 0) return null;
      if (outcome.signal)
        return new BuildFailure("build", `${label} command "${command}" was killed by ${outcome.signal}`, "it may have run out of memory; the last lines of its output are in the build log");
      return new BuildFailure("build", `${label} command "${command}" exited with code ${outcome.code}`, "the last lines of its output are in the build log");
  }
}

/** Where build-time file variables live during the build; removed before the build is published. */
const BUILD_FILES_DIR = ".slipway-build-vars";

function writeBuildFiles(tmp: string, files: { name: string; content: string }[]): Record<string, string> {
  if (files.length === 0) return {};
  const dir = path.join(tmp, BUILD_FILES_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {};
  for (const f of files) {
    const file = path.join(dir, f.name);
    fs.writeFileSync(file, f.content, { mode: 0o600 });
    env[f.name] = file;
  }
  return env;
}

/** Copies the fetched tree (without .git: a build gets files, not history) and, for a static site, the server. */
async function prepareFolder(fetched: FetchedSource, commands: DetectedCommands, tmp: string, runAs: RunAs | null, files: { name: string; content: string }[] = []): Promise<Record<string, string>> {
  const gitDir = path.join(fetched.dir, ".git");
  await fs.promises.cp(fetched.dir, tmp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, filter: (src) => src !== gitDir });
  if (commands.kind === "static") {
    const server = staticServerSource();
    if (!fs.existsSync(server)) throw new BuildFailure("build", `the built-in static server is missing (${server})`, "run the console from its project folder");
    fs.rmSync(path.join(tmp, STATIC_SERVER_FILE), { force: true, recursive: true });
    fs.copyFileSync(server, path.join(tmp, STATIC_SERVER_FILE));
  }
  fs.mkdirSync(path.join(tmp, ".home"), { recursive: true });
  const fileEnv = writeBuildFiles(tmp, files);
  await handOver(tmp, runAs);
  return fileEnv;
}

/**
 * Fetches, detects and builds one service into `<buildsRoot>/<serviceId>/<buildId>`. The build id
 * hashes revision, commands and build variables; a finished build with that id is reused at once
 * (rollback needs no rebuild). A new build runs in a temp folder as the service's user inside the sandbox
 * and is renamed into place only when it succeeded; then old builds are pruned.
 */
export async function buildService(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  const onLog = req.onLog ?? ignoreLog;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const keep = req.keep ?? 5;
  const inUse = req.inUse ?? [];
  if (!/^[A-Za-z0-9_-]+$/.test(req.serviceId)) throw new BuildFailure("build", `invalid service id "${req.serviceId}"`);
  const buildsRoot = path.resolve(req.buildsRoot);
  const cacheRoot = path.resolve(req.cacheRoot);

  // The cache's parent must let the service's user pass (it fetches there with its own rights).
  fs.mkdirSync(path.dirname(cacheRoot), { recursive: true, mode: 0o711 });
  serviceFolder(cacheRoot, req.runAs);
  const fetched = await fetchSource({ source: req.source, baseDir: req.baseDir, cacheRoot, onLog, signal: req.signal, runAs: req.runAs });
  throwIfCanceled(req.signal, "detect");
  const commands = detectCommands({ dir: fetched.dir, spec: req.spec });
  const files = req.buildFiles ?? [];
  // A file's content is part of what the build saw (keyed hash: the id reveals nothing of it).
  const idEnv = { ...req.buildEnv, ...Object.fromEntries(files.map((f) => [`file:${f.name}`, f.content])) };
  const buildId = computeBuildId(buildsRoot, { revision: fetched.revision, commands, buildEnv: idEnv });
  const final = buildDirOf(buildsRoot, req.serviceId, buildId);
  const prune = () => {
    try {
      pruneBuilds({ buildsRoot, serviceId: req.serviceId, keep, inUse: [...inUse, buildId], activeTemps, staleTempMs: timeoutMs + 60_000 });
    } catch (err) {
      onLog({ stream: "system", line: `could not remove old builds: ${(err as Error).message}` });
    }
  };

  const existing = readBuildRecord(buildsRoot, req.serviceId, buildId);
  if (existing) {
    touchBuildRecord(final);
    onLog({ stream: "system", line: `reusing build ${buildId} of ${existing.description}, built ${existing.createdAt}` });
    prune();
    return { buildId, dir: final, commands: existing.commands, revision: existing.revision, reused: true, durationMs: Date.now() - started };
  }

  throwIfCanceled(req.signal, "build");
  fs.mkdirSync(buildsRoot, { recursive: true, mode: 0o711 });
  serviceFolder(path.dirname(final), req.runAs);
  const tmp = makeTempSibling(final);
  activeTemps.add(tmp);
  try {
    const fileEnv = await prepareFolder(fetched, commands, tmp, req.runAs, files);
    throwIfCanceled(req.signal, "build");
    const hiddenDirs = [...new Set([...req.hiddenDirs.map((d) => path.resolve(d)), cacheRoot, buildsRoot])];
    const env = buildEnvironment(tmp, { ...req.buildEnv, ...fileEnv });
    const deadline = Date.now() + timeoutMs;
    const steps = [
      { label: "install", command: commands.install },
      { label: "build", command: commands.build },
    ];
    for (const { label, command } of steps) {
      if (!command) continue;
      onLog({ stream: "system", line: `$ ${command}` });
      const outcome = await runSandboxed({ command, dir: tmp, hiddenDirs, runAs: req.runAs, env, onLog, deadline, signal: req.signal, onSpawn: req.onSpawn });
      const failure = stepFailure(label, command, outcome, timeoutMs);
      if (failure) throw failure;
    }
    const record: BuildRecord = {
      buildId,
      serviceId: req.serviceId,
      revision: fetched.revision,
      description: fetched.description,
      commands,
      buildEnvNames: Object.keys(req.buildEnv).sort(),
      createdAt: new Date().toISOString(),
      durationMs: Date.now() - started,
    };
    // Secrets written as files for the build must not be kept with it.
    fs.rmSync(path.join(tmp, BUILD_FILES_DIR), { recursive: true, force: true });
    writeBuildRecord(tmp, record);
    // A folder without a record at the final name is a leftover, never a build: make room.
    if (fs.existsSync(final) && !readBuildRecord(buildsRoot, req.serviceId, buildId)) fs.rmSync(final, { recursive: true, force: true });
    const published = publishDir(tmp, final);
    onLog({ stream: "system", line: published ? `build ${buildId} ready in ${formatDuration(Date.now() - started)}` : `build ${buildId} was finished elsewhere meanwhile; using it` });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof BuildFailure) throw err;
    throw new BuildFailure("build", `could not prepare the build folder: ${(err as Error).message}`, "check free disk space and the work folder's permissions", { cause: err });
  } finally {
    activeTemps.delete(tmp);
  }
  prune();
  return { buildId, dir: final, commands, revision: fetched.revision, reused: false, durationMs: Date.now() - started };
}
