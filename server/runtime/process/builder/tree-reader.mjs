// Reads a source folder with the rights of the process that runs it: source-tree.ts runs this script
// (its text, through `node -e`) as the service's unprivileged user, so a folder that user cannot read
// fails with EACCES instead of being read as root. Plain JavaScript, no dependencies.
//
// argv[1]: JSON { op: "revision" | "copy" | "probe", from, to?, skip: string[] }
// stdout: JSON { ok: true, revision? } or { ok: false, code, path, message } (exit code 1).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Never part of a source: version-control data and installed dependencies (the build installs its own). */
const SKIPPED_NAMES = new Set([".git", "node_modules"]);

function skipped(abs, stat, skipAbs) {
  if (skipAbs.has(abs)) return true;
  if (SKIPPED_NAMES.has(path.basename(abs))) return true;
  // Sockets, FIFOs and devices cannot be copied and mean nothing to a build.
  return !(stat.isFile() || stat.isDirectory() || stat.isSymbolicLink());
}

/** The folder itself must be a folder (followed if it is a link: the policy already judged where it points). */
function checkRoot(root) {
  const stat = fs.statSync(root);
  if (!stat.isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR", path: root });
}

/**
 * A fingerprint of a folder from its paths, types, modes, sizes and modification times (not the
 * contents: cheap enough to run on every deploy), skipping .git, node_modules and `skipAbs`.
 */
function treeRevision(root, skipAbs) {
  const hash = createHash("sha256");
  const walk = (dir, rel) => {
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
        // Only the metadata is hashed: open the file too, so an unreadable one fails here, not mid-copy.
        fs.closeSync(fs.openSync(abs, "r"));
      }
    }
  };
  walk(root, "");
  return hash.digest("hex").slice(0, 16);
}

/** Copies a folder into `to` (symlinks as they are, timestamps kept), leaving out what treeRevision skips. */
function copyTree(from, to, skipAbs) {
  fs.cpSync(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (src) => src === from || !skipped(src, fs.lstatSync(src), skipAbs),
  });
}

function main() {
  const req = JSON.parse(process.argv[1] ?? "{}");
  const skip = new Set(req.skip ?? []);
  checkRoot(req.from);
  if (req.op === "probe") {
    fs.readdirSync(req.from);
    return {};
  }
  if (req.op === "revision") return { revision: treeRevision(req.from, skip) };
  if (req.op === "copy") {
    copyTree(req.from, req.to, skip);
    return {};
  }
  throw new Error(`unknown op ${req.op}`);
}

try {
  process.stdout.write(JSON.stringify({ ok: true, ...main() }));
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, code: err.code ?? null, path: err.path ?? null, message: String(err.message ?? err) }));
  process.exitCode = 1;
}
