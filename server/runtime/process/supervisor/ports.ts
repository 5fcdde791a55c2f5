import "server-only";
import net from "node:net";

/**
 * Ports for instances on 127.0.0.1. The kernel picks a free one (listen on 0); a port handed out stays
 * reserved here for a while, because the instance it was meant for may not have bound it yet and the
 * kernel would happily pick it again.
 */

const RESERVE_MS = 60_000;
const reserved = new Map<number, number>(); // port → reserved until (ms since epoch)

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

function pruneReserved(now: number): void {
  for (const [port, until] of reserved) if (until <= now) reserved.delete(port);
}

/** A free port on 127.0.0.1 that this process has not handed out within the last minute. */
export async function allocatePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    const now = Date.now();
    pruneReserved(now);
    if (reserved.has(port)) continue;
    reserved.set(port, now + RESERVE_MS);
    return port;
  }
  throw new Error("could not find a free port on 127.0.0.1");
}

/** Whether something could listen on 127.0.0.1:port right now. */
export async function isPortFree(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return true;
  } catch {
    return false;
  }
}
