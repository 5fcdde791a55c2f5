import "server-only";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { UpstreamConnection, type ConnectionOwner } from "./upstream-connection";

/**
 * Keep-alive connection pools to upstream instances: one endpoint per host:port, shared by every
 * route that points there and reference-counted by them. When no route references an instance any
 * more its endpoint is retired: idle connections close at once and busy ones when their exchange
 * ends, so requests in flight to an old instance during a rollout finish normally.
 */

/** Concurrent connections to one instance; further requests wait for one to come free. */
export const MAX_CONNECTIONS_PER_UPSTREAM = 512;
/** Idle connections kept per instance. */
export const MAX_IDLE_PER_UPSTREAM = 128;
/**
 * Idle connections are not reused (and are closed) after this long, or 1 s before the timeout the
 * instance announced with `Keep-Alive: timeout=N` if shorter, so the router never sends a request
 * on a connection the instance is closing. Node's own default keepAliveTimeout is 5 s.
 */
export const IDLE_TIMEOUT_MS = 4_000;
const HINT_MARGIN_MS = 1_000;
/** After a refused connection, requests prefer the route's other instances for this long. */
export const DOWN_FOR_MS = 1_000;
/** An instance that does not accept a connection within this time counts as failed (the request moves on). */
export const CONNECT_TIMEOUT_MS = 5_000;
const SWEEP_INTERVAL_MS = 1_000;

/** Where every pooled connection's bytes land; each read is decoded (and copied where kept) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Someone waiting for a connection. Returns false when it no longer wants one (its client left). */
export interface ConnectionWaiter {
  onConnection(conn: UpstreamConnection): boolean;
  onConnectError(err: NodeJS.ErrnoException): void;
}

export class UpstreamEndpoint implements ConnectionOwner {
  retired = false;
  /** performance.now() until which new requests avoid this instance (it just refused a connection). */
  downUntil = 0;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly waiting: ConnectionWaiter[] = [];
  /** Pooled connections open or opening (upgrade connections are not counted). */
  private pooled = 0;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** Hands `waiter` an idle connection, a new one once connected, or queues it. */
  acquire(waiter: ConnectionWaiter): void {
    const idle = this.idle;
    if (idle.length > 0) {
      const now = performance.now();
      while (idle.length > 0) {
        const conn = idle.pop() as UpstreamConnection;
        if (conn.alive && now - conn.idleSince < idleLimit(conn)) {
          if (waiter.onConnection(conn)) return;
          idle.push(conn);
          return;
        }
        conn.destroy();
      }
    }
    if (this.pooled < MAX_CONNECTIONS_PER_UPSTREAM) this.open(waiter, true);
    else this.waiting.push(waiter);
  }

  /** A connection of its own, outside the pool (for an upgrade, which keeps the socket). */
  openDedicated(waiter: ConnectionWaiter): void {
    this.open(waiter, false);
  }

  private open(waiter: ConnectionWaiter, pooled: boolean): void {
    if (pooled) this.pooled++;
    let conn: UpstreamConnection | null = null;
    // Pooled connections read into one shared buffer through `onread` (no stream machinery per
    // response); upgrade connections keep 'data' events, since their socket is piped afterwards.
    const socket = pooled
      ? net.connect({
          host: this.host,
          port: this.port,
          noDelay: true,
          onread: {
            buffer: READ_BUFFER,
            callback: (bytes: number, buffer: Uint8Array) => {
              conn?.onRead(bytes, buffer as Buffer);
              return true; // pausing is explicit (UpstreamConnection.pause)
            },
          },
        })
      : net.connect({ host: this.host, port: this.port, noDelay: true });
    conn = new UpstreamConnection(socket, pooled ? this : dedicatedOwner(this), pooled);
    this.all.add(conn);
    const onConnectError = (err: NodeJS.ErrnoException) => {
      this.downUntil = performance.now() + DOWN_FOR_MS;
      waiter.onConnectError(err);
    };
    const onConnectTimeout = () => {
      const err: NodeJS.ErrnoException = new Error(`connecting to ${this.host}:${this.port} timed out`);
      err.code = "ETIMEDOUT";
      socket.destroy(err);
    };
    socket.once("error", onConnectError);
    socket.setTimeout(CONNECT_TIMEOUT_MS, onConnectTimeout);
    socket.once("connect", () => {
      socket.removeListener("error", onConnectError);
      this.downUntil = 0;
      socket.setTimeout(0);
      socket.removeListener("timeout", onConnectTimeout);
      socket.setKeepAlive(true, 1_000);
      if (!waiter.onConnection(conn)) {
        if (pooled) this.release(conn);
        else conn.destroy();
      }
    });
  }

