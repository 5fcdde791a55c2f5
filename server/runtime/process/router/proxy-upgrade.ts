import "server-only";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { acceptsHtml } from "./forward-headers";
import { noInstancePage, rawResponse, reasonPhrase, upstreamErrorPage, type ErrorPage } from "./error-page";
import type { ExchangeListener } from "./proxy-exchange";
import type { ResponseHead } from "./response-head";
import type { Route, Target } from "./route-table";
import type { ResponseHandler, UpstreamConnection, UpstreamError } from "./upstream-connection";
import type { ConnectionWaiter } from "./upstream-pool";

/**
 * An `Upgrade` request (WebSocket and others): sent to an instance on a connection of its own (with
 * retries on connection failures, like a GET), then, once the instance answers 101, the two raw
 * sockets are piped both ways until either side closes. Metrics count the handshake (status and
 * time to 101). An instance that declines gets its answer passed on, and the connection closed.
 */
export class UpgradeExchange implements ResponseHandler, ConnectionWaiter {
  private tried: Target[] | null = null;
  private target: Target | null = null;
  private conn: UpstreamConnection | null = null;
  private upstream: Socket | null = null;
  private answered = false;
  private closed = false;
  private status = 0;
  private bytes = 0;

  constructor(
    private readonly onDone: ExchangeListener,
    private readonly route: Route,
    /** The client's headers as sent, flat [name, value, …]. */
    private readonly rawHeaders: string[],
    private readonly socket: Duplex,
    bodyHead: Buffer,
    /** Request line and forwarded headers (Upgrade kept), without the blank line. */
    private readonly head: string,
    private readonly start: number,
  ) {
    socket.on("error", this.onClientError);
    socket.on("close", this.onClientClose);
    // Bytes the client sent after its handshake belong to the instance: they go first once piped.
    if (bodyHead.length > 0) socket.unshift(bodyHead);
    this.dispatch();
  }

  private dispatch(): void {
    if (this.closed) return;
    const route = this.route;
    const target = route.removed ? undefined : route.pick(this.tried, performance.now());
    if (target === undefined) {
      const html = acceptsHtml(this.rawHeaders);
      this.respondPage(
        route.removed || route.targets.length === 0
          ? noInstancePage(route.info, route.hostname, html)
          : upstreamErrorPage(route.info, route.hostname, html),
      );
      return;
    }
    this.target = target;
    target.endpoint.openDedicated(this);
  }

  onConnection(conn: UpstreamConnection): boolean {
    if (this.closed) return false;
    this.conn = conn;
    conn.send(this, `${this.head}\r\n`, null, false, true, false);
    return true;
  }

  onConnectError(): void {
    this.retry();
  }

  onUpstreamError(_err: UpstreamError, responseStarted: boolean): void {
    this.conn = null;
    if (this.closed) return;
    if (this.answered) {
      this.socket.destroy();
      return;
    }
    if (!responseStarted) this.retry();
    else this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, false));
  }

  private retry(): void {
    if (this.closed) return;
    if (this.target !== null) (this.tried ??= []).push(this.target);
    this.dispatch();
  }

  onUpgrade(head: ResponseHead, upstream: Socket, rest: Buffer): void {
    this.conn = null;
    if (this.closed) {
      upstream.destroy();
      return;
    }
    this.answered = true;
    this.upstream = upstream;
    const socket = this.socket;
    socket.write(statusAndHeaders(head.status, head.reason, head.headers), "latin1");
    if (rest.length > 0) socket.write(rest);
    upstream.on("error", this.onUpstreamSocketEnd);
    upstream.on("close", this.onUpstreamSocketEnd);
    upstream.pipe(socket);
    socket.pipe(upstream);
    this.onDone(this.route, head.status, performance.now() - this.start, 0);
  }

  /** The instance declined the upgrade with an ordinary response: pass it on, then close. */
  onResponseHead(head: ResponseHead, hasBody: boolean): void {
    this.answered = true;
    this.status = head.status;
    const headers: string[] = [];
    for (let i = 0; i < head.headers.length; i += 2) {
      const lower = head.headers[i].toLowerCase();
      if (lower === "connection" || lower === "keep-alive" || lower === "upgrade") continue;
      headers.push(head.headers[i], head.headers[i + 1]);
    }
    headers.push("Connection", "close");
    this.socket.write(statusAndHeaders(head.status, head.reason, headers), "latin1");
    if (!hasBody) this.onResponseEnd(null);
  }

  onResponseData(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.socket.write(chunk);
  }

  onResponseEnd(last: Buffer | null): void {
    this.conn = null;
    if (last !== null) this.bytes += last.length;
    if (!this.closed) this.onDone(this.route, this.status, performance.now() - this.start, this.bytes);
    this.closed = true;
    if (last !== null) this.socket.end(last);
    else this.socket.end();
  }

  private readonly onUpstreamSocketEnd = (): void => {
    this.socket.destroy();
  };

  private readonly onClientError = (): void => {
    this.socket.destroy();
  };

  private readonly onClientClose = (): void => {
    this.upstream?.destroy();
    this.conn?.destroy();
    this.conn = null;
    if (this.closed) return;
    this.closed = true;
    if (!this.answered) this.onDone(this.route, 499, performance.now() - this.start, 0);
  };

  private respondPage(page: ErrorPage): void {
    this.answered = true;
    this.closed = true;
    this.socket.end(rawResponse(page));
    this.onDone(this.route, page.status, performance.now() - this.start, page.body.length);
  }
}

/** Status line and headers, written by hand (as latin1, like Node) since the socket has left the HTTP server. */
function statusAndHeaders(status: number, reason: string, headers: string[]): string {
  let s = `HTTP/1.1 ${status} ${reason || reasonPhrase(status)}\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${s}\r\n`;
}

/** A raw response to an upgrade request that reached no service at all. */
export function rejectUpgrade(socket: Duplex, page: ErrorPage): void {
  socket.on("error", () => socket.destroy());
  socket.end(rawResponse(page));
}
