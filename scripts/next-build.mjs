// Shared by scripts/start.mjs and bench/console.mjs: is the production build missing or stale,
// and how to run Next's CLI. Plain Node, no dependencies.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");

/** Folders and files whose change means the production build no longer matches the source. */
const SOURCE_DIRS = ["app", "server", "components", "db", "lib", "hooks", "styles", "public", "types", "src"];
const SOURCE_FILES = [
  "package.json",
  "package-lock.json",
  "next.config.mjs",
  "next.config.js",
  "next.config.ts",
  "instrumentation.ts",
  "instrumentation-client.ts",
  "proxy.ts",
  "middleware.ts",
  "tsconfig.json",
  "postcss.config.mjs",
  ".env",
  ".env.local",
  ".env.production",
  ".env.production.local",
];

/** Next's output folder: next.config.mjs honours SLIPWAY_NEXT_DIST (a second build beside the first). */
export function distDir(root = ROOT) {
  return path.resolve(root, process.env.SLIPWAY_NEXT_DIST || ".next");
}

/** The path of Next's CLI entry point inside node_modules. */
export function nextBin(root = ROOT) {
  const bin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  if (!fs.existsSync(bin)) throw new Error(`Next.js is not installed (${path.relative(root, bin)} is missing): run \`npm ci\` first`);
  return bin;
}

/** The console's server (Next with the /api/trpc fast lane): what `npm start`, the tests and the benches run. */
export function consoleServer(root = ROOT) {
  return path.join(root, "scripts", "console-server.mjs");
}

/**
 * Node options the console runs with, wherever it is started. V8 grows its young generation to two
 * 16 MB semi-spaces under load and keeps them resident: at 8 MB the idle console holds ~20 MB less
 * (measured: 208–230 MB instead of 236–252 MB idle RSS on PGlite) for scavenges twice as often, which
 * did not move service.list latency beyond this machine's noise.
 */
export const CONSOLE_NODE_ARGS = ["--max-semi-space-size=8"];

/**
 * Environment the console process starts with. glibc's malloc keeps memory freed by V8's background
 * threads (compiler zones, PGlite's WASM compilation) in per-thread arenas, and with its default
 * dynamic thresholds never hands it back: the idle console's RSS varied between ~205 and ~265 MB from
 * one start to the next. Fixed 128 KiB trim and mmap thresholds return it: 193–195 MB, steady.
 */
export const CONSOLE_ENV = { MALLOC_TRIM_THRESHOLD_: "131072", MALLOC_MMAP_THRESHOLD_: "131072" };

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** The most recently modified source file below `dir` (ignores node_modules and dot folders). */
function newestIn(dir, best) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return best;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      best = newestIn(full, best);
    } else if (e.isFile()) {
      const m = mtimeMs(full);
      if (m !== null && (!best || m > best.mtimeMs)) best = { file: full, mtimeMs: m };
    }
  }
  return best;
}

/**
 * Whether `next build` must run: no `<distDir>/BUILD_ID`, or a source file newer than it.
 * @returns {{ stale: boolean, reason: string }}
 */
export function buildStatus(root = ROOT) {
  const built = mtimeMs(path.join(distDir(root), "BUILD_ID"));
  if (built === null) return { stale: true, reason: "there is no production build yet" };
  let newest = null;
  for (const d of SOURCE_DIRS) newest = newestIn(path.join(root, d), newest);
  for (const f of SOURCE_FILES) {
    const m = mtimeMs(path.join(root, f));
    if (m !== null && (!newest || m > newest.mtimeMs)) newest = { file: path.join(root, f), mtimeMs: m };
  }
  if (newest && newest.mtimeMs > built) {
    return { stale: true, reason: `${path.relative(root, newest.file)} changed after the last build` };
  }
  return { stale: false, reason: "the production build is up to date" };
}

/** Environment for Next's CLI: a self-hosted console does not phone home unless asked to. */
export function nextEnv(extra = {}) {
  return { ...process.env, NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED ?? "1", ...extra };
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs a child with inherited stdio, forwarding SIGINT/SIGTERM/SIGHUP to it while it runs.
 * Resolves with how it ended.
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null }>}
 */
export function runForwardingSignals(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", ...options });
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    child.once("error", (err) => {
      done();
      reject(err);
    });
    child.once("exit", (code, signal) => {
      done();
      resolve({ code, signal });
    });
  });
}

/** The exit status a shell would report for a child's end. */
export function exitStatus({ code, signal }) {
  if (code !== null) return code;
  return 128 + (os.constants.signals[signal] ?? 1);
}

/**
 * Runs `next build` when the build is missing or stale. Returns true if it built.
 * Throws when the build fails.
 */
export async function buildIfStale({ root = ROOT, log = (m) => console.log(m) } = {}) {
  const status = buildStatus(root);
  if (!status.stale) return false;
  log(`[slipway] building the console: ${status.reason} (next build, about 30 s) …`);
  const started = Date.now();
  const result = await runForwardingSignals(process.execPath, [nextBin(root), "build"], { cwd: root, env: nextEnv() });
  if (result.code !== 0) {
    const err = new Error(`next build failed (${result.signal ? `signal ${result.signal}` : `exit code ${result.code}`})`);
    err.exitStatus = exitStatus(result);
    throw err;
  }
  // Date the build as of when it started: a file edited while it ran is newer, so the next start rebuilds.
  const buildId = path.join(distDir(root), "BUILD_ID");
  if (fs.existsSync(buildId)) fs.utimesSync(buildId, new Date(), new Date(started));
  log(`[slipway] build finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
