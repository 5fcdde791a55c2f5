import "server-only";
import fs from "node:fs";
import path from "node:path";
import { runAsIds, type RunAs } from "./sandbox";

/**
 * The layout of the work folder and who may enter what. The shared parents (the work folder itself,
 * sources/, builds/, instances/) are 0711: a service's user can pass through to its own folders but
 * cannot list anyone's. Each service's folders below them (sources/<service>, builds/<service>,
 * instances/<instance>) belong to that service's user with mode 0700.
 */
export type WorkTree = {
  root: string;
  /** Fetched sources of one service: never shared, so no service reads another's source. */
  sourcesOf(serviceId: string): string;
  builds: string;
  instances: string;
  instanceDir(instanceId: string): string;
};

export function workTree(root: string): WorkTree {
  const builds = path.join(root, "builds");
  const instances = path.join(root, "instances");
  return {
    root,
    sourcesOf: (serviceId) => path.join(root, "sources", serviceId),
    builds,
    instances,
    instanceDir: (instanceId) => path.join(instances, instanceId),
  };
}

/** A folder everyone may traverse and no one but root may list or write (the work tree's shared parents). */
export function sharedFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  fs.chmodSync(dir, 0o711);
}

/** Creates (or re-owns) a folder of one service: its user's alone, mode 0700. Its parent must exist. */
export function serviceFolder(dir: string, runAs: RunAs | null): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ids = runAsIds(runAs);
  if (ids) fs.chownSync(dir, ids.uid, ids.gid);
  fs.chmodSync(dir, 0o700);
}

/**
 * Makes the shared parents of a work tree (0711) and closes what an older layout left open: the
 * source cache shared by every service (`sources/path`, `sources/git`, world-readable; a cache, so
 * removed) and 0755 build folders (made 0700; the runtime gives a build to its service before running it).
 */
export function prepareWorkTree(tree: WorkTree): void {
  const sources = path.join(tree.root, "sources");
  for (const dir of [tree.root, sources, tree.builds, tree.instances]) sharedFolder(dir);
  for (const legacy of ["path", "git"]) fs.rmSync(path.join(sources, legacy), { recursive: true, force: true });
  for (const parent of [sources, tree.builds]) {
    for (const e of fs.readdirSync(/*turbopackIgnore: true*/ parent, { withFileTypes: true })) if (e.isDirectory()) fs.chmodSync(path.join(parent, e.name), 0o700);
  }
}
