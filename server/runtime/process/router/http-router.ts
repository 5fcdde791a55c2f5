import "server-only";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { noRoutePage } from "./error-page";
import { acceptsHtml, requestHead, scan } from "./forward-headers";
import { HttpExchange, writePage, type ExchangeListener } from "./proxy-exchange";
import { rejectUpgrade, UpgradeExchange } from "./proxy-upgrade";
import { normalizeHostname, Route, RouteTable, type Target } from "./route-table";
import { RouterMetrics, type RouterMetricsSnapshot } from "./router-metrics";
import type { RouteInfo, RouteSnapshot, RouterSample, Upstream } from "./types";
import { UpstreamPool } from "./upstream-pool";

export type { RouteInfo, RouteSnapshot, RouterSample, Upstream } from "./types";
export { latencyPercentile, LATENCY_BUCKETS_MS, type RouterMetricsSnapshot } from "./router-metrics";

export type HttpRouterOptions = {
  /** 0 picks a free port; read it from `router.port` after start(). */
  port: number;
  /** Default 0.0.0.0. */
  host?: string;
};

export type SampleListener = (sample: RouterSample) => void;

/** Idle keep-alive connections from clients are closed after this long. */
const CLIENT_KEEP_ALIVE_MS = 30_000;
const DEFAULT_UPSTREAM_HOST = "127.0.0.1";

/**
 * The process runtime's ingress: one HTTP listener that routes by Host header to a service's
 * instances (see docs/architecture.md, "Router"). Hostnames are matched without port and case.
 */
export class HttpRouter {
  private readonly server: http.Server;
  private readonly requestedPort: number;
  private readonly host: string;
  private boundPort = -1;
  private state: "new" | "starting" | "listening" | "stopped" = "new";
  private stopping: Promise<void> | null = null;
  private readonly table = new RouteTable();
  private readonly pool = new UpstreamPool();
  private readonly registry = new RouterMetrics();
  private readonly upgraded = new Set<Duplex>();
  private sampleListeners: readonly SampleListener[] = [];
  /** The last unexpected error caught on the request path (kept for debugging; never thrown). */
  lastError: unknown = null;

