/**
 * fetchSource: path sources copied per content fingerprint, git sources (real repos made in a
 * scratch folder) resolved with ls-remote and checked out per commit, cached, with errors people
 * can act on.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildLogLine } from "@/server/runtime/process/builder/build-log";
import { fetchSource } from "@/server/runtime/process/builder/fetch-source";
import { testRunAs } from "../support/service-user";
import { createGitFixture, makeScratchDir, removeScratchDir, writeFiles, type GitFixture } from "../support/git-fixtures";
import { failureOf } from "../support/build-failure";

/** The service whose rights the fetches use (null when not root). */
const SERVICE = testRunAs();

let root: string;
let repo: GitFixture;

beforeAll(() => {
  root = makeScratchDir("fetch");
  repo = createGitFixture(root);
});

afterAll(() => removeScratchDir(root));

function freshCache(name: string): string {
  return path.join(root, `cache-${name}`);
}

describe("path sources", () => {
  it("copies the folder into the cache once and changes revision when a file changes", async () => {
    const app = path.join(root, "path-app");
    writeFiles(app, { "index.js": "console.log(1)\n", "lib/util.js": "export {}\n", "node_modules/dep/index.js": "x\n", ".git/HEAD": "ref\n" });
    const cacheRoot = freshCache("path");

    const first = await fetchSource({ runAs: SERVICE, source: { path: "path-app" }, baseDir: root, cacheRoot });
    expect(first.dir).toBe(path.join(cacheRoot, "path", first.revision));
    expect(fs.readFileSync(path.join(first.dir, "lib/util.js"), "utf8")).toBe("export {}\n");
    expect(fs.existsSync(path.join(first.dir, "node_modules"))).toBe(false);
    expect(fs.existsSync(path.join(first.dir, ".git"))).toBe(false);
    expect(first.description).toContain(app);

    const logs: BuildLogLine[] = [];
    const again = await fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot, onLog: (l) => logs.push(l) });
    expect(again).toEqual(first);
    expect(logs.some((l) => l.line.includes("already copied"))).toBe(true);

    // Dependencies and git data are not part of the source.
    writeFiles(app, { "node_modules/dep/index.js": "changed, longer\n", ".git/HEAD": "other ref\n" });
    expect((await fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot })).revision).toBe(first.revision);

    writeFiles(app, { "index.js": "console.log(2, 'changed')\n" });
    const changed = await fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot });
    expect(changed.revision).not.toBe(first.revision);
    expect(fs.readFileSync(path.join(changed.dir, "index.js"), "utf8")).toContain("changed");
    // The earlier copy stays as it was: a build of the old revision still finds its files.
    expect(fs.readFileSync(path.join(first.dir, "index.js"), "utf8")).toBe("console.log(1)\n");
  });

  it("says where it looked when the folder does not exist, or is a file", async () => {
    const missing = await failureOf(fetchSource({ runAs: SERVICE, source: { path: "./nope" }, baseDir: root, cacheRoot: freshCache("missing") }));
    expect(missing.stage).toBe("fetch");
    expect(missing.message).toBe(`source folder ./nope does not exist (resolved to ${path.join(root, "nope")})`);
    expect(missing.hint).toBeTruthy();

    fs.writeFileSync(path.join(root, "a-file"), "x");
    const notDir = await failureOf(fetchSource({ runAs: SERVICE, source: { path: "a-file" }, baseDir: root, cacheRoot: freshCache("missing") }));
    expect(notDir.message).toMatch(/is not a folder/);
  });
});

