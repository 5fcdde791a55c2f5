// Rollout benchmark: `node bench/rollout.mjs` (builds first when the production build is missing or stale).
//
// Zero-downtime redeploys under load, end to end against the built console (scripts/console-server.mjs):
//   1. starts the console on a temp data folder with its own router port and work folder, signs in,
//      creates org → project `shop` → environment `staging` → service `web` (examples/hello-node,
//      port 8080, health check /healthz, 2 instances), deploys it and waits for DEPLOYED on the
//      `deployment.watch` stream (SSE);
//   2. starts a load generator in its own process: CONNECTIONS keep-alive connections sending
//      `GET /` back to back through the router (`Host: web.staging.shop.bench.localhost`); a request
//      succeeds on 200 with the body "hello\n", anything else is a failure (kept with a few examples
//      and the time it happened);
//   3. while the load runs, redeploys the service REDEPLOYS times in a row (`deployment.create` →
//      DEPLOYED on the SSE stream, same source), timing each from the call to DEPLOYED, and
//      reads each deployment's step events (`deployment.events`) to show where the time goes;
//   4. stops the load and prints requests, failures (with examples, and which rollout step each
//      happened in), req/s, latency through the router, deploy-call-to-DEPLOYED percentiles, the step
//      breakdown, the machine's load average and the CPU time of console, instances and load.
// Beside the traffic, the load generator asks every 20 ms for a hostname with no route over HTTP/1.0:
// the JS router answers that itself, so its latency is the console's event-loop delay. Traffic and that probe are
// also split by the rollout stage they happened in, which shows which step stalls the router.
// It measures and prints; it never asserts (the exit code is 0 unless the bench itself broke).
//
// Environment (all optional):
//   BENCH_REDEPLOYS    redeploys under load (default 10)       BENCH_CONNECTIONS  load connections (default 20)
//   BENCH_BASELINE_S   seconds of load before the first redeploy, measured apart (default 3)
//   BENCH_RUN_COMMAND  sets the service's run.command (default: none, Slipway detects `npm start`);
//                      e.g. "node server.js" shows how much of the rollout is npm's own start-up
//   SLIPWAY_NEXT_DIST  Next's output folder (default .next); built there and served from there.
//   BENCH_CPU_PROF     a folder: the console writes a CPU profile there when it stops (sampled every 250 µs)
//
// Plain Node ESM. Everything it starts (console, deployed instances, load generator, temp folders) is
// stopped and removed on exit, Ctrl-C included; at the end it checks that nothing listens on the
// router port any more.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TextDecoderStream } from "node:stream/web";
import superjson from "superjson";
import { buildIfStale, distDir, ROOT } from "../scripts/next-build.mjs";
import { cleanupSync, makeTempDir as makeDir, trackGroup, untrackGroup } from "./lib/cleanup.mjs";
import { signIn as signInAs, startConsole as startNext, trpc } from "./lib/console-client.mjs";
import { freePort, intEnv, killGroup, killPid, listensOn, processesUnder, procTable, sleep } from "./lib/processes.mjs";

const REDEPLOYS = intEnv("BENCH_REDEPLOYS", 10);
const CONNECTIONS = intEnv("BENCH_CONNECTIONS", 20);
const BASELINE_S = intEnv("BENCH_BASELINE_S", 3);
const RUN_COMMAND = process.env.BENCH_RUN_COMMAND?.trim() || null;
const GOAL_P50_MS = 1_500;
const EMAIL = "bench@example.test";
const PASSWORD = "bench-password-1";
const HOSTNAME = "web.staging.shop.bench.localhost";
const EXPECTED_BODY = "hello\n";
const START_TIMEOUT_MS = 120_000;
const FIRST_DEPLOY_TIMEOUT_MS = 180_000;
const REDEPLOY_TIMEOUT_MS = 120_000;
/** The load generator stops by itself after this, whatever happens to the bench. */
const LOAD_CAP_MS = 5 * 60_000;
const LOAD_REQUEST_TIMEOUT_MS = 10_000;
const ROLLOUT_PHASE = "during the rollouts";
const TERMINAL = new Set(["DEPLOYED", "BUILD_ERROR", "DEPLOYMENT_ERROR", "CANCELED"]);

const progress = (m) => console.error(`· ${m}`);

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is registered here when created.

