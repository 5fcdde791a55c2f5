// Router benchmark: `node bench/router.mjs`
//
// Compares, in one run and interleaved (the machine is small and noisy), the throughput and latency of
//   direct  — the load generator straight to a tiny node:http app,
//   slipway — through Slipway's HttpRouter (server/runtime/process/router, its JavaScript data plane),
//             in its own process,
//   nginx   — through nginx (apt) with a keep-alive upstream, `worker_processes 1` and `auto`.
// Load generator, proxy and app are separate processes, as in production. Load: wrk (apt) with one
// thread and 20 keep-alive connections; without wrk, a Node keep-alive load generator in its own process.
// Also reports each proxy's own CPU time per request (from /proc), which is steadier than req/s here.
//
// Environment (all optional):
//   BENCH_DURATION   seconds measured per target and round (default 10)   BENCH_WARMUP  seconds (default 2)
//   BENCH_ROUNDS     rounds over all targets (default 3; the table shows medians) BENCH_CONNECTIONS (default 20)
//   BENCH_TARGETS    comma list of direct,slipway,nginx,nginx-auto (default all)
//   BENCH_ROUTER_NODE_ARGS  Node options for the router process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
//
// Traffic goes to 127.0.0.1 only. Everything it starts (app, router, nginx, load generator, temp
// folder) is stopped and removed on exit, Ctrl-C included.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupSync, makeTempDir, trackGroup, untrackGroup } from "./lib/cleanup.mjs";
import { ensureApt, freePort, intEnv, isRoot, killGroup, treeStats } from "./lib/processes.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DURATION = intEnv("BENCH_DURATION", 10);
const WARMUP = intEnv("BENCH_WARMUP", 2);
const ROUNDS = intEnv("BENCH_ROUNDS", 3);
const CONNECTIONS = intEnv("BENCH_CONNECTIONS", 20);
const TARGETS = (process.env.BENCH_TARGETS || "direct,slipway,nginx,nginx-auto").split(",").map((s) => s.trim());
const HOSTNAME = "web.bench.slipway.localhost";
const GOAL_RATIO = 0.8;
const STRETCH_RATIO = 1.0;

const treeCpuMs = (pid) => treeStats(pid).cpuMs;

/** Starts a child in its own process group (so the whole group can be killed) and waits for `ready` in its output. */
function startChild(name, file, args, { ready, env, timeoutMs = 15_000 } = {}) {
  const child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  trackGroup(child.pid);
  let output = "";
  const collect = (d) => {
    output += d.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (ready === undefined || ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
    if (ready === undefined) check();
  });
}

async function stopChild(c) {
  if (!c || c.child.exitCode !== null) return;
  const exited = new Promise((resolve) => c.child.once("exit", resolve));
  killGroup(c.child.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(c.child.pid, "SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
  untrackGroup(c.child.pid);
}

// ---------------------------------------------------------------------------------------------
// The pieces

const APP_SOURCE = `
import http from "node:http";
const body = Buffer.from("hello from the bench app\\n");
const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("app ready"));
`;

const ROUTER_RUNNER = `
import { HttpRouter } from "./router.mjs";
const router = new HttpRouter({ port: Number(process.env.ROUTER_PORT), host: "127.0.0.1" });
await router.start();
router.setRoute(process.env.ROUTE_HOST, [{ id: "app", port: Number(process.env.APP_PORT) }], { serviceId: "svc_bench", serviceName: "web" });
// Nothing to restore: unrouted hostnames answer 404, not 503 "starting".
router.markReady();
console.log("router ready");
process.once("SIGTERM", async () => {
  const m = router.metrics("svc_bench");
  // 499s are wrk closing its connections mid-request when a run ends.
  console.log("router metrics " + JSON.stringify({ requests: m.requests, byCode: m.byCode }));
  await router.stop();
  process.exit(0);
});
`;

async function bundleRouter(dir) {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new Error("esbuild is missing (it comes with vite / drizzle-kit): run npm ci first");
  }
  const empty = path.join(dir, "server-only.mjs");
  fs.writeFileSync(empty, "export {};\n");
  await esbuild.build({
    entryPoints: [path.join(ROOT, "server/runtime/process/router/http-router.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: path.join(dir, "router.mjs"),
    alias: { "server-only": empty },
    logLevel: "warning",
  });
}

function nginxConf(dir, { port, appPort, workers }) {
  const prefix = path.join(dir, `nginx-${workers}`);
  for (const sub of ["", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(prefix, sub), { recursive: true });
  fs.chmodSync(prefix, 0o777);
  const conf = `
worker_processes ${workers};
${isRoot() ? "user root;" : ""}
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:${appPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
  const file = path.join(prefix, "nginx.conf");
  fs.writeFileSync(file, conf);
  return { file, prefix };
}

async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------
// Load generators

/** A Node keep-alive load generator (used when wrk is missing), run as a child process. */
const NODE_LOADGEN = `
import http from "node:http";
const [url, host, conns, secs] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conns) });
const lat = [];
let done = 0, errors = 0, running = true;
const end = Date.now() + Number(secs) * 1000;
function one() {
  const t = process.hrtime.bigint();
  const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, agent, headers: { host } }, (res) => {
    res.on("data", () => {});
    res.on("end", () => {
      lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (res.statusCode === 200) done++; else errors++;
      if (Date.now() < end) one(); else if (--active === 0) report();
    });
  });
  req.on("error", () => { errors++; if (Date.now() < end) one(); else if (--active === 0) report(); });
  req.end();
}
let active = Number(conns);
const started = Date.now();
for (let i = 0; i < active; i++) one();
function report() {
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0;
  console.log(JSON.stringify({ rps: done / ((Date.now() - started) / 1000), p50: q(50), p99: q(99), errors, requests: done }));
  agent.destroy();
}
`;

function parseWrk(out) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const unit = (v, u) => Number(v) * (u === "us" ? 0.001 : u === "s" ? 1000 : u === "m" ? 60_000 : 1);
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)`, "m").exec(out);
    return m ? unit(m[1], m[2]) : NaN;
  };
  const errs = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = (errs ? Number(errs[1]) : 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50: pct(50), p99: pct(99), errors, requests };
}

