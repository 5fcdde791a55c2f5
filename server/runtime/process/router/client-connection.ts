import "server-only";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { CHUNKED_ERROR, CHUNKED_MORE, ChunkedDecoder } from "./chunked-decoder";
import { rawResponse, reasonPhrase, textPage } from "./error-page";
import { MAX_REQUEST_HEAD, parseRequestHead, type RequestHead } from "./request-head";
import { UpgradedClient } from "./upgraded-client";

/**
 * The client side of the router: one accepted TCP connection, read as a sequence of HTTP/1.x
 * requests, each handed to the router as a ClientRequest whose response is written straight to the
 * socket. This replaces node:http's server (IncomingMessage/ServerResponse streams per request),
 * which cost the router about twice nginx's CPU per proxied request. One request is served at a
 * time; pipelined requests wait in the buffer. Bytes arrive through `onRead` (a socket made with
 * `onread`, see client-socket.ts) or, as a fallback, through 'data'.
 */

export interface ClientHandler {
  onRequest(req: ClientRequest, remoteAddress: string): void;
  /** The connection leaves this object: the handler owns it (with `rest`, bytes after the head). */
  onUpgrade(socket: Duplex, head: RequestHead, remoteAddress: string, rest: Buffer): void;
  /** This object is done with the connection (it closed, or left with an upgrade): no more sweeps. */
  onDetach(conn: ClientConnection): void;
}

/** Pipelined bytes kept while a response is in progress; beyond this the socket stops being read. */
const MAX_PIPELINED = 64 * 1024;
/** Bodies up to this size are sent with the head as one latin1 string (one write, no writev). */
const SMALL_BODY = 4 * 1024;

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_BODY_CHUNKED = 2;
/** The request was read whole; its response is in progress. */
const S_WAIT = 3;
const S_CLOSED = 4;

const EMPTY = Buffer.alloc(0);
const LF = 10;
const CR = 13;
const LF_CRLF = Buffer.from("\n\r\n");
const LF_LF = Buffer.from("\n\n");

export class ClientConnection {
  private state = S_HEAD;
  /**
   * When the connection started waiting for a request head (accepted, or its previous response
   * ended), or when it was ended: the router's sweep closes it once this is older than its deadline.
   */
  since = performance.now();
  private buf: Buffer = EMPTY;
  private req: ClientRequest | null = null;
  private remaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private paused = false;
  private scheduled = false;
  /** `buf` is a view of the shared read buffer (while parsing in onRead): whatever is kept is copied. */
  private inShared = false;
  /** After an upgrade on an `onread` socket: where its bytes go. */
  private upgraded: UpgradedClient | null = null;

  constructor(
    readonly socket: Socket,
    private readonly handler: ClientHandler,
    /** The socket's peer address (IPv4-mapped IPv6 addresses as plain IPv4). */
    private readonly remoteAddress: string,
    /** The socket reads through `onread` and calls onRead; otherwise its 'data' events are used. */
    private readonly viaOnread = false,
  ) {
    socket.setNoDelay(true);
    if (!viaOnread) socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  /** `onread` callback: `bytes` bytes in the shared read buffer, valid only during this call. */
  onRead(bytes: number, shared: Buffer): boolean {
    const upgraded = this.upgraded;
    if (upgraded !== null) return upgraded.feed(shared.subarray(0, bytes));
    if (this.state === S_HEAD && this.buf.length === 0) {
      // The usual case, a whole request head in one read: parsed in place, nothing copied.
      this.buf = shared.subarray(0, bytes);
      this.inShared = true;
      try {
        this.parse();
      } finally {
        this.inShared = false;
      }
      // A partial head or pipelined bytes stay for later: they must not point into the shared buffer.
      if (this.buf.length > 0 && this.buf.buffer === shared.buffer) this.buf = Buffer.from(this.buf);
      return true;
    }
    this.onData(Buffer.from(shared.subarray(0, bytes)));
    return true; // pausing is explicit (pause())
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === S_HEAD) {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    } else if (this.state === S_BODY_LENGTH || this.state === S_BODY_CHUNKED) {
      this.body(chunk, 0);
    } else if (this.state === S_WAIT) {
      // Pipelined: kept until the current response is done.
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      if (this.buf.length > MAX_PIPELINED) this.pause();
    }
  };

