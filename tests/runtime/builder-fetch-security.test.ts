/**
 * fetchSource reads with the service's rights, never root's: the copy and git run as the service's
 * user (when the console is root) with a minimal environment, a git server on loopback is refused at
 * fetch time unless the operator allows it, and the console never follows a source's symlinks out
 * of it. Real files, real git (a dumb-HTTP server on 127.0.0.1), real child processes.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BuildFailure } from "@/server/runtime/process/builder/build-failure";
import { detectCommands } from "@/server/runtime/process/builder/detect-commands";
import { fetchSource } from "@/server/runtime/process/builder/fetch-source";
import { judgeGitSource } from "@/server/runtime/process/builder/source-policy";
import { testRunAs } from "../support/service-user";
import { createGitFixture, makeScratchDir, removeScratchDir, serveGitOverHttp, writeFiles, type GitFixture, type GitHttpServer } from "../support/git-fixtures";
import { failureOf } from "../support/build-failure";

const isRoot = process.getuid?.() === 0;
/** The service whose rights every fetch here uses (null when not root: the console reads as itself). */
const SERVICE = testRunAs();

let root: string;
let repo: GitFixture;
let server: GitHttpServer;
const savedHosts = process.env.SLIPWAY_GIT_PRIVATE_HOSTS;

beforeAll(async () => {
  root = makeScratchDir("fetch-security");
  repo = createGitFixture(path.join(root, "git"));
  server = await serveGitOverHttp(repo.bare);
});
afterAll(async () => {
  await server?.close();
  removeScratchDir(root);
});
afterEach(() => {
  if (savedHosts === undefined) delete process.env.SLIPWAY_GIT_PRIVATE_HOSTS;
  else process.env.SLIPWAY_GIT_PRIVATE_HOSTS = savedHosts;
});

const cache = (name: string) => path.join(root, `cache-${name}`);

