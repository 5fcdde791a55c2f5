import "server-only";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { acceptsHtml } from "./forward-headers";
import { noInstancePage, upstreamErrorPage, type ErrorPage } from "./error-page";
import type { ResponseHead } from "./response-head";
import type { ClientRequest } from "./client-connection";
import type { Route, Target } from "./route-table";
import type { ResponseHandler, UpstreamConnection, UpstreamError } from "./upstream-connection";
import type { ConnectionWaiter } from "./upstream-pool";

/**
 * One proxied HTTP request: pick an instance, send the request, stream the response back, retry on
 * another instance when the connection fails before any response byte and the request can be
 * replayed, and report the outcome once. Its methods are the connection's callbacks, so a request
 * costs one object and one closure (the client 'close' listener), plus more only for bodies.
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

export class HttpExchange implements ResponseHandler, ConnectionWaiter {
  private target: Target | null = null;
  private tried: Target[] | null = null;
  private conn: UpstreamConnection | null = null;
  private mode: number;
  private chunks: Buffer[] | null = null;
  private buffered = 0;
  private body: Buffer | null = null;
  /** Body bytes started flowing to the instance: no retry from here on. */
  private streaming = false;
  /** The instance's response head arrived (and was passed on). */
  private answered = false;
  private status = 0;
  private bytes = 0;
  private truncated = false;
  private closed = false;
  private drainHooked = false;

  constructor(
    private readonly onDone: ExchangeListener,
    private readonly route: Route,
    /** The client's request, and its response. */
    private readonly req: ClientRequest,
    /** Request line and forwarded headers, without framing headers or the blank line. */
    private readonly head: string,
    private readonly start: number,
  ) {
    req.onClose = this.onClientClose;
    const contentLength = req.contentLength;
    if (req.chunked) this.mode = BODY_BUFFERED;
    else if (contentLength > MAX_BUFFERED_BODY) this.mode = BODY_STREAMED;
    else if (contentLength > 0) this.mode = BODY_BUFFERED;
    else this.mode = BODY_NONE;

    if (this.mode === BODY_BUFFERED) {
      this.chunks = [];
      const onData = (chunk: Buffer) => {
        const chunks = this.chunks;
        if (chunks === null) return;
        chunks.push(chunk);
        this.buffered += chunk.length;
        if (this.buffered > MAX_BUFFERED_BODY) {
          // A chunked body larger than we keep for retries: stream it, starting with what we have.
          req.pauseBody();
          this.mode = BODY_STREAMED;
          this.dispatch();
        }
      };
      const onEnd = () => {
        const chunks = this.chunks;
        if (chunks === null) return;
        this.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.buffered);
        this.chunks = null;
        this.dispatch();
      };
      req.readBody(onData, onEnd);
    } else {
      this.dispatch();
    }
  }

  private dispatch(): void {
    if (this.closed) return;
    const route = this.route;
    const target = route.removed ? undefined : route.pick(this.tried, performance.now());
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
    target.endpoint.acquire(this);
  }

  onConnection(conn: UpstreamConnection): boolean {
    if (this.closed) return false;
    this.conn = conn;
    const mode = this.mode;
    let framing: string;
    const req = this.req;
    if (mode === BODY_NONE) framing = req.contentLength === 0 ? "Content-Length: 0\r\n\r\n" : "\r\n";
    else if (mode === BODY_BUFFERED) framing = `Content-Length: ${(this.body as Buffer).length}\r\n\r\n`;
    else framing = req.chunked ? "Transfer-Encoding: chunked\r\n\r\n" : `Content-Length: ${req.contentLength}\r\n\r\n`;
    conn.send(this, this.head + framing, this.body, this.req.method === "HEAD", false, mode === BODY_STREAMED);
    if (mode === BODY_STREAMED) this.streamBody(conn);
    return true;
  }

  onConnectError(err: NodeJS.ErrnoException): void {
    // Nothing reached the instance: always safe to try another.
    this.retryOrFail(err.code ?? "ECONNREFUSED", true);
  }

  /** Streamed bodies start flowing once a connection is ready, so a refused connection can still be retried. */
  private streamBody(conn: UpstreamConnection): void {
    this.streaming = true;
    const req = this.req;
    const chunked = req.chunked;
    const pending = this.chunks;
    this.chunks = null;
    if (pending !== null) for (const chunk of pending) conn.writeBody(chunk, chunked);
    const resume = () => req.resumeBody();
    req.readBody(
      (chunk: Buffer) => {
        if (this.conn !== conn) return;
        if (!conn.writeBody(chunk, chunked)) {
          req.pauseBody();
          conn.socket.once("drain", resume);
        }
      },
      () => {
        if (this.conn === conn) conn.endBody(chunked);
      },
    );
  }

  onResponseHead(head: ResponseHead): void {
    this.answered = true;
    try {
      this.req.writeHead(head.status, head.reason, head.headers);
    } catch {
      // Headers that may not be sent (invalid characters): the instance's response is unusable.
      this.answered = false;
      this.conn?.destroy();
      this.conn = null;
      this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, false));
      return;
    }
    this.status = head.status;
  }

  onResponseData(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (!this.req.write(chunk) && !this.closed) {
      this.conn?.pause();
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.req.onDrain = () => this.conn?.resume();
      }
    }
  }

  onResponseEnd(last: Buffer | null): void {
    this.conn = null;
    if (last !== null) this.bytes += last.length;
    this.req.end(last);
  }

  onUpgrade(_head: ResponseHead, socket: Socket): void {
    // Never asked for on this path (the connection only accepts 101 for upgrade requests).
    socket.destroy();
    this.conn = null;
    this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, false));
  }

  onUpstreamError(err: UpstreamError, responseStarted: boolean, reused: boolean): void {
    this.conn = null;
    if (this.closed) return;
    if (this.answered) {
      // The instance dropped the connection mid-response: the client must not take it as complete.
      this.truncated = true;
      this.req.destroy();
      return;
    }
    // A request may be sent again if the instance cannot have acted on it: never on a response byte
    // or once the body streamed; for non-idempotent methods only on a reused keep-alive connection
    // (closed by the instance while idle, the request never read).
    const replayable = !responseStarted && !this.streaming && (reused || IDEMPOTENT.has(this.req.method ?? ""));
    this.retryOrFail(err.code, replayable);
  }

  private retryOrFail(_code: string, replayable: boolean): void {
    if (this.closed) return;
    if (replayable && this.target !== null) {
      (this.tried ??= []).push(this.target);
      this.dispatch();
      return;
    }
    this.respondPage(upstreamErrorPage(this.route.info, this.route.hostname, acceptsHtml(this.req.rawHeaders)));
  }

  private readonly onClientClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    let status = this.status;
    if (!this.req.finished) {
      status = this.truncated ? 502 : CLIENT_CLOSED_STATUS;
      const conn = this.conn;
      this.conn = null;
      // Mid-exchange: the connection cannot be reused; closing it aborts the request upstream.
      conn?.destroy();
    }
    this.onDone(this.route, status, performance.now() - this.start, this.bytes);
  };

  private respondPage(page: ErrorPage): void {
    const req = this.req;
    if (req.headersSent) {
      req.destroy();
      return;
    }
    this.status = page.status;
    writePage(req, page);
  }
}

export function writePage(req: ClientRequest, page: ErrorPage): void {
  const flat: string[] = [];
  for (const [name, value] of page.headers) flat.push(name, value);
  flat.push("content-length", String(page.body.length));
  req.writeHead(page.status, "", flat);
  req.end(page.body);
}
