// never-healthy: listens on $PORT and answers `/` normally, but `/healthz` answers 500 forever, to
// test the health gate (a deployment of it must fail and leave the previous version running).
import http from "node:http";

const port = Number(process.env.PORT || 8080);
const reason = "healthz always answers 500: this example never becomes healthy";

const server = http.createServer((req, res) => {
  const path = (req.url || "/").split("?")[0];
  if (path === "/healthz") {
    console.log(`GET /healthz 500 (${reason})`);
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end("unhealthy\n");
    return;
  }
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  res.end("up, but not healthy\n");
});

server.listen(port, () => console.log(`listening on port ${server.address().port}; ${reason}`));

process.once("SIGTERM", () => server.close(() => process.exit(0)));
