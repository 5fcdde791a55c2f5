import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fetchEnv, spawnIds, type FetchIdentity } from "./fetch-identity";

/** What the tree script says: its answer, or the error it met (code EACCES, ENOENT…, and the path). */
export type TreeAnswer = { ok: true; revision?: string } | { ok: false; code: string | null; path: string | null; message: string };

type TreeOp = { op: "revision"; from: string; skip: string[] } | { op: "copy"; from: string; to: string; skip: string[] } | { op: "probe"; from: string };

/** The tree script (tree-reader.mjs), resolved like the static server: from the app root, read by the console. */
let scriptText: string | undefined;
function treeScript(): string {
  scriptText ??= fs.readFileSync(path.join(/*turbopackIgnore: true*/ process.cwd(), "server", "runtime", "process", "builder", "tree-reader.mjs"), "utf8");
  return scriptText;
}

/**
 * Runs one operation of tree-reader.mjs (fingerprint, copy, or a readability probe of a folder) in a
 * child process with the identity's rights: its text is passed on the command line, so the identity
 * needs no access to the console's checkout. No shell, a minimal environment, killed on cancel.
 */
export function runTreeOp(req: TreeOp, who: FetchIdentity, signal?: AbortSignal): Promise<TreeAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", treeScript(), JSON.stringify(req)], {
      cwd: "/",
      env: fetchEnv() as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      signal,
      ...spawnIds(who),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const text = Buffer.concat(out).toString("utf8");
      try {
        resolve(JSON.parse(text) as TreeAnswer);
      } catch {
        reject(new Error(`the source reader exited with code ${code}: ${Buffer.concat(err).toString("utf8").trim().slice(0, 300) || "no output"}`));
      }
    });
  });
}
