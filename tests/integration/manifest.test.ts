import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { auditEvents, environments, projects, services } from "@/db/schema";
import { parseManifest } from "@/server/manifest/parse-manifest";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { callerFrom } from "../support/context";
import { makeToken, uniq } from "../support/fixtures";
import { auditCount, snapshotAll } from "../support/db-snapshot";
import { caught } from "../support/trpc-errors";

/** design.md's minimal manifest, verbatim: it must always keep working. */
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

const REPO = path.resolve(import.meta.dirname, "..", "..");
const HELLO = path.join(REPO, "examples", "hello-node");

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

/** An organization with a person of each role; every manifest test gets its own. */
async function world() {
  const org = await makeOrg(h.db, uniq("mf"));
  const people = {
    owner: await makeUser(h.db),
    admin: await makeUser(h.db),
    developer: await makeUser(h.db),
    viewer: await makeUser(h.db),
  };
  for (const [role, u] of Object.entries(people)) await addMember(h.db, org.id, u.id, role as keyof typeof people);
  const as = (role: keyof typeof people) => callerFor(h.db, actorOf(people[role]));
  return { org, people, as };
}

/** The manifest as the CLI sends it: parsed locally, relative paths resolved against the manifest's folder. */
const asCliSends = (text: string, file = "slipway.yaml") => parseManifest(text, { file, baseDir: REPO });

/** YAML for a manifest with the given services block (indented list items). */
const manifestText = (servicesYaml: string, head = "project: shop\nenvironment: staging\nmode: staging\n") => `${head}services:\n${servicesYaml}`;

describe("manifest apply", () => {
  it("creates everything from the minimal manifest, audited as cli; a second apply is a no-op", async () => {
    const { org, people } = await world();
    const { token } = await makeToken(h.db, { orgId: org.id, userId: people.owner.id, role: "owner" });
    const cli = await callerFrom(h.db, { bearer: token, client: "cli" });
    const manifest = asCliSends(MINIMAL);
    expect(manifest.services[0].source).toEqual({ path: HELLO });

    const before = await auditCount(h.db);
    const first = await cli.manifest.applyManifest({ orgId: org.id, manifest, file: "slipway.yaml" });
    expect(first.applied).toBe(true);
    expect(first.plan.changes).toBe(3);
    expect(first.plan.lines).toEqual([
      "+ create project shop",
      "+ create environment staging (mode staging)",
      `+ create service web (application): source ${HELLO}, run.command "node server.js", port 8080, healthcheck.path /healthz, instances.min 2, instances.max 4, env GREETING`,
      "3 changes",
    ]);
    // Values of variables never appear in a plan.
    expect(JSON.stringify(first.plan)).not.toContain("hello\"");

    const [project] = await h.db.select().from(projects).where(and(eq(projects.orgId, org.id), eq(projects.name, "shop")));
    const [env] = await h.db.select().from(environments).where(eq(environments.projectId, project.id));
    expect(env).toMatchObject({ id: first.environmentId, name: "staging", mode: "staging" });
    const [web] = await h.db.select().from(services).where(eq(services.environmentId, env.id));
    expect(web).toMatchObject({ name: "web", type: "application" });
    expect(web.spec).toEqual({
      source: { path: HELLO },
      run: { command: "node server.js" },
      port: 8080,
      healthcheck: { path: "/healthz" },
      instances: { min: 2, max: 4 },
      env: { GREETING: "hello" },
    });
    const events = await h.db.select().from(auditEvents).where(eq(auditEvents.orgId, org.id)).orderBy(auditEvents.seq);
    expect(events.map((e) => [e.action, e.resourceName, e.source, e.actorTokenId])).toEqual([
      ["project.create", "shop", "cli", expect.any(String)],
      ["environment.create", "shop/staging", "cli", expect.any(String)],
      ["service.create", "shop/staging/web", "cli", expect.any(String)],
    ]);
    expect(await auditCount(h.db)).toBe(before + 3);

    const snapshot = await snapshotAll(h.db);
    const second = await cli.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL), file: "slipway.yaml" });
    expect(second).toMatchObject({ applied: false, environmentId: env.id });
    expect(second.plan.changes).toBe(0);
    expect(second.plan.lines).toEqual(["= project shop unchanged", "= environment staging unchanged", "= service web unchanged", "no changes"]);
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });

  it("plans updates per field, shows variables only by name, and applies them", async () => {
    const { org, as } = await world();
    const api = as("owner");
    await api.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) });
    const changed = asCliSends(
      MINIMAL.replace("port: 8080", "port: 9090")
        .replace("{ GREETING: hello }", "{ GREETING: bonjour-secret-value, EXTRA: x }")
        .replace("{ min: 2, max: 4 }", "{ min: 1, max: 4 }"),
    );
    const plan = await api.manifest.plan({ orgId: org.id, manifest: changed });
    expect(plan.lines).toContain("~ update service web: port 8080 → 9090, instances.min 2 → 1, env changed (GREETING changed, EXTRA added)");
    expect(plan.services[0].changes).toEqual([
      { kind: "value", field: "port", from: 8080, to: 9090 },
      { kind: "value", field: "instances.min", from: 2, to: 1 },
      { kind: "env", field: "env", added: ["EXTRA"], removed: [], changed: ["GREETING"] },
    ]);
    expect(JSON.stringify(plan)).not.toContain("bonjour-secret-value");

    const before = await auditCount(h.db);
    const result = await api.manifest.applyManifest({ orgId: org.id, manifest: changed });
    expect(result.applied).toBe(true);
    expect(await auditCount(h.db)).toBe(before + 1);
    const [event] = await h.db.select().from(auditEvents).where(and(eq(auditEvents.orgId, org.id), eq(auditEvents.action, "service.update")));
    expect(event.metadata).toEqual({ fields: ["port", "instances.min", "env"], via: "manifest" });
    expect(JSON.stringify(event)).not.toContain("bonjour-secret-value");
    const [web] = await h.db.select().from(services).where(and(eq(services.name, "web"), eq(services.environmentId, result.environmentId ?? "")));
    expect(web.spec.port).toBe(9090);

    // Changing the mode is an environment update.
    const prod = await api.manifest.applyManifest({ orgId: org.id, manifest: { ...changed, mode: "production" } });
    expect(prod.plan.lines[1]).toBe("~ update environment staging: mode staging → production");
  });

  it("a dry run plans and authorizes like apply, and writes nothing", async () => {
    const { org, as } = await world();
    const snapshot = await snapshotAll(h.db);
    const dry = await as("owner").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL), dryRun: true });
    expect(dry).toMatchObject({ applied: false, environmentId: null });
    expect(dry.plan.changes).toBe(3);
    expect(await snapshotAll(h.db)).toEqual(snapshot);
    expect((await caught(as("developer").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL), dryRun: true }))).code).toBe("FORBIDDEN");
  });
});

