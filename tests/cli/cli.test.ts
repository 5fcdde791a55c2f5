/**
 * The slipway CLI as a person runs it: `node bin/slipway.mjs …` as a child process, against the real
 * appRouter served over HTTP in this process, with a real engine and process runtime behind it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { auditEvents, services } from "@/db/schema";
import { createOwner } from "@/server/users/create-owner";
import { createOrganization } from "@/server/organizations/create-organization";
import { createTestDb } from "../support/test-db";
import { EXAMPLES, getVia, startTestEngine } from "../support/engine-harness";
import { startApiServer } from "../support/api-server";
import { snapshotAll } from "../support/db-snapshot";

const BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "slipway.mjs");
const EMAIL = "ada@example.test";
const PASSWORD = "correct horse battery";

/** design.md's minimal manifest, verbatim. */
const MINIMAL = `project: shop
environment: staging
mode: staging
services:
  - name: web
    type: application
    source: { path: ./examples/hello-node }   # or { git: <url or path>, branch: main }
    run: { command: node server.js }         # optional: detected from Procfile / package.json
    port: 8080                               # the app reads it from $PORT
    healthcheck: { path: /healthz }
    instances: { min: 2, max: 4 }
    env: { GREETING: hello }
`;

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
let server: Awaited<ReturnType<typeof startApiServer>>;
let dir: string;
let configFile: string;
const savedRouterPort = process.env.SLIPWAY_ROUTER_PORT;

beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h, { healthTimeoutMs: 5_000 });
  // Service URLs name the router's port; the test's router listens on an ephemeral one.
  process.env.SLIPWAY_ROUTER_PORT = String(rt.runtime.router.port);
  server = await startApiServer(h.db);
  const meta = { source: "ui" as const, ip: "127.0.0.1" };
  const owner = await createOwner({ db: h.db, input: { name: "Ada", email: EMAIL, password: PASSWORD }, meta });
  await createOrganization({ ctx: { db: h.db, actor: { userId: owner.id, email: owner.email, token: null }, meta }, input: { name: "Acme", slug: "acme" } });

  // A project folder as a person has it: the manifest next to the app it names (relative path).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-"));
  fs.chmodSync(dir, 0o755);
  for (const app of ["hello-node", "exits-at-start"]) fs.cpSync(path.join(EXAMPLES, app), path.join(dir, "examples", app), { recursive: true });
  fs.writeFileSync(path.join(dir, "slipway.yaml"), MINIMAL);
  configFile = path.join(dir, "home", ".config", "slipway", "config.json");
});

afterAll(async () => {
  await server?.close();
  await rt?.stop();
  await h?.close();
  if (savedRouterPort === undefined) delete process.env.SLIPWAY_ROUTER_PORT;
  else process.env.SLIPWAY_ROUTER_PORT = savedRouterPort;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Starts the CLI; `waitFor` resolves once its standard output matches (no sleeps), `done` when it exits. */
function start(args: string[], env: Record<string, string> = {}) {
  // The login comes from the config file under the test's HOME, or from what a test passes: never from this process.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(dir, "home"), XDG_CONFIG_HOME: path.join(dir, "home", ".config") };
  for (const key of Object.keys(childEnv)) if (key.startsWith("SLIPWAY_")) delete childEnv[key];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...childEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
    for (const w of watchers.filter((x) => x.re.test(stdout))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const done = new Promise<Run>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    waitFor: (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stdout)) return resolve();
        watchers.push({ re, resolve });
        void done.then((r) => reject(new Error(`slipway exited (${r.code}) before printing ${re}:\n${r.stdout}\n${r.stderr}`)));
      }),
  };
}

const slipway = (args: string[], env?: Record<string, string>) => start(args, env).done;

