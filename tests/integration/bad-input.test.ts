/**
 * Invalid input is refused with the right code, the response names the offending field, and
 * nothing at all is written: every row of every table (audit log included) is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { addMember, makeUser } from "../support/actors";
import { callerFrom, type Caller } from "../support/context";
import { rowCounts, snapshotAll } from "../support/db-snapshot";
import { caught, type ErrorCode } from "../support/trpc-errors";
import { callPath, type ProcedurePath } from "../support/router-paths";
import { startApiServer } from "../support/api-server";
import { makeInvitation, makeToken } from "../support/fixtures";
import { parseManifest } from "@/server/manifest/parse-manifest";

let h: DbHandle;
let api: Caller;
let w: { orgId: string; projectId: string; stagingId: string; webId: string; workerId: string; memberEmail: string; pendingEmail: string };

beforeAll(async () => {
  h = await createTestDb();
  const owner = await makeUser(h.db, "owner@example.test");
  api = await callerFrom(h.db, { session: owner, ip: "198.51.100.4" });
  // The setting the bad input collides with, built through the API as a person would.
  const org = await api.organization.create({ name: "Acme", slug: "acme" });
  const project = await api.project.create({ orgId: org.id, name: "shop" });
  const staging = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
  const web = await api.service.create({ environmentId: staging.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } });
  const worker = await api.service.create({ environmentId: staging.id, name: "jobs", type: "worker", spec: { source: { path: "./examples/worker" } } });
  const member = await makeUser(h.db, "dev@example.test");
  await addMember(h.db, org.id, member.id, "developer");
  await makeInvitation(h.db, { orgId: org.id, email: "pending@example.test", role: "viewer" });
  w = { orgId: org.id, projectId: project.id, stagingId: staging.id, webId: web.id, workerId: worker.id, memberEmail: member.email, pendingEmail: "pending@example.test" };
});
afterAll(async () => h?.close());

type Case = { name: string; path: ProcedurePath; input: () => unknown; code: ErrorCode; field: string };

const src = { path: "./examples/hello-node" };
const app = (spec: Record<string, unknown>) => () => ({ environmentId: w.stagingId, name: "api", type: "application", spec });

const BAD_NAMES: [string, string][] = [
  ["uppercase", "Shop"],
  ["underscore", "my_shop"],
  ["leading dash", "-shop"],
  ["trailing dash", "shop-"],
  ["41 characters", "a".repeat(41)],
  ["empty", ""],
];

const CASES: Case[] = [
  // DNS-label names, everywhere a name becomes part of a hostname.
  ...BAD_NAMES.flatMap(([what, name]): Case[] => [
    { name: `organization slug: ${what}`, path: "organization.create", input: () => ({ name: "Org", slug: name }), code: "BAD_REQUEST", field: "slug" },
    { name: `project name: ${what}`, path: "project.create", input: () => ({ orgId: w.orgId, name }), code: "BAD_REQUEST", field: "name" },
    { name: `environment name: ${what}`, path: "environment.create", input: () => ({ projectId: w.projectId, name, mode: "staging" }), code: "BAD_REQUEST", field: "name" },
    { name: `service name: ${what}`, path: "service.create", input: () => ({ environmentId: w.stagingId, name, type: "application", spec: { source: src } }), code: "BAD_REQUEST", field: "name" },
  ]),

  // Names that are taken.
  { name: "duplicate organization slug", path: "organization.create", input: () => ({ name: "Other", slug: "acme" }), code: "CONFLICT", field: "slug" },
  { name: "duplicate project name", path: "project.create", input: () => ({ orgId: w.orgId, name: "shop" }), code: "CONFLICT", field: "name" },
  { name: "duplicate environment name", path: "environment.create", input: () => ({ projectId: w.projectId, name: "staging", mode: "production" }), code: "CONFLICT", field: "name" },
  { name: "duplicate service name", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "web", type: "worker", spec: { source: src } }), code: "CONFLICT", field: "name" },
  { name: "invitation for a member", path: "invitation.create", input: () => ({ orgId: w.orgId, email: w.memberEmail, role: "viewer" }), code: "CONFLICT", field: "email" },
  { name: "second pending invitation (any case)", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "Pending@Example.TEST", role: "viewer" }), code: "CONFLICT", field: "email" },

  // Ports.
  ...[0, 65536, 1.5, -1, "8080"].map((port): Case => ({ name: `port ${JSON.stringify(port)}`, path: "service.create", input: app({ source: src, port }), code: "BAD_REQUEST", field: "spec.port" })),
  { name: "port 0 on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: src, port: 0 } }), code: "BAD_REQUEST", field: "spec.port" },

  // Instances.
  { name: "instances min > max", path: "service.create", input: app({ source: src, instances: { min: 3, max: 2 } }), code: "BAD_REQUEST", field: "spec.instances.max" },
  { name: "instances min 0", path: "service.create", input: app({ source: src, instances: { min: 0, max: 1 } }), code: "BAD_REQUEST", field: "spec.instances.min" },
  { name: "instances max 21", path: "service.create", input: app({ source: src, instances: { min: 1, max: 21 } }), code: "BAD_REQUEST", field: "spec.instances.max" },
  { name: "instances min 21", path: "service.create", input: app({ source: src, instances: { min: 21, max: 21 } }), code: "BAD_REQUEST", field: "spec.instances.min" },
  { name: "instances min > max on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: src, instances: { min: 5, max: 1 } } }), code: "BAD_REQUEST", field: "spec.instances.max" },

  // Values outside an enumeration.
  { name: "unknown environment mode", path: "environment.create", input: () => ({ projectId: w.projectId, name: "qa", mode: "prod" }), code: "BAD_REQUEST", field: "mode" },
  { name: "unknown environment mode on update", path: "environment.update", input: () => ({ environmentId: w.stagingId, mode: "qa" }), code: "BAD_REQUEST", field: "mode" },
  { name: "unknown runtime", path: "environment.create", input: () => ({ projectId: w.projectId, name: "qa", mode: "staging", runtime: "docker" }), code: "BAD_REQUEST", field: "runtime" },
  { name: "unknown service type", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "cron", type: "cron", spec: { source: src } }), code: "BAD_REQUEST", field: "type" },
  { name: "unknown invitation role", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "new@example.test", role: "superuser" }), code: "BAD_REQUEST", field: "role" },
  { name: "invitation as owner (ownership is transferred)", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "new@example.test", role: "owner" }), code: "BAD_REQUEST", field: "role" },
  { name: "unknown member role", path: "member.updateRole", input: () => ({ orgId: w.orgId, userId: w.webId, role: "root" }), code: "BAD_REQUEST", field: "role" },
  { name: "unknown token role", path: "token.create", input: () => ({ orgId: w.orgId, name: "ci", role: "root" }), code: "BAD_REQUEST", field: "role" },
  { name: "invalid invitation email", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "not-an-email", role: "viewer" }), code: "BAD_REQUEST", field: "email" },
  { name: "id that is not a uuid", path: "project.delete", input: () => ({ projectId: "shop" }), code: "BAD_REQUEST", field: "projectId" },

  // Malformed sources.
  { name: "source with neither path nor git", path: "service.create", input: app({ source: {} }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "source with both path and git", path: "service.create", input: app({ source: { path: "./x", git: "https://example.test/x.git" } }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "missing source", path: "service.create", input: app({ port: 8080 }), code: "BAD_REQUEST", field: "spec.source" },
  { name: "bad git url", path: "service.create", input: app({ source: { git: "not a url" } }), code: "BAD_REQUEST", field: "spec.source.git" },
  { name: "git url as an option", path: "service.create", input: app({ source: { git: "--upload-pack=touch /tmp/x" } }), code: "BAD_REQUEST", field: "spec.source.git" },
  { name: "branch starting with a dash", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "-evil" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "branch with '..'", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "a..b" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "branch with a space", path: "service.create", input: app({ source: { git: "https://example.test/x.git", branch: "my branch" } }), code: "BAD_REQUEST", field: "spec.source.branch" },
  { name: "commit that is not hex", path: "service.create", input: app({ source: { git: "https://example.test/x.git", commit: "main" } }), code: "BAD_REQUEST", field: "spec.source.commit" },
  { name: "bad source on update", path: "service.update", input: () => ({ serviceId: w.webId, spec: { source: { path: "" } } }), code: "BAD_REQUEST", field: "spec.source.path" },
  { name: "unknown spec key", path: "service.create", input: app({ source: src, replicas: 3 }), code: "BAD_REQUEST", field: "spec" },

  // A worker serves no HTTP.
  { name: "worker with a port", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "queue", type: "worker", spec: { source: src, port: 8080 } }), code: "BAD_REQUEST", field: "spec.port" },
  { name: "worker with a health-check path", path: "service.create", input: () => ({ environmentId: w.stagingId, name: "queue", type: "worker", spec: { source: src, healthcheck: { path: "/healthz" } } }), code: "BAD_REQUEST", field: "spec.healthcheck.path" },
  { name: "port added to a worker on update", path: "service.update", input: () => ({ serviceId: w.workerId, spec: { source: src, port: 8080 } }), code: "BAD_REQUEST", field: "spec.port" },

  // Text a database cannot store, and keys that are not data: refused by path for every procedure, before its schema.
  { name: "NUL in a name", path: "project.create", input: () => ({ orgId: w.orgId, name: "sh\0op" }), code: "BAD_REQUEST", field: "name" },
  { name: "NUL in a description", path: "project.update", input: () => ({ projectId: w.projectId, description: "a\0b" }), code: "BAD_REQUEST", field: "description" },
  { name: "NUL in an id", path: "project.delete", input: () => ({ projectId: "\0" }), code: "BAD_REQUEST", field: "projectId" },
  { name: "lone surrogate in a command", path: "service.create", input: app({ source: src, run: { command: "echo \ud83d" } }), code: "BAD_REQUEST", field: "spec.run.command" },
  { name: "lone low surrogate in a variable value", path: "variable.set", input: () => ({ scope: { serviceId: w.webId }, name: "A", value: "x\udc00" }), code: "BAD_REQUEST", field: "value" },
  { name: "NUL in an .env text", path: "variable.import", input: () => ({ scope: { serviceId: w.webId }, text: "A=1\0\n" }), code: "BAD_REQUEST", field: "text" },
  { name: "NUL in an email", path: "invitation.create", input: () => ({ orgId: w.orgId, email: "a\0@example.test", role: "viewer" }), code: "BAD_REQUEST", field: "email" },
  { name: "NUL in a variable name (a key)", path: "service.create", input: app({ source: src, env: { ["A\0B"]: "x" } }), code: "BAD_REQUEST", field: 'spec.env."A\\u0000B"' },
  { name: "__proto__ key in a spec", path: "service.create", input: app({ source: src, ...JSON.parse('{"__proto__": {"port": 1}}') }), code: "BAD_REQUEST", field: "spec.__proto__" },
  { name: "constructor key at the top", path: "project.create", input: () => ({ orgId: w.orgId, name: "ok", constructor: "x" }), code: "BAD_REQUEST", field: 'input["constructor"]' },
  { name: "prototype key in a scope", path: "variable.set", input: () => ({ scope: { serviceId: w.webId, prototype: {} }, name: "A", value: "x" }), code: "BAD_REQUEST", field: "scope.prototype" },

  // Wrong types are named: what was expected, what came.
  { name: "a number for a name", path: "project.create", input: () => ({ orgId: w.orgId, name: 123 }), code: "BAD_REQUEST", field: "name" },
  { name: "a list for a token name", path: "token.create", input: () => ({ orgId: w.orgId, name: ["ci"], role: "viewer" }), code: "BAD_REQUEST", field: "name" },
  { name: "text for run", path: "service.create", input: app({ source: src, run: "node server.js" }), code: "BAD_REQUEST", field: "spec.run" },
];

/** How a rule's message reads, for the cases above whose wording is the point. */
const WORDING: Record<string, RegExp> = {
  "NUL in a name": /^contains a NUL character \(\\u0000\) at position 2; text may not contain NUL$/,
  "lone surrogate in a command": /^contains a lone surrogate \(\\ud83d\) at position 5; text must be valid Unicode$/,
  "__proto__ key in a spec": /the key "__proto__" is not allowed/,
  "a number for a name": /^name must be text, not a number$/,
  "a list for a token name": /^name must be text, not a list$/,
  "text for run": /^run must be a mapping, not text$/,
};

