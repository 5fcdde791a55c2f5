import fs from "node:fs";
import path from "node:path";

/**
 * Where sources, builds and instance folders live: beside the data folder, never inside it, because
 * the data folder is hidden from deployed code and the work folder must be reachable by it.
 */
export function resolveWorkDir(): string {
  return path.resolve(/*turbopackIgnore: true*/ process.env.SLIPWAY_WORK_DIR || path.join(process.cwd(), ".slipway", "work"));
}

/**
 * Creates the work folder, traversable but not listable (0711, its parent made traversable too) so each
 * service's user can reach its own subfolders and see no one else's.
 */
export function ensureWorkDir(dir = resolveWorkDir()): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
  fs.chmodSync(dir, 0o711);
  const parent = path.dirname(dir);
  if (parent !== dir) {
    const mode = fs.statSync(parent).mode & 0o777;
    if ((mode & 0o001) === 0) fs.chmodSync(parent, mode | 0o011);
  }
  return dir;
}
