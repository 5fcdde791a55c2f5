/**
 * /api/trpc's Node handler (server/api/node-handler.ts) is assembled from tRPC's adapter parts and
 * splices memoized JSON (service.list's snapshot) into the body. Whatever it answers must be byte for
 * byte what tRPC's own fetch adapter answers for the same request — single calls, batches mixing
 * memoized answers, plain ones and errors — and no marker may ever reach a client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { DbHandle } from "@/db/client";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/context";
import { addMember, makeOrg, makeUser } from "../support/actors";
import { startApiServer } from "../support/api-server";
import { makeEnvironment, makeProject, makeService, makeToken, uniq } from "../support/fixtures";
import { createTestDb } from "../support/test-db";

let h: DbHandle;
let api: Awaited<ReturnType<typeof startApiServer>>;
let token: string;
let envId: string;
let otherEnvId: string;

beforeAll(async () => {
  h = await createTestDb();
  api = await startApiServer(h.db);
  const owner = await makeUser(h.db, `${uniq("own")}@example.test`);
  const org = await makeOrg(h.db, uniq("org"));
  await addMember(h.db, org.id, owner.id, "owner");
  const env = await makeEnvironment(h.db, (await makeProject(h.db, org.id)).id, "staging");
  for (let i = 0; i < 12; i++) await makeService(h.db, env.id);
  envId = env.id;
  const stranger = await makeOrg(h.db, uniq("org"));
  otherEnvId = (await makeEnvironment(h.db, (await makeProject(h.db, stranger.id)).id, "staging")).id;
  token = (await makeToken(h.db, { orgId: org.id, userId: owner.id, role: "admin" })).token;
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

/** The same request answered by tRPC's fetch adapter, with the same router, context and database. */
async function viaFetchAdapter(url: string, init: RequestInit) {
  const req = new Request(url, init);
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    allowMethodOverride: true,
    createContext: () => createContext({ db: h.db, headers: req.headers, sessionUser: async () => null }),
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

async function viaNodeHandler(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text(), length: res.headers.get("content-length") };
}

const input = (v: unknown) => encodeURIComponent(JSON.stringify({ json: v }));

describe("the /api/trpc Node handler", () => {
  const cases: [string, () => [string, RequestInit]][] = [
    ["a single service.list (memoized snapshot)", () => [`/api/trpc/service.list?input=${input({ environmentId: envId })}`, { headers: { authorization: `Bearer ${token}` } }]],
    [
      "a batch: the snapshot twice, a plain query, a refused call",
      () => [
        `/api/trpc/service.list,environment.get,service.list,service.list?batch=1`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ 0: { json: { environmentId: envId } }, 1: { json: { environmentId: envId } }, 2: { json: { environmentId: envId } }, 3: { json: { environmentId: otherEnvId } } }),
        },
      ],
    ],
    ["bad input", () => [`/api/trpc/service.list?input=${input({ environmentId: 42 })}`, { headers: { authorization: `Bearer ${token}` } }]],
    ["no credentials", () => [`/api/trpc/service.list?input=${input({ environmentId: envId })}`, {}]],
    ["an unknown procedure", () => [`/api/trpc/service.nope`, { headers: { authorization: `Bearer ${token}` } }]],
  ];

  for (const [name, make] of cases) {
    it(`answers ${name} byte for byte as tRPC's fetch adapter does`, async () => {
      for (let round = 0; round < 2; round++) {
        const [path, init] = make();
        const reference = await viaFetchAdapter(`http://localhost${path}`, init);
        const ours = await viaNodeHandler(`${api.url}${path}`, init);
        expect({ status: ours.status, type: ours.type, body: ours.body }).toEqual(reference);
        expect(ours.body).not.toContain("slipway-json");
        expect(Number(ours.length)).toBe(Buffer.byteLength(ours.body));
      }
    });
  }

  it("answers the memoized list with the services themselves, after a change too", async () => {
    const get = async () => {
      const res = await fetch(`${api.url}/api/trpc/service.list?input=${input({ environmentId: envId })}`, { headers: { authorization: `Bearer ${token}` } });
      return (await res.json()) as { result: { data: { json: { name: string }[] } } };
    };
    const before = (await get()).result.data.json.map((s) => s.name);
    expect(before).toHaveLength(12);
    expect((await get()).result.data.json.map((s) => s.name)).toEqual(before);
    const added = await makeService(h.db, envId);
    expect((await get()).result.data.json.map((s) => s.name).sort()).toEqual([...before, added.name].sort());
  });
});
