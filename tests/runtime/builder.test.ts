/**
 * buildService: fetch + detect + build in the sandbox as the service's user, output streamed, failures
 * explained, timeouts and cancels kill the whole process group, finished builds reused and pruned.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxCapabilities } from "@/server/runtime/process/sandbox";
import { testRunAs } from "../support/service-user";
import type { BuildLogLine } from "@/server/runtime/process/builder/build-log";
import { BUILD_RECORD_FILE, readBuildRecord } from "@/server/runtime/process/builder/build-record";
import { buildService, type BuildRequest } from "@/server/runtime/process/builder/build-service";
import { createGitFixture, makeScratchDir, removeScratchDir, writeFiles } from "../support/git-fixtures";
import { failureOf } from "../support/build-failure";

const IS_ROOT = process.getuid?.() === 0;
const EXAMPLES = path.resolve(import.meta.dirname, "../../examples");

let root: string;
let cacheRoot: string;
let buildsRoot: string;
let secretDir: string;

beforeAll(() => {
  root = makeScratchDir("build");
  cacheRoot = path.join(root, "cache");
  buildsRoot = path.join(root, "builds");
  // World-readable on purpose: only the sandbox's masking keeps a build from reading it.
  secretDir = path.join(root, "data");
  writeFiles(secretDir, { "secret.txt": "top-secret-data\n" });
  fs.chmodSync(secretDir, 0o755);
});

afterAll(() => removeScratchDir(root));

/** A folder source with `files`, and a request to build it as a new service. */
function request(files: Record<string, string>, overrides: Partial<BuildRequest> = {}): BuildRequest {
  const dir = path.join(root, "apps", randomUUID());
  writeFiles(dir, files);
  const serviceId = randomUUID();
  return {
    serviceId,
    source: { path: dir },
    spec: {},
    buildEnv: {},
    // One cache per service, as the runtime gives it: no service reads another's fetched source.
    cacheRoot: path.join(cacheRoot, serviceId),
    buildsRoot,
    hiddenDirs: [secretDir],
    runAs: testRunAs(),
    ...overrides,
  };
}

