import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BuildFailure, buildCanceled } from "./build-failure";
import { ignoreLog } from "./build-log";
import type { FetchedSource, FetchRequest } from "./fetched-source";
import { fetchIdentity, gitHome, giveTo, permissionDenied, type FetchIdentity } from "./fetch-identity";
import { GitError, runGit, type GitRunAs } from "./git";
import { defaultBranch, listRemote, someBranches, type RemoteRefs } from "./git-remote";
import { displayGitUrl, redactGitText, resolveGitUrl } from "./git-url";
import { makeTempSibling, publishDir } from "./publish-dir";
import { judgeGitSource, localGitPath } from "./source-policy";
import { runTreeOp } from "./source-tree";

type GitSource = { git: string; branch?: string; commit?: string };

const FULL_SHA = /^[0-9a-f]{40}$/;

/** Turns a git failure into a BuildFailure a person can act on (credentials never shown). */
function gitFailure(err: unknown, url: string, what: string): BuildFailure {
  if (!(err instanceof GitError)) return new BuildFailure("fetch", `${what}: ${(err as Error).message}`);
  if (err.canceled) return buildCanceled("fetch");
  const shown = displayGitUrl(url);
  const short = redactGitText(err.short, url);
  let hint = "check source.git, and that the console's machine can reach it";
  if (err.timedOut) hint = "the repository did not answer in time; check the network, or try again";
  else if (/dubious ownership/.test(err.stderr))
    hint = `the repository belongs to another user; as the console's user run: git config --global --add safe.directory ${url}`;
  else if (/Authentication failed|Permission denied|could not read Username|terminal prompts disabled/i.test(err.stderr))
    hint = "the repository needs credentials: git runs as the service's user, not the console's (the console's SSH keys and credential helpers are not used); use an https URL with a token (it is never shown)";
  return new BuildFailure("fetch", `${what} ${shown}: ${short}`, hint);
}

/** A cached checkout of `commit` (full sha, or a prefix matching exactly one cached checkout). */
function findCached(repoCache: string, commit: string): string | null {
  if (FULL_SHA.test(commit)) return fs.existsSync(path.join(repoCache, commit)) ? commit : null;
  let names: string[];
  try {
    names = fs.readdirSync(repoCache);
  } catch {
    return null;
  }
  const matches = names.filter((n) => FULL_SHA.test(n) && n.startsWith(commit));
  return matches.length === 1 ? matches[0] : null;
}

async function subjectOf(dir: string, as: GitRunAs): Promise<string> {
  try {
    return (await runGit(["log", "-1", "--format=%s"], { as, cwd: dir, timeoutMs: 30_000 })).trim();
  } catch {
    return "";
  }
}

function describe(url: string, branch: string | null, sha: string, subject: string): string {
  const at = branch ? `${branch}@${sha.slice(0, 7)}` : sha.slice(0, 7);
  return `git ${displayGitUrl(url)} ${at}${subject ? ` "${subject.slice(0, 100)}"` : ""}`;
}

/** Fetches `sha` alone (depth 1); when the server refuses, fetches the branch (or all branches) in full. */
async function fetchInto(tmp: string, url: string, want: { sha: string | null; branch: string | null }, req: FetchRequest, as: GitRunAs): Promise<void> {
  const opts = { as, cwd: tmp, timeoutMs: req.gitTimeoutMs, signal: req.signal };
  await runGit(["init", "--quiet"], opts);
  if (want.sha) {
    try {
      await runGit(["fetch", "--quiet", "--no-tags", "--depth", "1", "--", url, want.sha], opts);
      return;
    } catch (err) {
      if (err instanceof GitError && (err.canceled || err.timedOut)) throw err;
      // Older servers only serve advertised refs: fall back to the whole branch.
    }
  }
  const refspec = want.branch ? `+refs/heads/${want.branch}:refs/remotes/origin/${want.branch}` : "+refs/heads/*:refs/remotes/origin/*";
  await runGit(["fetch", "--quiet", "--no-tags", "--", url, refspec], opts);
}

/**
 * The remote's branches, read as the source's identity; a local repository its user cannot read is
 * said to be so (git itself only says "does not appear to be a git repository").
 */