describe("invalid manifests apply nothing", () => {
  const web = `  - name: web\n    source: { path: ${HELLO} }\n    port: 8080\n`;

  it("names the file, the path and what is allowed", async () => {
    const { org, as } = await world();
    const api = as("owner");
    const snapshot = await snapshotAll(h.db);
    const cases: { yaml: string; path: string; message: RegExp }[] = [
      { yaml: manifestText(`${web}  - name: api\n    source: { path: ${HELLO} }\n    port: 70000\n`), path: "services[1].port", message: /from 1 to 65535/ },
      { yaml: manifestText(`${web}    colour: blue\n`), path: "services[0].colour", message: /unknown key "colour"; allowed here: .*name, type/ },
      { yaml: manifestText(web, "project: shop\nenvironment: staging\nmode: staging\nregion: eu\n"), path: "region", message: /unknown key "region"; allowed here: project, environment, mode, services/ },
      { yaml: manifestText(`  - name: Web_1\n    source: { path: ${HELLO} }\n`), path: "services[0].name", message: /lowercase letters, digits and dashes/ },
      { yaml: manifestText(`${web}${web}`), path: "services[1].name", message: /duplicate service name "web" \(also services\[0\]\.name\)/ },
      { yaml: manifestText(`  - name: jobs\n    type: worker\n    source: { path: ${HELLO} }\n    port: 80\n`), path: "services[0].port", message: /a worker has no port/ },
      { yaml: manifestText(`  - name: web\n    source: { path: ${HELLO}, branch: main }\n`), path: "services[0].source.branch", message: /unknown key "branch"; allowed here: path; or git, branch, commit/ },
      { yaml: manifestText(`  - name: web\n    source: { path: ${HELLO} }\n    env: { "1BAD": x }\n`), path: 'services[0].env["1BAD"]', message: /variable names use letters/ },
      { yaml: manifestText(`  - name: web\n    source: { path: ${HELLO} }\n    env: { N: 5 }\n`), path: "services[0].env.N", message: /put the value in quotes/ },
      { yaml: manifestText(web, "project: shop\nenvironment: staging\nmode: live\n"), path: "mode", message: /mode must be one of production, staging, development, preview/ },
      { yaml: manifestText(`  - name: web\n    source: { path: ${HELLO} }\n    instances: { min: 3, max: 2 }\n`), path: "services[0].instances.max", message: /instances.min must not exceed instances.max/ },
    ];
    for (const c of cases) {
      // Validation runs on the server with the same schema: send the object as the CLI would (no local validation).
      const { parse } = await import("yaml");
      const err = await caught(api.manifest.applyManifest({ orgId: org.id, manifest: parse(c.yaml), file: "slipway.yaml" }));
      expect(err.code, c.path).toBe("BAD_REQUEST");
      expect(err.message, c.path).toContain(`slipway.yaml: ${c.path}: `);
      expect(err.message, c.path).toMatch(c.message);
      expect(Object.keys(err.fieldErrors ?? {}), c.path).toContain(c.path);
      // The text parser says the same, with line:column.
      expect(() => parseManifest(c.yaml, { file: "slipway.yaml" }), c.path).toThrow(new RegExp(`^slipway\\.yaml:\\d+:\\d+: ${c.path.replace(/[[\].]/g, "\\$&")}: `, "m"));
    }
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });

  it("points at line:column in the text for syntax and validation errors", () => {
    expect(() => parseManifest("project: shop\nenvironment: [staging\nmode: staging\n", { file: "m.yaml" })).toThrow(/^m\.yaml:\d+:\d+: YAML syntax error: /);
    expect(() => parseManifest("project: shop\nproject: again\n", { file: "m.yaml" })).toThrow(/^m\.yaml:2:1: YAML syntax error: Map keys must be unique/);
    const text = manifestText(`  - name: web\n    source: { path: /srv/app }\n    port: 70000\n`);
    expect(() => parseManifest(text, { file: "m.yaml" })).toThrow("m.yaml:7:5: services[0].port: port must be from 1 to 65535");
    expect(() => parseManifest("", { file: "m.yaml" })).toThrow(/m\.yaml: manifest: a manifest is a mapping with project, environment, mode and services \(the file is empty\)/);
    expect(() => parseManifest("project: shop\nenvironment: staging\nmode: staging\n", { file: "m.yaml" })).not.toThrow();
  });

  it("the API requires absolute source paths (the CLI resolves relative ones) and says so", async () => {
    const { org, as } = await world();
    const snapshot = await snapshotAll(h.db);
    const err = await caught(as("owner").manifest.applyManifest({ orgId: org.id, manifest: parseManifest(MINIMAL), file: "slipway.yaml" }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toContain('slipway.yaml: services[0].source.path: "./examples/hello-node" is a relative path; a manifest sent to the API needs an absolute path or a git URL');
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });

  it("refuses to change a service's type", async () => {
    const { org, as } = await world();
    const api = as("owner");
    await api.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) });
    const asWorker = asCliSends(manifestText(`  - name: web\n    type: worker\n    source: { path: ${HELLO} }\n`));
    const err = await caught(api.manifest.applyManifest({ orgId: org.id, manifest: asWorker }));
    expect(err).toMatchObject({ code: "BAD_REQUEST", fieldErrors: { "services[0].type": [expect.stringContaining("its type cannot change")] } });
  });
});