  /** Reads request heads from `buf` while it holds complete ones. */
  private parse(): void {
    while (this.state === S_HEAD && this.buf.length > 0) {
      let buf = this.buf;
      // Empty lines before a request line are ignored (RFC 9112 §2.2).
      let start = 0;
      for (;;) {
        if (buf[start] === LF) start += 1;
        else if (buf[start] === CR && start + 1 < buf.length && buf[start + 1] === LF) start += 2;
        else break;
      }
      // The head ends at its first empty line, CRLF or a bare LF (RFC 9112 §2.2): `lf` is the LF of
      // the line before it. "\n\r\n" also finds the usual "\r\n\r\n"; "\n\n" is looked for in the head
      // text below (searching the buffer would scan any body bytes behind the head).
      let lf = start < buf.length ? buf.indexOf(LF_CRLF, start) : -1;
      if (lf === -1 && start < buf.length) lf = buf.indexOf(LF_LF, start);
      if (lf === -1) {
        if (buf.length - start > MAX_REQUEST_HEAD) this.refuse(431, "request header fields too large");
        else if (start > 0) this.buf = buf.subarray(start);
        return;
      }
      let end = buf[lf - 1] === CR ? lf - 1 : lf;
      if (end - start > MAX_REQUEST_HEAD) return this.refuse(431, "request header fields too large");
      let text = buf.toString("latin1", start, end);
      // A bare-LF empty line before the one found ends the head there ("x\n\n\r\n": at the text's last LF).
      let bare = text.indexOf("\n\n");
      if (bare === -1 && text.charCodeAt(text.length - 1) === LF) bare = text.length - 1;
      if (bare !== -1) {
        lf = start + bare;
        end = buf[lf - 1] === CR ? lf - 1 : lf;
        text = text.slice(0, end - start);
      }
      const parsed = parseRequestHead(text);
      buf = buf.subarray(buf[lf + 1] === LF ? lf + 2 : lf + 3);
      this.buf = EMPTY;
      if ("error" in parsed) return this.refuse(parsed.error, parsed.message);
      if (parsed.upgrade || parsed.method === "CONNECT") {
        if (parsed.method === "CONNECT") return this.refuse(405, "CONNECT is not supported");
        this.state = S_CLOSED;
        this.detach();
        const rest = this.inShared ? Buffer.from(buf) : buf;
        if (!this.viaOnread) {
          this.handler.onUpgrade(this.socket, parsed, this.remoteAddress, rest);
        } else {
          // An `onread` socket emits no 'data': its bytes are fed to a stream the exchange can pipe.
          this.upgraded = new UpgradedClient(this.socket);
          this.handler.onUpgrade(this.upgraded, parsed, this.remoteAddress, rest);
        }
        return;
      }
      const req = new ClientRequest(this, parsed);
      this.req = req;
      if (parsed.chunked) {
        this.state = S_BODY_CHUNKED;
        this.decoder = new ChunkedDecoder((chunk) => req.deliver(chunk));
      } else if (parsed.contentLength > 0) {
        this.state = S_BODY_LENGTH;
        this.remaining = parsed.contentLength;
      } else {
        this.state = S_WAIT;
        req.bodyDone = true;
      }
      const withBody = this.state !== S_WAIT;
      if (parsed.expectContinue && withBody) this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
      // The response may be complete when this returns (error pages are written synchronously).
      this.handler.onRequest(req, this.remoteAddress);
      if (!withBody || this.state === S_CLOSED) {
        if (buf.length > 0 && this.state !== S_CLOSED) this.buf = this.buf.length === 0 ? buf : Buffer.concat([this.buf, buf]);
      } else if (buf.length > 0) {
        // Body bytes are handed on (buffered for a retry, or queued in a socket write): never the shared buffer.
        this.body(this.inShared ? Buffer.from(buf) : buf, 0);
      }
      if (this.state === S_WAIT && this.buf.length > MAX_PIPELINED) this.pause();
    }
  }

