/**
 * Deployed code is untrusted: an app deployed through the engine tries to read a key in the
 * console's data folder and to signal the console's process; an app of organization A goes after
 * organization B's service (its instance folder, secret variable file, environment, process, build).
 * All must be refused, with bubblewrap and (the test command runs this file again with
 * SLIPWAY_SANDBOX=off) without it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { serviceRuntime, serviceUids } from "@/db/schema";
import { createTestDb } from "../support/test-db";
import { getVia, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";
import { isAlive } from "@/server/runtime/process/supervisor/process-identity";

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
let appDir: string;
let neighbourDir: string;

/** A's build goes after B's build folder (given as its argument) and records what it got in its own output. */
const BUILD_PROBE = `
import fs from "node:fs";
const tryIt = (fn) => { try { return { ok: true, value: fn() }; } catch (e) { return { ok: false, code: e.code }; } };
const [dir, builds] = process.argv.slice(2);
fs.writeFileSync("build-probe.json", JSON.stringify({
  uid: process.getuid(),
  readBuild: tryIt(() => fs.readFileSync(dir + "/built.txt", "utf8")),
  listBuild: tryIt(() => fs.readdirSync(dir)),
  listBuilds: tryIt(() => fs.readdirSync(builds)),
}));
`;

/** B: holds a secret in its environment and a secret file, and stays up. */
const NEIGHBOUR = `
import http from "node:http";
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT));
`;

/** The service's hostname as the router has it (hostnames are the runtime's business, not the test's). */
const hostOf = (serviceId: string) => {
  const route = rt.runtime.router.routes().find((r) => r.info.serviceId === serviceId);
  if (!route) throw new Error(`no route for service ${serviceId}`);
  return route.hostname;
};

const refused = (result: unknown, codes: string[]) => {
  expect(typeof result === "string" && result.startsWith("refused: ")).toBe(true);
  expect(codes).toContain((result as string).slice("refused: ".length));
};

const PROBE = `
import fs from "node:fs";
import http from "node:http";
const tryIt = (fn) => { try { fn(); return "allowed"; } catch (e) { return "refused: " + e.code; } };
http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/neighbour") {
    // Another organization's service: its folder, secret file, environment and process.
    const q = (k) => url.searchParams.get(k);
    const pid = Number(q("pid"));
    return res.end(JSON.stringify({
      uid: process.getuid(),
      listDir: tryIt(() => fs.readdirSync(q("dir"))),
      readSecret: tryIt(() => fs.readFileSync(q("file"), "utf8")),
      readEnviron: tryIt(() => fs.readFileSync("/proc/" + pid + "/environ", "utf8")),
      listInstances: (() => { try { return fs.readdirSync(q("instances")); } catch (e) { return "refused: " + e.code; } })(),
      signal: tryIt(() => process.kill(pid, 0)),
      kill: tryIt(() => process.kill(pid, "SIGKILL")),
    }));
  }
  const read = tryIt(() => fs.readFileSync(process.env.TARGET_FILE, "utf8"));
  let list;
  try { list = fs.readdirSync(process.env.TARGET_DIR); } catch (e) { list = "refused: " + e.code; }
  const signal = tryIt(() => process.kill(Number(process.env.CONSOLE_PID), 0));
  const write = tryIt(() => fs.writeFileSync(process.env.TARGET_DIR + "/planted", "x"));
  res.end(JSON.stringify({ read, list, signal, write, uid: process.getuid() }));
}).listen(Number(process.env.PORT));
`;

beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h);
  appDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-probe-"));
  fs.chmodSync(appDir, 0o755);
  fs.writeFileSync(path.join(appDir, "server.mjs"), PROBE);
  fs.writeFileSync(path.join(appDir, "build-probe.mjs"), BUILD_PROBE);
  neighbourDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-neighbour-"));
  fs.chmodSync(neighbourDir, 0o755);
  fs.writeFileSync(path.join(neighbourDir, "server.mjs"), NEIGHBOUR);
  fs.writeFileSync(path.join(rt.dataDir, "master.key"), "top-secret-key-material", { mode: 0o600 });
});
afterAll(async () => {
  await rt?.stop();
  await h?.close();
  fs.rmSync(appDir, { recursive: true, force: true });
  fs.rmSync(neighbourDir, { recursive: true, force: true });
});

