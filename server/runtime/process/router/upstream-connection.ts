import "server-only";
import type { Socket } from "node:net";
import { BODY_CHUNKED, BODY_LENGTH, parseResponseHead, type ResponseHead } from "./response-head";

/**
 * One keep-alive TCP connection to an instance, carrying one request at a time: it writes a request
 * head (and body) and decodes the response incrementally (head, then Content-Length, chunked or
 * until-close body), handing the pieces to the current handler. Listeners are attached once per
 * connection, not per request. The client side stays Node's http server; this replaces
 * http.request + http.Agent on the upstream side, which cost several times more per request.
 */

/** Receives one response. Calls happen synchronously from socket events. */
export interface ResponseHandler {
  onResponseHead(head: ResponseHead, hasBody: boolean): void;
  onResponseData(chunk: Buffer): void;
  /** The response is complete; `last` is its final body piece (sent together with the end), or null. */
  onResponseEnd(last: Buffer | null): void;
  /** An upgrade was accepted (101): the raw socket is the handler's now; `rest` came after the head. */
  onUpgrade(head: ResponseHead, socket: Socket, rest: Buffer): void;
  /**
   * The connection failed. `responseStarted`: response bytes had arrived (the request was seen).
   * `reused`: the connection had carried an earlier request (a stale keep-alive connection is the usual cause).
   */
  onUpstreamError(err: UpstreamError, responseStarted: boolean, reused: boolean): void;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

/** Where a connection goes when its response is done (the endpoint's pool). */
export interface ConnectionOwner {
  release(conn: UpstreamConnection): void;
  forget(conn: UpstreamConnection): void;
}

/** Largest response head accepted (Node's own default is 16 KiB; many apps send big cookies). */
export const MAX_RESPONSE_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4 * 1024;

const S_IDLE = 0;
const S_HEAD = 1;
const S_LENGTH = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_DATA = 4;
const S_CHUNK_END = 5;
const S_TRAILERS = 6;
const S_UNTIL_CLOSE = 7;
const S_DEAD = 8;

const CRLF = Buffer.from("\r\n");
const CRLFCRLF = Buffer.from("\r\n\r\n");
const LAST_CHUNK = Buffer.from("\r\n0\r\n\r\n");

export class UpstreamConnection {
  handler: ResponseHandler | null = null;
  /** Carried at least one complete exchange before the current one. */
  reused = false;
  /** performance.now() when it went idle. */
  idleSince = 0;
  private state = S_IDLE;
  private pending: Buffer | null = null;
  private remaining = 0;
  private noBody = false;
  private upgrade = false;
  private gotBytes = false;
  private keepAlive = true;
  /** The request (body included) has been fully written. */
  private requestDone = true;
  private paused = false;
  /** The keep-alive timeout (ms) the instance announced in its last response, or -1. */
  hintMs = -1;