  private body(chunk: Buffer, start: number): void {
    const req = this.req as ClientRequest;
    let rest: Buffer | null = null;
    if (this.state === S_BODY_LENGTH) {
      const available = chunk.length - start;
      if (available <= this.remaining) {
        this.remaining -= available;
        req.deliver(start === 0 ? chunk : chunk.subarray(start));
      } else {
        req.deliver(chunk.subarray(start, start + this.remaining));
        rest = chunk.subarray(start + this.remaining);
        this.remaining = 0;
      }
      if (this.remaining > 0) return;
    } else {
      const at = (this.decoder as ChunkedDecoder).feed(chunk, start);
      if (at === CHUNKED_MORE) return;
      if (at === CHUNKED_ERROR) {
        req.keepAlive = false;
        req.abortBody();
        if (!req.headersSent) return this.refuse(400, "malformed chunked body");
        this.socket.destroy();
        return;
      }
      this.decoder = null;
      if (at < chunk.length) rest = chunk.subarray(at);
    }
    // The body is complete.
    this.state = S_WAIT;
    if (rest !== null) this.buf = this.buf.length === 0 ? rest : Buffer.concat([this.buf, rest]);
    req.endBody();
    // Answered before its body ended: the body was read to its end only to find the next request.
    if (req.finished && this.req === req) this.next();
  }

  /** The response to `req` was written whole. */
  finished(req: ClientRequest): void {
    if (this.req !== req) return;
    if (!req.keepAlive) {
      this.state = S_CLOSED;
      this.req = null;
      this.since = performance.now();
      this.socket.end();
      return;
    }
    // Answered before its body arrived: the rest of the body is read and dropped (closing now could
    // reset the connection before the client read the answer), then the next request follows.
    if (this.state === S_BODY_LENGTH || this.state === S_BODY_CHUNKED) {
      this.resume();
      return;
    }
    this.next();
  }

  private next(): void {
    this.req = null;
    this.state = S_HEAD;
    this.since = performance.now();
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.buf.length > 0 && !this.scheduled) {
      // Not inside the previous response's call stack: a run of pipelined requests answered
      // synchronously (error pages) would otherwise recurse.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.state === S_HEAD) this.parse();
      });
    }
  }

  pause(): void {
    if (this.paused || this.state === S_CLOSED) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused || this.state === S_CLOSED) return;
    if (this.state === S_WAIT && this.buf.length > MAX_PIPELINED) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Answers a request that cannot be served and closes the connection (as Node's server does). */
  private refuse(status: number, message: string): void {
    this.state = S_CLOSED;
    this.buf = EMPTY;
    this.since = performance.now();
    this.socket.end(rawResponse(textPage(status, `${status} ${reasonPhrase(status)}: ${message}\n`)));
  }

  /**
   * The router's sweep, `deadline` being the oldest `since` allowed. A connection still waiting for a
   * whole request head past it is cut: 408 when part of a head arrived, silently when it sat idle
   * (new or kept alive). One ended by us that its client keeps open is destroyed. Returns whether it
   * was cut for a late head.
   */
  expire(deadline: number): boolean {
    if (this.since > deadline) return false;
    if (this.state === S_CLOSED) {
      this.socket.destroy();
      return false;
    }
    if (this.state !== S_HEAD) return false;
    const partial = this.buf.length > 0;
    this.state = S_CLOSED;
    this.buf = EMPTY;
    if (partial) {
      this.socket.end(rawResponse(textPage(408, "408 Request Timeout: the request head did not arrive in time\n")));
      // The descriptor is freed once the answer is written, whether or not the client closes its side.
      this.socket.destroySoon();
    } else {
      this.socket.destroy();
    }
    return true;
  }

  private detach(): void {
    const s = this.socket;
    // Paused, so bytes arriving before the new owner pipes the socket wait instead of being dropped.
    s.pause();
    s.removeListener("data", this.onData);
    s.removeListener("drain", this.onDrain);
    s.removeListener("error", this.onError);
    s.removeListener("close", this.onClose);
    this.handler.onDetach(this);
  }

  private readonly onDrain = (): void => {
    this.req?.drained();
  };

  private readonly onError = (): void => {
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.state = S_CLOSED;
    this.buf = EMPTY;
    this.handler.onDetach(this);
    const req = this.req;
    this.req = null;
    req?.closed();
  };
}

