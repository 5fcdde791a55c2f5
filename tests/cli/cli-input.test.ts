/**
 * The CLI with bad manifests and big outputs, as a person runs it: `node bin/slipway.mjs …` as a child
 * process against the real appRouter over HTTP, logged in with an API token (SLIPWAY_URL/TOKEN).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { snapshotAll } from "../support/db-snapshot";

const BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "slipway.mjs");
const HELLO = path.resolve(import.meta.dirname, "..", "..", "examples", "hello-node");

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
let dir: string;
let env: Record<string, string>;
let api: ReturnType<typeof callerFor>;
let orgId: string;

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
  const owner = await makeUser(h.db);
  const org = await makeOrg(h.db, "acme");
  orgId = org.id;
  await addMember(h.db, org.id, owner.id, "owner");
  api = callerFor(h.db, actorOf(owner));
  const { token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "owner", name: "laptop" });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-cli-input-"));
  env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token, SLIPWAY_CONFIG: path.join(dir, "config.json") };
});
afterAll(async () => {
  await server?.close();
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Run = { code: number | null; stdout: Buffer; stderr: string };

/**
 * Runs the CLI with its standard output in a real pipe. With `slowReader`, the test takes one chunk at
 * a time and lets the event loop turn before the next, so the CLI writes faster than it is read and
 * must wait for its pipe to drain before exiting.
 */
function slipway(args: string[], { slowReader = false } = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
  for (const key of Object.keys(childEnv)) if (key.startsWith("SLIPWAY_")) delete childEnv[key];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...childEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    chunks.push(c);
    if (slowReader) {
      child.stdout.pause();
      setImmediate(() => child.stdout.resume());
    }
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr })));
}

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

const HEAD = "project: shop\nenvironment: staging\nmode: staging\n";

describe("slipway output", () => {
  it("export of a manifest over 1 MiB reaches a slow reader through a pipe whole, byte for byte", async () => {
    // 20 variables of 60,000 characters: ~1.2 MB of YAML.
    const envVars = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`V${i}`, String.fromCharCode(97 + i).repeat(60_000)]));
    const applied = await api.manifest.applyManifest({ orgId, manifest: { project: "big", environment: "staging", mode: "staging", services: [{ name: "web", source: { path: HELLO }, port: 8080, env: envVars }] } });
    const { yaml } = await api.manifest.export({ environmentId: applied.environmentId! });
    expect(Buffer.byteLength(yaml)).toBeGreaterThan(1024 * 1024);
    const run = await slipway(["export", "big/staging"], { slowReader: true });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBe(Buffer.byteLength(yaml));
    expect(run.stdout.toString("utf8")).toBe(yaml);
  });
});

describe("slipway apply with bad YAML", () => {
  const web = `services:\n  - name: web\n    source: { path: ${HELLO} }\n`;
  const cases: { name: string; yaml: string; stderr: RegExp }[] = [
    { name: "a __proto__ key", yaml: `${HEAD}${web}    env: { A: x, __proto__: { polluted: yes } }\n`, stderr: /^slipway: m\.yaml:7:18: services\[0\]\.env\["__proto__"\]: the key "__proto__" is not allowed/ },
    { name: "a constructor key at the top", yaml: `${HEAD}constructor: x\n`, stderr: /^slipway: m\.yaml:4:1: \["constructor"\]: the key "constructor" is not allowed/ },
    { name: "!!binary", yaml: `${HEAD}${web}    env: { A: !!binary aGVsbG8= }\n`, stderr: /^slipway: m\.yaml:7:15: YAML error: the tag "!!binary" is not allowed/ },
    { name: "!!js/function", yaml: `project: !!js/function 'function () {}'\nenvironment: staging\nmode: staging\n`, stderr: /^slipway: m\.yaml:1:10: YAML error: the tag "!!js\/function" is not allowed/ },
    { name: "a local tag", yaml: `${HEAD}${web}    run: { command: !shell ls }\n`, stderr: /^slipway: m\.yaml:7:21: YAML error: the tag "!shell" is not allowed/ },
    { name: "a duplicate key", yaml: `${HEAD}mode: production\n`, stderr: /^slipway: m\.yaml:4:1: YAML syntax error: Map keys must be unique/ },
    { name: "a billion laughs", yaml: `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`, stderr: /^slipway: m\.yaml: YAML error: aliases expand to too many nodes/ },
    // The server refuses these; the CLI maps its path back to the line.
    { name: "a NUL byte in a value", yaml: `${HEAD}${web}    env: { A: "x\\0y" }\n`, stderr: /^slipway: m\.yaml:7:12: services\[0\]\.env\.A: contains a NUL character/ },
    { name: "a lone surrogate in a value", yaml: `${HEAD}${web}    run: { command: "echo \\ud800" }\n`, stderr: /^slipway: m\.yaml:7:12: services\[0\]\.run\.command: contains a lone surrogate/ },
    { name: "a number for the project", yaml: `project: 123\nenvironment: staging\nmode: staging\n`, stderr: /^slipway: m\.yaml:1:1: project: project must be text, not a number/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exits 1 naming the line and what is wrong, and applies nothing`, async () => {
      const before = await snapshotAll(h.db);
      write("m.yaml", c.yaml);
      const run = await slipway(["apply", "-f", "m.yaml"]);
      expect(run.stderr).toMatch(c.stderr);
      expect(run.stderr).not.toMatch(/is it a Slipway console|internal error/);
      expect(run.code).toBe(1);
      expect(await snapshotAll(h.db)).toEqual(before);
    });
  }

  it("a 1 MB unknown key is echoed cut short", async () => {
    const key = "k".repeat(1024 * 1024);
    write("m.yaml", `${HEAD}? ${key}\n: 1\n`);
    const run = await slipway(["apply", "-f", "m.yaml"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`unknown key "${"k".repeat(80)}…" (1048576 characters)`);
    expect(run.stderr.length).toBeLessThan(2000);
  });
});