/** Children leading their own process group (console, load generator). */
// Deployed code runs as another user (when the console runs as root): it must reach its folders.
const makeTempDir = (prefix) => makeDir(prefix, { shared: true });

/**
 * CPU time (ms, user + system) of `pid` itself, and of everything below it: its live descendants
 * plus the children it and they already reaped (cutime/cstime), so stopped instances still count.
 */
function cpuOf(pid) {
  const { children, cpu: stat } = procTable();
  const root = stat.get(pid);
  if (!root) return null;
  let below = root.reaped;
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.shift();
    const s = stat.get(p);
    if (s) below += s.self + s.reaped;
    queue.push(...(children.get(p) ?? []));
  }
  return { self: root.self, below };
}

// ---------------------------------------------------------------------------------------------
// The console

/** the console server on a new data folder, with the router on `routerPort`. */
function startConsole({ root, routerPort }) {
  return startNext({
    env: {
      SLIPWAY_DATA_DIR: path.join(root, "data"),
      SLIPWAY_WORK_DIR: path.join(root, "work"),
      SLIPWAY_ROUTER_PORT: String(routerPort),
      SLIPWAY_NODE_ID: "rollout-bench",
      SLIPWAY_ADMIN_EMAIL: EMAIL,
      SLIPWAY_ADMIN_PASSWORD: PASSWORD,
    },
    timeoutMs: START_TIMEOUT_MS,
    nodeArgs: process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, "--cpu-prof-interval=250"] : [],
  });
}

const signIn = (server) => signInAs(server, { email: EMAIL, password: PASSWORD });

/**
 * Reads `deployment.watch` (tRPC subscription over SSE, plain fetch) until the deployment reaches a
 * terminal status. Returns the deployment and `at` (performance.now() when the status arrived).
 * The stream pushes; nothing here polls. Reconnects (resuming after the last event id) if the
 * stream ends early.
 */
async function waitTerminal(server, cookie, deploymentId, timeoutMs) {
  const abort = AbortSignal.timeout(timeoutMs);
  let lastEventId;
  for (;;) {
    const input = lastEventId === undefined ? { deploymentId } : { deploymentId, lastEventId };
    const url = `${server.url}/api/trpc/deployment.watch?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
    const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal: abort });
    if (!res.ok || !res.body) throw new Error(`deployment.watch: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split("\n");
          const data = lines
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trimStart())
            .join("\n");
          const event = lines.find((l) => l.startsWith("event:"));
          const id = lines.find((l) => l.startsWith("id:"));
          if (event?.includes("serialized-error")) throw new Error(`deployment.watch: ${data}`);
          // tRPC's own events (connected, ping, return) carry an event name; values do not.
          if (!data || (event && event.trim() !== "event: message")) continue;
          let v;
          try {
            v = superjson.deserialize(JSON.parse(data));
          } catch {
            continue;
          }
          if (id && /^\d+$/.test(id.slice(3).trim())) lastEventId = Number(id.slice(3).trim());
          if (v?.deployment && TERMINAL.has(v.deployment.status)) return { deployment: v.deployment, at: performance.now() };
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (abort.aborted) throw new Error(`deployment ${deploymentId}: no terminal status within ${timeoutMs / 1000} s`);
  }
}

// ---------------------------------------------------------------------------------------------
// The load generator: its own process (and process group), so its CPU work and the bench's do not
// share an event loop. Plain CommonJS passed with -e; configured by environment, steered over IPC:
//   parent → { cmd: "phase", name }   start counting into a new phase (closes the current one)
//   parent → { cmd: "stop" }          stop sending, finish in-flight requests, report
//   child  → { type: "ready" }        after the first answered request
//   child  → { type: "result", phases }
// It also stops by itself after LOAD_CAP_MS, or when the parent goes away.

