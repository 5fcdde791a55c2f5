import "server-only";
import fs from "node:fs";
import path from "node:path";
import { BUILD_RECORD_FILE, readBuildRecord } from "./build-record";
import { isTempSibling } from "./publish-dir";

export type PruneRequest = {
  buildsRoot: string;
  serviceId: string;
  /** How many of the most recently built or used builds to keep. */
  keep: number;
  /** Build ids kept whatever their age (the running version, a deployment in flight). */
  inUse: readonly string[];
  /** Temp folders of builds still running in this process: never touched. */
  activeTemps: ReadonlySet<string>;
  /** Other temp folders are removed once older than this (no build runs longer than its timeout). */
  staleTempMs: number;
};

function mtimeMs(file: string): number {
  try {
    return fs.lstatSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Keeps the `keep` most recent finished builds of a service plus those in use; removes older ones,
 * folders without a build record (a failed or interrupted build), and stale temp folders.
 * Returns the removed folder names.
 */
export function pruneBuilds(req: PruneRequest): string[] {
  const serviceDir = path.join(req.buildsRoot, req.serviceId);
  let names: string[];
  try {
    names = fs.readdirSync(serviceDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const remove = (name: string) => {
    fs.rmSync(path.join(serviceDir, name), { recursive: true, force: true });
    removed.push(name);
  };
  const builds: Array<{ name: string; usedAt: number }> = [];
  for (const name of names) {
    const abs = path.join(serviceDir, name);
    if (isTempSibling(name)) {
      if (!req.activeTemps.has(abs) && Date.now() - mtimeMs(abs) > req.staleTempMs) remove(name);
      continue;
    }
    if (readBuildRecord(req.buildsRoot, req.serviceId, name)) builds.push({ name, usedAt: mtimeMs(path.join(abs, BUILD_RECORD_FILE)) });
    else if (!req.inUse.includes(name)) remove(name);
  }
  builds.sort((a, b) => b.usedAt - a.usedAt);
  for (const [index, build] of builds.entries()) {
    if (index >= req.keep && !req.inUse.includes(build.name)) remove(build.name);
  }
  return removed;
}
