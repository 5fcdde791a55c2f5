// `npm start`: builds the console when there is no production build or the source changed since,
// then runs the console (scripts/console-server.mjs: Next plus the /api/trpc fast lane) on $PORT
// (default 3000) in the foreground. Plain Node, no dependencies.
//
//   PORT                      port to listen on (default 3000)
//   HOST                      address to bind (default: all addresses, Next's default)
//   SLIPWAY_DATA_DIR, DATABASE_URL, SLIPWAY_ADMIN_EMAIL, SLIPWAY_ADMIN_PASSWORD: see the README
import { buildIfStale, CONSOLE_ENV, CONSOLE_NODE_ARGS, consoleServer, exitStatus, nextEnv, ROOT, runForwardingSignals } from "./next-build.mjs";

const READY_TIMEOUT_MS = 5 * 60_000;

function parsePort(raw) {
  if (raw === undefined || raw === "") return 3000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`[slipway] PORT must be a whole number from 1 to 65535, not "${raw}"`);
    process.exit(2);
  }
  return port;
}

/** Polls /api/health until it answers 200, then prints where the console is. Stops if the server ends. */
async function announceWhenReady(port, host, isRunning) {
  const wildcard = !host || host === "0.0.0.0" || host === "::";
  const hostInUrl = (h) => (h.includes(":") ? `[${h}]` : h);
  const probe = `http://${wildcard ? "127.0.0.1" : hostInUrl(host)}:${port}/api/health`;
  const shown = process.env.AUTH_URL || process.env.NEXTAUTH_URL || `http://${wildcard ? "localhost" : hostInUrl(host)}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (isRunning() && Date.now() < deadline) {
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        const health = await res.json();
        if (isRunning()) console.log(`[slipway] console ready at ${shown} (database: ${health.db}, version ${health.version})`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (isRunning()) console.warn(`[slipway] the console did not answer ${probe} within ${READY_TIMEOUT_MS / 1000} s; still waiting on it`);
}

async function main() {
  const port = parsePort(process.env.PORT);
  const host = process.env.HOST || undefined;
  try {
    await buildIfStale();
  } catch (err) {
    console.error(`[slipway] ${err.message}`);
    process.exit(err.exitStatus ?? 1);
  }

  const args = [...CONSOLE_NODE_ARGS, consoleServer(ROOT), "-p", String(port)];
  if (host) args.push("-H", host);
  let running = true;
  const ended = runForwardingSignals(process.execPath, args, { cwd: ROOT, env: nextEnv({ ...CONSOLE_ENV, PORT: String(port) }) });
  ended.finally(() => {
    running = false;
  });
  announceWhenReady(port, host, () => running).catch(() => {});
  const result = await ended;
  if (result.signal) {
    // End the way the server ended, so a supervisor sees the same signal.
    process.kill(process.pid, result.signal);
  }
  process.exit(exitStatus(result));
}

main().catch((err) => {
  console.error(`[slipway] cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
