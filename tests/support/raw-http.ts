/** Raw HTTP/1.x over a socket, for tests that must see exact bytes and closes (the router's). */
import net from "node:net";

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

/**
 * A raw connection to 127.0.0.1:`port` (from `localAddress`, another loopback address, when given):
 * write bytes, read responses as they complete, see whether the server closed it.
 */
export function rawConnect(port: number, options: { localAddress?: string } = {}) {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress: options.localAddress });
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake: () => void = () => {};
  socket.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  socket.on("close", () => {
    closed = true;
    wake();
  });
  socket.on("error", () => {});
  const waitFor = <T>(take: () => T | null): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = take();
        if (v !== null) resolve(v);
        else if (closed) reject(new Error(`connection closed; unread: ${JSON.stringify(buf.toString("latin1"))}`));
        else wake = check;
      };
      check();
    });
  return {
    write: (data: string | Buffer) => socket.write(data),
    /** The next complete response (`head`: it answers a HEAD request, so no body follows). */
    response: (opts: { head?: boolean } = {}) => waitFor(() => takeResponse(opts.head ?? false)),
    /** Bytes up to the end of an informational head such as `100 Continue`. */
    interim: () =>
      waitFor(() => {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) return null;
        const head = buf.subarray(0, end).toString("latin1");
        buf = buf.subarray(end + 4);
        return head;
      }),
    closed: () => waitFor(() => (closed ? true : null)),
    /** Whether the server closed (or reset) the connection. */
    isClosed: () => closed,
    /** Bytes received and not yet taken as a response. */
    unread: () => buf.toString("latin1"),
    destroy: () => socket.destroy(),
    socket,
  };

  function takeResponse(isHead: boolean): RawResponse | null {
    const end = buf.indexOf("\r\n\r\n");
    if (end === -1) return null;
    const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
    let rest = buf.subarray(end + 4);
    let body: Buffer;
    if (isHead || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (rest.length < n) return null;
      body = rest.subarray(0, n);
      rest = rest.subarray(n);
    } else if (headers["transfer-encoding"] === "chunked") {
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const nl = rest.indexOf("\r\n", at);
        if (nl === -1) return null;
        const size = parseInt(rest.subarray(at, nl).toString("latin1"), 16);
        if (rest.length < nl + 2 + size + 2) return null;
        parts.push(rest.subarray(nl + 2, nl + 2 + size));
        at = nl + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
      rest = rest.subarray(at);
    } else {
      // Until close.
      if (!closed) return null;
      body = rest;
      rest = Buffer.alloc(0);
    }
    buf = rest;
    return { status, headers, body: body.toString() };
  }
}
