// Slipway's built-in static file server: the builder copies it into a static site's build folder as
// .slipway-static-server.mjs and starts it with `node .slipway-static-server.mjs`. It serves the
// folder it sits in on $PORT (default 8080): GET/HEAD only, / and folders → index.html, /healthz → 200,
// dotfiles and anything outside the folder (.., symlinks out) → 404. Plain Node, no dependencies.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fs.realpathSync(path.dirname(fileURLToPath(import.meta.url)));
const PORT = Number(process.env.PORT || 8080);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
  ".pdf": "application/pdf",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
};

/** No dotfiles (.env, .git, the builder's own files) and no "..": .well-known is the one exception. */
function hidden(segments) {
  return segments.some((s) => s.startsWith(".") && s !== ".well-known");
}

/** The real path of the file to serve for a URL path, or null (404) when it is not ours to serve. */
function resolveFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const segments = decoded.split("/").filter(Boolean);
  if (hidden(segments)) return null;
  let file = path.join(ROOT, ...segments);
  try {
    if (fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    const real = fs.realpathSync(file);
    if (real !== ROOT && !real.startsWith(ROOT + path.sep)) return null;
    if (hidden(path.relative(ROOT, real).split(path.sep))) return null;
    return fs.statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

function send(req, res, status, body, type = "text/plain; charset=utf-8") {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}

const server = http.createServer((req, res) => {
  res.on("finish", () => console.log(`${req.method} ${req.url} ${res.statusCode}`));
  const urlPath = (req.url || "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(req, res, 405, "method not allowed\n");
  }
  if (urlPath === "/healthz") return send(req, res, 200, "ok\n");
  const file = resolveFile(urlPath);
  if (!file) {
    const notFound = resolveFile("/404.html");
    return notFound ? send(req, res, 404, fs.readFileSync(notFound), TYPES[".html"]) : send(req, res, 404, "not found\n");
  }
  const stat = fs.statSync(file);
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers = {
    "content-type": TYPES[path.extname(file).toLowerCase()] || "application/octet-stream",
    "last-modified": stat.mtime.toUTCString(),
    etag,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    return res.end();
  }
  res.writeHead(200, { ...headers, "content-length": stat.size });
  if (req.method === "HEAD") return res.end();
  fs.createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
});

server.listen(PORT, () => console.log(`serving ${ROOT} on port ${server.address().port}`));

function shutdown(signal) {
  console.log(`${signal}: finishing open requests, then exiting`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
}
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));
