import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { acceptsHtml } from "./forward-headers";
import { noInstancePage, upstreamErrorPage, type ErrorPage } from "./error-page";
import type { ResponseHead } from "./response-head";
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

/** Bodies up to this size are sent with the head as one string (see onResponseEnd). */
const SMALL_BODY = 4 * 1024;

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
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Request line and forwarded headers, without framing headers or the blank line. */
    private readonly head: string,
    private readonly start: number,
    private readonly contentLength: number,
    private readonly chunked: boolean,
  ) {
    res.on("close", this.onClientClose);
    if (chunked) this.mode = BODY_BUFFERED;
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
          req.pause();
          req.removeListener("data", onData);
          req.removeListener("end", onEnd);
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
      req.on("data", onData);
      req.on("end", onEnd);
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
    if (mode === BODY_NONE) framing = this.contentLength === 0 ? "Content-Length: 0\r\n\r\n" : "\r\n";
    else if (mode === BODY_BUFFERED) framing = `Content-Length: ${(this.body as Buffer).length}\r\n\r\n`;
    else framing = this.chunked ? "Transfer-Encoding: chunked\r\n\r\n" : `Content-Length: ${this.contentLength}\r\n\r\n`;
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
    const chunked = this.chunked;
    const pending = this.chunks;
    this.chunks = null;
    if (pending !== null) for (const chunk of pending) conn.writeBody(chunk, chunked);
    const req = this.req;
    const resume = () => req.resume();
    req.on("data", (chunk: Buffer) => {
      if (this.conn !== conn) return;
      if (!conn.writeBody(chunk, chunked)) {
        req.pause();
        conn.socket.once("drain", resume);
      }
    });
    req.on("end", () => {
      if (this.conn === conn) conn.endBody(chunked);
    });
    req.resume();
  }

  onResponseHead(head: ResponseHead): void {
    this.answered = true;
    try {
      this.res.writeHead(head.status, head.reason === "" ? undefined : head.reason, head.headers);
    } catch {
      // Headers Node refuses to send (invalid characters): the instance's response is unusable.
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
    if (!this.res.write(chunk) && !this.closed) {
      this.conn?.pause();
      if (!this.drainHooked) {
        this.drainHooked = true;
        this.res.on("drain", () => this.conn?.resume());
      }
    }
  }

  onResponseEnd(last: Buffer | null): void {
    this.conn = null;
    if (last === null) {
      this.res.end();
    } else if (this.bytes === 0 && last.length <= SMALL_BODY) {
      // A whole small body: as a latin1 string (byte for byte) Node sends it in one write together
      // with the head, instead of a two-buffer writev.
      this.bytes = last.length;
      this.res.end(last.toString("latin1"), "latin1");
    } else {
      this.bytes += last.length;
      this.res.end(last);
    }
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
      this.res.destroy();
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
    if (!this.res.writableFinished) {
      status = this.truncated ? 502 : CLIENT_CLOSED_STATUS;
      const conn = this.conn;
      this.conn = null;
      // Mid-exchange: the connection cannot be reused; closing it aborts the request upstream.
      conn?.destroy();
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