describe("bad input", () => {
  for (const c of CASES) {
    it(`${c.path}: ${c.name} → ${c.code} naming ${c.field}`, async () => {
      const before = await snapshotAll(h.db);
      const e = await caught(callPath(api, c.path, c.input()));
      expect(e.code).toBe(c.code);
      expect(e.fieldErrors).toHaveProperty([c.field]);
      expect(e.fieldErrors?.[c.field]?.join(" ")).toMatch(/\S/);
      expect(e.message).not.toMatch(/internal error/);
      if (WORDING[c.name]) expect(e.fieldErrors?.[c.field]?.[0]).toMatch(WORDING[c.name]);
      expect(await snapshotAll(h.db), "nothing may be written").toEqual(before);
    });
  }

  it("names the taken value in a conflict message", async () => {
    const e = await caught(api.project.create({ orgId: w.orgId, name: "shop" }));
    expect(e.fieldErrors?.name?.[0]).toContain('"shop"');
  });

  it("two concurrent creates of one name: one wins, the other is a CONFLICT naming the field, one audit event", async () => {
    const before = await rowCounts(h.db);
    const results = await Promise.allSettled([
      api.project.create({ orgId: w.orgId, name: "race" }),
      api.project.create({ orgId: w.orgId, name: "race" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r) => r.status === "rejected");
    const e = await caught(loser?.status === "rejected" ? Promise.reject(loser.reason) : Promise.resolve());
    expect(e.code).toBe("CONFLICT");
    expect(e.fieldErrors).toHaveProperty(["name"]);
    const after = await rowCounts(h.db);
    expect(after.projects - before.projects).toBe(1);
    expect(after.auditEvents - before.auditEvents).toBe(1);
  });

  it("accepts the limits the refusals sit next to", async () => {
    // A validator that refused everything would pass the table above; these must pass.
    const name40 = "a".repeat(40);
    await expect(api.project.create({ orgId: w.orgId, name: name40 })).resolves.toMatchObject({ name: name40 });
    await expect(api.project.create({ orgId: w.orgId, name: "0-shop-9" })).resolves.toMatchObject({ name: "0-shop-9" });
    for (const [i, port] of [1, 65535].entries()) {
      await expect(api.service.create({ environmentId: w.stagingId, name: `edge-${i}`, type: "application", spec: { source: src, port } })).resolves.toMatchObject({ spec: { port } });
    }
    await expect(
      api.service.create({ environmentId: w.stagingId, name: "wide", type: "application", spec: { source: { git: "git@example.test:org/x.git", branch: "feature/x-1.2", commit: "abcdef0" }, instances: { min: 20, max: 20 } } }),
    ).resolves.toMatchObject({ spec: { instances: { min: 20, max: 20 } } });
    await expect(api.service.create({ environmentId: w.stagingId, name: "bg", type: "worker", spec: { source: src } })).resolves.toMatchObject({ type: "worker" });
  });
});

describe("echoed input is cut short", () => {
  const MB = "K".repeat(1024 * 1024);
  it("a 1 MB unknown key, a long variable name or key path is quoted at 80 characters with its length", async () => {
    const cases: [ProcedurePath, unknown, string][] = [
      ["service.create", { environmentId: w.stagingId, name: "big", type: "application", spec: { source: src, [MB]: 1 } }, "spec"],
      ["variable.set", { scope: { serviceId: w.webId }, name: `${"K".repeat(4000)}-`, value: "x" }, "name"],
      ["service.create", { environmentId: w.stagingId, name: "big", type: "application", spec: { source: src, env: { [`${MB}-`]: "x" } } }, `spec.env.${JSON.stringify(`${"K".repeat(80)}…`)} (1048577 characters)`],
    ];
    for (const [path, input, field] of cases) {
      const before = await snapshotAll(h.db);
      const e = await caught(callPath(api, path, input));
      expect(e.code, field).toBe("BAD_REQUEST");
      expect(e.fieldErrors, field).toHaveProperty([field]);
      expect(JSON.stringify(e).length, field).toBeLessThan(2000);
      expect(JSON.stringify(e), field).toContain(`${"K".repeat(80)}…`);
      expect(await snapshotAll(h.db)).toEqual(before);
    }
  });

  it("a manifest's 1 MB key and value", async () => {
    const e = await caught(api.manifest.plan({ orgId: w.orgId, manifest: { project: "shop", environment: "staging", mode: "staging", [MB]: 1, services: [{ name: "web", source: { path: `/${MB}` } }] } }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain(`unknown key "${"K".repeat(80)}…" (1048576 characters)`);
    expect(e.message.length).toBeLessThan(2000);
  });
});

describe("manifest YAML is the core schema", () => {
  const HEAD = "project: shop\nenvironment: staging\nmode: staging\n";
  const web = "services:\n  - name: web\n    source: { path: /srv/app }\n";
  const refused: [string, string, RegExp][] = [
    ["!!binary", `${HEAD}${web}    env: { A: !!binary aGVsbG8= }\n`, /^m\.yaml:7:15: YAML error: the tag "!!binary" is not allowed/],
    ["!!js/function", `project: !!js/function 'function () {}'\nenvironment: staging\nmode: staging\n`, /^m\.yaml:1:10: YAML error: the tag "!!js\/function" is not allowed/],
    ["a local tag", `${HEAD}${web}    run: { command: !shell ls }\n`, /^m\.yaml:7:21: YAML error: the tag "!shell" is not allowed/],
    ["a verbatim tag", `project: !<tag:example.com,2000:x> shop\nenvironment: staging\nmode: staging\n`, /^m\.yaml:1:10: YAML error: the tag "tag:example.com,2000:x" is not allowed/],
    ["!!set", `${HEAD}${web}    env: !!set { A, B }\n`, /^m\.yaml:7:10: YAML error: the tag "!!set" is not allowed/],
    ["!!omap", `${HEAD}${web}    env: !!omap [ A: x ]\n`, /^m\.yaml:7:10: YAML error: the tag "!!omap" is not allowed/],
    ["!!timestamp", `${HEAD}${web}    env: { A: !!timestamp 2001-12-14 }\n`, /^m\.yaml:7:15: YAML error: the tag "!!timestamp" is not allowed/],
    ["a merge key, even under %YAML 1.1", `%YAML 1.1\n---\nbase: &b { mode: staging }\nproject: shop\nenvironment: staging\n<<: *b\n`, /unknown key "base"[\s\S]*\["<<"\]: unknown key "<<"/],
    ["a duplicate key", `${HEAD}mode: production\n`, /^m\.yaml:4:1: YAML syntax error: Map keys must be unique/],
    ["a key that is not text", `${HEAD}? [a, b]\n: 1\n`, /^m\.yaml:4:3: YAML syntax error: With stringKeys, all keys must be strings/],
    ["a billion laughs", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n", /^m\.yaml: YAML error: aliases expand to too many nodes/],
    ["a __proto__ key", `${HEAD}${web}    env: { A: x, __proto__: { polluted: yes } }\n`, /^m\.yaml:7:18: services\[0\]\.env\["__proto__"\]: the key "__proto__" is not allowed/],
    ["a constructor key", `${HEAD}constructor: x\n`, /^m\.yaml:4:1: \["constructor"\]: the key "constructor" is not allowed/],
    ["a NUL escape", `${HEAD}${web}    env: { A: "x\\0y" }\n`, /^m\.yaml:7:12: services\[0\]\.env\.A: contains a NUL character/],
    ["a lone surrogate escape", `${HEAD}${web}    run: { command: "echo \\udfff" }\n`, /^m\.yaml:7:12: services\[0\]\.run\.command: contains a lone surrogate \(\\udfff\)/],
    ["a number for the project", "project: 123\nenvironment: staging\nmode: staging\n", /^m\.yaml:1:1: project: project must be text, not a number$/],
    ["true for a command", `${HEAD}${web}    run: { command: true }\n`, /^m\.yaml:7:12: services\[0\]\.run\.command: command must be text, not true \(a yes\/no value\)$/],
    ["a list of services that is a mapping", `${HEAD}services: { web: 1 }\n`, /^m\.yaml:4:1: services: services must be a list of services$/],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name}, naming the line`, () => {
      let error: unknown;
      try {
        parseManifest(text, { file: "m.yaml" });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("still reads what the core schema allows: aliases within bounds, quoted and plain scalars, comments", () => {
    const text = `project: shop\nenvironment: staging\nmode: staging\nservices:\n  - name: web\n    source: &src { path: /srv/app }\n    env: { A: "x", B: 'y', C: !!str 5 }\n  - name: api\n    source: *src # the same folder\n`;
    const m = parseManifest(text, { file: "m.yaml" });
    expect(m.services.map((s) => s.source)).toEqual([{ path: "/srv/app" }, { path: "/srv/app" }]);
    expect(m.services[0].env).toEqual({ A: "x", B: "y", C: "5" });
  });
});

describe("the tRPC transport: bodies that are not JSON or not superjson", () => {
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let bearer: string;
  beforeAll(async () => {
    server = await startApiServer(h.db);
    const owner = await makeUser(h.db, "transport-owner@example.test");
    await addMember(h.db, w.orgId, owner.id, "owner");
    ({ token: bearer } = await makeToken(h.db, { orgId: w.orgId, userId: owner.id, role: "owner" }));
  });
  afterAll(async () => server?.close());

  const send = async (procedure: string, body: string) => {
    const res = await fetch(`${server.url}/api/trpc/${procedure}`, { method: "POST", headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body });
    type Answer = { error?: { json: { message: string; data: { code: string; fieldErrors: Record<string, string[]> | null } } } };
    const json = (await res.json()) as Answer | Answer[];
    // A batch call answers a list, one entry per call.
    return { status: res.status, error: (Array.isArray(json) ? json[0] : json).error?.json };
  };

  const cases: [string, string, RegExp, string][] = [
    ["not JSON", '{"json": {"orgId": ', /^the request body is not valid JSON: /, "input"],
    ["JSON but not an object", "[1, 2]", /^the request body must be superjson: an object/, "input"],
    ["null", "null", /^the request body must be superjson/, "input"],
    ["a typed array the server does not know (what !!binary became)", JSON.stringify({ json: { orgId: "x", name: "AAAA" }, meta: { values: { name: [["custom", "Uint8Array"]] } } }), /^the request body is not valid superjson \(.*\); send it with a tRPC client/, "input"],
    ["annotations that are not a mapping", JSON.stringify({ json: { name: "x" }, meta: { values: "zz" } }), /^the request body is not valid superjson/, "input"],
    ["a batch whose body is not an object", "42", /^the request is not a valid tRPC call: "input" needs to be an object when doing a batch call$/, "input"],
  ];
  for (const [name, body, message, field] of cases) {
    it(`${name} → 400 naming the transport`, async () => {
      const before = await snapshotAll(h.db);
      const a = await send(name.startsWith("a batch") ? "project.create?batch=1" : "project.create", body);
      expect(a.status).toBe(400);
      expect(a.error?.data.code).toBe("BAD_REQUEST");
      expect(a.error?.message).toMatch(message);
      expect(a.error?.data.fieldErrors).toHaveProperty([field]);
      expect((await snapshotAll(h.db)).projects).toEqual(before.projects);
    });
  }

  it("an own __proto__ key never becomes the input's prototype: refused by path, with or without annotations", async () => {
    const before = await snapshotAll(h.db);
    const input = `{"orgId": "${w.orgId}", "name": "injected", "__proto__": {"description": "from the prototype"}}`;
    for (const body of [`{"json": ${input}}`, `{"json": ${input}, "meta": {"values": {"__proto__.description": ["Date"]}}}`, `{"json": ${input}, "meta": {"values": {"name": ["Date"]}}}`]) {
      const a = await send("project.create", body);
      expect(a.status, body).toBe(400);
      expect(a.error?.data.fieldErrors, body).toHaveProperty(['input["__proto__"]']);
    }
    expect((await snapshotAll(h.db)).projects).toEqual(before.projects);
  });
});
