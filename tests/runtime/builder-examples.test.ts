/**
 * The example apps in examples/ and the builder's static file server, run with plain node: each
 * behaves as its README line says (the deploy tests rely on that).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeScratchDir, removeScratchDir } from "../support/git-fixtures";

const EXAMPLES = path.resolve(import.meta.dirname, "../../examples");
const STATIC_SERVER = path.resolve(import.meta.dirname, "../../server/runtime/process/builder/static-server.mjs");

type Running = {
  child: ChildProcessWithoutNullStreams;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stdout line (seen or to come) matching `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

const running: Running[] = [];

function run(cwd: string, file: string, env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, GREETING: undefined, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const collect = (into: string[], isStdout: boolean) => {
    let partial = "";
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        into.push(line);
        if (!isStdout) continue;
        for (const w of [...waiters]) {
          const m = w.pattern.exec(line);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    };
  };
  child.stdout.on("data", collect(stdout, true));
  child.stderr.on("data", collect(stderr, false));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      for (const line of stdout) {
        const m = pattern.exec(line);
        if (m) return resolve(m);
      }
      waiters.push({ pattern, resolve });
      void exited.then(({ code }) => reject(new Error(`exited (${code}) before printing ${pattern}; stderr: ${stderr.join("\n")}`)));
    });
  const r = { child, stdout, stderr, waitFor, exited };
  running.push(r);
  return r;
}

afterEach(() => {
  for (const r of running.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
});

/** One HTTP request with the path sent exactly as given (no URL normalization). */
function request(port: number, rawPath: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: rawPath, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function listening(r: Running): Promise<number> {
  const m = await r.waitFor(/port (\d+)/);
  return Number(m[1]);
}

describe("examples", () => {
  it("hello-node greets, answers /healthz, logs each request, and stops cleanly on SIGTERM", async () => {
    const app = run(path.join(EXAMPLES, "hello-node"), "server.js", { PORT: "0", GREETING: "hi there" });
    const port = await listening(app);
    expect(await request(port, "/")).toMatchObject({ status: 200, body: "hi there\n" });
    expect(await request(port, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    expect((await request(port, "/missing")).status).toBe(404);
    await app.waitFor(/^GET \/missing 404$/);
    expect(app.stdout).toEqual(expect.arrayContaining(["GET / 200", "GET /healthz 200"]));
    app.child.kill("SIGTERM");
    expect(await app.exited).toEqual({ code: 0, signal: null });
    await expect(request(port, "/")).rejects.toThrow(/ECONNREFUSED/);

    const plain = run(path.join(EXAMPLES, "hello-node"), "server.js", { PORT: "0" });
    expect(await request(await listening(plain), "/")).toMatchObject({ body: "hello\n" });
  });

  it("hello-node is a plain npm package: start script, no dependencies", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(EXAMPLES, "hello-node", "package.json"), "utf8"));
    expect(pkg.scripts.start).toBe("node server.js");
    expect(pkg.dependencies).toBeUndefined();
    expect(fs.existsSync(path.join(EXAMPLES, "hello-node", "Procfile"))).toBe(false);
  });

  it("exits-at-start prints an error to stderr and exits 1", async () => {
    const app = run(path.join(EXAMPLES, "exits-at-start"), "index.js");
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(app.stderr.join("\n")).toMatch(/fatal: .*/);
  });

  it("never-healthy listens but answers /healthz with 500, and says why", async () => {
    const app = run(path.join(EXAMPLES, "never-healthy"), "server.js", { PORT: "0" });
    const port = await listening(app);
    expect((await request(port, "/healthz")).status).toBe(500);
    expect((await request(port, "/healthz")).status).toBe(500);
    expect((await request(port, "/")).status).toBe(200);
    await app.waitFor(/healthz 500 \(.*never becomes healthy\)/);
  });

  it("worker ticks every second and stops on SIGTERM", async () => {
    const app = run(path.join(EXAMPLES, "worker"), "worker.js");
    await app.waitFor(/^tick 2$/);
    app.child.kill("SIGTERM");
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.stdout).toEqual(expect.arrayContaining(["tick 1", "tick 2"]));
    expect(app.stdout.at(-1)).toMatch(/^SIGTERM: stopping after \d+ ticks$/);
  });
});

describe("the builder's static file server", () => {
  let site: string;
  let outside: string;

  beforeAll(() => {
    const root = makeScratchDir("static");
    outside = root;
    site = path.join(root, "site");
    fs.cpSync(path.join(EXAMPLES, "static-site"), site, { recursive: true });
    fs.copyFileSync(STATIC_SERVER, path.join(site, ".slipway-static-server.mjs"));
    fs.writeFileSync(path.join(root, "outside.txt"), "outside-secret");
    fs.writeFileSync(path.join(site, ".env"), "TOKEN=dotfile-secret");
    fs.symlinkSync(path.join(root, "outside.txt"), path.join(site, "link.txt"));
    fs.mkdirSync(path.join(site, "docs"));
    fs.writeFileSync(path.join(site, "docs", "index.html"), "<p>docs</p>");
  });

  afterAll(() => removeScratchDir(outside));

  it("serves the folder with content types, /healthz, and nothing outside it", async () => {
    const server = run(site, ".slipway-static-server.mjs", { PORT: "0" });
    const port = await listening(server);

    const index = await request(port, "/");
    expect(index).toMatchObject({ status: 200, type: "text/html; charset=utf-8" });
    expect(index.body).toContain("Hello from a static site");
    expect(await request(port, "/style.css")).toMatchObject({ status: 200, type: "text/css; charset=utf-8" });
    expect(await request(port, "/docs/")).toMatchObject({ status: 200, body: "<p>docs</p>" });
    expect(await request(port, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    expect(await request(port, "/style.css", "HEAD")).toMatchObject({ status: 200, body: "" });
    expect((await request(port, "/", "POST")).status).toBe(405);
    expect((await request(port, "/nope.html")).status).toBe(404);

    for (const attempt of ["/../outside.txt", "/%2e%2e/outside.txt", "/..%2foutside.txt", "/link.txt", "/.env", "/.slipway-static-server.mjs", "/%00"]) {
      const res = await request(port, attempt);
      expect(res.status, attempt).toBe(404);
      expect(res.body).not.toMatch(/secret|import/);
    }

    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
  });
});
