/**
 * The canary: one secret with a unique value goes through everything — set, deploy (the build and
 * the app print it on purpose, raw, base64 and URL-encoded), a failing deployment that prints it,
 * export, audit, refused and malformed requests — over real HTTP with an API token. Then every
 * HTTP response of the run and a dump of every table are searched: the value (and its encodings)
 * must appear nowhere; the database holds it only as ciphertext.
 */
import crypto from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { EXAMPLES, getVia, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";

process.env.SLIPWAY_MASTER_KEY = crypto.randomBytes(32).toString("hex");

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
let server: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h, { healthTimeoutMs: 20_000 });
  server = await startApiServer(h.db);
});
afterAll(async () => {
  await server?.close();
  await rt?.stop();
  await h?.close();
});

const CANARY = `canary-${crypto.randomBytes(12).toString("hex")}/+= ✓`;
const FORMS = [CANARY, Buffer.from(CANARY).toString("base64"), encodeURIComponent(CANARY)];
const captured: { what: string; body: string }[] = [];

/** A raw tRPC call over HTTP (superjson envelope), keeping the response body whatever it is. */
async function call(token: string, procedure: string, input: unknown, method: "GET" | "POST" = "GET"): Promise<{ status: number; json: unknown }> {
  const envelope = JSON.stringify({ json: input });
  const url = `${server.url}/api/trpc/${procedure}${method === "GET" ? `?input=${encodeURIComponent(envelope)}` : ""}`;
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: method === "POST" ? envelope : undefined });
  const body = await res.text();
  captured.push({ what: `${method} ${procedure} → ${res.status}`, body });
  return { status: res.status, json: JSON.parse(body) as unknown };
}
const data = (r: { json: unknown }) => (r.json as { result: { data: { json: unknown } } }).result.data.json;

it("never lets the canary out: responses, logs, errors, audit and the database hold it only as ciphertext", async () => {
  const { user, org, env, api, hostname } = await makeEnvironment(h, "canary-org");
  const { token } = await makeToken(h.db, { orgId: org.id, userId: user.id, role: "owner", name: "canary-token" });
  const dir = path.join(EXAMPLES, "hello-node");
  const printAll = 'echo "raw $CANARY_SECRET"; printf %s "$CANARY_SECRET" | base64; node -e "console.log(encodeURIComponent(process.env.CANARY_SECRET))"';
  const spec = { source: { path: dir }, port: 8080, healthcheck: { path: "/healthz" }, build: { command: printAll }, run: { command: `${printAll}; node server.js` } };
  const web = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec });

  const set = await call(token, "variable.set", { scope: { serviceId: web.id }, name: "CANARY_SECRET", kind: "secret", value: CANARY, availability: "both" }, "POST");
  expect(set.status).toBe(200);
  expect(data(set)).toMatchObject({ name: "CANARY_SECRET", value: null, mask: "••••••" });
  // An alias that embeds it, and an overwrite through import.
  expect((await call(token, "variable.set", { scope: { serviceId: web.id }, name: "WRAPPED_SECRET", kind: "alias", value: "x-{{CANARY_SECRET}}-y" }, "POST")).status).toBe(200);
  expect((await call(token, "variable.import", { scope: { serviceId: web.id }, text: `CANARY_SECRET="${CANARY}"\n`, mode: "merge", overwriteSecrets: ["CANARY_SECRET"] }, "POST")).status).toBe(200);

  const d = await api.deployment.create({ environmentId: env.id });
  const done = await waitForDeployment(h, d.id);
  expect(done.status, `${done.message} ${done.hint}`).toBe("DEPLOYED");
  const page = await getVia(rt.runtime.router.port, hostname("web"), "/env");
  captured.push({ what: "router /env", body: page.body });
  expect(page.body).toContain(`CANARY_SECRET=sha256:${crypto.createHash("sha256").update(CANARY).digest("hex")}`);

  // A deployment that fails after printing it: the error's hint quotes the last log lines.
  await api.service.update({ serviceId: web.id, spec: { ...spec, run: { command: `${printAll}; echo "dying with $CANARY_SECRET" >&2; exit 1` } } });
  const bad = await api.deployment.create({ environmentId: env.id });
  const failed = await waitForDeployment(h, bad.id);
  expect(failed.status).toBe("DEPLOYMENT_ERROR");
  expect(failed.hint ?? "").toContain("dying with [redacted]");
  await rt.engine.logs.flush();

  // Everything a client can read back.
  const reads: [string, unknown][] = [
    ["variable.list", { scope: { serviceId: web.id } }],
    ["variable.effective", { serviceId: web.id }],
    ["variable.export", { scope: { serviceId: web.id } }],
    ["variable.importPlan", { scope: { serviceId: web.id }, text: `CANARY_SECRET=${CANARY}\n`, mode: "merge", overwriteSecrets: ["CANARY_SECRET"] }],
    ["deployment.get", { deploymentId: bad.id }],
    ["deployment.events", { deploymentId: bad.id }],
    ["deployment.events", { deploymentId: d.id }],
    ["logs.history", { serviceId: web.id }],
    ["audit.list", { orgId: org.id, limit: 200 }],
    ["manifest.export", { environmentId: env.id }],
    ["runtime.status", { environmentId: env.id }],
  ];
  for (const [procedure, input] of reads) expect((await call(token, procedure, input)).status, procedure).toBe(200);
  const exported = data(await call(token, "variable.export", { scope: { serviceId: web.id } })) as { text: string };
  expect(exported.text).toContain("CANARY_SECRET=******** # secret");
  const logs = JSON.stringify(data(await call(token, "logs.history", { serviceId: web.id })));
  expect(logs).toContain("raw [redacted]");

  // Error paths: bad input around the canary, refused and malformed requests.
  const errors: [string, unknown][] = [
    ["variable.set", { scope: { serviceId: web.id }, name: "BAD NAME", kind: "secret", value: CANARY }],
    ["variable.set", { scope: { serviceId: web.id }, name: "ALIAS_X", kind: "alias", value: `{{ ${CANARY} }}` }],
    ["variable.set", { scope: { serviceId: web.id }, name: "X", kind: "secret", value: CANARY.repeat(4000) }],
    ["variable.import", { scope: { serviceId: web.id }, text: `${CANARY}\nSLIPWAY_X=${CANARY}\nOK="${CANARY}`, mode: "merge", overwriteSecrets: [] }],
    ["variable.set", { scope: { serviceId: crypto.randomUUID() }, name: "X", kind: "secret", value: CANARY }],
  ];
  for (const [procedure, input] of errors) expect((await call(token, procedure, input, "POST")).status, procedure).toBeGreaterThanOrEqual(400);

  // Every table, every row, as JSON text.
  const tables = (await h.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)) as unknown as { rows: { table_name: string }[] };
  let dump = "";
  for (const { table_name } of tables.rows) {
    const r = (await h.db.execute(sql`select coalesce(json_agg(t), '[]'::json)::text as j from ${sql.identifier(table_name)} t`)) as unknown as { rows: { j: string }[] };
    dump += `\n${table_name}: ${r.rows[0].j}`;
  }
  expect(dump).toContain("CANARY_SECRET");
  expect(dump).toMatch(/"ciphertext":\s*"v1:[0-9a-f]{16}:/);
  for (const form of FORMS) {
    expect(dump.includes(form), `database dump contains ${form}`).toBe(false);
    for (const c of captured) expect(c.body.includes(form), `${c.what} contains the canary`).toBe(false);
  }
  expect(captured.length).toBeGreaterThan(15);
});
