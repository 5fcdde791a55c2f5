import "server-only";
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { acceptsHtml, forwardResponseHeaders } from "./forward-headers";
import { noInstancePage, rawResponse, reasonPhrase, upstreamErrorPage, type ErrorPage } from "./error-page";
import type { ExchangeListener } from "./proxy-exchange";
import type { Route, Target } from "./route-table";

/**
 * An `Upgrade` request (WebSocket and others): sent to an instance like any GET (with retries on
 * connection failures), then, once the instance answers 101, the two raw sockets are piped both ways
 * until either side closes. Metrics count the handshake (status and time to 101).
 */
export class UpgradeExchange {
  private tried: Target[] | null = null;
  private target: Target | null = null;
  private proxyReq: ClientRequest | null = null;
  private upstreamSocket: Duplex | null = null;
  private answered = false;
  private closed = false;

  constructor(
    private readonly onDone: ExchangeListener,
    private readonly route: Route,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    head: Buffer,
    private readonly headers: string[],
    private readonly start: number,
  ) {
    socket.on("error", this.onClientError);
    socket.on("close", this.onClientClose);
    // Bytes the client sent after its handshake belong to the instance: they go first once piped.
    if (head.length > 0) socket.unshift(head);
    this.dispatch();
  }

  private dispatch(): void {
    if (this.closed) return;
    const route = this.route;
    const target = route.removed ? undefined : route.pick(this.tried);
    if (target === undefined) {
      const html = acceptsHtml(this.req.rawHeaders);
      this.respondPage(
        route.removed || route.targets.length === 0
          ? noInstancePage(route.info, route.hostname, html)
          : upstreamErrorPage(route.info, route.hostname, html),
      );
      return;
    }
    this.target = target;
    // Upgraded connections leave any pool, so they get their own connection.
    const proxyReq = http.request({
      host: target.host,
      port: target.port,
      method: this.req.method,
      path: this.req.url,
      headers: this.headers,
      agent: false,
    });
    this.proxyReq = proxyReq;
    proxyReq.on("upgrade", this.onUpgrade);
    proxyReq.on("response", this.onResponse);
    proxyReq.on("error", this.onProxyError);
    proxyReq.end();
  }

  private onProxyError = (): void => {
    if (this.closed || this.answered) return;
    if (this.target !== null) (this.tried ??= []).push(this.target);
    this.dispatch();
  };

  private onUpgrade = (upRes: IncomingMessage, upstream: Socket, upstreamHead: Buffer): void => {
    if (this.closed) {
      upstream.destroy();
      return;
    }
    this.answered = true;
    this.upstreamSocket = upstream;
    const status = upRes.statusCode ?? 101;
    const socket = this.socket;
    socket.write(head(status, upRes.statusMessage, forwardResponseHeaders(upRes.rawHeaders, true)), "latin1");
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    upstream.setNoDelay(true);
    upstream.on("error", this.onUpstreamError);
    upstream.on("close", this.onUpstreamClose);
    upstream.pipe(socket);
    socket.pipe(upstream);
    this.onDone(this.route, status, performance.now() - this.start, 0);
  };

  /** The instance declined the upgrade (an ordinary response): pass it on and close. */
  private onResponse = (upRes: IncomingMessage): void => {
    if (this.closed) {
      upRes.destroy();
      return;
    }
    this.answered = true;
    const status = upRes.statusCode ?? 502;
    const headers = forwardResponseHeaders(upRes.rawHeaders, false);
    headers.push("connection", "close");
    this.socket.write(head(status, upRes.statusMessage, headers), "latin1");
    let bytes = 0;
    upRes.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      this.socket.write(chunk);
    });
    upRes.on("end", () => {
      this.onDone(this.route, status, performance.now() - this.start, bytes);
      this.socket.end();
    });
    upRes.on("close", () => {
      if (!upRes.complete) this.socket.destroy();
    });
  };

  private onUpstreamError = (): void => {
    this.socket.destroy();
  };

  private onUpstreamClose = (): void => {
    this.socket.destroy();
  };

  private onClientError = (): void => {
    this.socket.destroy();
  };

  private onClientClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.upstreamSocket?.destroy();
    if (!this.answered) {
      this.proxyReq?.destroy();
      this.onDone(this.route, 499, performance.now() - this.start, 0);
    }
  };

  private respondPage(page: ErrorPage): void {
    this.answered = true;
    this.socket.end(rawResponse(page));
    this.onDone(this.route, page.status, performance.now() - this.start, page.body.length);
  }
}

/** Status line and headers, written by hand (as latin1, like Node) since the socket has left the HTTP server. */
function head(status: number, message: string | undefined, headers: string[]): string {
  let s = `HTTP/1.1 ${status} ${message || reasonPhrase(status)}\r\n`;
  for (let i = 0; i < headers.length; i += 2) s += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${s}\r\n`;
}

/** A raw response to an upgrade request that reached no service at all. */
export function rejectUpgrade(socket: Duplex, page: ErrorPage): void {
  socket.on("error", () => socket.destroy());
  socket.end(rawResponse(page));
}