describe("git sources", () => {
  it("uses the remote's HEAD branch by default, and a named branch when given", async () => {
    const cacheRoot = freshCache("branches");
    const main = await fetchSource({ runAs: SERVICE, source: { git: repo.bare }, cacheRoot });
    expect(main.revision).toBe(repo.commits.main.at(-1));
    expect(fs.readFileSync(path.join(main.dir, "app.txt"), "utf8")).toBe("v2\n");
    expect(fs.existsSync(path.join(main.dir, "feature.txt"))).toBe(false);
    expect(main.description).toContain(`main@${main.revision.slice(0, 7)}`);
    expect(main.description).toContain('"second"');
    expect(path.basename(main.dir)).toBe(main.revision);
    expect(path.dirname(path.dirname(main.dir))).toBe(path.join(cacheRoot, "git"));

    const feature = await fetchSource({ runAs: SERVICE, source: { git: `file://${repo.bare}`, branch: "feature" }, cacheRoot });
    expect(feature.revision).toBe(repo.commits.feature.at(-1));
    expect(fs.readFileSync(path.join(feature.dir, "feature.txt"), "utf8")).toBe("feature\n");
  });

  it("names the missing branch and lists the ones that exist", async () => {
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "nope" }, cacheRoot: freshCache("nobranch") }));
    expect(err.stage).toBe("fetch");
    expect(err.message).toBe(`branch "nope" not found in ${repo.bare}`);
    expect(err.hint).toContain("main");
    expect(err.hint).toContain("feature");
  });

  it("reports an unreachable repository with git's own error, short", async () => {
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: path.join(root, "no-such-repo.git") }, cacheRoot: freshCache("unreachable") }));
    expect(err.stage).toBe("fetch");
    expect(err.message).toMatch(/^cannot read git repository .*no-such-repo\.git: .*(not appear to be a git repository|not found|does not exist)/i);
    expect(err.message).not.toContain("\n");
    expect(err.message.length).toBeLessThan(400);
  });

  it("never shows credentials of a URL", async () => {
    const err = await failureOf(
      fetchSource({ runAs: SERVICE, source: { git: "http://user:s3cret-token@127.0.0.1:9/repo.git" }, cacheRoot: freshCache("creds"), gitTimeoutMs: 20_000 }),
    );
    expect(err.message).not.toContain("s3cret-token");
    expect(err.message).toContain("http://***@127.0.0.1:9/repo.git");
  });

  it("checks out a pinned commit (full or abbreviated), and rejects one that does not exist", async () => {
    const cacheRoot = freshCache("pinned");
    const old = repo.commits.main[0];
    const pinned = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, commit: old }, cacheRoot });
    expect(pinned.revision).toBe(old);
    expect(fs.readFileSync(path.join(pinned.dir, "app.txt"), "utf8")).toBe("v1\n");

    const abbreviated = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "feature", commit: repo.commits.feature[0].slice(0, 8) }, cacheRoot: freshCache("abbrev") });
    expect(abbreviated.revision).toBe(repo.commits.feature[0]);
    expect(fs.existsSync(path.join(abbreviated.dir, "feature.txt"))).toBe(true);

    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: repo.bare, commit: "0123456789abcdef0123456789abcdef01234567" }, cacheRoot }));
    expect(err.message).toBe(`commit 0123456789abcdef0123456789abcdef01234567 not found in ${repo.bare}`);
    // Nothing half-fetched is left in the cache.
    const repoCache = path.dirname(pinned.dir);
    expect(fs.readdirSync(repoCache)).toEqual([old]);
  });

  it("reuses a fetched commit without cloning again, and a cached pinned commit needs no network", async () => {
    const cacheRoot = freshCache("reuse");
    const first = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "main" }, cacheRoot });
    fs.writeFileSync(path.join(first.dir, "marker"), "still here");

    const logs: BuildLogLine[] = [];
    const second = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "main" }, cacheRoot, onLog: (l) => logs.push(l) });
    expect(second.dir).toBe(first.dir);
    expect(fs.readFileSync(path.join(second.dir, "marker"), "utf8")).toBe("still here");
    expect(logs.map((l) => l.line).join("\n")).toMatch(/already fetched/);
    expect(logs.some((l) => l.line.startsWith("fetching"))).toBe(false);

    // The remote goes away: a pinned commit already in the cache still resolves (rollback offline).
    const moved = `${repo.bare}.away`;
    fs.renameSync(repo.bare, moved);
    try {
      const offline = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, commit: first.revision }, cacheRoot });
      expect(offline.dir).toBe(first.dir);
      const offlineShort = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, commit: first.revision.slice(0, 10) }, cacheRoot });
      expect(offlineShort.dir).toBe(first.dir);
    } finally {
      fs.renameSync(moved, repo.bare);
    }
  });

  it("follows new pushes: a new commit on the branch is a new revision", async () => {
    const cacheRoot = freshCache("push");
    const before = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "feature" }, cacheRoot });
    const sha = repo.commit("feature", { "feature.txt": "feature v2\n" }, "feature again");
    const after = await fetchSource({ runAs: SERVICE, source: { git: repo.bare, branch: "feature" }, cacheRoot });
    expect(after.revision).toBe(sha);
    expect(after.revision).not.toBe(before.revision);
    expect(fs.readFileSync(path.join(after.dir, "feature.txt"), "utf8")).toBe("feature v2\n");
  });

  it("stops when canceled", async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: repo.bare }, cacheRoot: freshCache("cancel"), signal: controller.signal }));
    expect(err.canceled).toBe(true);
    expect(err.name).toBe("AbortError");
  });
});