const LOAD_SCRIPT = String.raw`
const http = require("node:http");
const net = require("node:net");
const PORT = Number(process.env.LOAD_PORT);
const HOST = process.env.LOAD_HOSTNAME;
const CONNS = Number(process.env.LOAD_CONNECTIONS);
const TIMEOUT = Number(process.env.LOAD_TIMEOUT_MS);
const EXPECTED = process.env.LOAD_EXPECTED_BODY;
const MAX_EXAMPLES = 12;
const MAX_FAIL_TIMES = 5000;
const MAX_SAMPLES = 400000;
/** The phase whose requests are kept one by one (start time, latency), to split them by rollout step. */
const SAMPLED = process.env.LOAD_SAMPLED_PHASE;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS });
const phases = [];
let phase = null;
let stopping = false;
let readySent = false;

function newPhase(name) {
  const now = Date.now();
  if (phase) phase.end = now;
  phase = { name, start: now, end: null, ok: 0, failed: 0, lat: [], kinds: {}, examples: [], failures: [], samples: name === SAMPLED ? [] : null };
  phases.push(phase);
}
newPhase("warm-up");

function record(t0, at, fail) {
  const ms = performance.now() - t0;
  const p = phase;
  p.lat.push(ms);
  if (p.samples && p.samples.length < 2 * MAX_SAMPLES) p.samples.push(at - p.start, Math.round(ms * 10) / 10);
  if (!fail) {
    p.ok++;
  } else {
    p.failed++;
    p.kinds[fail.kind] = (p.kinds[fail.kind] || 0) + 1;
    if (p.examples.length < MAX_EXAMPLES) p.examples.push({ at, ms: Math.round(ms), ...fail });
    if (p.failures.length < MAX_FAIL_TIMES) p.failures.push({ at, kind: fail.kind });
  }
  if (!readySent) {
    readySent = true;
    process.send({ type: "ready" });
  }
}

function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const at = Date.now();
    let settled = false;
    const req = http.request({ host: "127.0.0.1", port: PORT, path: "/", method: "GET", headers: { host: HOST }, agent, timeout: TIMEOUT });
    const done = (fail) => {
      if (settled) return;
      settled = true;
      if (fail) fail.reusedSocket = req.reusedSocket;
      record(t0, at, fail);
      resolve();
    };
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode === 200 && body === EXPECTED) done(null);
        else if (res.statusCode === 200) done({ kind: "wrong body", detail: JSON.stringify(body.slice(0, 120)) });
        else done({ kind: "HTTP " + res.statusCode, detail: body.replace(/\s+/g, " ").slice(0, 240) });
      });
      res.on("error", (err) => done({ kind: err.code || "response error", detail: err.message }));
      res.on("aborted", () => done({ kind: "response aborted", detail: "the connection closed mid-response" }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("no answer within " + TIMEOUT + " ms"), { code: "TIMEOUT" })));
    req.on("error", (err) => done({ kind: err.code || "request error", detail: err.message }));
    req.end();
  });
}

async function worker() {
  while (!stopping) await once();
}

// Event-loop probe: a request for a hostname with no route, as HTTP/1.0 on a connection of its own.
// The router answers it itself, synchronously, so its latency is the console's event-loop delay (the
// router, engine, PGlite and Next share that loop), apart from the instances.
const lag = [];
function lagOnce() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const at = Date.now();
    const socket = net.connect(PORT, "127.0.0.1");
    let answered = false;
    socket.setTimeout(TIMEOUT, () => socket.destroy());
    socket.on("data", (d) => {
      if (!answered && d.toString("latin1").startsWith("HTTP/1.1 404")) {
        answered = true;
        if (phase.samples && lag.length < 200000) lag.push(at - phase.start, Math.round((performance.now() - t0) * 10) / 10);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.write("GET / HTTP/1.0\r\nHost: no-such-route.invalid\r\n\r\n");
  });
}
async function lagProbe() {
  while (!stopping) {
    await lagOnce();
    await new Promise((r) => setTimeout(r, 20));
  }
}

function summarize(p) {
  p.lat.sort((a, b) => a - b);
  const n = p.lat.length;
  const pct = (q) => (n ? p.lat[Math.min(n - 1, Math.max(0, Math.ceil((q / 100) * n) - 1))] : null);
  const seconds = ((p.end ?? Date.now()) - p.start) / 1000;
  return {
    name: p.name, start: p.start, end: p.end, seconds, total: n, ok: p.ok, failed: p.failed,
    rps: seconds > 0 ? n / seconds : 0,
    p50: pct(50), p90: pct(90), p99: pct(99), max: n ? p.lat[n - 1] : null,
    kinds: p.kinds, examples: p.examples, failures: p.failures, samples: p.samples, lag: p.lag || null,
  };
}

process.on("message", (m) => {
  if (m && m.cmd === "phase") newPhase(m.name);
  if (m && m.cmd === "stop") stopping = true;
});
process.on("disconnect", () => { stopping = true; setTimeout(() => process.exit(0), 2000).unref(); });
setTimeout(() => { stopping = true; }, Number(process.env.LOAD_CAP_MS)).unref();

Promise.all([...Array.from({ length: CONNS }, worker), lagProbe()]).then(() => {
  const sampled = phases.find((p) => p.samples);
  if (sampled) sampled.lag = lag;
  phase.end = Date.now();
  agent.destroy();
  if (!process.connected) process.exit(0);
  process.send({ type: "result", phases: phases.map(summarize) }, () => process.exit(0));
});
`;

