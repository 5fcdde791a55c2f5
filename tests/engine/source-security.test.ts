/**
 * Sources are read with the rights of their service, never root's (issue 13). An invited developer
 * (and, where the role allows more, an invited admin) tries to deploy the console's own folders, the
 * host's, a root-only folder and repository, links to each, and a git server on this machine. Real
 * engine, real files, real git, real processes; run as root (as the suites are).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { TRPCError } from "@trpc/server";
import { createTestDb } from "../support/test-db";
import { actorOf, callerFor, makeUser } from "../support/actors";
import { makeInvitation } from "../support/fixtures";
import { createGitFixture, makeScratchDir, removeScratchDir, serveGitOverHttp, writeFiles, type GitHttpServer } from "../support/git-fixtures";
import { EXAMPLES, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";

const isRoot = process.getuid?.() === 0;

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
let scratch: string;
let gitServer: GitHttpServer;
let world: Awaited<ReturnType<typeof makeEnvironment>>;
let developer: ReturnType<typeof callerFor>;
let admin: ReturnType<typeof callerFor>;
let repo: ReturnType<typeof createGitFixture>;
let rootOnlyRepo: string;
let envCount = 0;

const WORKER = { "package.json": JSON.stringify({ name: "w", private: true, scripts: { start: "node worker.js" } }), "worker.js": "console.log('worker up'); setInterval(() => {}, 1000);\n" };

async function invite(role: "developer" | "admin") {
  const user = await makeUser(h.db);
  const { token } = await makeInvitation(h.db, { orgId: world.org.id, email: user.email, role, invitedBy: world.user.id });
  const api = callerFor(h.db, actorOf(user));
  await api.invitation.accept({ token });
  return api;
}

/** A fresh staging environment in the shared project (a deployment deploys every service of its environment). */
async function freshEnvironment() {
  return world.api.environment.create({ projectId: world.project.id, name: `env${++envCount}`, mode: "staging" });
}

async function refusal(p: Promise<unknown>): Promise<TRPCError & { cause?: { fieldErrors?: Record<string, string[]> } }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err as TRPCError & { cause?: { fieldErrors?: Record<string, string[]> } };
    throw err;
  }
  throw new Error("expected a refusal, the call went through");
}

const fieldErrorsOf = (err: { cause?: unknown }) => (err.cause as { fieldErrors?: Record<string, string[]> } | undefined)?.fieldErrors ?? {};

async function deploy(api: ReturnType<typeof callerFor>, environmentId: string) {
  const d = await api.deployment.create({ environmentId });
  return waitForDeployment(h, d.id);
}

beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h);
  scratch = makeScratchDir("source-security");
  writeFiles(path.join(scratch, "app"), WORKER);
  // Root-only: a folder and a git repository the service's user may not read.
  writeFiles(path.join(scratch, "root-only"), { ...WORKER, "secret.txt": "root's secret\n" });
  fs.chmodSync(path.join(scratch, "root-only"), 0o700);
  repo = createGitFixture(path.join(scratch, "git"));
  repo.commit("main", WORKER, "a worker");
  rootOnlyRepo = path.join(scratch, "root-only.git");
  fs.cpSync(repo.bare, rootOnlyRepo, { recursive: true });
  fs.chmodSync(rootOnlyRepo, 0o700);
  fs.writeFileSync(path.join(rt.dataDir, "master-key"), "top-secret-key-material", { mode: 0o600 });
  // Links inside an allowed root (the temp folder) that point at what must stay unread.
  const links: Record<string, string> = { "link-data": rt.dataDir, "link-work": rt.workDir, "link-root": "/", "link-etc": "/etc", "link-root-only": path.join(scratch, "root-only") };
  for (const [name, target] of Object.entries(links)) fs.symlinkSync(target, path.join(scratch, name));
  gitServer = await serveGitOverHttp(repo.bare);
  world = await makeEnvironment(h);
  developer = await invite("developer");
  admin = await invite("admin");
});

afterAll(async () => {
  await gitServer?.close();
  await rt?.stop();
  await h?.close();
  if (scratch) removeScratchDir(scratch);
});

/** Every service's cache of fetched folders (`<work>/sources/<service>/path`). */
function pathCaches(): string[] {
  const root = path.join(rt.workDir, "sources");
  return fs
    .readdirSync(root)
    .map((service) => path.join(root, service, "path"))
    .filter((dir) => fs.existsSync(dir));
}