describe("slipway CLI against a real server and engine", () => {
  it("login: a wrong password is refused; the right one saves a private config with a token", async () => {
    const wrong = await slipway(["login", "--url", server.url, "--email", EMAIL, "--password", "not the password"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("slipway: wrong email or password\n");
    expect(fs.existsSync(configFile)).toBe(false);

    const ok = await slipway(["login", "--url", server.url, "--email", EMAIL, "--password", PASSWORD]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("organization Acme (acme), role owner");
    const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as { url: string; token: string; org: string };
    expect(config).toMatchObject({ url: server.url, org: "acme" });
    expect(config.token).toMatch(/^slw_/);
    expect(fs.statSync(configFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(configFile)).mode & 0o777).toBe(0o700);
    const [event] = await h.db.select().from(auditEvents).where(eq(auditEvents.action, "token.create"));
    expect(event).toMatchObject({ source: "cli", resourceName: `cli@${os.hostname().replace(/[^A-Za-z0-9._-]/g, "").slice(0, 60) || "cli"}` });
  });

  it("apply: the minimal manifest creates everything, with the app folder resolved next to the manifest; again changes nothing", async () => {
    const first = await slipway(["apply", "-f", "slipway.yaml"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("+ create project shop\n+ create environment staging (mode staging)\n+ create service web (application): ");
    expect(first.stdout).toContain("applied to shop/staging");
    const [web] = await h.db.select().from(services).where(eq(services.name, "web"));
    expect(web.spec.source).toEqual({ path: path.join(dir, "examples", "hello-node") });

    const second = await slipway(["apply", "-f", "slipway.yaml"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("= project shop unchanged\n= environment staging unchanged\n= service web unchanged\nno changes\nshop/staging already matches the manifest\n");
  });

  it("apply: an invalid manifest exits 1 naming file:line:column, the path and what is allowed, and applies nothing", async () => {
    fs.writeFileSync(path.join(dir, "bad.yaml"), `${MINIMAL}  - name: api\n    source: { path: ./examples/hello-node }\n    port: 70000\n    colour: blue\n`);
    const before = await snapshotAll(h.db);
    const bad = await slipway(["apply", "-f", "bad.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("slipway: bad.yaml:15:5: services[1].port: port must be from 1 to 65535");
    expect(bad.stderr).toMatch(/bad\.yaml:16:5: services\[1\]\.colour: unknown key "colour"; allowed here: .*port/);
    expect(bad.stdout).toBe("");

    fs.writeFileSync(path.join(dir, "broken-syntax.yaml"), "project: shop\nservices: [\n");
    const syntax = await slipway(["apply", "-f", "broken-syntax.yaml"]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^slipway: broken-syntax\.yaml:\d+:\d+: YAML syntax error: /);
    expect(await snapshotAll(h.db)).toEqual(before);
  });

  it("apply --dry-run prints the per-field plan and changes nothing", async () => {
    fs.writeFileSync(path.join(dir, "changed.yaml"), MINIMAL.replace("port: 8080", "port: 9090").replace("GREETING: hello", "GREETING: changed-value"));
    const before = await snapshotAll(h.db);
    const dry = await slipway(["apply", "-f", "changed.yaml", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("~ update service web: port 8080 → 9090, env changed (GREETING changed)\n");
    expect(dry.stdout).toContain("dry run: nothing was applied to shop/staging");
    expect(dry.stdout).not.toContain("changed-value");
    expect(await snapshotAll(h.db)).toEqual(before);
  });

  it("deploy --wait streams the steps and exits 0 when DEPLOYED; status and logs show the running app", async () => {
    const deploy = await slipway(["deploy", "shop/staging", "--wait"]);
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    const id = /deployment ([0-9a-f-]{36}) queued/.exec(deploy.stdout)?.[1];
    expect(id).toBeDefined();
    expect(deploy.stdout).toContain(`${server.url}/o/acme/p/shop/e/staging/deployments/${id}`);
    expect(deploy.stdout).toMatch(/ build web: /);
    expect(deploy.stdout).toContain(`deployment ${id} DEPLOYED`);

    const status = await slipway(["status", "shop/staging", "--json"]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { project: string; environment: string; services: { name: string; type: string; status: string; instances: unknown[]; url: string }[] };
    expect(parsed).toMatchObject({ project: "shop", environment: "staging" });
    expect(parsed.services).toHaveLength(1);
    expect(parsed.services[0]).toMatchObject({ name: "web", type: "application", status: "RUNNING", url: `http://web.staging.shop.acme.localhost:${rt.runtime.router.port}` });
    expect(parsed.services[0].instances).toHaveLength(2);
    expect(Object.keys(parsed.services[0])).toEqual(["name", "type", "status", "instances", "url"]);
    const table = await slipway(["status", "shop/staging"]);
    expect(table.stdout).toMatch(/web\s+application\s+RUNNING\s+2\/2 running\s+http:\/\/web\.staging\.shop\.acme\.localhost/);

    // Follow the logs, then open the app through the router: the request line streams in.
    const follow = start(["logs", "shop/staging/web", "--follow"]);
    await follow.waitFor(/listening on port/);
    expect(await getVia(rt.runtime.router.port, "web.staging.shop.acme.localhost", "/?from=cli-test")).toEqual({ status: 200, body: "hello\n" });
    await follow.waitFor(/GET \/\?from=cli-test 200/);
    follow.child.kill("SIGINT");
    const followed = await follow.done;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \S+ GET \/\?from=cli-test 200$/m);

    const logs = await slipway(["logs", "shop/staging/web", "--tail", "50"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^\S+ \S+ GET \/\?from=cli-test 200$/m);
  });

  it("logs filters: --grep, --regex, --stream, --instance, --since/--until; bad filters say which option and why", async () => {
    // The web service deployed above; two kinds of request lines, between two instants.
    const before = new Date(Date.now() - 1_000).toISOString();
    for (const q of ["alpha-1", "beta-1", "alpha-2"]) expect((await getVia(rt.runtime.router.port, "web.staging.shop.acme.localhost", `/?filter=${q}`)).status).toBe(200);
    const lines = (out: string) => out.split("\n").filter((l) => l.includes("filter="));
    const wait = async () => {
      // The request lines reach the store a flush later: wait until all three are there.
      for (;;) {
        const all = await slipway(["logs", "shop/staging/web", "--grep", "filter="]);
        if (lines(all.stdout).length >= 3) return;
      }
    };
    await wait();
    const after = new Date(Date.now() + 1_000).toISOString();

    const grep = await slipway(["logs", "shop/staging/web", "--grep", "FILTER=ALPHA"]);
    expect(grep.code).toBe(0);
    expect(lines(grep.stdout).map((l) => /filter=(\S+)/.exec(l)?.[1])).toEqual(["alpha-1", "alpha-2"]);

    const regex = await slipway(["logs", "shop/staging/web", "--regex", "filter=(beta|gamma)-\\d"]);
    expect(lines(regex.stdout).map((l) => /filter=(\S+)/.exec(l)?.[1])).toEqual(["beta-1"]);

    // Request lines are the app's stdout: none on stderr.
    const stderr = await slipway(["logs", "shop/staging/web", "--stream", "stderr", "--grep", "filter="]);
    expect(stderr.code).toBe(0);
    expect(lines(stderr.stdout)).toEqual([]);

    // One instance's lines only: every line printed carries that instance.
    const instance = lines(grep.stdout)[0].split(" ")[1];
    const one = await slipway(["logs", "shop/staging/web", "--instance", instance]);
    expect(one.code).toBe(0);
    expect(one.stdout.trim().split("\n").every((l) => l.split(" ")[1] === instance)).toBe(true);

    const ranged = await slipway(["logs", "shop/staging/web", "--since", before, "--until", after, "--grep", "filter="]);
    expect(lines(ranged.stdout)).toHaveLength(3);
    const earlier = await slipway(["logs", "shop/staging/web", "--since", "2020-01-01T00:00:00Z", "--until", before, "--grep", "filter="]);
    expect(lines(earlier.stdout)).toEqual([]);

    // Refused before anything is read, naming the option (usage errors exit 2); the server's answer to a bad pattern exits 1.
    const bad = await slipway(["logs", "shop/staging/web", "--regex", "filter=("]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid regular expression|Unterminated group/);
    for (const [args, says] of [
      [["--grep", "a", "--regex", "b"], /use --grep or --regex, not both/],
      [["--since", "yesterday"], /--since must be a time/],
      [["--tail", "9999"], /--tail must be a whole number from 0 to 5000/],
      [["--follow", "--since", before], /cannot be combined with --follow/],
    ] as const) {
      const refused = await slipway(["logs", "shop/staging/web", ...args]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(says);
    }
  });

  it("deploy --wait of a broken source exits 1 with the status, the reason and a hint; the running version stays", async () => {
    fs.writeFileSync(
      path.join(dir, "qa.yaml"),
      MINIMAL.replace("environment: staging", "environment: qa")
        .replace("./examples/hello-node", "./examples/exits-at-start")
        // Its package.json says how to start it.
        .replace(/ {4}run: .*\n/, ""),
    );
    expect((await slipway(["apply", "-f", "qa.yaml"])).code).toBe(0);
    const broken = await slipway(["deploy", "shop/qa", "--wait"]);
    expect(broken.code).toBe(1);
    // The reason (the engine's words) and what the app printed.
    expect(broken.stdout).toMatch(/deployment [0-9a-f-]{36} DEPLOYMENT_ERROR: web .*exited with code 1/);
    expect(broken.stdout).toContain("hint: ");
    expect(broken.stdout).toContain("DATABASE_URL is not set");
    expect((await getVia(rt.runtime.router.port, "web.staging.shop.acme.localhost")).status).toBe(200);
  });

  it("export → apply through the CLI changes nothing", async () => {
    const exported = await slipway(["export", "shop/staging"]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain("instances: { min: 2, max: 4 }");
    fs.writeFileSync(path.join(dir, "exported.yaml"), exported.stdout);
    const again = await slipway(["apply", "-f", "exported.yaml"]);
    expect(again.stdout).toContain("no changes");
  });

  it("errors: unknown names, bad tokens, an unreachable server and bad usage each say what to do", async () => {
    const unknownProject = await slipway(["status", "nope/staging"]);
    expect(unknownProject).toMatchObject({ code: 1, stderr: 'slipway: project "nope" not found in organization acme\n' });

    const revoked = await slipway(["status", "shop/staging"], { SLIPWAY_TOKEN: "slw_not-a-real-token" });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toBe("slipway: the API token is unknown or revoked: run `slipway login` to sign in again\n");

    const closed = await startApiServer(h.db);
    await closed.close();
    const unreachable = await slipway(["status", "shop/staging"], { SLIPWAY_URL: closed.url });
    expect(unreachable).toMatchObject({ code: 1, stderr: `slipway: cannot reach Slipway at ${closed.url}: ECONNREFUSED\n` });

    const notLoggedIn = await slipway(["status", "shop/staging"], { SLIPWAY_CONFIG: path.join(dir, "missing.json") });
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toContain("not logged in: run `slipway login");

    const unknownCommand = await slipway(["launch"]);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('unknown command "launch"');
    const unknownFlag = await slipway(["deploy", "shop/staging", "--wiat"]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("Usage: slipway deploy");
    const badTarget = await slipway(["deploy", "shop"]);
    expect(badTarget.code).toBe(2);
    for (const command of ["login", "apply", "deploy", "status", "logs", "export"]) {
      const help = await slipway([command, "--help"]);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: slipway ${command}`);
    }
    expect((await slipway(["--help"])).stdout).toContain("Commands:");
    // Nothing above wrote anything for the web service.
    const [web] = await h.db.select().from(services).where(and(eq(services.name, "web"), eq(services.type, "application")));
    expect(web).toBeDefined();
  });
});
