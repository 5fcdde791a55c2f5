/**
 * Runs the built console (scripts/console-server.mjs) as a real child process for process-level tests: start on a
 * free port with its own data folder, wait until /api/health answers, sign in over HTTP, call tRPC,
 * kill it (its whole process group) and wait for it to be gone.
 *
 * bench/console.mjs carries a plain-JS twin of this code (it cannot import TypeScript).
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";
import { CONSOLE_ENV, CONSOLE_NODE_ARGS, consoleServer } from "../../scripts/next-build.mjs";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
/** next.config.mjs honours SLIPWAY_NEXT_DIST (a second build beside the first); the server inherits it. */
export const BUILD_ID_FILE = path.join(path.resolve(REPO_ROOT, process.env.SLIPWAY_NEXT_DIST || ".next"), "BUILD_ID");

/** Fails with instructions when there is no production build to start. */
export function assertBuilt(): void {
  if (!fs.existsSync(BUILD_ID_FILE)) {
    throw new Error(
      `no production build: ${path.relative(REPO_ROOT, BUILD_ID_FILE)} is missing. ` +
        "The process tests start the built console (scripts/console-server.mjs); run `npm run build` first.",
    );
  }
}

/** A port nobody listens on right now (the kernel picks it; released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** A new empty folder under the OS temp dir, and a function that removes it. */
export function makeTempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type ServerExit = { code: number | null; signal: NodeJS.Signals | null };

export type ServerHandle = {
  url: string;
  port: number;
  pid: number;
  /** Everything the server wrote to stdout and stderr so far. */
  output: () => string;
  /** How it ended, or null while it runs. */
  exitInfo: () => ServerExit | null;
  /** Resolves when the process has ended. */
  exited: Promise<ServerExit>;
  /** Sends `signal` to the server's whole process group and waits until the server is gone. */
  kill: (signal?: NodeJS.Signals) => Promise<ServerExit>;
  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. Safe to call twice. */
  stop: (graceMs?: number) => Promise<ServerExit>;
};

export type ServerOptions = {
  /** SLIPWAY_DATA_DIR (PGlite data, generated AUTH_SECRET). */
  dataDir: string;
  /** DATABASE_URL; PGlite when absent. */
  databaseUrl?: string;
  port?: number;
  /** Extra environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** stdout and stderr appended to this file instead of piped to the test (`output()` is then empty). */
  outputFile?: string;
};

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the process group the server leads (spawned detached), children included.
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the test process ends without cleaning up (crash, timeout), take the servers with it.
  process.once("exit", () => {
    for (const child of live) killGroup(child, "SIGKILL");
  });
}

/** Environment for the server: the parent's, without anything that would change which database it opens. */
function serverEnv(opts: ServerOptions, port: number, routerPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["DATABASE_URL", "AUTH_SECRET", "AUTH_URL", "NEXTAUTH_URL", "SLIPWAY_ADMIN_EMAIL", "SLIPWAY_ADMIN_PASSWORD"]) delete env[k];
  Object.assign(env, CONSOLE_ENV, {
    // vitest sets NODE_ENV=test; the console is production.
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    SLIPWAY_DATA_DIR: opts.dataDir,
    // Each test server gets its own router port and work folder: several may run at once.
    SLIPWAY_ROUTER_PORT: String(routerPort),
    SLIPWAY_WORK_DIR: `${opts.dataDir}-work`,
  });
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the built console (scripts/console-server.mjs) on 127.0.0.1 without waiting for it to be ready. */
export async function spawnServer(opts: ServerOptions): Promise<ServerHandle> {
  assertBuilt();
  installExitHook();
  const port = opts.port ?? (await freePort());
  const outFd = opts.outputFile ? fs.openSync(opts.outputFile, "a") : null;
  const child = spawn(process.execPath, [...CONSOLE_NODE_ARGS, consoleServer(REPO_ROOT), "-H", "127.0.0.1", "-p", String(port)], {
    cwd: REPO_ROOT,
    env: serverEnv(opts, port, await freePort()),
    stdio: outFd === null ? ["ignore", "pipe", "pipe"] : ["ignore", outFd, outFd],
    // Its own process group, so that a kill reaches anything it spawns.
    detached: true,
  });
  // The child has its own copy of the descriptor.
  if (outFd !== null) fs.closeSync(outFd);
  if (child.pid === undefined) throw new Error("could not spawn the console server");
  const pid = child.pid;
  live.add(child);
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  let info: ServerExit | null = null;
  const exited = new Promise<ServerExit>((resolve) => {
    child.once("exit", (code, signal) => {
      info = { code, signal };
      live.delete(child);
      // Anything left in its group (there should be nothing) goes too.
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // group empty
      }
      resolve(info);
    });
  });

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (!info) killGroup(child, signal);
    return exited;
  };
  const stop = async (graceMs = 10_000) => {
    if (info) return info;
    killGroup(child, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    const first = await Promise.race([exited, forced.then(() => null)]);
    clearTimeout(timer);
    return first ?? kill("SIGKILL");
  };
  return { url: `http://127.0.0.1:${port}`, port, pid, output: () => out, exitInfo: () => info, exited, kill, stop };
}

