import "server-only";
import net, { type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { noRoutePage, startingPage, textPage } from "./error-page";
import { ClientConnection, type ClientHandler, type ClientRequest } from "./client-connection";
import { CLIENT_READ_BUFFER_BYTES, peerAddress, rewrapWithOnread } from "./client-socket";
import { acceptsHtml, requestHead, scan } from "./forward-headers";
import { HttpExchange, writePage, type ExchangeListener } from "./proxy-exchange";
import { rejectUpgrade, UpgradeExchange } from "./proxy-upgrade";
import { normalizeHostname, Route, RouteTable, type Target } from "./route-table";
import type { RequestHead } from "./request-head";
import { routerLimitsFromEnv } from "./router-limits";
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
  /**
   * How client connections are read: "onread" (default, one shared buffer) or "data" events, the
   * fallback used when an accepted handle cannot be moved (tests run both).
   */
  clientReads?: "onread" | "data";
  /** How long a connection may take to deliver a whole request head (default SLIPWAY_ROUTER_HEAD_TIMEOUT_MS, 10 s). */
  headTimeoutMs?: number;
  /** Open connections allowed per peer address (default SLIPWAY_ROUTER_MAX_CONNECTIONS_PER_CLIENT, 256). */
  maxConnectionsPerClient?: number;
};

/** What the router refused or cut to bound its clients, since it started. */
export type ConnectionStats = {
  /** Client connections open now (upgraded ones included). */
  open: number;
  /** Connections closed at accept: their peer address already had its limit. */
  refusedOverLimit: number;
  /** Connections cut because no whole request head arrived before the head deadline. */
  headTimeouts: number;
};

export type SampleListener = (sample: RouterSample) => void;

const DEFAULT_UPSTREAM_HOST = "127.0.0.1";

/**
 * The process runtime's ingress: one HTTP listener that routes by Host header to a service's
 * instances (see docs/architecture.md, "Router"). Hostnames are matched without port and case.
 */
export class HttpRouter implements ClientHandler {
  private readonly server: net.Server;
  private readonly requestedPort: number;
  private readonly host: string;
  private boundPort = -1;
  private state: "new" | "starting" | "listening" | "stopped" = "new";
  private stopping: Promise<void> | null = null;
  private readonly table = new RouteTable();
  private readonly pool = new UpstreamPool();
  private readonly registry = new RouterMetrics();
  /** Every open client connection (upgraded ones too), so stop() can close them. */
  private readonly sockets = new Set<Socket>();
  /** Every client connection reads into this one buffer (reads are handled one at a time). */
  private readonly readBuffer = Buffer.alloc(CLIENT_READ_BUFFER_BYTES);
  private readonly viaOnread: boolean;
  private sampleListeners: readonly SampleListener[] = [];
  private readonly headTimeoutMs: number;
  private readonly maxPerClient: number;
  /** Open connections per peer address (an entry goes when its count reaches 0). */
  private readonly perClient = new Map<string, number>();
  /** Connections whose reader is ours (not upgraded): the head deadline's sweep walks these. */
  private readonly readers = new Set<ClientConnection>();
  private sweeper: NodeJS.Timeout | null = null;
  private refusedOverLimit = 0;
  private headTimeouts = 0;
  /**
   * False until the runtime's owner says the routes of a restart are back (markReady): until then
   * a hostname without a route may be one still being restored, so it gets 503, not 404.
   */
  private ready = false;
  /** The last unexpected error caught on the request path (kept for debugging; never thrown). */
  lastError: unknown = null;