it("cannot read the data folder, write into it, or signal the console", async () => {
  const { api, env } = await makeEnvironment(h);
  const probe = await api.service.create({
    environmentId: env.id,
    name: "probe",
    type: "application",
    spec: {
      source: { path: appDir },
      run: { command: "node server.mjs" },
      port: 8080,
      healthcheck: { path: "/healthz" },
      env: { TARGET_FILE: path.join(rt.dataDir, "master.key"), TARGET_DIR: rt.dataDir, CONSOLE_PID: String(process.pid) },
    },
  });
  const d = await api.deployment.create({ environmentId: env.id });
  expect((await waitForDeployment(h, d.id)).status).toBe("DEPLOYED");
  const r = await getVia(rt.runtime.router.port, hostOf(probe.id), "/probe");
  expect(r.status).toBe(200);
  const result = JSON.parse(r.body) as Record<string, string | number | string[]>;
  expect(result.read).toMatch(/^refused/);
  // Refused outright, or (under bubblewrap) an empty mask where the folder was: the key is not there.
  expect(JSON.stringify(result.list)).not.toContain("master.key");
  // A write is refused, or lands in the mask and never reaches the real folder (checked below).
  expect(["refused: EACCES", "refused: ENOENT", "refused: EROFS", "allowed"]).toContain(result.write);
  expect(result.signal).toMatch(/^refused: (EPERM|ESRCH)/);
  if (process.getuid?.() === 0) expect(result.uid).not.toBe(0);
  expect(fs.existsSync(path.join(rt.dataDir, "planted"))).toBe(false);
});

