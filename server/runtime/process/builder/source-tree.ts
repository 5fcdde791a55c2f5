import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Never part of a source: version-control data and installed dependencies (the build installs its own). */
export const SKIPPED_NAMES = new Set([".git", "node_modules"]);

type EntryKind = { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };

function skipped(abs: string, stat: EntryKind, skipAbs: ReadonlySet<string>): boolean {
  if (skipAbs.has(abs)) return true;
  if (SKIPPED_NAMES.has(path.basename(abs))) return true;
  // Sockets, FIFOs and devices cannot be copied and mean nothing to a build.
  return !(stat.isFile() || stat.isDirectory() || stat.isSymbolicLink());
}

/**
 * A fingerprint of a folder from its paths, types, modes, sizes and modification times (not the
 * contents: cheap enough to run on every deploy), skipping .git, node_modules and `skipAbs`.
 */
export function treeRevision(root: string, skipAbs: ReadonlySet<string> = new Set()): string {
  const hash = createHash("sha256");
  const walk = (dir: string, rel: string) => {
    const names = fs.readdirSync(dir).sort();
    for (const name of names) {
      const abs = path.join(dir, name);
      const stat = fs.lstatSync(abs, { bigint: true });
      if (skipped(abs, stat, skipAbs)) continue;
      const relPath = rel ? `${rel}/${name}` : name;
      if (stat.isDirectory()) {
        hash.update(`d ${relPath} ${stat.mode}\n`);
        walk(abs, relPath);
      } else if (stat.isSymbolicLink()) {
        hash.update(`l ${relPath} ${fs.readlinkSync(abs)}\n`);
      } else {
        hash.update(`f ${relPath} ${stat.mode} ${stat.size} ${stat.mtimeNs}\n`);
      }
    }
  };
  walk(root, "");
  return hash.digest("hex").slice(0, 16);
}

/** Copies a folder (symlinks as they are, timestamps kept), leaving out what treeRevision skips. */
export async function copyTree(from: string, to: string, skipAbs: ReadonlySet<string> = new Set()): Promise<void> {
  await fs.promises.cp(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (src) => src === from || !skipped(src, fs.lstatSync(src), skipAbs),
  });
}
