/**
 * An upgraded connection on an `onread` socket: its bytes are fed to an UpgradedClient (a Duplex the
 * upgrade exchange pipes). A slow reader makes the stream's buffer fill again and again: each time the
 * socket stops reading (feed returns false) and must start again once the reader catches up.
 */
import net from "node:net";
import { Writable } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { rewrapWithOnread } from "@/server/runtime/process/router/client-socket";
import { UpgradedClient } from "@/server/runtime/process/router/upgraded-client";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

it("keeps reading through repeated backpressure and delivers every byte in order", async () => {
  const TOTAL = 8 * 1024 * 1024;
  const buffer = Buffer.alloc(64 * 1024);
  let upgraded: UpgradedClient | null = null;
  const accepted = new Promise<UpgradedClient>((resolve) => {
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      const s = rewrapWithOnread(socket, server, buffer, (bytes, shared) => upgraded === null || upgraded.feed(shared.subarray(0, bytes)));
      expect(s).not.toBeNull();
      if (s === null) return;
      cleanup.push(() => s.destroy());
      s.pause(); // as the client connection does when it hands an upgraded socket on
      upgraded = new UpgradedClient(s);
      resolve(upgraded);
    });
    server.listen(0, "127.0.0.1", () => {
      const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
      client.on("error", () => {});
      const data = Buffer.alloc(TOTAL);
      for (let i = 0; i < TOTAL; i++) data[i] = i % 251;
      client.end(data);
      cleanup.push(() => client.destroy());
    });
    cleanup.push(() => server.close());
  });
  const stream = await accepted;
  stream.on("error", () => {}); // a reset when the test closes both ends (the upgrade exchange listens too)

  // A reader that takes one turn of the event loop per chunk: slower than loopback delivers.
  let received = 0;
  let stops = 0;
  let inOrder = true;
  const origFeed = stream.feed.bind(stream);
  stream.feed = (chunk: Buffer) => {
    const more = origFeed(chunk);
    if (!more) stops++;
    return more;
  };
  await new Promise<void>((resolve, reject) => {
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        for (let i = 0; i < chunk.length; i++) if (chunk[i] !== (received + i) % 251) inOrder = false;
        received += chunk.length;
        setImmediate(done);
      },
    });
    sink.on("finish", resolve);
    sink.on("error", reject);
    stream.pipe(sink);
  });
  expect(received).toBe(TOTAL);
  expect(inOrder).toBe(true);
  // The point of the test: reading stopped (more than once) and started again each time.
  expect(stops).toBeGreaterThan(1);
});
