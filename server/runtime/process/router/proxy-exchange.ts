import "server-only";
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { acceptsHtml, forwardResponseHeaders, responseScan } from "./forward-headers";
import { noInstancePage, upstreamErrorPage, type ErrorPage } from "./error-page";
import type { Route, Target } from "./route-table";
import { KEEP_ALIVE_HINT, type HintedSocket } from "./upstream-pool";

/**
 * One proxied HTTP request: pick an instance, send the request, stream the response back, retry on
 * another instance when the connection fails before any response byte and the request can be
 * replayed, and report the outcome once.
 */

/** Request bodies up to this size are read fully before sending, so they can be sent again on a retry. */
export const MAX_BUFFERED_BODY = 64 * 1024;

/** Status recorded when the client went away before the response ended (as nginx logs it). */
export const CLIENT_CLOSED_STATUS = 499;

/** Receives the outcome of each exchange (metrics, telemetry hook). */
export type ExchangeListener = (route: Route, status: number, durationMs: number, bytes: number) => void;

const BODY_NONE = 0;
const BODY_BUFFERED = 1;
const BODY_STREAMED = 2;

/** Methods that are safe to send again even if the instance might have seen them (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export class HttpExchange {
  private target: Target | null = null;
  private tried: Target[] | null = null;
  private proxyReq: ClientRequest | null = null;
  private upRes: IncomingMessage | null = null;
  private mode: number;
  private chunks: Buffer[] | null = null;
  private buffered = 0;
  private body: Buffer | null = null;
  /** Body bytes started flowing to the instance: no retry from here on. */
  private streaming = false;
  private status = 0;
  private bytes = 0;
  private truncated = false;
  private closed = false;
  private waitingDrain = false;

  constructor(
    private readonly onDone: ExchangeListener,
    private readonly route: Route,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly headers: string[],
    private readonly start: number,
    contentLength: number,
    chunked: boolean,
  ) {
    res.on("close", this.onClientClose);
    if (chunked) this.mode = BODY_BUFFERED;
    else if (contentLength > MAX_BUFFERED_BODY) this.mode = BODY_STREAMED;
    else if (contentLength > 0) this.mode = BODY_BUFFERED;
    else this.mode = BODY_NONE;

    if (this.mode === BODY_BUFFERED) {
      this.chunks = [];
      req.on("data", this.onBodyData);
      req.on("end", this.onBodyEnd);
    } else {
      this.dispatch();
    }
  }

  private onBodyData = (chunk: Buffer): void => {
    const chunks = this.chunks;
    if (chunks === null) return;
    chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > MAX_BUFFERED_BODY) {
      // A chunked body larger than we keep for retries: stream it, starting with what we have.
      this.req.pause();
      this.req.removeListener("data", this.onBodyData);
      this.req.removeListener("end", this.onBodyEnd);
      this.mode = BODY_STREAMED;
      this.dispatch();
    }
  };

  private onBodyEnd = (): void => {
    const chunks = this.chunks;
    if (chunks === null) return;
    this.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.buffered);
    this.chunks = null;
    this.dispatch();
  };

  private dispatch(): void {
    if (this.closed) return;
    const route = this.route;
    const target = route.removed ? undefined : route.pick(this.tried);
    if (target === undefined) {
      this.respondPage(
        route.removed || route.targets.length === 0
          ? noInstancePage(route.info, route.hostname, acceptsHtml(this.req.rawHeaders))
          : upstreamErrorPage(route.info, route.hostname, acceptsHtml(this.req.rawHeaders)),
      );
      return;
    }
    this.target = target;
    const req = this.req;
    const proxyReq = http.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: this.headers,
      agent: target.agent,
    });
    this.proxyReq = proxyReq;
    proxyReq.on("response", this.onResponse);
    proxyReq.on("error", this.onProxyError);
    if (this.mode === BODY_NONE) proxyReq.end();
    else if (this.mode === BODY_BUFFERED) proxyReq.end(this.body);
    else proxyReq.on("socket", this.onProxySocket);
  }

  /** Streamed bodies start flowing once the instance accepted the connection, so a refused connection can still be retried. */
  private onProxySocket = (socket: Socket): void => {
    if (socket.connecting) socket.once("connect", this.startStreaming);
    else this.startStreaming();
  };

  private startStreaming = (): void => {
    const proxyReq = this.proxyReq;
    if (this.closed || proxyReq === null || proxyReq.destroyed || this.streaming) return;
    this.streaming = true;
    const pending = this.chunks;
    this.chunks = null;
    if (pending !== null) for (const chunk of pending) proxyReq.write(chunk);
    this.req.pipe(proxyReq);
  };

  private onProxyError = (err: NodeJS.ErrnoException): void => {
    // After the response started, a failure shows as an incomplete response (onUpstreamClose).
    if (this.closed || this.upRes !== null) return;
    const proxyReq = this.proxyReq;
    const retryable =
      !this.streaming && (IDEMPOTENT.has(this.req.method ?? "") || err.code === "ECONNREFUSED" || proxyReq?.reusedSocket === true);
    if (retryable && this.target !== null) {
      (this.tried ??= []).push(this.target);
      this.dispatch();
      return;
    }
    this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, acceptsHtml(this.req.rawHeaders)));
  };

  private onResponse = (upRes: IncomingMessage): void => {
    if (this.closed) {
      upRes.destroy();
      return;
    }
    this.upRes = upRes;
    const headers = forwardResponseHeaders(upRes.rawHeaders, false);
    if (responseScan.keepAliveMs >= 0) (upRes.socket as HintedSocket)[KEEP_ALIVE_HINT] = responseScan.keepAliveMs;
    const status = upRes.statusCode ?? 502;
    try {
      this.res.writeHead(status, upRes.statusMessage, headers);
    } catch {
      // Headers Node refuses to send (invalid characters): the instance's response is unusable.
      upRes.destroy();
      this.upRes = null;
      this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, false));
      return;
    }
    this.status = status;
    upRes.on("data", this.onUpstreamData);
    upRes.on("end", this.onUpstreamEnd);
    upRes.on("close", this.onUpstreamClose);
  };

  private onUpstreamData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    if (!this.res.write(chunk) && !this.closed) {
      this.upRes?.pause();
      if (!this.waitingDrain) {
        this.waitingDrain = true;
        this.res.on("drain", this.onClientDrain);
      }
    }
  };

  private onClientDrain = (): void => {
    this.upRes?.resume();
  };

  private onUpstreamEnd = (): void => {
    this.res.end();
  };

  private onUpstreamClose = (): void => {
    const upRes = this.upRes;
    if (upRes !== null && !upRes.complete && !this.closed) {
      // The instance dropped the connection mid-response: the client must not take it as complete.
      this.truncated = true;
      this.res.destroy();
    }
  };

  private onClientClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    const res = this.res;
    let status = this.status;
    if (!res.writableFinished) {
      status = this.truncated ? 502 : CLIENT_CLOSED_STATUS;
      const proxyReq = this.proxyReq;
      if (proxyReq !== null && !proxyReq.destroyed) proxyReq.destroy();
      this.upRes?.destroy();
    }
    this.onDone(this.route, status, performance.now() - this.start, this.bytes);
  };

  private respondPage(page: ErrorPage): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.status = page.status;
    writePage(res, page);
  }
}

export function writePage(res: ServerResponse, page: ErrorPage): void {
  const flat: string[] = [];
  for (const [name, value] of page.headers) flat.push(name, value);
  flat.push("content-length", String(page.body.length));
  res.writeHead(page.status, flat);
  res.end(page.body);
}