describe("manifest permissions (as the single-resource services require)", () => {
  it("a developer cannot create projects or environments, and nothing is applied", async () => {
    const { org, as } = await world();
    const snapshot = await snapshotAll(h.db);
    const err = await caught(as("developer").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) }));
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/your role \(developer\) may not create, change or delete projects and environments \(the manifest would create project "shop"\); nothing was applied/);
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });

  it("a developer can change services in staging but not in production; a refusal midway applies nothing", async () => {
    const { org, as } = await world();
    await as("admin").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) });
    const prodText = MINIMAL.replace("environment: staging\nmode: staging", "environment: live\nmode: production");
    await as("admin").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(prodText) });
    const dev = as("developer");

    // A git source: a developer may not choose a folder on the console's machine (source.path is for admins).
    const staging = asCliSends(`${MINIMAL.replace("port: 8080", "port: 9090")}  - name: jobs\n    type: worker\n    source: { git: "https://example.test/jobs.git" }\n`);
    const ok = await dev.manifest.applyManifest({ orgId: org.id, manifest: staging });
    expect(ok.applied).toBe(true);
    expect(ok.plan.services.map((s) => [s.name, s.action])).toEqual([
      ["web", "update"],
      ["jobs", "create"],
    ]);

    const snapshot = await snapshotAll(h.db);
    const prodErr = await caught(dev.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(prodText.replace("port: 8080", "port: 9090")) }));
    expect(prodErr.code).toBe("FORBIDDEN");
    expect(prodErr.message).toContain("in a production environment");
    // Allowed service change + refused mode change in one manifest: all or nothing.
    const mixed = asCliSends(MINIMAL.replace("port: 8080", "port: 7070").replace("mode: staging", "mode: development"));
    expect((await caught(dev.manifest.applyManifest({ orgId: org.id, manifest: mixed }))).code).toBe("FORBIDDEN");
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });

  it("a viewer may plan and apply an unchanged manifest, but changes nothing; an outsider finds nothing", async () => {
    const { org, as } = await world();
    await as("owner").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) });
    const viewer = as("viewer");
    expect((await viewer.manifest.plan({ orgId: org.id, manifest: asCliSends(MINIMAL) })).changes).toBe(0);
    expect((await viewer.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) })).applied).toBe(false);
    const outsider = callerFor(h.db, actorOf(await makeUser(h.db)));
    const snapshot = await snapshotAll(h.db);
    expect((await caught(viewer.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL.replace("port: 8080", "port: 1234")) }))).code).toBe("FORBIDDEN");
    expect((await caught(outsider.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) }))).code).toBe("NOT_FOUND");
    expect((await caught(outsider.manifest.plan({ orgId: org.id, manifest: asCliSends(MINIMAL) }))).code).toBe("NOT_FOUND");
    expect(await snapshotAll(h.db)).toEqual(snapshot);
  });
});