describe("path sources", () => {
  it.runIf(isRoot)("are never read as root: a fetch that comes without the service's user is refused", async () => {
    const app = path.join(root, "no-user");
    writeFiles(app, { "server.js": "1\n" });
    const err = await failureOf(fetchSource({ source: { path: app }, cacheRoot: cache("no-user") }));
    expect(err.message).toBe("a source is never read as root");
    expect(fs.existsSync(cache("no-user"))).toBe(false);
  });

  it("are copied by the service's user: the copy is its own, and a root-only file stops the fetch with a clear reason", async () => {
    const app = path.join(root, "app");
    writeFiles(app, { "server.js": "1\n", "lib/a.js": "2\n" });
    const fetched = await fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot: cache("owned") });
    const owner = fs.statSync(path.join(fetched.dir, "lib", "a.js")).uid;
    expect(owner).toBe(isRoot ? SERVICE?.uid : process.getuid?.());
    if (!isRoot) return;
    // Root can read this file; the service's user cannot, so neither can the fetch.
    fs.writeFileSync(path.join(app, "lib", "key.pem"), "root's key\n", { mode: 0o600 });
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot: cache("owned") }));
    expect(err.message).toMatch(new RegExp(`^could not read ${path.join(app, "lib", "key.pem")} as the service's user \\(uid \\d+\\): permission denied$`));
    expect(err.hint).toContain("readable by that user");
  });

  it("are refused at fetch time when outside the allowed roots, whatever the caller validated", async () => {
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { path: "/etc" }, cacheRoot: cache("etc") }));
    expect(err.message).toMatch(/^source\.path \/etc is outside the allowed source roots/);
  });

  it("never let the console follow a symlink out of the source when it reads package.json or a Procfile", async () => {
    for (const name of ["package.json", "Procfile"]) {
      const app = path.join(root, `leaky-${name}`);
      fs.mkdirSync(app, { recursive: true });
      fs.symlinkSync("/etc/passwd", path.join(app, name));
      const fetched = await fetchSource({ runAs: SERVICE, source: { path: app }, cacheRoot: cache(`leaky-${name}`) });
      let err: unknown;
      try {
        detectCommands({ dir: fetched.dir, spec: {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BuildFailure);
      expect((err as BuildFailure).message).toBe(`${name} is a symbolic link to a file outside the source folder`);
      expect((err as BuildFailure).message).not.toContain("root:");
    }
  });
});

describe("git sources", () => {
  it("refuses a git server on 127.0.0.1 at fetch time (no request reaches it), and fetches from it when the operator allows the host", async () => {
    const before = server.requests();
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: server.url }, cacheRoot: cache("loopback") }));
    expect(err.message).toMatch(/^source\.git http:\/\/127\.0\.0\.1:\d+\/repo\.git points at 127\.0\.0\.1, a loopback, private or link-local address/);
    expect(server.requests()).toBe(before);

    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "127.0.0.1";
    const fetched = await fetchSource({ runAs: SERVICE, source: { git: server.url }, cacheRoot: cache("loopback") });
    expect(fetched.revision).toBe(repo.commits.main.at(-1));
    expect(server.requests()).toBeGreaterThan(before);
    // Checked out by the service's user.
    expect(fs.statSync(path.join(fetched.dir, "app.txt")).uid).toBe(isRoot ? SERVICE?.uid : process.getuid?.());
  });

  it("pins git to the addresses it judged (curl's resolve list): a host name allowed by address range still fetches", async () => {
    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "127.0.0.0/8, ::1";
    const url = server.url.replace("127.0.0.1", "localhost");
    expect((await judgeGitSource(url, "/")).pin).toBe(`localhost:${server.port}:127.0.0.1,[::1]`);
    const fetched = await fetchSource({ runAs: SERVICE, source: { git: url }, cacheRoot: cache("pinned") });
    expect(fetched.revision).toBe(repo.commits.main.at(-1));
    // An address literal needs no pin; a host allowed by name is not judged, so not pinned either.
    expect((await judgeGitSource(server.url, "/")).pin).toBeNull();
  });

  it("does not let git resolve an http(s) host the policy could not resolve", async () => {
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: "https://nowhere.invalid/repo.git" }, cacheRoot: cache("unresolved") }));
    expect(err.message).toBe("cannot read git repository https://nowhere.invalid/repo.git: could not resolve host nowhere.invalid");
  });

  it("never shows credentials when git itself fails (host allowed, nothing listening)", async () => {
    process.env.SLIPWAY_GIT_PRIVATE_HOSTS = "127.0.0.1";
    const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: "http://user:s3cret-token@127.0.0.1:9/repo.git" }, cacheRoot: cache("creds"), gitTimeoutMs: 20_000 }));
    expect(err.message).toMatch(/^cannot read git repository http:\/\/\*\*\*@127\.0\.0\.1:9\/repo\.git: /);
    expect(err.message).not.toContain("s3cret-token");
  });

  it("runs git as the service's user with none of the console's secrets in its environment", async () => {
    // A stand-in for ssh that records who runs it and what it sees, then fails like an unreachable host.
    const spy = path.join(root, "ssh-spy.sh");
    const seen = path.join(root, "ssh-seen");
    fs.mkdirSync(seen, { mode: 0o777 });
    fs.chmodSync(seen, 0o777);
    fs.writeFileSync(spy, `#!/bin/sh\nid -u > ${seen}/uid\nenv > ${seen}/env\nexit 255\n`, { mode: 0o755 });
    const saved = { ssh: process.env.GIT_SSH_COMMAND, secret: process.env.AUTH_SECRET, db: process.env.DATABASE_URL };
    process.env.GIT_SSH_COMMAND = spy;
    process.env.AUTH_SECRET = "console-auth-secret-value";
    process.env.DATABASE_URL = "postgres://u:console-db-password@db/x";
    try {
      // A public address literal: allowed by the policy, so git gets as far as running "ssh".
      const err = await failureOf(fetchSource({ runAs: SERVICE, source: { git: "ssh://git@93.184.215.14/r.git" }, cacheRoot: cache("spy"), gitTimeoutMs: 20_000 }));
      expect(err.message).toMatch(/^cannot read git repository ssh:\/\/\*\*\*@93\.184\.215\.14\/r\.git/);
    } finally {
      for (const [k, v] of [["GIT_SSH_COMMAND", saved.ssh], ["AUTH_SECRET", saved.secret], ["DATABASE_URL", saved.db]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const env = fs.readFileSync(path.join(seen, "env"), "utf8");
    expect(env).not.toContain("console-auth-secret-value");
    expect(env).not.toContain("console-db-password");
    expect(env).toMatch(/^HOME=.*\/\.home\//m);
    expect(Number(fs.readFileSync(path.join(seen, "uid"), "utf8"))).toBe(isRoot ? SERVICE?.uid : process.getuid?.());
  });
});
