// The "chatty" app shared by bench/logs.mjs and bench/log-viewer.mjs: a tiny Node server that prints
// log lines on demand, how to create its service, deploy it and wait for it, and an SSE reader for
// tRPC subscriptions (the deployment wait uses it; bench/logs.mjs reads the live tail with it too).
import fs from "node:fs";
import path from "node:path";
import { TextDecoder } from "node:util";
import { ROOT } from "../../scripts/next-build.mjs";
import { removeOnExit } from "./cleanup.mjs";
import { trpc } from "./console-client.mjs";

// Listens on $PORT (health: /healthz); GET /print?rate=&seconds=&bytes=&round= prints
// `r=<round> seq=<n> t=<ms since epoch> <padding>` lines, then `r=<round> done printed=<n>`.
// GET /count?round= answers that count once the round is done (empty before): the bench's way to
// know what was printed when the done line itself was among the lines the console dropped.
export const CHATTY_APP = `import http from "node:http";
const counts = new Map();
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/count") return res.end(String(counts.get(url.searchParams.get("round")) ?? ""));
  if (url.pathname !== "/print") return res.end("ok");
  const rate = url.searchParams.get("rate");
  const seconds = Number(url.searchParams.get("seconds"));
  const pad = "x".repeat(Math.max(0, Number(url.searchParams.get("bytes")) - 40));
  const round = url.searchParams.get("round");
  const end = Date.now() + seconds * 1000;
  let seq = 0;
  res.end("printing");
  // Writes to a pipe are synchronous on Linux: when the console reads slower, this loop slows too.
  const burst = (n) => {
    let out = "";
    for (let i = 0; i < n; i++) out += \`r=\${round} seq=\${seq++} t=\${Date.now()} \${pad}\\n\`;
    process.stdout.write(out);
  };
  if (rate === "max") {
    const loop = () => {
      if (Date.now() >= end) return done();
      burst(200);
      setImmediate(loop);
    };
    loop();
  } else {
    const perTick = Number(rate) / 100;
    const t0 = Date.now();
    const tick = () => {
      const now = Date.now();
      if (now >= end) return done();
      const due = Math.floor(((now - t0) / 1000) * Number(rate)) - seq;
      if (due > 0) burst(due);
      setTimeout(tick, 10);
    };
    void perTick;
    tick();
  }
  function done() {
    counts.set(round, seq);
    process.stdout.write(\`r=\${round} done printed=\${seq}\\n\`);
  }
});
server.listen(Number(process.env.PORT));
`;

/** The router's Host for the chatty service created by `createChattyService`. */
export const CHATTY_HOST = "chatty.staging.shop.bench.localhost";

/**
 * Where the benches' apps live: the console a bench starts allows it as a source root
 * (SLIPWAY_SOURCE_ROOTS). Not under .slipway/: the source policy refuses Slipway's own folders.
 */
export const CHATTY_SOURCE_ROOT = path.join(ROOT, ".slipway-bench");

/**
 * Writes the app to .slipway-bench/<folder>/app below the repository (removed on exit) and returns that path.
 * One folder per bench: two benches running at once must not remove each other's app.
 */
export function writeChattyApp(folder) {
  const appDir = path.join(CHATTY_SOURCE_ROOT, folder, "app");
  fs.mkdirSync(appDir, { recursive: true });
  removeOnExit(path.dirname(appDir));
  fs.writeFileSync(path.join(appDir, "app.mjs"), CHATTY_APP);
  fs.writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "chatty", private: true, type: "module" }));
  return appDir;
}

/** Organization "bench", project "shop", environment "staging" and the application "chatty" (one instance). */
export async function createChattyService(server, cookie, appDir) {
  const org = await trpc(server, cookie, "mutation", "organization.create", { name: "Bench", slug: "bench" });
  const project = await trpc(server, cookie, "mutation", "project.create", { orgId: org.id, name: "shop" });
  const env = await trpc(server, cookie, "mutation", "environment.create", { projectId: project.id, name: "staging", mode: "staging" });
  const service = await trpc(server, cookie, "mutation", "service.create", {
    environmentId: env.id,
    name: "chatty",
    type: "application",
    spec: { source: { path: appDir }, run: { command: "node app.mjs" }, port: 8080, healthcheck: { path: "/healthz" }, instances: { min: 1, max: 1 } },
  });
  return { org, project, env, service };
}

/** Deploys the service and waits (deployment.watch) until it is DEPLOYED; rejects on ERROR/CANCELED. */
export async function deployAndWait(server, cookie, environmentId, serviceId) {
  const deployment = await trpc(server, cookie, "mutation", "deployment.create", { environmentId, serviceId });
  await new Promise((resolve, reject) => {
    const sub = subscribe(server.port, cookie, "deployment.watch", { deploymentId: deployment.id }, (_id, v) => {
      const status = v.deployment?.status;
      if (status === "DEPLOYED") {
        sub.close();
        resolve();
      } else if (/ERROR|CANCELED/.test(status ?? "")) reject(new Error(`deployment ${status}: ${v.deployment.message}`));
    });
    sub.done.catch(reject);
  });
  return deployment;
}

/**
 * Opens a tRPC subscription over SSE and calls `onValue(id, json)` for every value (superjson's
 * `json` part, enough here). Returns { close, done } where done resolves when the stream ends.
 */
export function subscribe(port, cookie, proc, input, onValue) {
  const controller = new AbortController();
  const done = fetch(`http://127.0.0.1:${port}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
    headers: { cookie, accept: "text/event-stream" },
    signal: controller.signal,
  })
    .then(async (res) => {
      if (res.status !== 200) throw new Error(`${proc}: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id = null;
          let data = null;
          let event = null;
          for (const l of block.split("\n")) {
            if (l.startsWith("data:")) data = l.slice(5).trimStart();
            else if (l.startsWith("id:")) id = l.slice(3).trim();
            else if (l.startsWith("event:")) event = l.slice(6).trim();
          }
          if (event === "serialized-error") throw new Error(`${proc}: ${data}`);
          if (event || data === null) continue;
          onValue(id, JSON.parse(data).json);
        }
      }
    })
    .catch((err) => {
      if (err.name !== "AbortError") throw err;
    });
  return { close: () => controller.abort(), done };
}
