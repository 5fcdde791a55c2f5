import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** A fresh, empty sibling of `final` (`<final>.tmp-xxxxxxxx`) to fill before publishing it. */
export function makeTempSibling(final: string, mode = 0o755): string {
  fs.mkdirSync(path.dirname(final), { recursive: true, mode });
  const tmp = `${final}.tmp-${crypto.randomBytes(4).toString("hex")}`;
  fs.mkdirSync(tmp, { mode });
  fs.chmodSync(tmp, mode);
  return tmp;
}

export function isTempSibling(name: string): boolean {
  return /\.tmp-[0-9a-f]{8}$/.test(name);
}

/**
 * Moves a finished temp folder to its final name in one rename, so readers see all of it or nothing.
 * Returns false (and removes the temp folder) when another writer published the same folder first.
 */
export function publishDir(tmp: string, final: string): boolean {
  try {
    fs.renameSync(tmp, final);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    fs.rmSync(tmp, { recursive: true, force: true });
    return false;
  }
}
