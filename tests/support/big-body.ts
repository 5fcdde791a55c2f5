import net from "node:net";

export type BigBodyResult = { status: number; head: string; body: string; bytesSent: number };

/**
 * POSTs up to `totalBytes` to `url` over a raw socket, the way an abusive client would: as fast as
 * the connection takes them (waiting for drain, so this process holds little of it), declared with a
 * Content-Length or sent chunked. Stops sending as soon as the server answers or closes; resolves with
 * the answer and how many body bytes were sent. Nothing waits for time.
 */
export function postBigBody(opts: { url: string; headers: Record<string, string>; totalBytes: number; declareLength: boolean }): Promise<BigBodyResult> {
  const u = new URL(opts.url);
  const chunk = Buffer.alloc(256 * 1024, "a");
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    let received = "";
    let answered = false;
    let sent = 0;
    const finish = () => {
      const cut = received.indexOf("\r\n\r\n");
      if (cut < 0) return reject(new Error(`no answer after ${sent} bytes: ${received.slice(0, 200)}`));
      const head = received.slice(0, cut);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      resolve({ status, head, body: received.slice(cut + 4), bytesSent: sent });
    };
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      received += d;
      if (received.includes("\r\n\r\n")) answered = true;
    });
    socket.on("error", () => {}); // the server closing while we write (EPIPE, ECONNRESET) is expected
    socket.on("close", finish);
    socket.on("connect", async () => {
      const lines = [`POST ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, ...Object.entries(opts.headers).map(([k, v]) => `${k}: ${v}`)];
      lines.push(opts.declareLength ? `content-length: ${opts.totalBytes}` : "transfer-encoding: chunked");
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      while (sent < opts.totalBytes && !answered && !socket.destroyed) {
        const n = Math.min(chunk.length, opts.totalBytes - sent);
        const piece = n === chunk.length ? chunk : chunk.subarray(0, n);
        if (!opts.declareLength) socket.write(`${n.toString(16)}\r\n`);
        let ok = socket.write(piece);
        if (!opts.declareLength) ok = socket.write("\r\n") && ok;
        sent += n;
        if (!ok) await new Promise<void>((r) => { socket.once("drain", r); socket.once("close", r); });
      }
      if (!opts.declareLength && !answered && !socket.destroyed) socket.write("0\r\n\r\n");
      // The server answers and closes; a server that keeps the connection open is ended after its answer.
      if (!socket.destroyed) socket.once("data", () => socket.end());
      if (answered) socket.end();
    });
  });
}