export type Health = { status: string; db: "pglite" | "postgres"; version: string };

/**
 * Polls /api/health until it answers 200. Fails (with the server's output) if the server exits or the
 * deadline passes first.
 */
export async function waitForHealth(server: ServerHandle, timeoutMs = 90_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const ended = server.exitInfo();
    if (ended) throw new Error(`the server exited (${JSON.stringify(ended)}) before it was healthy; its output:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return (await res.json()) as Health;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    // Wait for the next poll, or for the server to end, whichever comes first.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([server.exited, new Promise<void>((r) => (timer = setTimeout(r, 100)))]);
    clearTimeout(timer);
  }
  throw new Error(`the server did not become healthy within ${timeoutMs} ms (last: ${last}); its output:\n${server.output()}`);
}

/** Starts the server and waits until it is healthy; stops it again if it never gets there. */
export async function startServer(opts: ServerOptions, timeoutMs?: number): Promise<ServerHandle & { health: Health }> {
  const server = await spawnServer(opts);
  try {
    const health = await waitForHealth(server, timeoutMs);
    return { ...server, health };
  } catch (err) {
    await server.kill("SIGKILL");
    throw err;
  }
}

/** Waits for the server to exit on its own; fails if it is still running after `timeoutMs`. */
export async function waitForExit(server: ServerHandle, timeoutMs: number): Promise<ServerExit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  const result = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);
  if (!result) {
    const out = server.output();
    await server.kill("SIGKILL");
    throw new Error(`the server was still running after ${timeoutMs} ms; its output:\n${out}`);
  }
  return result;
}

function cookiePairs(res: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

/**
 * Signs in through next-auth's credentials callback, as a browser form would, and returns the
 * `Cookie` header value carrying the session.
 */
export async function signIn(baseUrl: string, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  if (!csrfRes.ok) throw new Error(`GET /api/auth/csrf answered ${csrfRes.status}`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = cookiePairs(csrfRes);
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(jar) },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${baseUrl}/` }),
  });
  for (const [k, v] of cookiePairs(res)) jar.set(k, v);
  const session = [...jar.keys()].find((k) => k.endsWith("authjs.session-token"));
  if (!session) {
    throw new Error(`sign-in as ${email} failed: HTTP ${res.status}, location ${res.headers.get("location") ?? "(none)"}`);
  }
  return `${session}=${jar.get(session)}`;
}

export type Credentials = { cookie: string } | { token: string };

/** A typed tRPC client over HTTP, authenticated by a session cookie or an API token. */
export function trpcClient(baseUrl: string, auth: Credentials) {
  const headers: Record<string, string> = "cookie" in auth ? { cookie: auth.cookie } : { authorization: `Bearer ${auth.token}` };
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers })],
  });
}

export type ScratchDatabase = { name: string; url: string; drop: () => Promise<void> };

/** A new, empty PostgreSQL database next to `adminUrl`'s; `drop()` removes it (and its connections). */
export async function createScratchDatabase(adminUrl: string, prefix = "slipway_proc"): Promise<ScratchDatabase> {
  const { Client } = await import("pg");
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
