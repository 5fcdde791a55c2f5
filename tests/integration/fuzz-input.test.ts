/**
 * The input boundary under fuzz: 1,000 generated bad manifests (as YAML text and as objects, through
 * plan and apply by createCaller and a sample over real HTTP) and 1,000 bad tRPC bodies over real HTTP
 * to a range of procedures. Never a 500 or INTERNAL_SERVER_ERROR; every error names a field (a path)
 * or is a transport error saying what is wrong with the body; messages stay short (echoes are cut);
 * nothing is written. Seeded: a failure prints its seed and case number to replay (FUZZ_SEED=…).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import type { DbHandle } from "@/db/client";
import { variables } from "@/db/schema";
import { AppError } from "@/server/errors/app-error";
import { parseManifest } from "@/server/manifest/parse-manifest";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { makeEnvironment, makeProject, makeService, makeToken } from "../support/fixtures";
import { startApiServer } from "../support/api-server";
import { snapshotAll } from "../support/db-snapshot";
import { caught } from "../support/trpc-errors";
import { seededRandom } from "../support/seeded-random";

const SEED = Number(process.env.FUZZ_SEED ?? 13013);
const MANIFESTS = 1000;
const BODIES = 1000;
const HELLO = path.resolve(import.meta.dirname, "..", "..", "examples", "hello-node");
const HUGE = 1024 * 1024 + 4096;
/** An error message may quote the input, cut short: never anywhere near a megabyte. */
const MAX_MESSAGE = 8000;

let h: DbHandle;
let server: Awaited<ReturnType<typeof startApiServer>>;
let api: ReturnType<typeof callerFor>;
let token: string;
let ids: { orgId: string; projectId: string; environmentId: string; serviceId: string };

beforeAll(async () => {
  h = await createTestDb();
  server = await startApiServer(h.db);
  const owner = await makeUser(h.db);
  const org = await makeOrg(h.db, "fuzz");
  await addMember(h.db, org.id, owner.id, "owner");
  api = callerFor(h.db, actorOf(owner));
  ({ token } = await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "owner", name: "fuzz" }));
  const project = await makeProject(h.db, org.id, "shop");
  const environment = await makeEnvironment(h.db, project.id, "staging");
  const service = await makeService(h.db, environment.id, "web");
  ids = { orgId: org.id, projectId: project.id, environmentId: environment.id, serviceId: service.id };
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

/** Every row that a refused input could have touched (a token's last use is the request itself, not the input). */
async function dbState() {
  const snapshot = await snapshotAll(h.db);
  const apiTokens = (snapshot.apiTokens as Record<string, unknown>[]).map(({ last_used_at: _used, lastUsedAt: _used2, ...rest }) => rest);
  return { ...snapshot, apiTokens, variables: await h.db.select().from(variables) };
}

// ---------------------------------------------------------------------------------------------
// Generators

type Rnd = () => number;
type Path = (string | number)[];
const pick = <T>(rnd: Rnd, items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
const int = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/** Paths of every value in `value` (not the root), with the value found there. */
function slots(value: unknown, at: Path = []): { path: Path; value: unknown }[] {
  const out: { path: Path; value: unknown }[] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push({ path: [...at, i], value: v }, ...slots(v, [...at, i])));
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push({ path: [...at, k], value: v }, ...slots(v, [...at, k]));
  return out;
}