async function runLoad(loadgen, port, seconds) {
  const url = `http://127.0.0.1:${port}/`;
  if (loadgen.wrk) {
    const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-H", `Host: ${HOSTNAME}`, url];
    const out = await runToEnd(loadgen.wrk, args, seconds * 1000 + 15_000);
    return parseWrk(out);
  }
  const out = await runToEnd(process.execPath, [loadgen.script, url, HOSTNAME, String(CONNECTIONS), String(seconds)], seconds * 1000 + 15_000);
  return JSON.parse(out.trim().split("\n").pop());
}

function runToEnd(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    trackGroup(child.pid);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      untrackGroup(child.pid);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(file)} failed (${code}):\n${out}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------

function fmt(n, digits = 0) {
  return Number.isFinite(n) ? n.toFixed(digits) : "—";
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padEnd(n) : s.padStart(n);
}

async function main() {
  const tempDir = makeTempDir("slipway-bench-router");
  console.log(`Router benchmark — ${os.cpus().length} cores, Node ${process.version}, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per target, ${ROUNDS} round(s)`);

  const wrk = ensureApt("wrk", "wrk");
  const loadgen = { wrk };
  if (!wrk) {
    loadgen.script = path.join(tempDir, "loadgen.mjs");
    fs.writeFileSync(loadgen.script, NODE_LOADGEN);
  }
  console.log(`load generator: ${wrk ? `wrk (${wrk}), 1 thread` : "Node keep-alive client (wrk not available)"}`);
  const nginx = TARGETS.some((t) => t.startsWith("nginx")) ? ensureApt("nginx", "nginx") : null;
  if (TARGETS.some((t) => t.startsWith("nginx")) && !nginx) console.log("nginx not available: its rows are skipped");

  await bundleRouter(tempDir);
  fs.writeFileSync(path.join(tempDir, "app.mjs"), APP_SOURCE);
  fs.writeFileSync(path.join(tempDir, "run-router.mjs"), ROUTER_RUNNER);

  const appPort = await freePort();
  const app = await startChild("app", process.execPath, [path.join(tempDir, "app.mjs")], { ready: /app ready/, env: { PORT: String(appPort) } });

  const targets = [];
  if (TARGETS.includes("direct")) targets.push({ name: "direct", port: appPort, pid: null });
  if (TARGETS.includes("slipway")) {
    const port = await freePort();
    const nodeArgs = (process.env.BENCH_ROUTER_NODE_ARGS || "").split(" ").filter(Boolean);
    const proc = await startChild("slipway", process.execPath, [...nodeArgs, path.join(tempDir, "run-router.mjs")], {
      ready: /router ready/,
      env: { ROUTER_PORT: String(port), APP_PORT: String(appPort), ROUTE_HOST: HOSTNAME },
    });
    targets.push({ name: "slipway", port, pid: proc.child.pid, proc });
  }
  for (const [name, workers] of [
    ["nginx", "1"],
    ["nginx-auto", "auto"],
  ]) {
    if (!TARGETS.includes(name) || !nginx) continue;
    const port = await freePort();
    const conf = nginxConf(tempDir, { port, appPort, workers });
    const proc = await startChild(name, nginx, ["-c", conf.file, "-p", conf.prefix, "-g", "daemon off;"]);
    await waitForPort(port);
    targets.push({ name: `${name} (${workers === "1" ? "1 worker" : `auto: ${os.cpus().length} workers`})`, key: name, port, pid: proc.child.pid, proc });
  }

  const results = new Map(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order between rounds so no target always runs first (warm caches, turbo, neighbours).
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const t of order) {
      await runLoad(loadgen, t.port, WARMUP);
      const cpu0 = t.pid ? treeCpuMs(t.pid) : NaN;
      const appCpu0 = treeCpuMs(app.child.pid);
      const r = await runLoad(loadgen, t.port, DURATION);
      const cpuMs = t.pid ? treeCpuMs(t.pid) - cpu0 : NaN;
      const appCpuMs = treeCpuMs(app.child.pid) - appCpu0;
      r.proxyCpuUsPerReq = (cpuMs * 1000) / r.requests;
      r.appCpuUsPerReq = (appCpuMs * 1000) / r.requests;
      results.get(t.name).push(r);
      console.log(
        `  round ${round} ${pad(t.name, 26, true)} ${pad(fmt(r.rps), 8)} req/s  p50 ${pad(fmt(r.p50, 2), 6)} ms  p99 ${pad(fmt(r.p99, 2), 6)} ms` +
          `  proxy cpu ${pad(fmt(r.proxyCpuUsPerReq, 1), 5)} µs/req  app cpu ${pad(fmt(r.appCpuUsPerReq, 1), 5)} µs/req${r.errors ? `  errors ${r.errors}` : ""}`,
      );
    }
  }

  for (const t of targets) await stopChild(t.proc);
  for (const routerTarget of targets.filter((t) => t.name.startsWith("slipway"))) {
    const m = /router metrics (.*)/.exec(routerTarget.proc.output());
    if (m) console.log(`${routerTarget.name}'s own metrics: ${m[1]}`);
  }
  await stopChild(app);

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const summary = targets.map((t) => {
    const rs = results.get(t.name);
    return {
      name: t.name,
      rps: median(rs.map((r) => r.rps)),
      best: Math.max(...rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      cpu: median(rs.map((r) => r.proxyCpuUsPerReq)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
    };
  });
  console.log("");
  console.log(`${pad("target", 26, true)} ${pad("req/s", 8)} ${pad("best", 8)} ${pad("p50 ms", 8)} ${pad("p99 ms", 8)} ${pad("proxy µs/req", 13)} ${pad("errors", 7)}`);
  for (const s of summary) {
    console.log(
      `${pad(s.name, 26, true)} ${pad(fmt(s.rps), 8)} ${pad(fmt(s.best), 8)} ${pad(fmt(s.p50, 2), 8)} ${pad(fmt(s.p99, 2), 8)} ${pad(fmt(s.cpu, 1), 13)} ${pad(s.errors, 7)}`,
    );
  }
  console.log(`(medians of ${ROUNDS} round(s), best = highest round; proxy µs/req = CPU time of the proxy's processes per request)`);

  for (const slip of summary.filter((s) => s.name.startsWith("slipway"))) {
    for (const key of ["nginx", "nginx-auto"]) {
      const t = targets.find((x) => x.key === key);
      const n = t && summary.find((s) => s.name === t.name);
      if (!n) continue;
      const ratio = slip.rps / n.rps;
      // Same-round ratios: each pair ran minutes apart at most, so load from elsewhere cancels out more.
      const perRound = results.get(slip.name).map((r, i) => r.rps / results.get(n.name)[i].rps);
      const p99PerRound = results.get(slip.name).map((r, i) => r.p99 / results.get(n.name)[i].p99);
      const verdict = ratio >= STRETCH_RATIO ? "meets the stretch goal" : ratio >= GOAL_RATIO ? "meets the goal" : "BELOW the goal";
      const p99Ratio = median(p99PerRound);
      console.log(
        `${slip.name} / ${n.name}: ${ratio.toFixed(2)}× req/s (goal ≥ ${GOAL_RATIO}×, stretch ≥ ${STRETCH_RATIO.toFixed(1)}×: ${verdict}); ` +
          `p99 ${fmt(slip.p99, 2)} vs ${fmt(n.p99, 2)} ms (${slip.p99 <= n.p99 ? "no worse" : "WORSE"}); ` +
          `CPU per request ${(slip.cpu / n.cpu).toFixed(2)}× nginx's; per-round req/s ratios ${perRound.map((x) => x.toFixed(2)).join(", ")}, ` +
          `p99 ratios ${p99PerRound.map((x) => x.toFixed(2)).join(", ")}, median ${p99Ratio.toFixed(2)} (${p99Ratio <= 1 ? "no worse" : "WORSE"}; below 1: faster than nginx)`,
      );
    }
  }
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  })
  .finally(() => cleanupSync());