describe("path sources", () => {
  const targets = () => ({
    "the data folder": rt.dataDir,
    "the work folder": rt.workDir,
    "/": "/",
    "/etc": "/etc",
    "a link to the data folder": path.join(scratch, "link-data"),
    "a link to the work folder": path.join(scratch, "link-work"),
    "a link to /": path.join(scratch, "link-root"),
    "a link to /etc": path.join(scratch, "link-etc"),
  });

  it("a developer may not set a path source at all, even under an allowed root: service create, update and manifest apply", async () => {
    const env = await freshEnvironment();
    for (const [what, dir] of Object.entries({ ...targets(), "an allowed folder": path.join(scratch, "app"), "a root-only folder": path.join(scratch, "root-only") })) {
      const err = await refusal(developer.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: dir } } }));
      expect(err.code, what).toBe("FORBIDDEN");
      expect(err.message, what).toContain("your role (developer) may not set a service's source to a folder on the console's machine");
    }
    const gitService = await developer.service.create({ environmentId: env.id, name: "g", type: "worker", spec: { source: { git: repo.bare } } });
    const update = await refusal(developer.service.update({ serviceId: gitService.id, spec: { source: { path: path.join(scratch, "app") } } }));
    expect(update.code).toBe("FORBIDDEN");
    const manifest = { project: world.project.name, environment: env.name, mode: "staging", services: [{ name: "g", type: "worker", source: { path: "/etc" } }] };
    for (const dryRun of [true, false]) {
      const applied = await refusal(developer.manifest.applyManifest({ orgId: world.org.id, manifest, dryRun }));
      expect(applied.code).toBe("FORBIDDEN");
      expect(applied.message).toContain("set the source of service \"g\" to /etc");
    }
    // Nothing was saved.
    expect((await developer.service.get({ environmentId: env.id, name: "g" })).spec.source).toEqual({ git: repo.bare });
  });

  it("an admin is refused Slipway's folders, the host's folders and links to them, with a reason naming source.path", async () => {
    const env = await freshEnvironment();
    for (const [what, dir] of Object.entries(targets())) {
      const err = await refusal(admin.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: dir } } }));
      expect(err.code, what).toBe("BAD_REQUEST");
      const [message] = fieldErrorsOf(err)["spec.source.path"] ?? [];
      expect(message, what).toMatch(/^source\.path /);
      expect(message, what).toMatch(/inside Slipway's own|contains Slipway's own|outside the allowed source roots \(SLIPWAY_SOURCE_ROOTS=.*\): put the app under one of them or ask the operator/);
      if (what.startsWith("a link")) expect(message, what).toContain("(really ");
    }
    // A manifest's dry run says the same, on the manifest's field.
    const dry = await refusal(
      admin.manifest.applyManifest({ orgId: world.org.id, dryRun: true, manifest: { project: world.project.name, environment: env.name, mode: "staging", services: [{ name: "w", type: "worker", source: { path: "/" } }] } }),
    );
    expect(dry.code).toBe("BAD_REQUEST");
    expect(fieldErrorsOf(dry)["services[0].source.path"]?.[0]).toMatch(/^source\.path \/ contains Slipway's own/);
  });

  it.runIf(isRoot)("a root-only folder, or a link to it, is not readable: the deployment fails with the service's user's permission denied", async () => {
    for (const dir of [path.join(scratch, "root-only"), path.join(scratch, "link-root-only")]) {
      const env = await freshEnvironment();
      // Validation cannot tell what the service's user may read; the fetch, run as that user, can.
      await admin.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: dir } } });
      const d = await deploy(developer, env.id);
      expect(d.status).toBe("DEPLOYMENT_ERROR");
      expect(d.message).toMatch(/could not read .*root-only as the service's user \(uid \d+\): permission denied/);
      expect(d.message).not.toContain("root's secret");
    }
    // Nothing of the folder reached any service's cache.
    for (const cached of pathCaches()) for (const rev of fs.readdirSync(cached)) expect(fs.existsSync(path.join(cached, rev, "secret.txt"))).toBe(false);
  });

  it("is judged again at deploy time: a link repointed at the data folder after validation is refused", async () => {
    const env = await freshEnvironment();
    const link = path.join(scratch, "link-later");
    fs.symlinkSync(path.join(scratch, "app"), link);
    await admin.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: link } } });
    fs.unlinkSync(link);
    fs.symlinkSync(rt.dataDir, link);
    const d = await deploy(developer, env.id);
    expect(d.status).toBe("DEPLOYMENT_ERROR");
    expect(d.message).toMatch(/source\.path .*link-later \(really .*\) is inside Slipway's own/);
  });

  it("an allowed root still deploys, and a developer deploys a path service an admin set up", async () => {
    const env = await freshEnvironment();
    await admin.service.create({ environmentId: env.id, name: "w", type: "worker", spec: { source: { path: path.join(scratch, "app") } } });
    await admin.service.create({ environmentId: env.id, name: "example", type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") } } });
    const d = await deploy(developer, env.id);
    expect(d.status, d.message ?? "").toBe("DEPLOYED");
    // The copy was made by the service's user, not by root.
    if (isRoot) {
      const owners = pathCaches().flatMap((cached) =>
        fs
          .readdirSync(cached)
          .filter((n) => !n.includes(".tmp-") && fs.existsSync(path.join(cached, n, "worker.js")))
          .map((n) => fs.statSync(path.join(cached, n, "worker.js")).uid),
      );
      expect(owners.length).toBeGreaterThan(1);
      // Each service copied its own source, as its own user.
      expect(new Set(owners).size).toBe(owners.length);
      for (const uid of owners) expect(uid).not.toBe(0);
    }
  });
});

