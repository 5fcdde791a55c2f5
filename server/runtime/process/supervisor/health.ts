import "server-only";
import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Readiness: an instance with a health-check path is ready when GET path answers 2xx, one with only a
 * port when the port accepts a TCP connection, a worker without a port when it stayed alive long enough.
 * Every wait has a deadline and says why it gave up.
 */

export type HealthResult = { ok: true; ms: number } | { ok: false; reason: "timeout" | "exited" | "aborted"; detail: string };

/** `cut`: gave up only because the overall deadline left it too little time. */
type Probe = { ok: boolean; detail: string; cut?: boolean };

const PROBE_TIMEOUT_MS = 2_000;

function probeHttp(port: number, path: string, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 300, detail: `GET ${path} answered ${status}` });
    });
    let timedOut = false;
    req.on("timeout", () => {
      timedOut = true;
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, detail: `GET ${path} failed: ${err.code ?? err.message}`, cut: timedOut && timeoutMs < PROBE_TIMEOUT_MS }),
    );
  });
}

function probeTcp(port: number, timeoutMs: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let timedOut = false;
    socket.setTimeout(timeoutMs, () => {
      timedOut = true;
      socket.destroy(new Error(`no connection within ${timeoutMs} ms`));
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ ok: true, detail: `port ${port} accepts connections` });
    });
    socket.once("error", (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, detail: `connect to port ${port} failed: ${err.code ?? err.message}`, cut: timedOut && timeoutMs < PROBE_TIMEOUT_MS }),
    );
  });
}

async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
}

export async function waitForHealthy(opts: {
  port: number;
  path?: string | null;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  isAlive: () => boolean;
}): Promise<HealthResult> {
  const started = performance.now();
  const interval = opts.intervalMs ?? 100;
  let last = "not checked yet";
  let checked = 0;
  for (;;) {
    if (opts.signal?.aborted) return { ok: false, reason: "aborted", detail: `stopped waiting (last check: ${last})` };
    if (!opts.isAlive()) return { ok: false, reason: "exited", detail: `exited before it was healthy (last check: ${last})` };
    const remaining = opts.timeoutMs - (performance.now() - started);
    if (remaining <= 0) return { ok: false, reason: "timeout", detail: `not healthy after ${opts.timeoutMs} ms (last check: ${last})` };
    const budget = Math.max(1, Math.min(PROBE_TIMEOUT_MS, Math.ceil(remaining)));
    const probe = opts.path ? await probeHttp(opts.port, opts.path.startsWith("/") ? opts.path : `/${opts.path}`, budget) : await probeTcp(opts.port, budget);
    // "Last check" is the last one that could finish: a probe cut short by the deadline says nothing new.
    if (!probe.cut || checked === 0) last = probe.detail;
    checked += 1;
    // A success only counts while our process lives: someone else may be answering on that port.
    if (probe.ok && opts.isAlive()) return { ok: true, ms: Math.round(performance.now() - started) };
    await pause(Math.min(interval, Math.max(0, opts.timeoutMs - (performance.now() - started))), opts.signal);
  }
}

/** For workers without a port: ready once the process stayed alive for `ms`. */
export async function waitForStable(opts: { ms: number; isAlive: () => boolean; signal?: AbortSignal; intervalMs?: number }): Promise<HealthResult> {
  const started = performance.now();
  const interval = opts.intervalMs ?? Math.max(10, Math.min(100, opts.ms));
  for (;;) {
    if (opts.signal?.aborted) return { ok: false, reason: "aborted", detail: "stopped waiting" };
    const elapsed = performance.now() - started;
    if (!opts.isAlive()) return { ok: false, reason: "exited", detail: `exited after ${Math.round(elapsed)} ms, before ${opts.ms} ms of stable running` };
    if (elapsed >= opts.ms) return { ok: true, ms: Math.round(elapsed) };
    await pause(Math.min(interval, opts.ms - elapsed), opts.signal);
  }
}