  constructor(opts: HttpRouterOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new Error(`router port must be a whole number from 0 to 65535, not ${opts.port}`);
    }
    this.requestedPort = opts.port;
    this.host = opts.host ?? "0.0.0.0";
    this.viaOnread = opts.clientReads !== "data";
    const limits = routerLimitsFromEnv();
    this.headTimeoutMs = opts.headTimeoutMs ?? limits.headTimeoutMs;
    this.maxPerClient = opts.maxConnectionsPerClient ?? limits.maxConnectionsPerClient;
    if (!Number.isFinite(this.headTimeoutMs) || this.headTimeoutMs <= 0) throw new Error(`the router's head timeout must be a positive number of ms, not ${this.headTimeoutMs}`);
    if (!Number.isInteger(this.maxPerClient) || this.maxPerClient < 1) throw new Error(`the router's connection limit per client must be a whole number ≥ 1, not ${this.maxPerClient}`);
    // Paused on accept: the connection's handle moves into a socket that reads through `onread`.
    this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, this.onConnection);
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
        reject(this.listenError(err));
      };
      const onListening = () => {
        server.removeListener("error", onError);
        // Errors after listening (e.g. EMFILE on accept) must not crash the process.
        server.on("error", () => {});
        this.boundPort = (server.address() as AddressInfo).port;
        this.state = "listening";
        // A connection is cut between its deadline and one sweep later (at most 1 s, a quarter of short deadlines).
        this.sweeper = setInterval(this.sweep, Math.min(1_000, Math.max(25, this.headTimeoutMs / 4)));
        this.sweeper.unref();
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(this.requestedPort, this.host);
    });
  }

  private listenError(err: NodeJS.ErrnoException): Error {
    const where = `${this.host}:${this.requestedPort}`;
    const why =
      err.code === "EADDRINUSE"
        ? `port ${this.requestedPort} is already in use (another router or program listens there)`
        : err.code === "EACCES"
          ? `permission denied for port ${this.requestedPort}`
          : err.message;
    return new Error(`Slipway router could not listen on ${where}: ${why}`, { cause: err });
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
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    this.stopping = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
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

  /**
   * The routes of a restart are restored (or restoring them is over, failed or not): hostnames
   * without a route now get 404 instead of 503 "starting".
   */
  markReady(): void {
    this.ready = true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  connectionStats(): ConnectionStats {
    return { open: this.sockets.size, refusedOverLimit: this.refusedOverLimit, headTimeouts: this.headTimeouts };
  }

  /** Open client connections from one peer address. */
  connectionsFrom(address: string): number {
    return this.perClient.get(address) ?? 0;
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

  private readonly onConnection = (accepted: Socket): void => {
    // Read before the handle moves: the rewrapped socket asks its own handle.
    const address = peerAddress(accepted);
    const perClient = this.perClient;
    const count = (perClient.get(address) ?? 0) + 1;
    if (count > this.maxPerClient) {
      // Nothing was read: one client cannot take the descriptors every other client needs.
      this.refusedOverLimit++;
      accepted.destroy();
      return;
    }
    perClient.set(address, count);
    let conn: ClientConnection | null = null;
    const rewrapped = this.viaOnread
      ? rewrapWithOnread(accepted, this.server, this.readBuffer, (bytes, buffer) => conn === null || conn.onRead(bytes, buffer))
      : null;
    const socket = rewrapped ?? accepted;
    const sockets = this.sockets;
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      const left = (perClient.get(address) ?? 1) - 1;
      if (left > 0) perClient.set(address, left);
      else perClient.delete(address);
    });
    conn = new ClientConnection(socket, this, address, rewrapped !== null);
    this.readers.add(conn);
    if (rewrapped === null) accepted.resume();
  };

  onDetach(conn: ClientConnection): void {
    this.readers.delete(conn);
  }

  /** Cuts connections that did not deliver a request head in time (see ClientConnection.expire). */
  private readonly sweep = (): void => {
    const deadline = performance.now() - this.headTimeoutMs;
    for (const conn of this.readers) {
      if (conn.since <= deadline && conn.expire(deadline)) this.headTimeouts++;
    }
  };

  onRequest(req: ClientRequest, remoteAddress: string): void {
    const start = performance.now();
    try {
      const head = requestHead(req.method, req.url, req.rawHeaders, remoteAddress, false);
      const route = this.table.lookup(scan.host);
      if (route === undefined) {
        const wantsHtml = acceptsHtml(req.rawHeaders);
        writePage(req, this.ready ? noRoutePage(normalizeHostname(scan.host), wantsHtml) : startingPage(wantsHtml));
        return;
      }
      new HttpExchange(this.finish, route, req, head, start);
    } catch (err) {
      // A router bug must cost one request, not the console process.
      this.lastError = err;
      if (!req.headersSent) {
        writePage(req, textPage(500, "500 Slipway router error\n"));
      } else {
        req.destroy();
      }
    }
  }

  onUpgrade(socket: Duplex, request: RequestHead, remoteAddress: string, rest: Buffer): void {
    const start = performance.now();
    const headers = requestHead(request.method, request.url, request.raw, remoteAddress, true);
    const route = this.table.lookup(scan.host);
    if (route === undefined) {
      const wantsHtml = acceptsHtml(request.raw);
      rejectUpgrade(socket, this.ready ? noRoutePage(normalizeHostname(scan.host), wantsHtml) : startingPage(wantsHtml));
      return;
    }
    new UpgradeExchange(this.finish, route, request.raw, socket, rest, headers, start);
  }

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
