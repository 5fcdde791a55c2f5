import "server-only";
import fs from "node:fs";
import net, { type AddressInfo, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { describeService, noRoutePage, textPage } from "./error-page";
import { ClientConnection, type ClientHandler, type ClientRequest } from "./client-connection";
import { CLIENT_READ_BUFFER_BYTES, onreadOption, rewrapWithOnread } from "./client-socket";
import { acceptsHtml, requestHead, scan } from "./forward-headers";
import { HttpExchange, writePage, type ExchangeListener } from "./proxy-exchange";
import { rejectUpgrade, UpgradeExchange } from "./proxy-upgrade";
import { normalizeHostname, Route, RouteTable, type Target } from "./route-table";
import type { RequestHead } from "./request-head";
import { RAW_COUNTER_SLOTS, RouterMetrics, type RouterMetricsSnapshot } from "./router-metrics";
import {
  chooseDataPlane,
  loadNativePlane,
  unpackHandoffs,
  type DataPlane,
  type NativeRouterAddon,
} from "./native-plane";
import type { RouteInfo, RouteSnapshot, RouterSample, Upstream } from "./types";
import { UpstreamPool } from "./upstream-pool";

export type { RouteInfo, RouteSnapshot, RouterSample, Upstream } from "./types";
export type { DataPlane } from "./native-plane";
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
  /**
   * "native" (the default when the addon is built and the host is IPv4): the hot path runs in the
   * Rust data plane on its own thread and hands other connections here; "js": everything runs here.
   * SLIPWAY_ROUTER_DATA_PLANE sets the default.
   */
  dataPlane?: DataPlane;
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
  /** Which plane serves connections first (fixed at construction). */
  readonly dataPlane: DataPlane;
  private native: { addon: NativeRouterAddon; id: number; notify: Socket } | null = null;
  private readonly nativeCounters = new Float64Array(RAW_COUNTER_SLOTS);
  /** The last unexpected error caught on the request path (kept for debugging; never thrown). */
  lastError: unknown = null;

  constructor(opts: HttpRouterOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new Error(`router port must be a whole number from 0 to 65535, not ${opts.port}`);
    }
    this.requestedPort = opts.port;
    this.host = opts.host ?? "0.0.0.0";
    this.viaOnread = opts.clientReads !== "data";
    this.dataPlane = chooseDataPlane(opts.dataPlane, this.host);
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
    if (this.dataPlane === "native") return this.startNative();
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

  private startNative(): Promise<void> {
    const addon = loadNativePlane().addon as NativeRouterAddon;
    let id: number;
    try {
      id = addon.start(this.host, this.requestedPort);
    } catch (err) {
      this.state = "new";
      return Promise.reject(this.listenError(err as NodeJS.ErrnoException));
    }
    // Connections the plane hands over arrive with a byte on this pipe (it also keeps the process alive, as a listener would).
    const notify = new net.Socket({ fd: addon.notifyFd(id), readable: true, writable: false });
    notify.on("data", this.adoptHandoffs);
    notify.on("error", () => {});
    this.native = { addon, id, notify };
    this.boundPort = addon.port(id);
    for (const route of this.table.all()) this.pushRoute(route);
    if (this.sampleListeners.length > 0) addon.delegateAll(id, true);
    this.state = "listening";
    return Promise.resolve();
  }

  /** Connections the native plane could not serve: read on here, from the bytes it had read. */
  private readonly adoptHandoffs = (): void => {
    const native = this.native;
    if (native === null) return;
    const packed = native.addon.takeHandoffs(native.id);
    if (packed === undefined) return;
    for (const h of unpackHandoffs(packed)) {
      let conn: ClientConnection | null = null;
      let socket: Socket;
      try {
        socket = this.viaOnread
          ? new net.Socket({
              fd: h.fd,
              readable: true,
              writable: true,
              onread: onreadOption(this.readBuffer, (bytes, buf) => conn === null || conn.onRead(bytes, buf)),
            } as net.SocketConstructorOpts)
          : new net.Socket({ fd: h.fd, readable: true, writable: true });
      } catch (err) {
        // One connection lost (its descriptor closed), not the others in this batch.
        this.lastError = err;
        closeQuietly(h.fd);
        continue;
      }
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      conn = new ClientConnection(socket, this, this.viaOnread);
      if (h.prefix.length > 0) conn.receive(h.prefix);
    }
  };

  private pushRoute(route: Route): void {
    const native = this.native;
    if (native === null) return;
    const targets = route.targets.map((t) => `${t.host}:${t.port}`).join(",");
    native.addon.setRoute(native.id, route.hostname, route.info.serviceId, describeService(route.info, route.hostname), targets);
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
    const native = this.native;
    this.native = null;
    // The native plane closes its listener and connections before stop() returns; the net.Server never listened.
    native?.addon.stop(native.id);
    native?.notify.destroy();
    this.stopping = new Promise<void>((resolve) => {
      if (native !== null) resolve();
      else this.server.close(() => resolve());
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
      this.pushRoute(route);
      return;
    }
    const old = route.targets;
    route.info = { ...info };
    route.metrics = metrics;
    route.targets = targets;
    for (const t of old) this.pool.release(t.host, t.port);
    this.pushRoute(route);
  }

  removeRoute(hostname: string): void {
    const route = this.table.delete(hostname);
    if (route === undefined) return;
    if (this.native !== null) this.native.addon.removeRoute(this.native.id, route.hostname);
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
    const native = this.native;
    const raw = native !== null && native.addon.metrics(native.id, serviceId, this.nativeCounters) ? this.nativeCounters : null;
    return this.registry.snapshot(serviceId, raw);
  }

  /** Per-request hook (telemetry). Without listeners nothing is built per request. */
  on(event: "sample", listener: SampleListener): this {
    if (event === "sample") this.sampleListeners = [...this.sampleListeners, listener];
    // Per-request hooks run in JS: while any is attached, the native plane hands every connection here.
    if (this.native !== null) this.native.addon.delegateAll(this.native.id, this.sampleListeners.length > 0);
    return this;
  }

  off(event: "sample", listener: SampleListener): this {
    if (event === "sample") this.sampleListeners = this.sampleListeners.filter((l) => l !== listener);
    if (this.native !== null) this.native.addon.delegateAll(this.native.id, this.sampleListeners.length > 0);
    return this;
  }

  private readonly onConnection = (accepted: Socket): void => {
    let conn: ClientConnection | null = null;
    const rewrapped = this.viaOnread
      ? rewrapWithOnread(accepted, this.server, this.readBuffer, (bytes, buffer) => conn === null || conn.onRead(bytes, buffer))
      : null;
    const socket = rewrapped ?? accepted;
    const sockets = this.sockets;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    conn = new ClientConnection(socket, this, rewrapped !== null);
    if (rewrapped === null) accepted.resume();
  };

  onRequest(req: ClientRequest, remoteAddress: string): void {
    const start = performance.now();
    try {
      const head = requestHead(req.method, req.url, req.rawHeaders, remoteAddress, false);
      const route = this.table.lookup(scan.host);
      if (route === undefined) {
        writePage(req, noRoutePage(normalizeHostname(scan.host), acceptsHtml(req.rawHeaders)));
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
      rejectUpgrade(socket, noRoutePage(normalizeHostname(scan.host), acceptsHtml(request.raw)));
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

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}