it("keeps services of two organizations apart: files, secret files, environment, processes, builds; instance folders go when they stop", async () => {
  const a = await makeEnvironment(h);
  const b = await makeEnvironment(h);
  expect(a.org.id).not.toBe(b.org.id);
  const SECRET_FILE_VALUE = "b-file-secret-0c9f2e";
  const SECRET_ENV_VALUE = "b-env-secret-71d4aa";
  const BUILD_VALUE = "b-build-output-5e2b";

  const beta = await b.api.service.create({
    environmentId: b.env.id,
    name: "beta",
    type: "application",
    spec: { source: { path: neighbourDir }, build: { command: `printf ${BUILD_VALUE} > built.txt` }, run: { command: "node server.mjs" }, port: 8080 },
  });
  await b.api.variable.set({ scope: { serviceId: beta.id }, name: "DB_PASSWORD", kind: "secret", value: SECRET_FILE_VALUE, asFile: true });
  await b.api.variable.set({ scope: { serviceId: beta.id }, name: "API_KEY", kind: "secret", value: SECRET_ENV_VALUE });
  const db = await b.api.deployment.create({ environmentId: b.env.id });
  expect((await waitForDeployment(h, db.id)).status).toBe("DEPLOYED");
  const [betaState] = await h.db.select().from(serviceRuntime).where(eq(serviceRuntime.serviceId, beta.id));
  const betaBuild = betaState.buildDir as string;
  const [betaInstance] = rt.runtime.supervisor.list().filter((i) => i.serviceId === beta.id);
  const betaPid = betaInstance.pid as number;
  const workDir = path.join(rt.root, "work");
  const betaFolder = path.join(workDir, "instances", betaInstance.instanceId);
  const betaSecretFile = path.join(betaFolder, ".slipway-vars", "DB_PASSWORD");
  // As the runtime laid them out: B's folders are B's alone.
  expect(fs.readFileSync(betaSecretFile, "utf8")).toBe(SECRET_FILE_VALUE);
  expect(fs.readFileSync(`/proc/${betaPid}/environ`, "utf8")).toContain(SECRET_ENV_VALUE);

  const alpha = await a.api.service.create({
    environmentId: a.env.id,
    name: "alpha",
    type: "application",
    spec: {
      source: { path: appDir },
      build: { command: `node build-probe.mjs ${betaBuild} ${path.join(workDir, "builds")}` },
      run: { command: "node server.mjs" },
      port: 8080,
      healthcheck: { path: "/healthz" },
    },
  });
  const da = await a.api.deployment.create({ environmentId: a.env.id });
  expect((await waitForDeployment(h, da.id)).status).toBe("DEPLOYED");
  const uidOf = async (serviceId: string) => (await h.db.select().from(serviceUids).where(eq(serviceUids.serviceId, serviceId)))[0]?.uid;
  const alphaUid = await uidOf(alpha.id);
  const betaUid = await uidOf(beta.id);
  expect(alphaUid).toBeDefined();
  expect(alphaUid).not.toBe(betaUid);

  // A's build saw nothing of B's build.
  const [alphaState] = await h.db.select().from(serviceRuntime).where(eq(serviceRuntime.serviceId, alpha.id));
  const buildProbe = JSON.parse(fs.readFileSync(path.join(alphaState.buildDir as string, "build-probe.json"), "utf8")) as Record<string, { ok: boolean; code?: string; value?: unknown }>;
  for (const key of ["readBuild", "listBuild"]) {
    expect(buildProbe[key], key).toMatchObject({ ok: false });
    expect(["EACCES", "ENOENT"], key).toContain(buildProbe[key].code);
  }
  // builds/ is traversable, never listable (or, behind bubblewrap, shows only A's own path).
  if (buildProbe.listBuilds.ok) expect(buildProbe.listBuilds.value).toEqual([alpha.id]);
  else expect(buildProbe.listBuilds.code).toBe("EACCES");

  const host = hostOf(alpha.id);
  const query = new URLSearchParams({ dir: betaFolder, file: betaSecretFile, pid: String(betaPid), instances: path.join(workDir, "instances") });
  const r = await getVia(rt.runtime.router.port, host, `/neighbour?${query}`);
  expect(r.status).toBe(200);
  expect(r.body).not.toContain(SECRET_FILE_VALUE);
  expect(r.body).not.toContain(SECRET_ENV_VALUE);
  const got = JSON.parse(r.body) as Record<string, string | number | string[]>;
  if (process.getuid?.() === 0) {
    expect(got.uid).toBe(alphaUid);
    expect(fs.readFileSync(`/proc/${betaPid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\s+${betaUid}\\s`, "m"));
  }
  // Refused by the kernel (another uid) or absent (bubblewrap hides the work tree and has its own pid namespace).
  refused(got.listDir, ["EACCES", "ENOENT"]);
  refused(got.readSecret, ["EACCES", "ENOENT"]);
  refused(got.readEnviron, ["EACCES", "ENOENT"]);
  // instances/ is traversable, never listable (or, behind bubblewrap, holds only A's own folder).
  const [alphaNow] = rt.runtime.supervisor.list().filter((i) => i.serviceId === alpha.id);
  if (Array.isArray(got.listInstances)) expect(got.listInstances).toEqual([alphaNow.instanceId]);
  else refused(got.listInstances, ["EACCES"]);
  refused(got.signal, ["EPERM", "ESRCH"]);
  refused(got.kill, ["EPERM", "ESRCH"]);
  expect(isAlive(betaPid)).toBe(true);

  // Redeploying reuses A's uid; the drained instance's folder is gone once the rollout is done. The kept
  // build is first made someone else's (as one from before services had their own users): the instance
  // can run in it only if the runtime gives it back to A.
  const [alphaBefore] = rt.runtime.supervisor.list().filter((i) => i.serviceId === alpha.id);
  const alphaBuild = alphaState.buildDir as string;
  if (process.getuid?.() === 0) {
    execFileSync("chown", ["-R", "0:0", alphaBuild]);
    fs.chmodSync(path.join(alphaBuild, "server.mjs"), 0o600);
  }
  const da2 = await a.api.deployment.create({ environmentId: a.env.id });
  expect((await waitForDeployment(h, da2.id)).status).toBe("DEPLOYED");
  expect(await uidOf(alpha.id)).toBe(alphaUid);
  if (process.getuid?.() === 0) expect(fs.statSync(path.join(alphaBuild, "server.mjs")).uid).toBe(alphaUid);
  expect(fs.existsSync(path.join(workDir, "instances", alphaBefore.instanceId))).toBe(false);
  const [alphaAfter] = rt.runtime.supervisor.list().filter((i) => i.serviceId === alpha.id);
  const alphaFolder = fs.statSync(path.join(workDir, "instances", alphaAfter.instanceId));
  expect(alphaFolder.mode & 0o777).toBe(0o700);
  if (process.getuid?.() === 0) expect(alphaFolder.uid).toBe(alphaUid);

  // Stopping B removes its instance folder, secret file included.
  await b.api.runtime.stop({ serviceId: beta.id });
  expect(fs.existsSync(betaFolder)).toBe(false);
  // Deleting A removes its instance folder, builds and sources.
  await a.api.service.delete({ serviceId: alpha.id });
  expect(fs.existsSync(path.join(workDir, "instances", alphaAfter.instanceId))).toBe(false);
  expect(fs.existsSync(path.join(workDir, "builds", alpha.id))).toBe(false);
  expect(fs.existsSync(path.join(workDir, "sources", alpha.id))).toBe(false);
});

it("removes instance folders no instance owns at reconcile (older than a minute), and spares younger ones", async () => {
  const instances = path.join(rt.root, "work", "instances");
  const stale = path.join(instances, "gone-instance-0");
  const young = path.join(instances, "being-set-up-0");
  for (const dir of [stale, young]) {
    fs.mkdirSync(path.join(dir, ".slipway-vars"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".slipway-vars", "DB_PASSWORD"), "left behind");
  }
  const longAgo = new Date(Date.now() - 10 * 60_000);
  fs.utimesSync(stale, longAgo, longAgo);
  await rt.runtime.stopOrphans();
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(young)).toBe(true);
  fs.rmSync(young, { recursive: true, force: true });
});