describe("git sources", () => {
  it("a developer is refused a git server on this machine, whatever the URL calls it, and the server sees no request", async () => {
    const env = await freshEnvironment();
    const port = gitServer.port;
    const urls = [gitServer.url, `http://localhost:${port}/repo.git`, `http://[::1]:${port}/repo.git`, `http://[::ffff:127.0.0.1]:${port}/repo.git`, `http://0.0.0.0:${port}/repo.git`, `http://2130706433:${port}/repo.git`, "git@127.0.0.1:repo.git"];
    for (const git of urls) {
      const err = await refusal(developer.service.create({ environmentId: env.id, name: "g", type: "worker", spec: { source: { git } } }));
      expect(err.code, git).toBe("BAD_REQUEST");
      expect(fieldErrorsOf(err)["spec.source.git"]?.[0], git).toMatch(/^source\.git .* points at .*: Slipway does not fetch from this machine or a private network unless the operator allows the host in SLIPWAY_GIT_PRIVATE_HOSTS$/);
    }
    const manifest = { project: world.project.name, environment: env.name, mode: "staging", services: [{ name: "g", type: "worker", source: { git: gitServer.url } }] };
    const dry = await refusal(developer.manifest.applyManifest({ orgId: world.org.id, manifest, dryRun: true }));
    expect(fieldErrorsOf(dry)["services[0].source.git"]?.[0]).toContain("points at 127.0.0.1");
    expect(gitServer.requests()).toBe(0);
  });

  it("a git source that is a local path or file:// URL follows the folder rules", async () => {
    const env = await freshEnvironment();
    for (const git of [rt.dataDir, `file://${rt.dataDir}`, `file://${path.join(scratch, "link-data")}`, "/etc"]) {
      const err = await refusal(developer.service.create({ environmentId: env.id, name: "g", type: "worker", spec: { source: { git } } }));
      expect(err.code, git).toBe("BAD_REQUEST");
      expect(fieldErrorsOf(err)["spec.source.git"]?.[0], git).toMatch(/^source\.git .*(inside Slipway's own|outside the allowed source roots)/);
    }
  });

  it.runIf(isRoot)("a root-only repository is not readable by the service's user", async () => {
    const env = await freshEnvironment();
    await developer.service.create({ environmentId: env.id, name: "g", type: "worker", spec: { source: { git: rootOnlyRepo } } });
    const d = await deploy(developer, env.id);
    expect(d.status).toBe("DEPLOYMENT_ERROR");
    expect(d.message).toMatch(/could not read git repository .*root-only\.git as the service's user \(uid \d+\): permission denied/);
  });

  it("a developer's git source under an allowed root deploys", async () => {
    const env = await freshEnvironment();
    await developer.service.create({ environmentId: env.id, name: "g", type: "worker", spec: { source: { git: repo.bare } } });
    const d = await deploy(developer, env.id);
    expect(d.status, d.message ?? "").toBe("DEPLOYED");
  });
});