/** Live processes whose command line contains `token` (zombies have none). */
function processesWith(token: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").includes(token)) pids.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

const serviceFolders = (serviceId: string) => {
  try {
    return fs.readdirSync(path.join(buildsRoot, serviceId)).sort();
  } catch {
    return [];
  }
};

const procfile = { Procfile: "web: node server.js\n", "server.js": "console.log('hi')\n" };

describe("buildService", () => {
  it("builds as the service's user inside the sandbox, streams output in order, and records the build", async () => {
    const logs: BuildLogLine[] = [];
    const script = [
      'for i in $(seq 1 40); do echo "line $i"; done',
      "id -u > whoami.txt",
      `cat ${secretDir}/secret.txt > leaked.txt 2>&1 || true`,
      `touch ${buildsRoot}/escaped 2>/dev/null || true`,
      "env > env.txt",
      "echo warning >&2",
      "echo built > artifact.txt",
    ].join("; ");
    process.env.SLIPWAY_TEST_CONSOLE_ONLY = "console-value";
    const req = request(procfile, { spec: { build: { command: script } }, buildEnv: { API_BASE: "https://api.example.test" }, onLog: (l) => logs.push(l) });
    const result = await buildService(req);

    expect(result.reused).toBe(false);
    expect(result.commands).toEqual({ kind: "procfile", build: script, start: "node server.js" });
    expect(result.dir).toBe(path.join(buildsRoot, req.serviceId, result.buildId));
    expect(result.buildId).toMatch(/^[0-9a-f]{16}$/);
    expect(fs.readFileSync(path.join(result.dir, "artifact.txt"), "utf8")).toBe("built\n");
    expect(fs.readFileSync(path.join(result.dir, "server.js"), "utf8")).toContain("hi");
    expect(serviceFolders(req.serviceId)).toEqual([result.buildId]);

    const stdout = logs.filter((l) => l.stream === "stdout").map((l) => l.line);
    expect(stdout).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    expect(logs).toContainEqual({ stream: "stderr", line: "warning" });
    expect(logs).toContainEqual({ stream: "system", line: `$ ${script}` });

    const env = fs.readFileSync(path.join(result.dir, "env.txt"), "utf8");
    expect(env).toContain("API_BASE=https://api.example.test");
    expect(env).toContain("CI=1");
    expect(env).toMatch(/^HOME=.*\/\.home$/m);
    expect(env).toMatch(/^npm_config_cache=.*\/\.home\/\.npm$/m);
    expect(env).not.toContain("console-value");
    expect(env).not.toMatch(/^NODE_ENV=/m);

    const record = readBuildRecord(buildsRoot, req.serviceId, result.buildId);
    expect(record).toMatchObject({ buildId: result.buildId, revision: result.revision, commands: result.commands, buildEnvNames: ["API_BASE"] });
    expect(fs.readFileSync(path.join(result.dir, BUILD_RECORD_FILE), "utf8")).not.toContain("api.example.test");

    if (IS_ROOT) {
      expect(req.runAs).not.toBeNull();
      expect(fs.readFileSync(path.join(result.dir, "whoami.txt"), "utf8").trim()).toBe(String(req.runAs?.uid));
      expect(fs.statSync(path.join(result.dir, "artifact.txt")).uid).toBe(req.runAs?.uid);
      // The service's folders are its own and closed to everyone else.
      for (const dir of [path.dirname(result.dir), result.dir, req.cacheRoot]) {
        const st = fs.statSync(dir);
        expect({ dir, uid: st.uid, mode: st.mode & 0o777 }).toEqual({ dir, uid: req.runAs?.uid, mode: 0o700 });
      }
    }
    if (sandboxCapabilities().bubblewrap) {
      const leaked = fs.readFileSync(path.join(result.dir, "leaked.txt"), "utf8");
      expect(leaked).not.toContain("top-secret-data");
      expect(leaked).toMatch(/No such file/);
      expect(fs.existsSync(path.join(buildsRoot, "escaped"))).toBe(false);
    }
  });

  it("fails with the command and its exit code, and leaves no folder behind", async () => {
    const logs: BuildLogLine[] = [];
    const command = "echo 'compiling…'; echo 'error TS2304: cannot find name' >&2; exit 2";
    const req = request(procfile, { spec: { build: { command } }, onLog: (l) => logs.push(l) });
    const err = await failureOf(buildService(req));
    expect(err.stage).toBe("build");
    expect(err.message).toBe(`build command "${command}" exited with code 2`);
    expect(err.hint).toMatch(/last lines/);
    expect(logs).toContainEqual({ stream: "stderr", line: "error TS2304: cannot find name" });
    expect(serviceFolders(req.serviceId)).toEqual([]);
  });

  it("kills the whole process group when the build exceeds its timeout", async () => {
    const token = `30.${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;
    const req = request(procfile, { spec: { build: { command: `echo start; sleep ${token}; echo never` } }, timeoutMs: 1500 });
    const started = Date.now();
    const err = await failureOf(buildService(req));
    expect(err.stage).toBe("build");
    expect(err.message).toBe("build exceeded the 1.5 s timeout");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(processesWith(token)).toEqual([]);
    expect(serviceFolders(req.serviceId)).toEqual([]);
  });

  it("stops and reports a canceled build when its signal fires", async () => {
    const token = `30.${Date.now() % 100000}${Math.floor(Math.random() * 1000) + 1000}`;
    const controller = new AbortController();
    const req = request(procfile, {
      spec: { build: { command: `echo started; sleep ${token}` } },
      signal: controller.signal,
      onLog: (l) => {
        if (l.line === "started") controller.abort();
      },
    });
    const err = await failureOf(buildService(req));
    expect(err.canceled).toBe(true);
    expect(err.name).toBe("AbortError");
    expect(err.message).toBe("build canceled");
    expect(processesWith(token)).toEqual([]);
    expect(serviceFolders(req.serviceId)).toEqual([]);
  });

  it("reuses a finished build at once, and builds again when the build variables change", async () => {
    const req = request(procfile, { spec: { build: { command: "echo built > out.txt" } }, buildEnv: { MODE: "a" } });
    const first = await buildService(req);
    fs.writeFileSync(path.join(first.dir, "marker"), "first build");

    const logs: BuildLogLine[] = [];
    const again = await buildService({ ...req, onLog: (l) => logs.push(l) });
    expect(again).toMatchObject({ reused: true, buildId: first.buildId, dir: first.dir, commands: first.commands, revision: first.revision });
    expect(again.durationMs).toBeLessThan(1000);
    expect(fs.readFileSync(path.join(again.dir, "marker"), "utf8")).toBe("first build");
    expect(logs.some((l) => l.stream !== "system")).toBe(false);
    expect(logs.map((l) => l.line).join("\n")).toMatch(/reusing build/);

    const changed = await buildService({ ...req, buildEnv: { MODE: "b" } });
    expect(changed.reused).toBe(false);
    expect(changed.buildId).not.toBe(first.buildId);
    expect(changed.revision).toBe(first.revision);
  });

  it("builds a git source at its commit", async () => {
    const repo = createGitFixture(path.join(root, "git", randomUUID()));
    const req = request({}, { source: { git: repo.bare, branch: "feature" }, spec: { build: { command: "cat app.txt feature.txt > both.txt" } } });
    const result = await buildService(req);
    expect(result.revision).toBe(repo.commits.feature.at(-1));
    expect(result.commands).toMatchObject({ kind: "node", start: expect.stringMatching(/node_modules\/\.bin.*; /) });
    expect(fs.readFileSync(path.join(result.dir, "both.txt"), "utf8")).toBe("v2\nfeature\n");
    expect(fs.existsSync(path.join(result.dir, ".git"))).toBe(false);
  });

  it("gives a static site the built-in static server", async () => {
    const result = await buildService(request({}, { source: { path: path.join(EXAMPLES, "static-site") } }));
    expect(result.commands).toEqual({ kind: "static", start: "node .slipway-static-server.mjs" });
    expect(fs.readFileSync(path.join(result.dir, ".slipway-static-server.mjs"), "utf8")).toContain("built-in static file server");
    expect(fs.existsSync(path.join(result.dir, "index.html"))).toBe(true);
  });

  it("keeps the 5 most recent builds plus those in use, and removes stale temp folders", async () => {
    const req = request(procfile, { spec: { run: { command: "node server.js" } } });
    const first = await buildService({ ...req, buildEnv: { N: "0" } });
    const serviceDir = path.join(buildsRoot, req.serviceId);
    const stale = path.join(serviceDir, "0123456789abcdef.tmp-deadbeef");
    const fresh = path.join(serviceDir, "0123456789abcdef.tmp-cafebabe");
    const leftover = path.join(serviceDir, "fedcba9876543210");
    for (const dir of [stale, fresh, leftover]) fs.mkdirSync(dir);
    const longAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(stale, longAgo, longAgo);

    const ids = [first.buildId];
    for (let n = 1; n <= 6; n++) ids.push((await buildService({ ...req, buildEnv: { N: String(n) }, inUse: [first.buildId] })).buildId);
    expect(new Set(ids).size).toBe(7);
    const expected = [first.buildId, ...ids.slice(2), path.basename(fresh)].sort();
    expect(serviceFolders(req.serviceId)).toEqual(expected);

    // Without the pin, the oldest goes as well.
    await buildService({ ...req, buildEnv: { N: "6" } });
    expect(serviceFolders(req.serviceId)).toEqual([...ids.slice(2), path.basename(fresh)].sort());
  });

  it("installs with npm ci and runs the build script (real npm, offline: a file: dependency)", async () => {
    const lock = {
      name: "npm-app",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: "npm-app", version: "1.0.0", dependencies: { greeting: "file:./greeting" } },
        greeting: { version: "1.0.0" },
        "node_modules/greeting": { resolved: "greeting", link: true },
      },
    };
    const files = {
      "package.json": JSON.stringify({
        name: "npm-app",
        version: "1.0.0",
        private: true,
        dependencies: { greeting: "file:./greeting" },
        scripts: { build: "node build.cjs", start: "node dist.cjs" },
      }),
      "package-lock.json": JSON.stringify(lock),
      "greeting/package.json": JSON.stringify({ name: "greeting", version: "1.0.0", main: "index.js" }),
      "greeting/index.js": "module.exports = 'hello from a dependency';\n",
      "build.cjs": "require('fs').writeFileSync('dist.cjs', 'console.log(' + JSON.stringify(require('greeting')) + ')');\n",
    };
    const logs: BuildLogLine[] = [];
    const result = await buildService(request(files, { onLog: (l) => logs.push(l) }));
    expect(result.commands).toEqual({ kind: "node", install: "npm ci", build: "npm run build", start: 'export PATH="$PWD/node_modules/.bin:$PATH"; node dist.cjs' });
    expect(fs.readFileSync(path.join(result.dir, "dist.cjs"), "utf8")).toContain("hello from a dependency");
    expect(logs.filter((l) => l.stream === "system").map((l) => l.line)).toEqual(expect.arrayContaining(["$ npm ci", "$ npm run build"]));
  });
});
