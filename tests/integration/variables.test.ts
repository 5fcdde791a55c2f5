/**
 * The variables API on a real database: scopes and layering, aliases (cycles, unknown references,
 * escaping), byte-exact round trips, write-only secrets, .env import/export, and bad input.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { services, variables } from "@/db/schema";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { makeEnvironment, makeProject, makeService, uniq } from "../support/fixtures";
import { caught } from "../support/trpc-errors";

process.env.SLIPWAY_MASTER_KEY = crypto.randomBytes(32).toString("hex");

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
});
afterAll(async () => h?.close());

async function world() {
  const owner = await makeUser(h.db);
  const org = await makeOrg(h.db, uniq("vorg"));
  await addMember(h.db, org.id, owner.id, "owner");
  const project = await makeProject(h.db, org.id, "shop");
  const staging = await makeEnvironment(h.db, project.id, "staging");
  const web = await makeService(h.db, staging.id, "web");
  const api = await makeService(h.db, staging.id, "api");
  const worker = await makeService(h.db, staging.id, "jobs", "worker");
  return { owner, org, project, staging, web, apiSvc: api, worker, api: callerFor(h.db, actorOf(owner)) };
}

const AWKWARD = [
  "plain",
  "",
  "$HOME and ${PATH} and $(whoami) and `id`",
  `single ' and double " quotes`,
  "a=b=c==",
  "unicode: héllo wörld ✓ 日本語 🚀",
  "line one\nline two\n\nline four\n",
  "  leading and trailing spaces  ",
  "back\\slash \\n not a newline \\\\",
  "tab\there\r\nwindows line",
  "# not a comment",
  "value # with hash",
  "{{ not an alias }}",
  "looks like {{HOME}} and \\{{escaped}}",
];

describe("variables", () => {
  it("layers project < environment < service, with what each override hides", async () => {
    const w = await world();
    await w.api.variable.set({ scope: { projectId: w.project.id }, name: "LEVEL", kind: "value", value: "project" });
    await w.api.variable.set({ scope: { environmentId: w.staging.id }, name: "LEVEL", kind: "value", value: "environment" });
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "LEVEL", kind: "value", value: "service" });
    await w.api.variable.set({ scope: { projectId: w.project.id }, name: "ONLY_PROJECT", kind: "value", value: "p" });
    const web = await w.api.variable.effective({ serviceId: w.web.id });
    expect(web.find((v) => v.name === "LEVEL")).toMatchObject({ value: "service", scope: "service", overrides: ["project", "environment"] });
    expect(web.find((v) => v.name === "ONLY_PROJECT")).toMatchObject({ value: "p", scope: "project", overrides: [] });
    const api = await w.api.variable.effective({ serviceId: w.apiSvc.id });
    expect(api.find((v) => v.name === "LEVEL")).toMatchObject({ value: "environment", scope: "environment", overrides: ["project"] });
    // Built-ins, as the deployment will compute them; a sibling with a port gets its URL.
    const names = web.filter((v) => v.scope === "builtin").map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(["PORT", "SLIPWAY_PROJECT", "SLIPWAY_ENVIRONMENT", "SLIPWAY_SERVICE", "SLIPWAY_DEPLOYMENT_ID", "SLIPWAY_GIT_COMMIT", "SLIPWAY_API_URL"]));
    expect(names).not.toContain("SLIPWAY_WEB_URL");
    expect(names).not.toContain("SLIPWAY_JOBS_URL");
    expect(web.find((v) => v.name === "SLIPWAY_API_URL")?.value).toBe(`http://api.staging.shop.${w.org.slug}.localhost:${process.env.SLIPWAY_ROUTER_PORT ?? 8000}`);
    expect(web.find((v) => v.name === "PORT")?.value).toBe("(assigned at start)");
    expect((await w.api.variable.effective({ serviceId: w.worker.id })).some((v) => v.name === "PORT")).toBe(false);
    // list is exactly one scope's, sorted by name.
    expect((await w.api.variable.list({ scope: { projectId: w.project.id } })).map((v) => v.name)).toEqual(["LEVEL", "ONLY_PROJECT"]);
  });

  it("stores and returns awkward values byte for byte, and export → import round-trips them", async () => {
    const w = await world();
    const scope = { serviceId: w.web.id };
    for (const [i, value] of AWKWARD.entries()) {
      const item = await w.api.variable.set({ scope, name: `V${i}`, kind: "value", value });
      expect(item.value).toBe(value);
    }
    const listed = await w.api.variable.list({ scope });
    for (const [i, value] of AWKWARD.entries()) expect(listed.find((v) => v.name === `V${i}`)?.value).toBe(value);
    const { text } = await w.api.variable.export({ scope });
    // Into another scope: identical values.
    const other = { serviceId: w.apiSvc.id };
    const plan = await w.api.variable.importPlan({ scope: other, text, mode: "merge", overwriteSecrets: [] });
    expect(plan.errors).toEqual([]);
    await w.api.variable.import({ scope: other, text, mode: "merge", overwriteSecrets: [] });
    const back = await w.api.variable.effective({ serviceId: w.apiSvc.id });
    for (const [i, value] of AWKWARD.entries()) expect(back.find((v) => v.name === `V${i}`)?.value, `V${i}`).toBe(value);
    // Importing the same text again changes nothing.
    const again = await w.api.variable.importPlan({ scope: other, text, mode: "merge", overwriteSecrets: [] });
    expect(again.create).toEqual([]);
    expect(again.update).toEqual([]);
  });

  it("resolves aliases across scopes, rejects cycles and unknown references by name, and honours \\{{", async () => {
    const w = await world();
    await w.api.variable.set({ scope: { projectId: w.project.id }, name: "DB_HOST", kind: "value", value: "db.internal" });
    // An alias whose reference does not exist yet is refused, naming it and where.
    const early = await caught(w.api.variable.set({ scope: { projectId: w.project.id }, name: "DATABASE_URL", kind: "alias", value: "postgres://{{ DB_USER }}@{{DB_HOST}}/{{SLIPWAY_SERVICE}}" }));
    expect(early.message).toBe("alias DATABASE_URL refers to {{DB_USER}}, which is not defined (in shop/staging/api, shop/staging/jobs, shop/staging/web)");
    await w.api.variable.set({ scope: { environmentId: w.staging.id }, name: "DB_USER", kind: "value", value: "app" });
    await w.api.variable.set({ scope: { projectId: w.project.id }, name: "DATABASE_URL", kind: "alias", value: "postgres://{{ DB_USER }}@{{DB_HOST}}/{{SLIPWAY_SERVICE}}" });
    // Narrower scopes change what an alias refers to, per service.
    await w.api.variable.set({ scope: { serviceId: w.apiSvc.id }, name: "DB_HOST", kind: "value", value: "api-db" });
    const web = await w.api.variable.effective({ serviceId: w.web.id });
    expect(web.find((v) => v.name === "DATABASE_URL")?.value).toBe("postgres://app@db.internal/web");
    const api = await w.api.variable.effective({ serviceId: w.apiSvc.id });
    expect(api.find((v) => v.name === "DATABASE_URL")?.value).toBe("postgres://app@api-db/api");

    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "LITERAL", kind: "alias", value: "\\{{DB_HOST}} is {{DB_HOST}}" });
    expect((await w.api.variable.effective({ serviceId: w.web.id })).find((v) => v.name === "LITERAL")?.value).toBe("{{DB_HOST}} is db.internal");

    const unknown = await caught(w.api.variable.set({ scope: { serviceId: w.web.id }, name: "BROKEN", kind: "alias", value: "x{{NOPE}}y" }));
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(unknown.message).toContain("alias BROKEN refers to {{NOPE}}, which is not defined");
    expect(unknown.fieldErrors?.value?.[0]).toContain("{{NOPE}}");

    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "A", kind: "alias", value: "{{SLIPWAY_PROJECT}}" });
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "B", kind: "alias", value: "b{{A}}" });
    const cycle = await caught(w.api.variable.set({ scope: { serviceId: w.web.id }, name: "A", kind: "alias", value: "a{{B}}" }));
    expect(cycle.code).toBe("BAD_REQUEST");
    expect(cycle.message).toMatch(/alias cycle: (A → B → A|B → A → B)/);
    const self = await caught(w.api.variable.set({ scope: { serviceId: w.web.id }, name: "SELF", kind: "alias", value: "{{SELF}}" }));
    expect(self.message).toContain("alias cycle: SELF → SELF");

    const malformed = await caught(w.api.variable.set({ scope: { serviceId: w.web.id }, name: "M", kind: "alias", value: "{{ not a name }}" }));
    expect(malformed.message).toContain('"{{" at character 1 does not start a reference');

    // Unsetting what an alias needs is refused, naming the alias.
    const needed = await caught(w.api.variable.unset({ scope: { environmentId: w.staging.id }, name: "DB_USER" }));
    expect(needed.code).toBe("BAD_REQUEST");
    expect(needed.message).toContain("cannot unset DB_USER: alias DATABASE_URL refers to {{DB_USER}}");
  });

  it("keeps secrets write-only: list, effective and export show a mask, and only ciphertext is stored", async () => {
    const w = await world();
    const canary = `canary-${crypto.randomBytes(8).toString("hex")}`;
    const item = await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "API_SECRET", kind: "secret", value: canary });
    expect(item).toMatchObject({ name: "API_SECRET", kind: "secret", value: null, mask: "••••••", updatedBy: w.owner.email });
    expect(JSON.stringify(await w.api.variable.list({ scope: { serviceId: w.web.id } }))).not.toContain(canary);
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "WITH_SECRET", kind: "alias", value: "https://u:{{API_SECRET}}@x" });
    const eff = await w.api.variable.effective({ serviceId: w.web.id });
    expect(eff.find((v) => v.name === "WITH_SECRET")).toMatchObject({ value: null, mask: "••••••" });
    expect(JSON.stringify(eff)).not.toContain(canary);
    const { text } = await w.api.variable.export({ scope: { serviceId: w.web.id } });
    expect(text).toContain("API_SECRET=******** # secret");
    expect(text).not.toContain(canary);
    const [row] = await h.db.select().from(variables).where(eq(variables.name, "API_SECRET"));
    expect(row.value).toBeNull();
    expect(row.ciphertext).toMatch(/^v1:[0-9a-f]{16}:/);
    expect(row.ciphertext).not.toContain(canary);
  });

  it("imports .env text: merge, replace, secrets only when named, line errors and nothing written", async () => {
    const w = await world();
    const scope = { environmentId: w.staging.id };
    await w.api.variable.set({ scope, name: "KEEP_SECRET", kind: "secret", value: "old-secret-value" });
    await w.api.variable.set({ scope, name: "OLD", kind: "value", value: "old" });
    await w.api.variable.set({ scope, name: "SAME", kind: "value", value: "same" });
    const text = [
      "# a comment",
      "",
      "export NEW=new",
      "SAME=same",
      "OLD='changed'",
      'MULTI="one',
      'two"',
      "KEEP_SECRET=new-secret-value",
      "REF={{NEW}}/x",
    ].join("\n");
    const plan = await w.api.variable.importPlan({ scope, text, mode: "replace", overwriteSecrets: [] });
    expect(plan).toEqual({
      create: ["MULTI", "NEW", "REF"],
      update: ["OLD"],
      unchanged: ["SAME"],
      skip: [{ name: "KEEP_SECRET", reason: expect.stringContaining("overwriteSecrets") }],
      remove: [],
      errors: [],
    });
    const withSecret = await w.api.variable.importPlan({ scope, text: `${text}\n`, mode: "merge", overwriteSecrets: ["KEEP_SECRET"] });
    expect(withSecret.update).toEqual(["KEEP_SECRET", "OLD"]);
    await w.api.variable.import({ scope, text, mode: "merge", overwriteSecrets: ["KEEP_SECRET"] });
    const list = await w.api.variable.list({ scope });
    expect(list.find((v) => v.name === "KEEP_SECRET")).toMatchObject({ kind: "secret", value: null });
    expect(list.find((v) => v.name === "MULTI")?.value).toBe("one\ntwo");
    expect(list.find((v) => v.name === "REF")).toMatchObject({ kind: "alias", value: "{{NEW}}/x" });

    const replace = await w.api.variable.importPlan({ scope, text: "NEW=new\n", mode: "replace", overwriteSecrets: [] });
    expect(replace.remove).toEqual(["MULTI", "OLD", "REF", "SAME"]);

    const bad = ["GOOD=1", "no equals sign", "1BAD=x", "SLIPWAY_X=1", `BIG=${"x".repeat(65537)}`, 'OPEN="never closed'].join("\n");
    const badPlan = await w.api.variable.importPlan({ scope, text: bad, mode: "merge", overwriteSecrets: [] });
    expect(badPlan.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6]);
    expect(badPlan.errors[0].message).toContain("expected NAME=value");
    expect(badPlan.errors[1].message).toContain("not a valid name");
    expect(badPlan.errors[2].message).toContain("SLIPWAY_ prefix is reserved");
    expect(badPlan.errors[3].message).toContain("at most 64 KiB");
    expect(badPlan.errors[4].message).toContain("never closed");
    const before = await w.api.variable.list({ scope });
    const err = await caught(w.api.variable.import({ scope, text: bad, mode: "merge", overwriteSecrets: [] }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toContain("line 2:");
    expect(await w.api.variable.list({ scope })).toEqual(before);
  });

  it("rejects bad names and values with a message on the field", async () => {
    const w = await world();
    const scope = { serviceId: w.web.id };
    const cases: [string, string, string][] = [
      ["9LIVES", "x", "not a valid name"],
      ["HAS-DASH", "x", "not a valid name"],
      ["A".repeat(129), "x", "at most 128 characters"],
      ["SLIPWAY_TOKEN", "x", "SLIPWAY_ prefix is reserved"],
      ["PORT", "1", "PORT is set by Slipway"],
    ];
    for (const [name, value, message] of cases) {
      const e = await caught(w.api.variable.set({ scope, name, kind: "value", value }));
      expect(e.code, name).toBe("BAD_REQUEST");
      expect(e.fieldErrors?.name?.[0], name).toContain(message);
    }
    expect((await w.api.variable.set({ scope, name: "A".repeat(128), kind: "value", value: "x".repeat(65536) })).name).toHaveLength(128);
    const big = await caught(w.api.variable.set({ scope, name: "BIG", kind: "value", value: "é".repeat(32769) }));
    expect(big.fieldErrors?.value?.[0]).toContain("65538 bytes; values are at most 64 KiB");
  });

  it("treats spec.env as the service scope's plain values: listed, overridden and taken over by set/unset", async () => {
    const w = await world();
    await h.db.update(services).set({ spec: { ...w.web.spec, env: { GREETING: "from spec", OTHER: "o" } } }).where(eq(services.id, w.web.id));
    const listed = await w.api.variable.list({ scope: { serviceId: w.web.id } });
    expect(listed.map((v) => [v.name, v.value, v.fromSpec, v.availability])).toEqual([
      ["GREETING", "from spec", true, "both"],
      ["OTHER", "o", true, "both"],
    ]);
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "GREETING", kind: "secret", value: "now a secret" });
    const [svc] = await h.db.select().from(services).where(eq(services.id, w.web.id));
    expect(svc.spec.env).toEqual({ OTHER: "o" });
    await w.api.variable.unset({ scope: { serviceId: w.web.id }, name: "OTHER" });
    const [after] = await h.db.select().from(services).where(eq(services.id, w.web.id));
    expect(after.spec.env).toBeUndefined();
    const missing = await caught(w.api.variable.unset({ scope: { serviceId: w.web.id }, name: "OTHER" }));
    expect(missing.code).toBe("NOT_FOUND");
  });
});
