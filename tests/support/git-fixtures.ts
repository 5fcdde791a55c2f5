/**
 * Real git repositories for builder tests: a bare "remote" (the service's source) and a work clone
 * that commits and pushes to it, all in a scratch folder. Plain `git` through execFileSync.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A scratch folder a service's user can traverse (mkdtemp makes 0700; builds run as another user). */
export function makeScratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `slipway-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function removeScratchDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes files (creating folders) under `dir`; relative path → contents. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, contents] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Slipway Test",
  GIT_AUTHOR_EMAIL: "test@example.test",
  GIT_COMMITTER_NAME: "Slipway Test",
  GIT_COMMITTER_EMAIL: "test@example.test",
  GIT_TERMINAL_PROMPT: "0",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export type GitFixture = {
  /** The bare repository: what a service's `source.git` points at. */
  bare: string;
  /** A clone to make more commits in. */
  work: string;
  /** Commits on each branch, oldest first. */
  commits: { main: string[]; feature: string[] };
  /** Commits `files` on `branch` (checked out, created from main if new) and pushes it; returns the sha. */
  commit(branch: string, files: Record<string, string>, message: string): string;
};

/**
 * A bare repo whose HEAD is `main`, with two commits on main (app.txt "v1" then "v2", plus a
 * package.json with a start script) and a `feature` branch one commit ahead of main (feature.txt).
 */
export function createGitFixture(root: string): GitFixture {
  const bare = path.join(root, "remote.git");
  const work = path.join(root, "work");
  fs.mkdirSync(root, { recursive: true });
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  git(root, "clone", "--quiet", bare, work);
  git(work, "symbolic-ref", "HEAD", "refs/heads/main");
  const commits = { main: [] as string[], feature: [] as string[] };

  const commit = (branch: string, files: Record<string, string>, message: string): string => {
    const current = git(work, "symbolic-ref", "--short", "HEAD");
    if (current === branch) {
      // already there (possibly unborn: the first commit)
    } else if (git(work, "branch", "--list", branch) !== "") git(work, "checkout", "--quiet", branch);
    else git(work, "checkout", "--quiet", "-b", branch, "main");
    writeFiles(work, files);
    git(work, "add", "--all");
    git(work, "commit", "--quiet", "-m", message);
    git(work, "push", "--quiet", "origin", branch);
    const sha = git(work, "rev-parse", "HEAD");
    if (branch === "main" || branch === "feature") commits[branch].push(sha);
    return sha;
  };

  const pkg = JSON.stringify({ name: "fixture", version: "1.0.0", private: true, scripts: { start: "node server.js" } }, null, 2);
  commit("main", { "app.txt": "v1\n", "package.json": `${pkg}\n`, "server.js": "console.log('hi');\n" }, "first");
  commit("main", { "app.txt": "v2\n" }, "second");
  commit("feature", { "feature.txt": "feature\n" }, "feature work");
  git(work, "checkout", "--quiet", "main");
  return { bare, work, commits, commit };
}

export type GitHttpServer = { url: string; port: number; requests: () => number; close: () => Promise<void> };

/**
 * Serves a bare repository over git's "dumb" HTTP protocol (plain files, after update-server-info)
 * on 127.0.0.1, port 0: a real git server on this machine, for the tests that prove it is refused.
 */
export async function serveGitOverHttp(bare: string): Promise<GitHttpServer> {
  const http = await import("node:http");
  git(bare, "update-server-info");
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const rel = decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/^\/repo\.git\/?/, "");
    const file = path.join(bare, rel);
    if (!file.startsWith(bare) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      return res.end();
    }
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/repo.git`,
    port,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
