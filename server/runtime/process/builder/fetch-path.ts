import "server-only";
import fs from "node:fs";
import path from "node:path";
import { BuildFailure, throwIfCanceled } from "./build-failure";
import { ignoreLog } from "./build-log";
import type { FetchedSource, FetchRequest } from "./fetched-source";
import { makeTempSibling, publishDir } from "./publish-dir";
import { copyTree, treeRevision } from "./source-tree";

/**
 * A local folder as a source: fingerprinted (paths, sizes, mtimes) and copied once per fingerprint
 * into `<cacheRoot>/path/<revision>`, so a build never sees the folder change under it.
 */
export async function fetchPathSource(sourcePath: string, req: FetchRequest): Promise<FetchedSource> {
  const onLog = req.onLog ?? ignoreLog;
  // A user folder read at run time, not code to bundle: keep it out of output tracing.
  const abs = path.resolve(/*turbopackIgnore: true*/ req.baseDir ?? process.cwd(), sourcePath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new BuildFailure(
      "fetch",
      `source folder ${sourcePath} does not exist (resolved to ${abs})`,
      "check source.path: a relative path is resolved against the manifest's folder",
    );
  }
  if (!stat.isDirectory()) {
    throw new BuildFailure("fetch", `source path ${sourcePath} is not a folder (resolved to ${abs})`, "source.path must name the folder that holds the app");
  }

  const cacheRoot = path.resolve(req.cacheRoot);
  // A cache inside the source folder (e.g. the console's own checkout) must not copy itself.
  const revision = treeRevision(abs, new Set([cacheRoot]));
  const description = `folder ${abs} (tree ${revision})`;
  const final = path.join(cacheRoot, "path", revision);
  if (fs.existsSync(final)) {
    onLog({ stream: "system", line: `using ${description}, already copied` });
    return { dir: final, revision, description };
  }

  throwIfCanceled(req.signal, "fetch");
  onLog({ stream: "system", line: `copying ${description}` });
  const tmp = makeTempSibling(final);
  try {
    await copyTree(abs, tmp, new Set([cacheRoot]));
    throwIfCanceled(req.signal, "fetch");
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof BuildFailure) throw err;
    throw new BuildFailure("fetch", `could not copy ${abs}: ${(err as Error).message}`, "the console must be able to read every file in the source folder");
  }
  publishDir(tmp, final);
  return { dir: final, revision, description };
}
