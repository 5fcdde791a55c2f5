/**
 * /metrics over real HTTP against the built console: with SLIPWAY_METRICS_TOKEN set it needs that
 * bearer token (loopback included); the exposition is Prometheus text 0.0.4 and counts open SSE
 * subscriptions. (Loopback-only access without a token is covered by e2e/metrics.spec.ts, which can
 * reach the server on a non-loopback address.) Needs a production build.
 */
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";
import superjson from "superjson";

const TOKEN = "metrics-token-for-the-test";
const EMAIL = "owner@example.test";
const PASSWORD = "metrics-endpoint-pass";
const tmp = makeTempDir("slipway-metrics-endpoint");
let server: ServerHandle | undefined;

beforeAll(() => assertBuilt());
afterAll(async () => {
  await server?.stop(5_000);
  tmp.remove();
});

it("needs the bearer token when one is set, and serves Prometheus text with the open SSE subscriptions", async () => {
  const s = await startServer({
    dataDir: path.join(tmp.dir, "data"),
    env: { SLIPWAY_METRICS_TOKEN: TOKEN, SLIPWAY_ENGINE: "off", SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD },
  });
  server = s;
  // Loopback is not enough once a token is configured.
  expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
  const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await ok.text();
  for (const family of ["slipway_deployments", "slipway_deploy_duration_seconds", "slipway_queue_depth", "slipway_log_lines_ingested_total", "slipway_log_lines_dropped_total", "slipway_sse_subscriptions"]) {
    expect(text).toMatch(new RegExp(`^# HELP ${family} .+$`, "m"));
    expect(text).toMatch(new RegExp(`^# TYPE ${family} (counter|gauge|histogram)$`, "m"));
  }
  // Every sample line is `name{labels} value`; a histogram has its buckets, +Inf, _sum and _count.
  for (const line of text.trim().split("\n").filter((l) => !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+$/);
  expect(text).toMatch(/^slipway_deploy_duration_seconds_bucket\{le="1"\} 0$/m);
  expect(text).toMatch(/^slipway_deploy_duration_seconds_bucket\{le="\+Inf"\} 0$/m);
  expect(text).toMatch(/^slipway_deploy_duration_seconds_count 0$/m);
  expect(text).toMatch(/^slipway_deployments\{status="QUEUED"\} 0$/m);
  expect(text).toMatch(/^slipway_sse_subscriptions 0$/m);

  // One live subscription open (its first value has arrived, so the server is iterating it).
  const cookie = await signIn(s.url, EMAIL, PASSWORD);
  const api = trpcClient(s.url, { cookie });
  const org = await api.organization.create.mutate({ name: "Metrics", slug: "metrics" });
  const project = await api.project.create.mutate({ orgId: org.id, name: "shop" });
  const env = await api.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ environmentId: env.id })));
  const abort = new AbortController();
  const res = await fetch(`${s.url}/api/trpc/runtime.watchStatus?input=${input}`, { headers: { cookie, accept: "text/event-stream" }, signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  // The first value (a block without an event name) means the server is iterating the subscription.
  while (!/(^|\n\n)data:/.test(received)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended: ${received}`);
    received += value;
  }
  const during = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  expect(during).toMatch(/^slipway_sse_subscriptions 1$/m);
  abort.abort();
  await reader.cancel().catch(() => {});
});