  /** A connection finished an exchange and may carry another. */
  release(conn: UpstreamConnection): void {
    while (this.waiting.length > 0) {
      const next = this.waiting.shift() as ConnectionWaiter;
      if (next.onConnection(conn)) return;
    }
    if (this.retired || !conn.alive || this.idle.length >= MAX_IDLE_PER_UPSTREAM) {
      conn.destroy();
      return;
    }
    conn.idleSince = performance.now();
    this.idle.push(conn);
  }

  /** A connection closed or left the pool (upgraded). */
  forget(conn: UpstreamConnection): void {
    if (!this.all.delete(conn)) return;
    this.pooled--;
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    // Someone waiting for a free slot gets a new connection.
    if (this.waiting.length > 0 && this.pooled < MAX_CONNECTIONS_PER_UPSTREAM) {
      this.open(this.waiting.shift() as ConnectionWaiter, true);
    }
  }

  forgetDedicated(conn: UpstreamConnection): void {
    this.all.delete(conn);
  }

  /** Closes idle connections past their time. */
  sweep(now: number): void {
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const conn = idle[i];
      if (!conn.alive || now - conn.idleSince >= idleLimit(conn)) conn.destroy();
    }
  }

  retire(): void {
    this.retired = true;
    for (const conn of [...this.idle]) conn.destroy();
  }

  isEmpty(): boolean {
    return this.all.size === 0 && this.waiting.length === 0;
  }

  destroy(): void {
    this.retired = true;
    this.waiting.length = 0;
    for (const conn of [...this.all]) conn.destroy();
  }
}

function idleLimit(conn: UpstreamConnection): number {
  const hint = conn.hintMs;
  if (hint < 0) return IDLE_TIMEOUT_MS;
  const limit = hint - HINT_MARGIN_MS;
  return limit < IDLE_TIMEOUT_MS ? limit : IDLE_TIMEOUT_MS;
}

function dedicatedOwner(endpoint: UpstreamEndpoint): ConnectionOwner {
  return {
    release: (conn) => conn.destroy(),
    forget: (conn) => endpoint.forgetDedicated(conn),
  };
}

export function upstreamKey(host: string, port: number): string {
  return `${host}:${port}`;
}

export class UpstreamPool {
  private readonly live = new Map<string, { endpoint: UpstreamEndpoint; refs: number }>();
  /** Retired endpoints that may still carry requests in flight; pruned as they empty. */
  private readonly retired = new Set<UpstreamEndpoint>();
  private sweeper: NodeJS.Timeout | null = null;

  acquire(host: string, port: number): UpstreamEndpoint {
    const key = upstreamKey(host, port);
    const entry = this.live.get(key);
    if (entry) {
      entry.refs++;
      return entry.endpoint;
    }
    const endpoint = new UpstreamEndpoint(host, port);
    this.live.set(key, { endpoint, refs: 1 });
    if (this.sweeper === null) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
      this.sweeper.unref();
    }
    return endpoint;
  }

  release(host: string, port: number): void {
    const key = upstreamKey(host, port);
    const entry = this.live.get(key);
    if (!entry || --entry.refs > 0) return;
    this.live.delete(key);
    entry.endpoint.retire();
    if (!entry.endpoint.isEmpty()) this.retired.add(entry.endpoint);
  }

  private sweep(): void {
    const now = performance.now();
    for (const { endpoint } of this.live.values()) endpoint.sweep(now);
    for (const endpoint of this.retired) if (endpoint.isEmpty()) this.retired.delete(endpoint);
  }

  /** Closes every connection, busy or idle (router shutdown). */
  destroy(): void {
    for (const { endpoint } of this.live.values()) endpoint.destroy();
    for (const endpoint of this.retired) endpoint.destroy();
    this.live.clear();
    this.retired.clear();
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