function setAt(root: unknown, p: Path, value: unknown) {
  let node = root as Record<string | number, unknown>;
  for (const seg of p.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  // defineProperty: a key such as "__proto__" must become an own property, as JSON.parse makes it.
  Object.defineProperty(node, p[p.length - 1], { value, enumerable: true, writable: true, configurable: true });
}

const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800"];
const PROTO_KEYS = ["__proto__", "constructor", "prototype"];

const insertAt = (rnd: Rnd, s: string, piece: string) => {
  const i = int(rnd, 0, s.length);
  return s.slice(0, i) + piece + s.slice(i);
};

function deep(rnd: Rnd): unknown {
  let v: unknown = "leaf";
  for (let i = int(rnd, 70, 200); i > 0; i--) v = rnd() < 0.5 ? [v] : { k: v };
  return v;
}

/** A value of a different JSON type than `current`. */
function otherType(rnd: Rnd, current: unknown): unknown {
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  const options: unknown[] = [123, -1.5, true, false, null, ["x"], { x: 1 }, "text", ""];
  const others = options.filter((o) => kind(o) !== kind(current));
  return pick(rnd, others);
}

type Mutation = "nul" | "surrogate" | "protoKey" | "hugeValue" | "hugeKey" | "wrongType" | "deep" | "binary";
/** Binary data is what a YAML `!!binary` becomes in a lenient parser (and in the text form, the tag itself). */
const MUTATIONS: Mutation[] = ["nul", "surrogate", "protoKey", "hugeValue", "hugeKey", "wrongType", "deep", "binary"];

/** Applies one mutation that makes `root` invalid wherever it lands; returns what it did (for failure messages). */
function mutate(rnd: Rnd, root: unknown, kind: Mutation, { hugeOk = true } = {}): string {
  const all = slots(root);
  const strings = all.filter((s) => typeof s.value === "string");
  const objects = [{ path: [] as Path, value: root }, ...all.filter((s) => s.value && typeof s.value === "object" && !Array.isArray(s.value))];
  switch (kind) {
    case "nul": {
      const s = pick(rnd, strings);
      setAt(root, s.path, insertAt(rnd, s.value as string, "\0"));
      return `NUL in ${s.path.join(".")}`;
    }
    case "surrogate": {
      const s = pick(rnd, strings);
      setAt(root, s.path, insertAt(rnd, s.value as string, pick(rnd, LONE_SURROGATES)));
      return `lone surrogate in ${s.path.join(".")}`;
    }
    case "protoKey": {
      const o = pick(rnd, objects);
      const key = pick(rnd, PROTO_KEYS);
      setAt(root, [...o.path, key], pick(rnd, [{ polluted: true }, "x", 1, ["a"]]));
      return `${key} key in ${o.path.join(".") || "root"}`;
    }
    case "hugeValue": {
      if (!hugeOk) return mutate(rnd, root, "nul");
      const s = pick(rnd, strings);
      setAt(root, s.path, "v".repeat(HUGE));
      return `huge value at ${s.path.join(".")}`;
    }
    case "hugeKey": {
      if (!hugeOk) return mutate(rnd, root, "surrogate");
      const o = pick(rnd, objects);
      setAt(root, [...o.path, "K".repeat(HUGE)], "x");
      return `huge key in ${o.path.join(".") || "root"}`;
    }
    case "wrongType": {
      const s = pick(rnd, all);
      setAt(root, s.path, otherType(rnd, s.value));
      return `wrong type at ${s.path.join(".")}`;
    }
    case "binary": {
      const s = pick(rnd, all);
      setAt(root, s.path, new Uint8Array([104, 105, 0, 255]));
      return `binary at ${s.path.join(".")}`;
    }
    case "deep": {
      const s = pick(rnd, all);
      setAt(root, s.path, deep(rnd));
      return `deep nesting at ${s.path.join(".")}`;
    }
  }
}

function validManifest(rnd: Rnd): Record<string, unknown> {
  const source = { path: HELLO };
  const services: Record<string, unknown>[] = [
    { name: "web", type: "application", source, run: { command: "node server.js" }, port: int(rnd, 1, 65535), env: { GREETING: "hello", MODE: "x" } },
    { name: "jobs", type: "worker", source: { git: "https://example.test/repo.git", branch: "main" }, build: { command: "npm ci" } },
  ];
  // Shared objects become YAML anchors and aliases in the text form.
  if (rnd() < 0.3) services.push({ name: "api", source, port: 9090 });
  return { project: pick(rnd, ["shop", "fz"]), environment: "staging", mode: pick(rnd, ["staging", "development"]), services };
}

const TAGS = ["!!js/function", "!!js/undefined", "!foo", "!!binary", "!!set", "!!omap", "!!timestamp", "!<tag:example.com,2000:x>", "!!python/object:os.system"];
const BOMB = "bomb: &a [x, x, x, x, x, x, x, x, x, x]\nbomb2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nbomb3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nbomb4: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";

/** The YAML a person might write for `manifest`, with tags and alias bombs that only text can carry. */
function yamlOf(rnd: Rnd, manifest: unknown): { text: string; extra: string[] } {
  let text = stringifyYaml(manifest, { lineWidth: 0 });
  const extra: string[] = [];
  if (rnd() < 0.4) {
    const lines = text.split("\n");
    const candidates = lines.map((l, i) => (/^\s*(- )?[A-Za-z]+: [^\s&*!|>][^\n]*$/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length) {
      const i = pick(rnd, candidates);
      const tag = pick(rnd, TAGS);
      lines[i] = lines[i].replace(/: /, `: ${tag} `);
      extra.push(`tag ${tag} on line ${i + 1}`);
      text = lines.join("\n");
    }
  }
  if (rnd() < 0.05) {
    text = BOMB + text;
    extra.push("alias bomb");
  }
  return { text, extra };
}

/** One generated manifest: 1–3 mutations (at most one huge), every one of which makes it invalid. */
function badManifest(rnd: Rnd): { manifest: Record<string, unknown>; what: string[] } {
  const manifest = validManifest(rnd);
  const what: string[] = [];
  let huge = false;
  for (let n = int(rnd, 1, 3); n > 0; n--) {
    let kind = pick(rnd, MUTATIONS);
    // Huge scalars are costly to generate, parse and check: about one case in twenty-five.
    if ((kind === "hugeValue" || kind === "hugeKey") && (huge || rnd() < 0.92)) kind = "nul";
    if (kind === "hugeValue" || kind === "hugeKey") huge = true;
    what.push(mutate(rnd, manifest, kind));
  }
  return { manifest, what };
}

// ---------------------------------------------------------------------------------------------
// Checks

function expectNamedRefusal(e: { code: string; message: string; fieldErrors: Record<string, string[]> | null }, label: string) {
  expect(e.code, label).toBe("BAD_REQUEST");
  expect(e.message, label).not.toMatch(/internal error/);
  expect(e.message.length, label).toBeLessThan(MAX_MESSAGE);
  const fields = Object.entries(e.fieldErrors ?? {});
  expect(fields.length, `${label}: names a field`).toBeGreaterThan(0);
  for (const [field, messages] of fields) {
    expect(field.length, label).toBeGreaterThan(0);
    expect(field.length, label).toBeLessThan(400);
    expect(messages.join(" "), `${label}: ${field}`).toMatch(/\S/);
  }
}

type Answer = { status: number; body: string; json: { error?: { json?: { message?: string; data?: { code?: string; httpStatus?: number; fieldErrors?: Record<string, string[]> | null } } } } | null };

async function post(procedure: string, body: string | Buffer, { method = "POST", query = "" } = {}): Promise<Answer> {
  const res = await fetch(`${server.url}/api/trpc/${procedure}${query}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-slipway-client": "cli" },
    body: method === "GET" ? undefined : typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: Answer["json"] = null;
  try {
    const parsed = JSON.parse(text) as Answer["json"] | Answer["json"][];
    // A batch call answers a list, one entry per call.
    json = Array.isArray(parsed) ? parsed[0] : parsed;
  } catch {
    json = null;
  }
  return { status: res.status, body: text, json };
}

/** An HTTP answer to a bad body: a 4xx, a tRPC error that names a field, or a transport error that says what is wrong. */
function expectHttpRefusal(a: Answer, label: string, { transport = false, bodyBytes = 0 } = {}) {
  expect(a.status, `${label}: ${a.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(a.status, `${label}: ${a.body.slice(0, 300)}`).toBeLessThan(500);
  // A body over the console's request limit may be refused before tRPC reads it (413): say so, briefly.
  if (a.status === 413 && bodyBytes > 1024 * 1024) {
    expect(a.body.length, label).toBeGreaterThan(0);
    return;
  }
  const err = a.json?.error?.json;
  expect(err, `${label}: a tRPC error: ${a.body.slice(0, 300)}`).toBeDefined();
  expect(err?.data?.code, label).not.toBe("INTERNAL_SERVER_ERROR");
  expect(a.body.length, label).toBeLessThan(MAX_MESSAGE * 3);
  expectNamedRefusal({ code: err?.data?.code ?? "", message: err?.message ?? "", fieldErrors: err?.data?.fieldErrors ?? null }, label);
  if (transport) expect(err?.message, label).toMatch(/^the request (body|is not a valid tRPC call)/);
}

// ---------------------------------------------------------------------------------------------

describe("fuzzed manifests", () => {
  it(`${MANIFESTS} bad manifests: YAML text refused with file:line:column, objects refused by plan and apply naming a path; nothing applied`, async () => {
    const rnd = seededRandom(SEED);
    const before = await dbState();
    const mix = new Map<string, number>();
    for (let i = 0; i < MANIFESTS; i++) {
      const { manifest, what } = badManifest(rnd);
      const { text, extra } = yamlOf(rnd, manifest);
      const label = `seed ${SEED} manifest #${i}: ${[...what, ...extra].join(", ")}`;
      for (const w of [...what, ...extra]) mix.set(w.split(" ")[0], (mix.get(w.split(" ")[0]) ?? 0) + 1);

      // As text, the way the console's own parser reads it.
      let parsed: unknown;
      try {
        parsed = parseManifest(text, { file: "fz.yaml" });
      } catch (err) {
        parsed = err;
      }
      expect(parsed, label).toBeInstanceOf(AppError);
      const appErr = parsed as AppError;
      expect(appErr.code, label).toBe("BAD_REQUEST");
      expect(appErr.message.length, label).toBeLessThan(MAX_MESSAGE);
      for (const line of appErr.message.split("\n")) expect(line, label).toMatch(/^fz\.yaml(:\d+:\d+)?: \S/);
      expect(Object.keys(appErr.fieldErrors ?? {}).length, label).toBeGreaterThan(0);

      // As an object, the way a client sends it.
      expectNamedRefusal(await caught(api.manifest.plan({ orgId: ids.orgId, manifest, file: "fz.yaml" })), `${label} (plan)`);
      if (i % 4 === 0) expectNamedRefusal(await caught(api.manifest.applyManifest({ orgId: ids.orgId, manifest, file: "fz.yaml" })), `${label} (apply)`);
      if (i % 20 === 0) {
        const body = Buffer.from(JSON.stringify({ json: { orgId: ids.orgId, manifest, file: "fz.yaml" } }));
        expectHttpRefusal(await post("manifest.applyManifest", body), `${label} (HTTP apply)`, { bodyBytes: body.length });
      }
    }
    // Every ingredient was exercised.
    for (const kind of ["NUL", "lone", "__proto__", "constructor", "prototype", "huge", "wrong", "deep", "binary", "tag", "alias"]) expect(mix.get(kind) ?? 0, kind).toBeGreaterThan(0);
    expect(await dbState(), "a refused manifest applies nothing").toEqual(before);
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------

type Target = {
  procedure: string;
  input: () => Record<string, unknown>;
  /** Whether a huge string is wrong wherever it lands (every text field is bounded below 1 MB). */
  hugeOk: boolean;
  /** A query can also be sent as GET with ?input= (a mutation answers 405 to GET). */
  query?: boolean;
};

const TARGETS: Target[] = [
  { procedure: "project.create", input: () => ({ orgId: ids.orgId, name: "fz-p", description: "a project" }), hugeOk: true },
  { procedure: "project.update", input: () => ({ projectId: ids.projectId, description: "new words" }), hugeOk: true },
  { procedure: "project.list", input: () => ({ orgId: ids.orgId }), hugeOk: true, query: true },
  { procedure: "environment.create", input: () => ({ projectId: ids.projectId, name: "qa", mode: "staging" }), hugeOk: true },
  { procedure: "service.create", input: () => ({ environmentId: ids.environmentId, name: "api", type: "application", spec: { source: { path: HELLO }, port: 8080, env: { A: "b" }, run: { command: "node server.js" } } }), hugeOk: true },
  { procedure: "service.update", input: () => ({ serviceId: ids.serviceId, spec: { source: { git: "https://example.test/x.git", branch: "main" }, port: 8081 } }), hugeOk: true },
  { procedure: "variable.set", input: () => ({ scope: { serviceId: ids.serviceId }, name: "TOKEN_A", value: "v", kind: "value", availability: "runtime", asFile: false }), hugeOk: true },
  // An .env text may be 8 MiB: a huge one is not wrong in itself.
  { procedure: "variable.import", input: () => ({ scope: { environmentId: ids.environmentId }, text: "A=1\nB=two\n", mode: "merge" }), hugeOk: false },
  { procedure: "token.create", input: () => ({ orgId: ids.orgId, name: "ci", role: "viewer" }), hugeOk: true },
  { procedure: "invitation.create", input: () => ({ orgId: ids.orgId, email: "new@example.test", role: "viewer" }), hugeOk: true },
  { procedure: "organization.create", input: () => ({ name: "Other", slug: "other-org" }), hugeOk: true },
  { procedure: "manifest.plan", input: () => ({ orgId: ids.orgId, manifest: { project: "shop", environment: "staging", mode: "staging", services: [] } }), hugeOk: true, query: true },
];

type BodyKind = "malformedJson" | "notSuperjson" | "badMeta" | "field";
/** A bad body for `target`: raw bytes, and whether the fault is the transport's. */
function badBody(rnd: Rnd, target: Target): { body: Buffer; what: string; transport: boolean; method?: "GET"; query?: string } {
  const kind = pick<BodyKind>(rnd, ["malformedJson", "notSuperjson", "badMeta", "field", "field", "field"]);
  const valid = JSON.stringify({ json: target.input() });
  switch (kind) {
    case "malformedJson": {
      const variants = [
        () => valid.slice(0, int(rnd, 1, valid.length - 1)),
        () => valid.replace(/"/, "'"),
        () => `${valid},`,
        () => "",
        () => "{",
        () => "nul\0l",
        () => valid.replace(":", ": \u0000"),
        () => `{"json": ${"[".repeat(int(rnd, 1, 50))}`,
        () => "\xff\xfe{}",
        () => "{'json': {}}",
        () => "NaN",
        () => `{"json": {"orgId": 01}}`,
      ];
      const text = pick(rnd, variants)();
      if (target.query && rnd() < 0.3) return { body: Buffer.alloc(0), what: "malformed JSON in ?input=", transport: true, method: "GET", query: `?input=${encodeURIComponent(text || "{")}` };
      return { body: Buffer.from(text, "latin1"), what: `malformed JSON ${JSON.stringify(text.slice(0, 40))}`, transport: true };
    }
    case "notSuperjson": {
      const text = pick(rnd, ["null", "[]", "[1,2]", '"text"', "42", "true", '[{"json": {}}]']);
      // A batch call's body must be an object of inputs by index; each input superjson.
      if (rnd() < 0.3) {
        const batch = pick(rnd, ["42", '"text"', "null", `{"0": ${text}}`]);
        return { body: Buffer.from(batch), what: `batch body ${batch}`, transport: true, query: "?batch=1" };
      }
      return { body: Buffer.from(text), what: `not superjson: ${text}`, transport: true };
    }
    case "badMeta": {
      const input = target.input();
      const field = pick(rnd, Object.keys(input));
      const meta = pick(rnd, [
        { values: "zz" },
        { values: { [field]: [["custom", "nope"]] } },
        { values: { [field]: ["bigint"] } },
        { values: { [field]: ["map"] } },
        { values: { [field]: ["set"] } },
        { values: { [field]: ["regexp"] } },
        { values: { [field]: ["Date"] } },
        { values: { [field]: [["class", "Evil"]] } },
        { values: { [field]: [["typed-array", "Uint8Array"]] } },
        { values: { [`__proto__.${field}`]: ["Date"] } },
        { values: [1, 2] },
        { referentialEqualities: { [field]: ["__proto__.x"] } },
      ]);
      return { body: Buffer.from(JSON.stringify({ json: input, meta })), what: `meta ${JSON.stringify(meta)}`, transport: false };
    }
    case "field": {
      const input = target.input();
      // Not "hugeKey": an unknown key at the top of a procedure's input is dropped (z.object), not wrong.
      const what = mutate(rnd, input, pick(rnd, MUTATIONS.filter((m) => m !== "hugeKey")), { hugeOk: target.hugeOk && rnd() < 0.3 });
      return { body: Buffer.from(JSON.stringify({ json: input })), what, transport: false };
    }
  }
}

describe("fuzzed tRPC bodies over HTTP", () => {
  it(`${BODIES} bad bodies to ${TARGETS.length} procedures: a 4xx naming a field or the transport, never a 500; nothing written`, async () => {
    const rnd = seededRandom(SEED + 1);
    const before = await dbState();
    for (let i = 0; i < BODIES; i++) {
      const target = TARGETS[i % TARGETS.length];
      const bad = badBody(rnd, target);
      const label = `seed ${SEED + 1} body #${i} to ${target.procedure}: ${bad.what}`;
      const answer = await post(target.procedure, bad.body, { method: bad.method, query: bad.query });
      expectHttpRefusal(answer, label, { transport: bad.transport, bodyBytes: bad.body.length });
    }
    expect(await dbState(), "a refused body writes nothing").toEqual(before);
  }, 240_000);

  it("the bodies next to the refusals are accepted (the fuzz is not refusing everything)", async () => {
    // A route that refused every body would pass the test above: the unmutated inputs must pass.
    for (const procedure of ["project.list", "manifest.plan", "project.update"]) {
      const target = TARGETS.find((t) => t.procedure === procedure)!;
      const answer = await post(procedure, JSON.stringify({ json: target.input() }));
      expect(answer.status, `${procedure}: ${answer.body.slice(0, 300)}`).toBe(200);
    }
  });
});