  /**
   * With `viaOnread`, the socket was created with `onread` (see upstream-pool.ts) and its bytes arrive
   * through onRead in a shared buffer, skipping the stream machinery; otherwise through 'data'.
   */
  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    viaOnread: boolean,
  ) {
    if (!viaOnread) socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  get alive(): boolean {
    return this.state !== S_DEAD && !this.socket.destroyed;
  }

  /**
   * Sends a request: `head` is the request line and header lines (each with CRLF, no blank line);
   * `body` is written with it, or with `streaming` the caller writes it with writeBody/endBody.
   */
  send(handler: ResponseHandler, head: string, body: Buffer | null, noBody: boolean, upgrade: boolean, streaming: boolean): void {
    this.handler = handler;
    this.state = S_HEAD;
    this.pending = null;
    this.noBody = noBody;
    this.upgrade = upgrade;
    this.gotBytes = false;
    this.keepAlive = !upgrade;
    this.requestDone = !streaming;
    const socket = this.socket;
    if (body === null || body.length === 0) {
      socket.write(head, "latin1");
    } else {
      socket.cork();
      socket.write(head, "latin1");
      socket.write(body);
      socket.uncork();
    }
  }

  /** A piece of a streamed request body; false when the socket buffer is full (wait for its 'drain'). */
  writeBody(chunk: Buffer, chunked: boolean): boolean {
    const socket = this.socket;
    if (socket.destroyed) return true;
    if (!chunked) return socket.write(chunk);
    if (chunk.length === 0) return true;
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
    socket.write(chunk);
    const ok = socket.write("\r\n", "latin1");
    socket.uncork();
    return ok;
  }

  endBody(chunked: boolean): void {
    if (this.socket.destroyed) return;
    if (chunked) this.socket.write("0\r\n\r\n", "latin1");
    this.requestDone = true;
  }

  pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  resume(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  destroy(): void {
    this.handler = null;
    this.state = S_DEAD;
    this.socket.destroy();
  }

  private readonly onData = (data: Buffer): void => {
    this.receive(data, false);
  };

  /** `onread` callback: `bytes` bytes in the shared read buffer, valid only during this call. */
  onRead(bytes: number, buffer: Buffer): void {
    this.receive(buffer.subarray(0, bytes), true);
  }

  private receive(data: Buffer, shared: boolean): void {
    if (this.handler === null || this.state === S_IDLE || this.state === S_DEAD) {
      // Bytes nobody asked for: the connection is out of step, never reuse it.
      this.destroy();
      return;
    }
    this.gotBytes = true;
    let buf = data;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, data]);
      this.pending = null;
      shared = false;
    }
    try {
      this.feed(buf, 0, shared);
    } catch (err) {
      // A bug here (or in a handler) must fail this exchange, not crash the process from a socket callback.
      this.fail(`the router failed on the instance's response: ${err instanceof Error ? err.message : String(err)}`, "EROUTER");
    }
  }

  /**
   * Decodes as much of `buf` from `off` as the current state allows. With `shared`, `buf` is reused
   * after this call: whatever is kept or handed on is copied.
   */
  private feed(buf: Buffer, off: number, shared: boolean): void {
    const handler = this.handler;
    while (handler !== null && this.handler === handler) {
      const avail = buf.length - off;
      switch (this.state) {
        case S_HEAD: {
          const end = buf.indexOf(CRLFCRLF, off);
          if (end === -1) {
            if (avail > MAX_RESPONSE_HEAD) return this.fail("the instance sent a response head larger than 64 KiB", "EHEADTOOLARGE");
            this.pending = keep(buf, off, buf.length, shared);
            return;
          }
          if (end - off > MAX_RESPONSE_HEAD) return this.fail("the instance sent a response head larger than 64 KiB", "EHEADTOOLARGE");
          const head = parseResponseHead(buf.toString("latin1", off, end), this.upgrade);
          if (head === null) return this.fail("the instance sent a malformed response head", "EBADRESPONSE");
          off = end + 4;
          const status = head.status;
          if (status < 200) {
            if (status === 101 && this.upgrade) return this.detach(head, keep(buf, off, buf.length, shared));
            if (status === 101) return this.fail("the instance switched protocols unasked", "EBADRESPONSE");
            continue; // 100 Continue, 103 Early Hints: wait for the final response
          }
          if (!head.keepAlive) this.keepAlive = false;
          if (head.keepAliveHintMs >= 0) this.hintMs = head.keepAliveHintMs;
          const hasBody = !(this.noBody || status === 204 || status === 304 || (head.framing === BODY_LENGTH && head.contentLength === 0));
          handler.onResponseHead(head, hasBody);
          if (this.handler !== handler) return;
          if (!hasBody) return this.complete(null, off < buf.length);
          if (head.framing === BODY_LENGTH) {
            this.remaining = head.contentLength;
            this.state = S_LENGTH;
          } else if (head.framing === BODY_CHUNKED) {
            this.state = S_CHUNK_SIZE;
          } else {
            this.keepAlive = false;
            this.state = S_UNTIL_CLOSE;
          }
          break;
        }
        case S_LENGTH: {
          if (avail === 0) return;
          const remaining = this.remaining;
          if (avail < remaining) {
            this.remaining = remaining - avail;
            handler.onResponseData(keep(buf, off, buf.length, shared));
            return;
          }
          return this.complete(keep(buf, off, off + remaining, shared), avail > remaining);
        }
        case S_UNTIL_CLOSE:
          if (avail > 0) handler.onResponseData(keep(buf, off, buf.length, shared));
          return;
        case S_CHUNK_SIZE: {
          const end = buf.indexOf(CRLF, off);
          if (end === -1) {
            if (avail > MAX_CHUNK_LINE) return this.fail("the instance sent a malformed chunk", "EBADRESPONSE");
            this.pending = keep(buf, off, buf.length, shared);
            return;
          }
          const size = parseChunkSize(buf, off, end);
          if (size < 0) return this.fail("the instance sent a malformed chunk", "EBADRESPONSE");
          off = end + 2;
          if (size === 0) {
            this.state = S_TRAILERS;
          } else {
            this.remaining = size;
            this.state = S_CHUNK_DATA;
          }
          break;
        }
        case S_CHUNK_DATA: {
          if (avail === 0) return;
          const n = avail < this.remaining ? avail : this.remaining;
          const piece = keep(buf, off, off + n, shared);
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            // The usual end of a small chunked response: its last chunk and the terminator in one
            // packet. Finish with that piece so the client gets it in a single write.
            if (buf.length - off === LAST_CHUNK.length && buf.compare(LAST_CHUNK, 0, LAST_CHUNK.length, off) === 0) {
              return this.complete(piece, false);
            }
            this.state = S_CHUNK_END;
          }
          handler.onResponseData(piece);
          break;
        }
        case S_CHUNK_END: {
          if (avail < 2) {
            if (avail > 0) this.pending = keep(buf, off, buf.length, shared);
            return;
          }
          if (buf[off] !== 13 || buf[off + 1] !== 10) return this.fail("the instance sent a malformed chunk", "EBADRESPONSE");
          off += 2;
          this.state = S_CHUNK_SIZE;
          break;
        }
        case S_TRAILERS: {
          // Trailer fields are read and dropped; an empty line ends the message.
          const end = buf.indexOf(CRLF, off);
          if (end === -1) {
            if (avail > MAX_RESPONSE_HEAD) return this.fail("the instance sent trailers larger than 64 KiB", "EBADRESPONSE");
            this.pending = keep(buf, off, buf.length, shared);
            return;
          }
          const empty = end === off;
          off = end + 2;
          if (empty) return this.complete(null, off < buf.length);
          break;
        }
        default:
          return;
      }
    }
  }

  /** The response ended: hand the connection back (or close it), then tell the handler. */
  private complete(last: Buffer | null, extraBytes: boolean): void {
    const handler = this.handler;
    this.handler = null;
    this.state = S_IDLE;
    this.pending = null;
    if (extraBytes) this.keepAlive = false; // bytes after the response: out of step
    // A response that ended before its request body was sent leaves the connection mid-request.
    if (this.requestDone) this.finish();
    else this.destroy();
    handler?.onResponseEnd(last);
  }

  /** After a response and the whole request: back to the pool, or closed. */
  private finish(): void {
    if (this.keepAlive && this.state === S_IDLE && !this.socket.destroyed) {
      this.reused = true;
      this.resume();
      this.owner.release(this);
    } else {
      this.destroy();
    }
  }

  private detach(head: ResponseHead, rest: Buffer): void {
    const handler = this.handler;
    this.handler = null;
    this.state = S_DEAD;
    const socket = this.socket;
    socket.removeListener("data", this.onData);
    socket.removeListener("end", this.onEnd);
    socket.removeListener("error", this.onError);
    socket.removeListener("close", this.onClose);
    this.owner.forget(this);
    handler?.onUpgrade(head, socket, rest);
  }

  private fail(message: string, code: string): void {
    const handler = this.handler;
    const started = this.gotBytes;
    this.destroy();
    handler?.onUpstreamError(new UpstreamError(message, code), started, this.reused);
  }

  private readonly onEnd = (): void => {
    if (this.state === S_UNTIL_CLOSE && this.handler !== null) {
      this.keepAlive = false;
      this.complete(null, false);
      return;
    }
    if (this.handler !== null) this.fail("the instance closed the connection before its response ended", "ECONNRESET");
    else this.destroy();
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (this.handler !== null) {
      const handler = this.handler;
      const started = this.gotBytes;
      this.handler = null;
      this.state = S_DEAD;
      this.socket.destroy();
      handler.onUpstreamError(new UpstreamError(err.message, err.code ?? "ECONNRESET"), started, this.reused);
    }
  };

  private readonly onClose = (): void => {
    if (this.handler !== null) this.fail("the instance closed the connection before its response ended", "ECONNRESET");
    this.state = S_DEAD;
    this.owner.forget(this);
  };
}

/** buf[start, end) as a buffer the receiver may keep: a view, or a copy when `buf` is the shared read buffer. */
function keep(buf: Buffer, start: number, end: number, shared: boolean): Buffer {
  if (shared) return Buffer.from(buf.subarray(start, end));
  return start === 0 && end === buf.length ? buf : buf.subarray(start, end);
}

/** Hex chunk size up to `end` (extensions after ';' ignored); -1 when malformed or absurdly large. */
function parseChunkSize(buf: Buffer, start: number, end: number): number {
  let size = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 97 && c <= 102) v = c - 87;
    else if (c >= 65 && c <= 70) v = c - 55;
    else if (c === 59 /* ; */ || c === 32 || c === 9) break;
    else return -1;
    if (++digits > 12) return -1;
    size = size * 16 + v;
  }
  return digits === 0 ? -1 : size;
}
