// Starting the built console (scripts/console-server.mjs) and talking to it over HTTP: health, sign-in, tRPC.
import { spawn } from "node:child_process";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { URLSearchParams } from "node:url";
import superjson from "superjson";
import { CONSOLE_ENV, CONSOLE_NODE_ARGS, consoleServer, ROOT } from "../../scripts/next-build.mjs";
import { trackGroup, untrackGroup } from "./cleanup.mjs";
import { freePort, killGroup, sleep } from "./processes.mjs";

/** Variables of this shell that would point the console somewhere else than the bench wants. */
const INHERITED_OFF = ["DATABASE_URL", "AUTH_SECRET", "AUTH_URL", "NEXTAUTH_URL", "SLIPWAY_ENGINE"];

/**
 * Spawns the console server in its own process group with `env` on top of this process's environment
 * (SLIPWAY_NEXT_DIST is inherited: the server runs the build the bench checked) and waits for the
 * first 200 from /api/health; `onPoll(pid)` runs before each poll (e.g. to sample memory);
 * `nodeArgs` go to Node itself (e.g. --cpu-prof).
 * Returns the server with `startMs` (spawn → first 200) and `health` (its JSON).
 */
export async function startConsole({ env: extra, timeoutMs = 120_000, onPoll, nodeArgs = [] } = {}) {
  const port = await freePort();
  const env = { ...process.env };
  for (const k of INHERITED_OFF) delete env[k];
  Object.assign(env, CONSOLE_ENV, { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", PORT: String(port) }, extra);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CONSOLE_NODE_ARGS, ...nodeArgs, consoleServer(ROOT), "-H", "127.0.0.1", "-p", String(port)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  trackGroup(child.pid);
  let output = "";
  const collect = (b) => {
    output += b;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let exitInfo = null;
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    }),
  );
  const server = {
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exitInfo: () => exitInfo,
    exited,
    /** SIGTERM to the group, SIGKILL after `graceMs`; waits until the console process has ended. */
    async stop(graceMs = 15_000) {
      if (!exitInfo) {
        killGroup(child.pid, "SIGTERM");
        const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(child.pid, "SIGKILL"); // anything left in its group
      untrackGroup(child.pid);
      return exitInfo;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitInfo) throw new Error(`the console exited (${JSON.stringify(exitInfo)}) before it was healthy:\n${output}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`the console was not healthy within ${timeoutMs / 1000} s:\n${output}`);
    }
    onPoll?.(child.pid);
    const res = await request(server, "GET", "/api/health", { timeoutMs: 30_000, agent: false }).catch(() => null);
    if (res?.status === 200) {
      server.startMs = performance.now() - t0;
      server.health = JSON.parse(res.body);
      return server;
    }
    await sleep(20);
  }
}

// node:http with keep-alive: lighter on the CPU the server shares than fetch.
export const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One HTTP request. A keep-alive socket the server closed while idle (Node's 5 s keepAliveTimeout)
 * fails at once, before the server read anything: that case alone is sent again, on a new connection.
 */
export async function request(server, method, pathAndQuery, opts = {}) {
  try {
    return await requestOnce(server, method, pathAndQuery, opts);
  } catch (err) {
    if (!err.reusedSocket || (err.code !== "ECONNRESET" && err.message !== "socket hang up")) throw err;
    return requestOnce(server, method, pathAndQuery, { ...opts, agent: false });
  }
}

function requestOnce(server, method, pathAndQuery, { headers = {}, body, timeoutMs = 30_000, agent = keepAlive } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, method, path: pathAndQuery, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathAndQuery} timed out`)));
    req.on("error", (err) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function setCookies(res) {
  const jar = new Map();
  for (const line of res.headers["set-cookie"] ?? []) {
    const [pair] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

/** Signs in like the sign-in form; returns the Cookie header carrying the session. */
export async function signIn(server, { email, password }) {
  const csrf = await request(server, "GET", "/api/auth/csrf");
  const { csrfToken } = JSON.parse(csrf.body);
  const jar = setCookies(csrf);
  const form = new URLSearchParams({ csrfToken, email, password, callbackUrl: `${server.url}/` }).toString();
  const res = await request(server, "POST", "/api/auth/callback/credentials", {
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": Buffer.byteLength(form),
      cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
    },
    body: form,
  });
  const session = [...setCookies(res)].find(([k]) => k.endsWith("authjs.session-token"));
  if (!session) throw new Error(`sign-in failed: HTTP ${res.status} → ${res.headers.location}`);
  return `${session[0]}=${session[1]}`;
}

/** `auth`: a Cookie header (string), `{ cookie }` or `{ token }` (an API token, sent as Bearer). */
export function authHeaders(auth) {
  if (typeof auth === "string") return { cookie: auth };
  return auth.cookie ? { cookie: auth.cookie } : { authorization: `Bearer ${auth.token}` };
}

/** The GET path of a tRPC query or subscription (superjson wire format). */
export function trpcPath(proc, input) {
  return `/api/trpc/${proc}` + (input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`);
}

/** tRPC over HTTP, superjson both ways (Dates come back as Dates). */
export async function trpc(server, auth, kind, proc, input) {
  const headers = authHeaders(auth);
  let res;
  if (kind === "query") res = await request(server, "GET", trpcPath(proc, input), { headers });
  else {
    const wire = JSON.stringify(superjson.serialize(input));
    res = await request(server, "POST", `/api/trpc/${proc}`, {
      headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(wire) },
      body: wire,
    });
  }
  let parsed;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    throw new Error(`${proc}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  }
  if (res.status !== 200) throw new Error(`${proc}: HTTP ${res.status} ${parsed?.error?.json?.message ?? res.body.slice(0, 200)}`);
  return superjson.deserialize(parsed.result.data);
}
