import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "@/db/client";
import { createTrpcNodeHandler } from "@/server/api/node-handler";
import { installClientAddressHook } from "@/server/http/client-address-hook";

/**
 * The real appRouter over HTTP through the console's own /api/trpc handler (server/api/node-handler.ts,
 * what scripts/console-server.mjs serves), on 127.0.0.1 at an ephemeral port, with this test's
 * database. API tokens only: no session cookie is ever accepted. Responses stream, so SSE works.
 */
export async function startApiServer(db: Db): Promise<{ url: string; close: () => Promise<void> }> {
  // As boot does: every request's client address comes from its socket (or a trusted proxy).
  installClientAddressHook();
  const trpc = createTrpcNodeHandler({ db: async () => db, sessionUser: async () => null });
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith("/api/trpc/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    trpc(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

