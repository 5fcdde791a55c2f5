// What a bench started (process groups, temp folders, anything else) is removed on exit, Ctrl-C included.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { killGroup, killPid, processesUnder } from "./processes.mjs";

const groups = new Set();
const tempDirs = new Map();
const asyncHooks = [];

export function trackGroup(pid) {
  groups.add(pid);
}

export function untrackGroup(pid) {
  groups.delete(pid);
}

/**
 * A fresh folder under the OS temp folder, removed on exit. `shared`: readable by other users
 * (deployed code runs as another user when the console runs as root), and any process still
 * running from it is killed first.
 */
export function makeTempDir(prefix, { shared = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  if (shared) fs.chmodSync(dir, 0o755);
  tempDirs.set(dir, shared);
  return dir;
}

/** A folder the bench made elsewhere (e.g. below the repository), removed on exit too. */
export function removeOnExit(dir) {
  tempDirs.set(dir, false);
}

/** Async work for a signal (dropping scratch databases); on a plain exit only the sync part runs. */
export function onSignalCleanup(fn) {
  asyncHooks.push(fn);
}

export function cleanupSync() {
  for (const pid of groups) killGroup(pid, "SIGKILL");
  groups.clear();
  for (const [dir, shared] of tempDirs) {
    if (shared) for (const pid of processesUnder(dir)) killPid(pid, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}

export async function cleanup() {
  cleanupSync();
  for (const fn of asyncHooks.splice(0)) await fn();
}

process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up …`);
    cleanup().finally(() => process.exit(130));
  });
}