describe("export and prune", () => {
  it("export → apply plans no change (round trip), for every kind of field", async () => {
    const { org, as } = await world();
    const api = as("owner");
    const text = manifestText(
      [
        "  - name: web",
        "    source: { git: https://example.test/shop.git, branch: main, commit: abcdef1 }",
        "    build: { command: npm ci && npm run build }",
        "    run: { command: 'node server.js --flag \"x\"' }",
        "    port: 8080",
        "    healthcheck: { path: /healthz }",
        "    instances: { min: 1, max: 3 }",
        "    resources: { cpu: 0.5, memoryMb: 256 }",
        "    env:",
        '      DEBUG: "true"',
        '      COUNT: "8080"',
        "      URL: 'postgres://u:p@db:5432/x?a=b#c'",
        "      MULTI: |",
        "        line one",
        "        line: two",
        '      EMPTY: ""',
        "  - name: jobs",
        "    type: worker",
        `    source: { path: ${HELLO} }`,
        "    build: {}",
        "",
      ].join("\n"),
    );
    const applied = await api.manifest.applyManifest({ orgId: org.id, manifest: parseManifest(text) });
    expect(applied.applied).toBe(true);
    const { yaml } = await api.manifest.export({ environmentId: applied.environmentId ?? "" });
    expect(yaml).toContain("instances: { min: 1, max: 3 }");
    expect(yaml).not.toContain("build: {}");
    const again = await api.manifest.applyManifest({ orgId: org.id, manifest: parseManifest(yaml, { file: "exported.yaml" }) });
    expect(again.plan.changes).toBe(0);
    expect(again.applied).toBe(false);

    // The verbatim minimal manifest round-trips too.
    const second = await api.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL.replace("staging\nmode", "qa\nmode")) });
    const exported = await api.manifest.export({ environmentId: second.environmentId ?? "" });
    expect(exported.yaml).toContain(`source: { path: ${HELLO} }`);
    expect((await api.manifest.plan({ orgId: org.id, manifest: parseManifest(exported.yaml) })).changes).toBe(0);
  });

  it("keeps services missing from the manifest unless prune is asked for", async () => {
    const { org, as } = await world();
    const api = as("owner");
    const both = asCliSends(`${MINIMAL}  - name: jobs\n    type: worker\n    source: { path: ${HELLO} }\n`);
    const created = await api.manifest.applyManifest({ orgId: org.id, manifest: both });
    const envId = created.environmentId ?? "";

    const kept = await api.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) });
    expect(kept.applied).toBe(false);
    expect(kept.plan.lines).toContain("! service jobs is not in the manifest, kept (prune to delete it)");
    expect((await api.service.list({ environmentId: envId })).map((s) => s.name)).toEqual(["jobs", "web"]);

    const before = await auditCount(h.db);
    const pruned = await api.manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL), prune: true });
    expect(pruned.applied).toBe(true);
    expect(pruned.plan.lines).toContain("- delete service jobs");
    expect((await api.service.list({ environmentId: envId })).map((s) => s.name)).toEqual(["web"]);
    expect(await auditCount(h.db)).toBe(before + 1);
    // A developer may prune in staging (service.write), never in production.
    await api.manifest.applyManifest({ orgId: org.id, manifest: both });
    expect((await as("developer").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL), prune: true })).applied).toBe(true);
  });

  it("two applies of the same new manifest at once: one creates, the other plans no change", async () => {
    const { org, as } = await world();
    const [a, b] = await Promise.all([as("owner").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) }), as("admin").manifest.applyManifest({ orgId: org.id, manifest: asCliSends(MINIMAL) })]);
    expect([a.applied, b.applied].sort()).toEqual([false, true]);
    expect(a.environmentId).toBe(b.environmentId);
  });
});