function startLoad({ routerPort }) {
  const child = spawn(process.execPath, ["-e", LOAD_SCRIPT], {
    cwd: os.tmpdir(),
    env: {
      PATH: process.env.PATH ?? "",
      LOAD_PORT: String(routerPort),
      LOAD_HOSTNAME: HOSTNAME,
      LOAD_CONNECTIONS: String(CONNECTIONS),
      LOAD_TIMEOUT_MS: String(LOAD_REQUEST_TIMEOUT_MS),
      LOAD_EXPECTED_BODY: EXPECTED_BODY,
      LOAD_CAP_MS: String(LOAD_CAP_MS),
      LOAD_SAMPLED_PHASE: ROLLOUT_PHASE,
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    detached: true,
  });
  trackGroup(child.pid);
  let resolveReady;
  let resolveResult;
  const ready = new Promise((r) => (resolveReady = r));
  const result = new Promise((r) => (resolveResult = r));
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  child.on("message", (m) => {
    if (m?.type === "ready") resolveReady();
    if (m?.type === "result") resolveResult(m.phases);
  });
  exited.then((how) => {
    untrackGroup(child.pid);
    resolveResult(null);
    resolveReady();
    return how;
  });
  return {
    pid: child.pid,
    ready,
    phase: (name) => child.connected && child.send({ cmd: "phase", name }),
    /** Stops the load and returns the per-phase results (null if the generator died). */
    async stop() {
      if (child.connected) child.send({ cmd: "stop" });
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), LOAD_REQUEST_TIMEOUT_MS + 10_000);
      const phases = await result;
      await exited;
      clearTimeout(timer);
      return phases;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Report helpers

const pctOf = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))] : NaN;
};
const msf = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? "–" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const latf = (ms) => (ms === null || ms === undefined ? "–" : `${ms.toFixed(1)} ms`);

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "  " + cells.map((c, i) => (i === 0 || i === cells.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [line(headers), "  " + widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Which rollout step a wall-clock time falls in: "#3 after 'health web'" or "between rollouts". */
function locate(at, rollouts) {
  for (const r of rollouts) {
    if (at < r.wallStart || at > r.wallEnd) continue;
    let last = null;
    for (const e of r.events ?? []) if (e.createdAt.getTime() <= at) last = e;
    return { rollout: r.n, step: last ? `after "${last.step}" (${last.stage} ${last.status})` : "before the first step event (queued)" };
  }
  return { rollout: null, step: "outside a rollout" };
}

/** Time between consecutive step events, named by the event that ends each interval. */
function stepRows(r) {
  const rows = [];
  let prev = r.wallStart;
  for (const e of r.events) {
    const t = e.createdAt.getTime();
    rows.push([`${e.stage}`, `${e.step} — ${e.status}`, `+${t - r.wallStart} ms`, `${t - prev} ms`, e.message.slice(0, 70)]);
    prev = t;
  }
  rows.push(["(client)", "DEPLOYED seen on the SSE stream", `+${Math.round(r.ms)} ms`, `${Math.round(r.wallStart + r.ms - prev)} ms`, ""]);
  return rows;
}

/** Duration by stage: each interval between events is charged to the stage of the event that ends it. */
function stageTotals(r) {
  const totals = {};
  let prev = r.wallStart;
  for (const e of r.events) {
    const t = e.createdAt.getTime();
    const key = e.stage === "deploy" ? "start" : e.stage;
    totals[key] = (totals[key] ?? 0) + (t - prev);
    prev = t;
  }
  totals["client sees DEPLOYED"] = r.wallStart + r.ms - prev;
  return totals;
}

/** The stage a rollout is in at wall-clock `at`, named like stageTotals (by the event ending the interval); null outside. */
function stageAt(at, rollouts) {
  for (const r of rollouts) {
    if (at < r.wallStart || at > r.wallEnd) continue;
    for (const e of r.events ?? []) if (e.createdAt.getTime() > at) return e.stage === "deploy" ? "start" : e.stage;
    return "client sees DEPLOYED";
  }
  return null;
}

/** Router traffic split by the rollout stage each request started in (all redeploys pooled). */
function trafficByStage(phase, rollouts) {
  const split = (samples) => {
    const by = new Map();
    for (let i = 0; i < (samples?.length ?? 0); i += 2) {
      const stage = stageAt(phase.start + samples[i], rollouts) ?? "between redeploys";
      if (!by.has(stage)) by.set(stage, []);
      by.get(stage).push(samples[i + 1]);
    }
    return by;
  };
  const by = split(phase.samples);
  const lagBy = split(phase.lag);
  const time = {};
  for (const r of rollouts) if (r.events?.length) for (const [k, v] of Object.entries(stageTotals(r))) time[k] = (time[k] ?? 0) + v;
  const inRollouts = rollouts.reduce((sum, r) => sum + r.ms, 0);
  time["between redeploys"] = Math.max(0, phase.seconds * 1000 - inRollouts);
  const order = [...Object.keys(time)];
  return order
    .filter((k) => by.has(k))
    .map((k) => {
      const lat = by.get(k);
      const lag = lagBy.get(k) ?? [];
      return {
        stage: k, seconds: time[k] / 1000, n: lat.length, rps: lat.length / (time[k] / 1000), p50: pctOf(lat, 50), p99: pctOf(lat, 99), max: Math.max(...lat),
        lagN: lag.length, lagP50: lag.length ? pctOf(lag, 50) : null, lagMax: lag.length ? Math.max(...lag) : null,
      };
    });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const loadAtStart = os.loadavg();
  await buildIfStale({ log: (m) => console.error(m) });
  const nextVersion = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "next", "package.json"), "utf8")).version;
  const buildId = fs.readFileSync(path.join(distDir(ROOT), "BUILD_ID"), "utf8").trim();

  const root = makeTempDir("slipway-rollout");
  const routerPort = await freePort();
  progress(`starting the console (router on port ${routerPort}, data in ${root}) …`);
  const server = await startConsole({ root, routerPort });
  progress(`console healthy after ${msf(server.startMs)}`);
  let load = null;
  let loadPhases = null;
  const rollouts = [];
  let first = null;
  let cleanupReport = null;
  let loadBeforeRollouts = null;
  let loadAfterRollouts = null;
  let failure = null;
  let cpuBefore = null;
  let cpuAfter = null;

  try {
    const cookie = await signIn(server);
    const org = await trpc(server, cookie, "mutation", "organization.create", { name: "Bench", slug: "bench" });
    const project = await trpc(server, cookie, "mutation", "project.create", { orgId: org.id, name: "shop" });
    const env = await trpc(server, cookie, "mutation", "environment.create", { projectId: project.id, name: "staging", mode: "staging" });
    const spec = {
      source: { path: path.join(ROOT, "examples", "hello-node") },
      port: 8080,
      healthcheck: { path: "/healthz" },
      instances: { min: 2, max: 2 },
      ...(RUN_COMMAND ? { run: { command: RUN_COMMAND } } : {}),
    };
    const svc = await trpc(server, cookie, "mutation", "service.create", { environmentId: env.id, name: "web", type: "application", spec });

    // First deployment (builds).
    {
      const t0 = performance.now();
      const wallStart = Date.now();
      const d = await trpc(server, cookie, "mutation", "deployment.create", { environmentId: env.id, serviceId: svc.id });
      const end = await waitTerminal(server, cookie, d.id, FIRST_DEPLOY_TIMEOUT_MS);
      first = { id: d.id, ms: end.at - t0, wallStart, status: end.deployment.status, message: end.deployment.message };
      progress(`first deployment: ${first.status} after ${msf(first.ms)}${first.message ? ` (${first.message})` : ""}`);
      if (first.status !== "DEPLOYED") throw new Error(`the first deployment ended ${first.status}: ${first.message}\n${end.deployment.hint ?? ""}`);
      first.events = await trpc(server, cookie, "query", "deployment.events", { deploymentId: d.id });
    }

    // Load.
    load = startLoad({ routerPort });
    await Promise.race([load.ready, sleep(15_000)]);
    await sleep(1_000);
    load.phase("baseline (no rollout)");
    progress(`load running (${CONNECTIONS} connections); ${BASELINE_S} s of baseline …`);
    await sleep(BASELINE_S * 1_000);
    loadBeforeRollouts = os.loadavg();

    // Redeploys under load.
    cpuBefore = { at: performance.now(), console: cpuOf(server.pid), load: cpuOf(load.pid) };
    load.phase(ROLLOUT_PHASE);
    for (let n = 1; n <= REDEPLOYS; n++) {
      const wallStart = Date.now();
      const t0 = performance.now();
      let r;
      try {
        const d = await trpc(server, cookie, "mutation", "deployment.create", { environmentId: env.id, serviceId: svc.id });
        const createdMs = performance.now() - t0;
        const end = await waitTerminal(server, cookie, d.id, REDEPLOY_TIMEOUT_MS);
        r = { n, id: d.id, wallStart, ms: end.at - t0, createdMs, status: end.deployment.status, message: end.deployment.message, hint: end.deployment.hint };
      } catch (err) {
        r = { n, id: null, wallStart, ms: performance.now() - t0, status: "BENCH ERROR", message: err instanceof Error ? err.message : String(err) };
      }
      r.wallEnd = r.wallStart + r.ms;
      rollouts.push(r);
      progress(`redeploy ${n}/${REDEPLOYS}: ${r.status} after ${msf(r.ms)}${r.status === "DEPLOYED" ? "" : ` — ${r.message}`}`);
    }
    loadAfterRollouts = os.loadavg();
    cpuAfter = { at: performance.now(), console: cpuOf(server.pid), load: cpuOf(load.pid) };
    loadPhases = await load.stop();
    load = null;

    for (const r of rollouts) {
      r.events = r.id ? await trpc(server, cookie, "query", "deployment.events", { deploymentId: r.id }).catch(() => []) : [];
    }
  } catch (err) {
    failure = err;
  } finally {
    if (load) loadPhases ??= await load.stop();
    // Cleanup: the console's group (SIGTERM, then SIGKILL), then anything started under the temp folder.
    const exit = await server.stop();
    let leftovers = processesUnder(root);
    for (const pid of leftovers) killPid(pid, "SIGKILL");
    const killedLeftovers = leftovers.length;
    const deadline = Date.now() + 5_000;
    while (processesUnder(root).length && Date.now() < deadline) await sleep(50);
    leftovers = processesUnder(root);
    await sleep(100);
    cleanupReport = {
      exit,
      killedLeftovers,
      stillThere: leftovers.length,
      routerListening: listensOn(routerPort),
      consoleListening: listensOn(server.port),
    };
    fs.rmSync(root, { recursive: true, force: true });
    cleanupReport.tempRemoved = !fs.existsSync(root);
  }

  // -------------------------------------------------------------------------------------------
  const la = (l) => (l ? l.map((x) => x.toFixed(2)).join(" ") : "–");
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log("");
  console.log(`Slipway rollout bench — ${new Date().toISOString()}`);
  console.log(`Node ${process.version} · next ${nextVersion} (build ${buildId}, ${path.relative(ROOT, distDir(ROOT))}) · ${os.cpus().length} × ${cpu} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`Console, deployed instances and the load generator share the same ${os.cpus().length} CPU(s).`);
  console.log(
    `Load average (1/5/15 min): at start ${la(loadAtStart)} · before the rollouts ${la(loadBeforeRollouts)} · after them ${la(loadAfterRollouts)} · at end ${la(os.loadavg())}` +
      ` (above ${os.cpus().length} means work queued for the CPUs)`,
  );
  console.log(`Service: examples/hello-node, 2 instances, health check /healthz, start command ${RUN_COMMAND ? `"${RUN_COMMAND}" (BENCH_RUN_COMMAND)` : "as detected"}`);
  console.log(`Console start: ${msf(server.startMs)}; first deployment (with build): ${first ? `${first.status} in ${msf(first.ms)}` : "–"}`);
  if (failure) {
    console.log("");
    console.log(`BENCH BROKE: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
    console.log("Console output (last 4000 characters):");
    console.log(server.output().slice(-4000));
  }

  // Load.
  console.log("");
  console.log(`Traffic: ${CONNECTIONS} keep-alive connections, GET / back to back via the router (127.0.0.1:${routerPort}, Host: ${HOSTNAME})`);
  if (!loadPhases) {
    console.log("  the load generator reported nothing (it died?)");
  } else {
    const shown = loadPhases.filter((p) => p.name !== "warm-up");
    console.log(
      table(
        ["phase", "seconds", "requests", "failed", "req/s", "p50", "p90", "p99", "max"],
        shown.map((p) => [p.name, p.seconds.toFixed(1), p.total, p.failed, p.rps.toFixed(0), latf(p.p50), latf(p.p90), latf(p.p99), latf(p.max)]),
      ),
    );
    const during = loadPhases.find((p) => p.name === ROLLOUT_PHASE);
    if (during) {
      console.log("");
      console.log(`During the rollouts: ${during.total} requests, ${during.failed} failed (goal 0) → ${during.failed === 0 ? "ok" : "MISSED"}`);
      console.log(`  req/s ${during.rps.toFixed(0)} · latency through the router p50 ${latf(during.p50)} · p99 ${latf(during.p99)} · max ${latf(during.max)}`);
      if (during.samples?.length && rollouts.some((r) => r.events?.length)) {
        console.log("");
        console.log("Router traffic by the rollout stage each request started in (all redeploys pooled; stages as in the table further down):");
        console.log(
          table(
            ["stage", "time in stage", "requests", "req/s", "p50", "p99", "max", "loop probe: n", "p50", "max"],
            trafficByStage(during, rollouts).map((x) => [
              x.stage, `${x.seconds.toFixed(1)} s`, x.n, x.rps.toFixed(0), latf(x.p50), latf(x.p99), latf(x.max), x.lagN, latf(x.lagP50), latf(x.lagMax),
            ]),
          ),
        );
        console.log("  loop probe: an HTTP/1.0 request for a hostname with no route, every 20 ms on a new connection; the JS router");
        console.log("  answers it itself, so its latency is the console's event-loop delay.");
      }
    }
    for (const p of loadPhases) {
      if (!p.failed) continue;
      console.log("");
      console.log(`Failures in "${p.name}": ${Object.entries(p.kinds).map(([k, v]) => `${v} × ${k}`).join(", ")}`);
      for (const ex of p.examples) {
        const where = locate(ex.at, rollouts);
        console.log(
          `  - ${new Date(ex.at).toISOString().slice(11, 23)} ${ex.kind} after ${ex.ms} ms${ex.reusedSocket ? " (reused keep-alive socket)" : " (new socket)"}` +
            `${where.rollout ? ` · redeploy #${where.rollout}, ${where.step}` : ` · ${where.step}`}: ${ex.detail ?? ""}`,
        );
      }
      if (p.failures.length) {
        const byStep = new Map();
        const byRollout = new Map();
        for (const f of p.failures) {
          const where = locate(f.at, rollouts);
          const stepKey = where.step.replace(/ web\b/, "");
          byStep.set(stepKey, (byStep.get(stepKey) ?? 0) + 1);
          const rk = where.rollout ? `#${where.rollout}` : "none";
          byRollout.set(rk, (byRollout.get(rk) ?? 0) + 1);
        }
        console.log(`  where they happened (last step event before each failure${p.failures.length < p.failed ? `, first ${p.failures.length}` : ""}):`);
        for (const [k, v] of [...byStep].sort((a, b) => b[1] - a[1])) console.log(`    ${String(v).padStart(6)}  ${k}`);
        console.log(`  by redeploy: ${[...byRollout].map(([k, v]) => `${k}: ${v}`).join(" · ")}`);
      }
    }
  }

  if (cpuBefore?.console && cpuAfter?.console) {
    const wall = cpuAfter.at - cpuBefore.at;
    const share = (ms) => `${(ms / 1000).toFixed(1)} CPU-s (${((ms / wall) * 100).toFixed(0)}% of one core)`;
    console.log("");
    console.log(`CPU used during the rollouts (${(wall / 1000).toFixed(1)} s wall, ${os.cpus().length} cores):`);
    console.log(`  console process (Next + engine + PGlite + router, one event loop): ${share(cpuAfter.console.self - cpuBefore.console.self)}`);
    console.log(`  its children (instances with sh/bwrap/npm wrappers, builds):      ${share(Math.max(0, cpuAfter.console.below - cpuBefore.console.below))} (approx.: CPU of processes reaped outside the tree is lost)`);
    if (cpuBefore.load && cpuAfter.load) console.log(`  load generator:                                                     ${share(cpuAfter.load.self - cpuBefore.load.self)}`);
  }

  // Deploy times.
  console.log("");
  console.log(`Redeploys under load: deployment.create → DEPLOYED on the deployment.watch stream (same source; the build step says whether it was reused)`);
  if (rollouts.length) {
    const okTimes = rollouts.filter((r) => r.status === "DEPLOYED").map((r) => r.ms);
    console.log(
      table(
        ["#", "status", "call → DEPLOYED", "create call", "server: created → finished", "note"],
        rollouts.map((r) => {
          const created = r.events?.length ? r.events[0] : null;
          const finish = r.events?.findLast?.((e) => e.stage === "finish");
          return [
            r.n,
            r.status,
            msf(r.ms),
            r.createdMs === undefined ? "–" : msf(r.createdMs),
            created && finish ? msf(finish.createdAt.getTime() - r.wallStart) : "–",
            r.status === "DEPLOYED" ? "" : (r.message ?? "").slice(0, 100),
          ];
        }),
      ),
    );
    const p50 = pctOf(okTimes, 50);
    console.log(
      `  ${okTimes.length}/${rollouts.length} DEPLOYED · p50 ${msf(p50)} · p95 ${msf(pctOf(okTimes, 95))} · max ${msf(Math.max(...okTimes))} · min ${msf(Math.min(...okTimes))}` +
        ` (goal p50 ≤ ${msf(GOAL_P50_MS)} → ${okTimes.length && p50 <= GOAL_P50_MS ? "ok" : "MISSED"})`,
    );

    // Where the time goes.
    const withEvents = rollouts.filter((r) => r.events?.length);
    const stageKeys = [];
    for (const r of withEvents) for (const k of Object.keys(stageTotals(r))) if (!stageKeys.includes(k)) stageKeys.push(k);
    if (withEvents.length) {
      console.log("");
      console.log("Where the time goes, per stage (each interval between step events charged to the stage of the event ending it):");
      console.log(
        table(
          ["stage", ...withEvents.map((r) => `#${r.n}`), "median"],
          stageKeys.map((k) => {
            const vals = withEvents.map((r) => stageTotals(r)[k] ?? 0);
            return [k, ...vals.map((v) => `${Math.round(v)}`), `${Math.round(pctOf(vals, 50))}`];
          }),
        ),
      );
      console.log("  (ms; precheck includes the wait from the call until the queue claims the deployment)");
    }
    for (const r of [withEvents[0], withEvents.length > 1 ? withEvents.at(-1) : null].filter(Boolean)) {
      console.log("");
      console.log(`Step events of redeploy #${r.n} (${r.status}, ${msf(r.ms)}), times from the deployment.create call:`);
      console.log(table(["stage", "step", "at", "Δ", "message"], stepRows(r)));
    }
  }

  // Cleanup.
  console.log("");
  if (cleanupReport) {
    const c = cleanupReport;
    console.log(
      `Cleanup: console ended (${c.exit ? (c.exit.signal ? `signal ${c.exit.signal}` : `exit code ${c.exit.code}`) : "?"}); ` +
        `${c.killedLeftovers} leftover process(es) under the temp folder killed, ${c.stillThere} still there; ` +
        `router port ${routerPort}: ${c.routerListening ? "STILL LISTENING" : "free"}; console port: ${c.consoleListening ? "STILL LISTENING" : "free"}; ` +
        `temp folder ${c.tempRemoved ? "removed" : "NOT removed"}`,
    );
  }
  console.log(`Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (failure) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  cleanupSync();
  process.exitCode = 1;
});