  constructor(opts: HttpRouterOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new Error(`router port must be a whole number from 0 to 65535, not ${opts.port}`);
    }
    this.requestedPort = opts.port;
    this.host = opts.host ?? "0.0.0.0";
    this.server = http.createServer({ noDelay: true, keepAlive: true }, this.onRequest);
    this.server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
    this.server.on("upgrade", this.onUpgrade);
  }

  /** The port listened on (the real one once started, also when 0 was asked for). */
  get port(): number {
    return this.boundPort >= 0 ? this.boundPort : this.requestedPort;
  }

  start(): Promise<void> {
    if (this.state !== "new") return Promise.reject(new Error(`the router cannot start: it is ${this.state}`));
    this.state = "starting";
    const server = this.server;
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.removeListener("listening", onListening);
        this.state = "new";
        const where = `${this.host}:${this.requestedPort}`;
        const why =
          err.code === "EADDRINUSE"
            ? `port ${this.requestedPort} is already in use (another router or program listens there)`
            : err.code === "EACCES"
              ? `permission denied for port ${this.requestedPort}`
              : err.message;
        reject(new Error(`Slipway router could not listen on ${where}: ${why}`, { cause: err }));
      };
      const onListening = () => {
        server.removeListener("error", onError);
        // Errors after listening (e.g. EMFILE on accept) must not crash the process.
        server.on("error", () => {});
        this.boundPort = (server.address() as AddressInfo).port;
        this.state = "listening";
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(this.requestedPort, this.host);
    });
  }

  /** Stops listening and closes every client connection, WebSocket and upstream connection. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state !== "listening") {
      this.state = "stopped";
      this.pool.destroy();
      this.stopping = Promise.resolve();
      return this.stopping;
    }
    this.state = "stopped";
    this.stopping = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.upgraded) socket.destroy();
      this.pool.destroy();
    });
    return this.stopping;
  }

  /**
   * Routes `hostname` to `upstreams`, replacing any previous set in one step: requests already sent
   * to an old instance finish there, new requests (and retries) use the new set. An empty set makes
   * the hostname answer 503.
   */
  setRoute(hostname: string, upstreams: Upstream[], info: RouteInfo): void {
    const key = normalizeHostname(hostname);
    if (key === "") throw new Error("a route needs a hostname");
    for (const u of upstreams) {
      if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535) {
        throw new Error(`upstream ${u.id} of ${key}: port must be 1–65535, not ${u.port}`);
      }
    }
    // Acquire the new agents before releasing the old ones, so instances in both sets keep their pool.
    const targets: readonly Target[] = Object.freeze(
      upstreams.map((u) => {
        const host = u.host ?? DEFAULT_UPSTREAM_HOST;
        return { upstream: { ...u }, host, port: u.port, endpoint: this.pool.acquire(host, u.port) };
      }),
    );
    const metrics = this.registry.for(info.serviceId);
    let route = this.table.get(key);
    if (route === undefined) {
      route = new Route(key, { ...info }, metrics);
      route.targets = targets;
      this.table.add(route);
      return;
    }
    const old = route.targets;
    route.info = { ...info };
    route.metrics = metrics;
    route.targets = targets;
    for (const t of old) this.pool.release(t.host, t.port);
  }

  removeRoute(hostname: string): void {
    const route = this.table.delete(hostname);
    if (route === undefined) return;
    route.removed = true;
    const old = route.targets;
    route.targets = [];
    for (const t of old) this.pool.release(t.host, t.port);
  }

  routes(): RouteSnapshot[] {
    return this.table.all().map((r) => r.snapshot());
  }

  /** Cumulative counters of one service (zeros when it never had traffic). */
  metrics(serviceId: string): RouterMetricsSnapshot {
    return this.registry.snapshot(serviceId);
  }

  /** Per-request hook (telemetry). Without listeners nothing is built per request. */
  on(event: "sample", listener: SampleListener): this {
    if (event === "sample") this.sampleListeners = [...this.sampleListeners, listener];
    return this;
  }

  off(event: "sample", listener: SampleListener): this {
    if (event === "sample") this.sampleListeners = this.sampleListeners.filter((l) => l !== listener);
    return this;
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    try {
      const head = requestHead(req.method ?? "GET", req.url ?? "/", req.rawHeaders, remoteAddress(req.socket), false);
      const route = this.table.lookup(scan.host);
      if (route === undefined) {
        writePage(res, noRoutePage(normalizeHostname(scan.host), acceptsHtml(req.rawHeaders)));
        return;
      }
      new HttpExchange(this.finish, route, req, res, head, start, scan.contentLength, scan.chunked);
    } catch (err) {
      // A router bug must cost one request, not the console process.
      this.lastError = err;
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("500 Slipway router error\n");
      } else {
        res.destroy();
      }
    }
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const start = performance.now();
    const headers = requestHead(req.method ?? "GET", req.url ?? "/", req.rawHeaders, remoteAddress(req.socket), true);
    const route = this.table.lookup(scan.host);
    if (route === undefined) {
      rejectUpgrade(socket, noRoutePage(normalizeHostname(scan.host), acceptsHtml(req.rawHeaders)));
      return;
    }
    const upgraded = this.upgraded;
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    new UpgradeExchange(this.finish, route, req, socket, head, headers, start);
  };

  private readonly finish: ExchangeListener = (route, status, durationMs, bytes) => {
    route.metrics.record(status, durationMs, bytes);
    const listeners = this.sampleListeners;
    if (listeners.length === 0) return;
    const sample: RouterSample = { serviceId: route.info.serviceId, status, durationMs, at: Date.now() };
    for (const listener of listeners) {
      try {
        listener(sample);
      } catch {
        // A telemetry listener's bug must not break proxying.
      }
    }
  };
}

function remoteAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
