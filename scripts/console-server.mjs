// The console's HTTP server: Next.js (a custom server, as Next documents it) with one fast lane.
//
//   node scripts/console-server.mjs [-H host] [-p port]     (defaults: all addresses, $PORT or 3000)
//
// Requests to /api/trpc/ go straight to the tRPC handler the console registers while it boots
// (server/api/node-handler.ts, via instrumentation.ts); everything else goes to Next. Why: Next's
// request pipeline costs about 1–1.5 ms of CPU per request before a route runs, more than most
// API calls themselves, and Node serves every request on one thread. The handler is the same
// router, context and auth as app/api/trpc (which still serves until boot has registered it).
// Every request's client address is normalized from its socket before either sees it
// (server/http/client-address-hook.ts), and bodies are bounded (server/http/body-limits.ts).
import http from "node:http";
import next from "next";
import { guardConsoleOutput } from "./console-output-guard.mjs";

const FAST_LANE = Symbol.for("slipway.trpcNodeHandler");
// Registered by boot (server/http/request-gate.ts): refuses a body over the limit before Next reads it.
const REQUEST_GATE = Symbol.for("slipway.requestGate");
const TRPC_PREFIX = "/api/trpc/";

function parseArgs(argv) {
  const out = { host: process.env.HOST || undefined, port: process.env.PORT ? Number(process.env.PORT) : 3000 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "-H" || argv[i] === "--hostname") out.host = argv[++i];
    else if (argv[i] === "-p" || argv[i] === "--port") out.port = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: console-server.mjs [-H host] [-p port])`);
  }
  if (!Number.isInteger(out.port) || out.port < 1 || out.port > 65535) throw new Error(`the port must be a whole number from 1 to 65535, not "${out.port}"`);
  return out;
}

async function main() {
  // First: a full disk under the console's own log must not turn every log call into an exception.
  guardConsoleOutput();
  const { host, port } = parseArgs(process.argv.slice(2));
  process.env.NODE_ENV = "production";
  // malloc read these at start-up (CONSOLE_ENV in next-build.mjs); builds and apps must not inherit them.
  delete process.env.MALLOC_TRIM_THRESHOLD_;
  delete process.env.MALLOC_MMAP_THRESHOLD_;
  const app = next({ dev: false, dir: process.cwd(), hostname: host ?? "localhost", port });
  const handle = app.getRequestHandler();
  // Runs instrumentation.ts (database, migrations, engine) before the first request is accepted.
  await app.prepare();
  const server = http.createServer((req, res) => {
    const fast = globalThis[FAST_LANE];
    if (fast && req.url?.startsWith(TRPC_PREFIX)) return fast(req, res);
    if (globalThis[REQUEST_GATE]?.(req, res)) return;
    handle(req, res);
  });
  // As `next start` does: longer than common proxies' idle timeouts, so they never reuse a closed socket.
  server.keepAliveTimeout = 5_000;
  // As `next start`: exit (running exit hooks, e.g. --cpu-prof) with 128 + the signal's number.
  process.once("SIGTERM", () => process.exit(143));
  process.once("SIGINT", () => process.exit(130));
  server.listen(port, host, () => {
    const a = server.address();
    console.log(`[slipway] listening on http://${typeof a === "object" && a ? `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}` : port}`);
  });
}

main().catch((err) => {
  console.error(`[slipway] cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