async function readRemote(url: string, opts: { as: GitRunAs; who: FetchIdentity; unjudged?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<RemoteRefs> {
  if (opts.unjudged) {
    throw new BuildFailure("fetch", `cannot read git repository ${displayGitUrl(url)}: could not resolve host ${opts.unjudged}`, "check source.git, and that the console's machine can resolve the host");
  }
  const local = localGitPath(url);
  if (local !== null && local !== "invalid") {
    const probe = await runTreeOp({ op: "probe", from: local }, opts.who, opts.signal).catch(() => null);
    if (probe && !probe.ok && (probe.code === "EACCES" || probe.code === "EPERM")) {
      throw permissionDenied(`git repository ${probe.path ?? local}`, opts.who, "a source is read with its service's rights: make the repository readable by that user, or serve it over https");
    }
  }
  try {
    return await listRemote(url, opts);
  } catch (err) {
    throw gitFailure(err, url, "cannot read git repository");
  }
}

/**
 * The source judged again (a symlink or a DNS answer may have changed since validation), and how git
 * runs for it: as the source's identity, pinned to the addresses that were judged (http(s)).
 */
async function judgedRunAs(source: GitSource, req: Pick<FetchRequest, "baseDir" | "runAs"> & { cacheRoot: string }): Promise<{ who: FetchIdentity; as: GitRunAs; unjudged?: string }> {
  const { problem, pin, unresolved } = await judgeGitSource(source.git, req.baseDir ?? process.cwd());
  if (problem) throw new BuildFailure("fetch", problem.message);
  const who = fetchIdentity(req.runAs);
  // Over http(s) git would resolve the name again, unjudged: it may contact only what was judged.
  const unjudged = unresolved && /^https?:\/\//i.test(source.git.trim()) ? unresolved : undefined;
  return { who, as: { who, ...gitHome(req.cacheRoot, who), settings: pin ? [`http.curloptResolve=${pin}`] : [] }, unjudged };
}

/**
 * What the engine's precheck asks of a git source: allowed by the source policy, and readable by its
 * identity (the refs, nothing fetched). Throws BuildFailure (stage "fetch").
 */
export async function checkGitRemote(source: GitSource, req: Pick<FetchRequest, "baseDir" | "cacheRoot" | "runAs" | "signal" | "gitTimeoutMs">): Promise<RemoteRefs> {
  const url = resolveGitUrl(source.git, req.baseDir ?? process.cwd());
  const { who, as, unjudged } = await judgedRunAs(source, { ...req, cacheRoot: path.resolve(req.cacheRoot) });
  return readRemote(url, { as, who, unjudged, timeoutMs: req.gitTimeoutMs, signal: req.signal });
}

/**
 * A git source: the branch is resolved with `git ls-remote`, then that one commit is fetched (shallow
 * when the server allows) and checked out into `<cacheRoot>/git/<sha256(url)[:16]>/<commit>`. A
 * checkout already there is used as is: a pinned commit in the cache needs no network at all.
 */
export async function fetchGitSource(source: GitSource, req: FetchRequest): Promise<FetchedSource> {
  const onLog = req.onLog ?? ignoreLog;
  const url = resolveGitUrl(source.git, req.baseDir ?? process.cwd());
  const shown = displayGitUrl(url);
  const cacheRoot = path.resolve(req.cacheRoot);
  const repoCache = path.join(cacheRoot, "git", createHash("sha256").update(url).digest("hex").slice(0, 16));
  const { who, as, unjudged } = await judgedRunAs(source, { ...req, cacheRoot });
  const gitOpts = { as, timeoutMs: req.gitTimeoutMs, signal: req.signal };

  const cachedResult = async (sha: string, branch: string | null): Promise<FetchedSource> => {
    const dir = path.join(repoCache, sha);
    const description = describe(url, branch, sha, await subjectOf(dir, as));
    onLog({ stream: "system", line: `using ${description}, already fetched` });
    return { dir, revision: sha, description };
  };

  if (source.commit) {
    const cached = findCached(repoCache, source.commit);
    if (cached) return cachedResult(cached, source.branch ?? null);
  }

  const refs = await readRemote(url, { ...gitOpts, who, unjudged });
  let branch: string | null = source.branch ?? null;
  if (branch !== null && !refs.branches.has(branch)) {
    throw new BuildFailure("fetch", `branch "${branch}" not found in ${shown}`, `existing branches: ${someBranches(refs)}`);
  }
  if (branch === null && !source.commit) {
    branch = defaultBranch(refs);
    if (branch === null) {
      const message = refs.branches.size === 0 ? `${shown} has no branches yet` : `cannot tell the default branch of ${shown}`;
      throw new BuildFailure("fetch", message, `push a branch, or set source.branch (existing branches: ${someBranches(refs)})`);
    }
  }

  const wanted = source.commit ?? refs.branches.get(branch ?? "") ?? null;
  const known = wanted !== null && FULL_SHA.test(wanted) ? wanted : null;
  if (known && fs.existsSync(path.join(repoCache, known))) return cachedResult(known, branch);

  onLog({ stream: "system", line: `fetching ${shown} ${branch ? `branch ${branch} ` : ""}${wanted ? `at ${wanted.slice(0, 12)} ` : ""}as ${who.label}` });
  const tmp = makeTempSibling(path.join(repoCache, known ?? "fetch"));
  try {
    giveTo(tmp, who);
    try {
      await fetchInto(tmp, url, { sha: known, branch }, req, as);
    } catch (err) {
      throw gitFailure(err, url, "cannot fetch from");
    }
    let sha: string;
    try {
      sha = (await runGit(["rev-parse", "--verify", "--quiet", `${wanted ?? `refs/remotes/origin/${branch}`}^{commit}`], { cwd: tmp, ...gitOpts })).trim();
    } catch (err) {
      if (err instanceof GitError && err.canceled) throw buildCanceled("fetch");
      throw new BuildFailure(
        "fetch",
        `commit ${wanted} not found in ${shown}`,
        branch ? `push it, or pin a commit that is on branch "${branch}"` : "push it, or check source.commit",
      );
    }
    if (fs.existsSync(path.join(repoCache, sha))) {
      fs.rmSync(tmp, { recursive: true, force: true });
      return cachedResult(sha, branch);
    }
    try {
      await runGit(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", sha], { cwd: tmp, ...gitOpts });
    } catch (err) {
      throw gitFailure(err, url, "cannot check out");
    }
    const description = describe(url, branch, sha, await subjectOf(tmp, as));
    publishDir(tmp, path.join(repoCache, sha));
    onLog({ stream: "system", line: `fetched ${description}` });
    return { dir: path.join(repoCache, sha), revision: sha, description };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}
