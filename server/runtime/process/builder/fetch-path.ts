import "server-only";
import fs from "node:fs";
import path from "node:path";
import { BuildFailure, throwIfCanceled } from "./build-failure";
import { ignoreLog } from "./build-log";
import type { FetchedSource, FetchRequest } from "./fetched-source";
import { fetchIdentity, giveTo, permissionDenied, type FetchIdentity } from "./fetch-identity";
import { makeTempSibling, publishDir } from "./publish-dir";
import { checkLocalFolder } from "./source-policy";
import { runTreeOp, type TreeAnswer } from "./source-tree";

const READ_HINT = "a source is read with its service's rights: make the folder and its files readable by that user (e.g. chmod -R o+rX), or use a git source";

/** A failed tree operation as a BuildFailure a person can act on. */
function treeFailure(answer: Extract<TreeAnswer, { ok: false }>, given: string, abs: string, who: FetchIdentity, what: string): BuildFailure {
  if (answer.code === "EACCES" || answer.code === "EPERM") return permissionDenied(answer.path ?? abs, who, READ_HINT);
  if (answer.code === "ENOENT" && answer.path === abs) {
    return new BuildFailure("fetch", `source folder ${given} does not exist (resolved to ${abs})`, "check source.path: a relative path is resolved against the manifest's folder");
  }
  if (answer.code === "ENOTDIR" && answer.path === abs) {
    return new BuildFailure("fetch", `source path ${given} is not a folder (resolved to ${abs})`, "source.path must name the folder that holds the app");
  }
  return new BuildFailure("fetch", `could not ${what} ${abs}: ${answer.message.slice(0, 300)}`, READ_HINT);
}

/**
 * A local folder as a source: judged by the source policy (again: a symlink may have changed since
 * validation), then fingerprinted (paths, sizes, mtimes) and copied once per fingerprint into
 * `<cacheRoot>/path/<revision>` by a child running with the service's rights, never root's, so a
 * build never sees the folder change under it and never gets what its user could not read.
 */
export async function fetchPathSource(sourcePath: string, req: FetchRequest): Promise<FetchedSource> {
  const onLog = req.onLog ?? ignoreLog;
  // A user folder read at run time, not code to bundle: keep it out of output tracing.
  const given = path.resolve(/*turbopackIgnore: true*/ req.baseDir ?? process.cwd(), sourcePath);
  const judged = await checkLocalFolder(sourcePath, given, "path");
  if ("problem" in judged) throw new BuildFailure("fetch", judged.problem.message);
  const abs = judged.real;
  const who = fetchIdentity(req.runAs);

  const cacheRoot = path.resolve(req.cacheRoot);
  const skip = [cacheRoot];
  const fingerprint = await runTreeOp({ op: "revision", from: abs, skip }, who, req.signal).catch((err: Error) => {
    throwIfCanceled(req.signal, "fetch");
    throw new BuildFailure("fetch", `could not read ${abs}: ${err.message}`, READ_HINT);
  });
  if (!fingerprint.ok) throw treeFailure(fingerprint, sourcePath, abs, who, "read");
  const revision = fingerprint.revision ?? "";
  const description = `folder ${abs} (tree ${revision})`;
  const final = path.join(cacheRoot, "path", revision);
  if (fs.existsSync(final)) {
    onLog({ stream: "system", line: `using ${description}, already copied` });
    return { dir: final, revision, description };
  }

  throwIfCanceled(req.signal, "fetch");
  onLog({ stream: "system", line: `copying ${description} as ${who.label}` });
  const tmp = makeTempSibling(final);
  try {
    giveTo(tmp, who);
    const copied = await runTreeOp({ op: "copy", from: abs, to: tmp, skip }, who, req.signal);
    if (!copied.ok) throw treeFailure(copied, sourcePath, abs, who, "copy");
    throwIfCanceled(req.signal, "fetch");
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throwIfCanceled(req.signal, "fetch");
    if (err instanceof BuildFailure) throw err;
    throw new BuildFailure("fetch", `could not copy ${abs}: ${(err as Error).message}`, READ_HINT);
  }
  publishDir(tmp, final);
  return { dir: final, revision, description };
}