/**
 * One request on a ClientConnection and its response. Body bytes are pushed to `onData`/`onEnd`
 * once `readBody` is called (queued until then); the response is written with writeHead, write
 * and end. `onClose` runs exactly once: when the response was written whole (`finished`), or when
 * the connection went away before.
 */
export class ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly contentLength: number;
  readonly chunked: boolean;
  keepAlive: boolean;
  headersSent = false;
  finished = false;
  bodyDone = false;
  private readonly minor: number;
  private done = false;
  private pendingHead: string | null = null;
  private chunkedOut = false;
  private noBody = false;
  private queued: Buffer[] | null = null;
  private bodyEnded = false;
  private flowing = false;
  private onData: ((chunk: Buffer) => void) | null = null;
  private onEnd: (() => void) | null = null;
  /** Runs when the socket can take more after write returned false. */
  onDrain: (() => void) | null = null;
  onClose: (() => void) | null = null;

  constructor(
    private readonly conn: ClientConnection,
    head: RequestHead,
  ) {
    this.method = head.method;
    this.url = head.url;
    this.rawHeaders = head.raw;
    this.contentLength = head.contentLength;
    this.chunked = head.chunked;
    this.keepAlive = head.keepAlive;
    this.minor = head.minor;
  }

  // --- request body ---

  /** Starts (or redirects) the flow of body bytes. */
  readBody(onData: (chunk: Buffer) => void, onEnd: () => void): void {
    this.onData = onData;
    this.onEnd = onEnd;
    this.resumeBody();
  }

  /** Holds the flow: bytes are queued (and the socket paused) until resumeBody or readBody. */
  pauseBody(): void {
    this.flowing = false;
    if (!this.bodyDone) this.conn.pause();
  }

  resumeBody(): void {
    if (this.done) return;
    this.flowing = true;
    const queued = this.queued;
    while (queued !== null && queued.length > 0 && this.flowing && this.onData !== null) this.onData(queued.shift() as Buffer);
    if (!this.flowing) return;
    if (this.bodyEnded && (queued === null || queued.length === 0)) {
      this.bodyEnded = false;
      const onEnd = this.onEnd;
      this.onEnd = null;
      onEnd?.();
      return;
    }
    if (!this.bodyDone) this.conn.resume();
  }

  /** @internal */
  deliver(chunk: Buffer): void {
    if (this.done) return;
    const onData = this.onData;
    if (this.flowing && onData !== null && (this.queued === null || this.queued.length === 0)) onData(chunk);
    else {
      (this.queued ??= []).push(chunk);
      this.conn.pause();
    }
  }

  /** @internal */
  endBody(): void {
    this.bodyDone = true;
    if (this.done) return;
    const onEnd = this.onEnd;
    if (this.flowing && onEnd !== null && (this.queued === null || this.queued.length === 0)) {
      this.onEnd = null;
      onEnd();
    } else {
      this.bodyEnded = true;
    }
  }

  /** @internal A malformed body: nothing more comes. */
  abortBody(): void {
    this.flowing = false;
    this.onData = null;
    this.onEnd = null;
  }

  // --- response ---

  /**
   * Prepares the status line and headers (sent with the first body bytes). Adds body framing when
   * the instance's headers have none: chunked for HTTP/1.1 clients, until-close for HTTP/1.0.
   * Throws when a header value holds characters that may not be sent.
   */
  writeHead(status: number, reason: string, headers: readonly string[]): void {
    if (this.headersSent) throw new Error("headers already sent");
    let head = `HTTP/1.1 ${status} ${reason === "" ? reasonPhrase(status) : reason}\r\n`;
    let hasLength = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (unsendable(value) || unsendable(name)) throw new Error(`invalid character in header ${name}`);
      if (name.length === 14 && name.toLowerCase() === "content-length") hasLength = true;
      head += `${name}: ${value}\r\n`;
    }
    this.noBody = this.method === "HEAD" || status === 204 || status === 304 || status < 200;
    if (!this.noBody && !hasLength) {
      if (this.minor === 1) {
        this.chunkedOut = true;
        head += "Transfer-Encoding: chunked\r\n";
      } else {
        this.keepAlive = false;
      }
    }
    if (!this.keepAlive) head += "Connection: close\r\n";
    else if (this.minor === 0) head += "Connection: keep-alive\r\n";
    this.pendingHead = `${head}\r\n`;
    this.headersSent = true;
  }

  /** Returns false when the socket's buffer is full: wait for `onDrain`. */
  write(chunk: Buffer): boolean {
    if (this.done) return true;
    const socket = this.conn.socket;
    if (this.noBody || chunk.length === 0) return this.flushHead();
    const head = this.pendingHead;
    this.pendingHead = null;
    if (this.chunkedOut) {
      socket.cork();
      socket.write(head === null ? `${chunk.length.toString(16)}\r\n` : `${head}${chunk.length.toString(16)}\r\n`, "latin1");
      socket.write(chunk);
      const ok = socket.write("\r\n", "latin1");
      socket.uncork();
      return ok;
    }
    if (head !== null) {
      socket.cork();
      socket.write(head, "latin1");
      const ok = socket.write(chunk);
      socket.uncork();
      return ok;
    }
    return socket.write(chunk);
  }

  private flushHead(): boolean {
    const head = this.pendingHead;
    if (head === null) return true;
    this.pendingHead = null;
    return this.conn.socket.write(head, "latin1");
  }

  /** Ends the response, with `last` as its final body bytes. */
  end(last: Buffer | null): void {
    if (this.done) return;
    const socket = this.conn.socket;
    let head = this.pendingHead ?? "";
    this.pendingHead = null;
    const body = this.noBody || last === null ? EMPTY : last;
    if (this.chunkedOut) {
      if (body.length > 0) head += `${body.length.toString(16)}\r\n${body.toString("latin1")}\r\n`;
      socket.write(`${head}0\r\n\r\n`, "latin1");
    } else if (body.length <= SMALL_BODY) {
      // One latin1 string (byte for byte): one write syscall for head and body together.
      const text = body.length === 0 ? head : head + body.toString("latin1");
      if (text !== "") socket.write(text, "latin1");
    } else {
      socket.cork();
      if (head !== "") socket.write(head, "latin1");
      socket.write(body);
      socket.uncork();
    }
    this.finished = true;
    this.done = true;
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.();
    this.conn.finished(this);
  }

  /** Closes the connection (a broken response must not look complete). */
  destroy(): void {
    this.conn.socket.destroy();
  }

  /** @internal */
  drained(): void {
    this.onDrain?.();
  }

  /** @internal The connection closed. */
  closed(): void {
    if (this.done) return;
    this.done = true;
    this.onData = null;
    this.onEnd = null;
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.();
  }
}

/** What Node refuses in header names and values: controls other than tab, and DEL. */
function unsendable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}
