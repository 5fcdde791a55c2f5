import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { closeLingering } from "./lingering-close";

/** Bytes a body stream may hold before it stops reading the socket (backpressure). */
const BODY_HIGH_WATER = 64 * 1024;

/**
 * A request's body as a web stream that never holds more than `limit` bytes: a declared length over
 * it fails at once, before a byte is read; otherwise bytes are counted as they arrive (the socket is
 * read only as fast as the consumer pulls) and the stream fails as soon as they pass it. `exceeded`
 * runs then, so the caller can answer and close the connection instead of draining the rest.
 */
function limitedBody(req: IncomingMessage, limit: number, tooLarge: () => Error, exceeded: () => void): ReadableStream<Uint8Array> {
  if (Number(req.headers["content-length"]) > limit) {
    exceeded();
    return new ReadableStream({ start: (c) => c.error(tooLarge()) });
  }
  let size = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        const stop = () => {
          settled = true;
          req.off("data", onData);
          req.off("end", onEnd);
          req.off("error", onError);
        };
        const onData = (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            stop();
            req.pause();
            exceeded();
            c.error(tooLarge());
            return;
          }
          c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((c.desiredSize ?? 1) <= 0) req.pause();
        };
        const onEnd = () => {
          stop();
          c.close();
        };
        const onError = (err: Error) => {
          stop();
          c.error(err);
        };
        req.on("data", onData);
        req.on("end", onEnd);
        req.on("error", onError);
      },
      pull() {
        if (!settled) req.resume();
      },
      cancel() {
        req.destroy();
      },
    },
    { highWaterMark: BODY_HIGH_WATER, size: (chunk) => chunk.byteLength },
  );
}

/**
 * A Node request as a fetch `Request` (what tRPC's `incomingMessageToRequest` makes, with a bounded
 * body). Its signal aborts when the response closes, finished or not: a subscription the server ended
 * (its token revoked, say) stops waiting then too, not only when the client leaves.
 */
export function boundedRequest(req: IncomingMessage, res: ServerResponse, opts: { url: URL; limit: number; tooLarge: () => Error }): Request {
  const ac = new AbortController();
  res.once("close", () => ac.abort());
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else headers.append(key, value);
  }
  const init: RequestInit & { duplex?: "half" } = { headers, method: req.method, signal: ac.signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    // Over the limit: answer, then close the connection (Node would otherwise read the rest to reuse it).
    init.body = limitedBody(req, opts.limit, opts.tooLarge, () => {
      if (!res.headersSent) res.setHeader("connection", "close");
      closeLingering(req.socket);
    });
    init.duplex = "half";
  }
  return new Request(opts.url, init);
}
