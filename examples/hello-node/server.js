// hello-node: the smallest web service Slipway deploys. Listens on $PORT: `/` answers $GREETING
// (default "hello"), `/healthz` answers 200 "ok", `/env` lists its environment (secret-looking
// names as sha256 digests); logs one line per request; on SIGTERM stops accepting, finishes the
// requests in flight, and exits 0. No dependencies.
import crypto from "node:crypto";
import http from "node:http";

const port = Number(process.env.PORT || 8080);
const greeting = process.env.GREETING || "hello";

/** Names whose values are shown only as a digest, so a test can check them without the page leaking them. */
const HIDDEN = /(_KEY|_SECRET|_TOKEN|PASSWORD)$/;

/** `NAME=value` per variable, sorted by name (code-unit order); secret-looking names as `NAME=sha256:<hex>`. */
function envListing() {
  return Object.keys(process.env)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => {
      const value = process.env[name] ?? "";
      return HIDDEN.test(name) ? `${name}=sha256:${crypto.createHash("sha256").update(value, "utf8").digest("hex")}` : `${name}=${value}`;
    })
    .join("\n");
}

const server = http.createServer((req, res) => {
  res.on("finish", () => console.log(`${req.method} ${req.url} ${res.statusCode}`));
  const path = (req.url || "/").split("?")[0];
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end("ok\n");
  } else if (path === "/env") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(`${envListing()}\n`);
  } else if (path === "/") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(`${greeting}\n`);
  } else {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("not found\n");
  }
});

server.listen(port, () => console.log(`listening on port ${server.address().port}`));

process.once("SIGTERM", () => {
  console.log("SIGTERM: finishing open requests, then exiting");
  // Stops accepting; idle keep-alive connections are closed, busy ones once their response is sent.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
