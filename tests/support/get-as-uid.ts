import { spawn } from "node:child_process";

/**
 * GET `http://host:port/path` from a child process running as `uid` (gid the same; needs root), or
 * as this process's user when `uid` is undefined: a real client on this machine, with its own socket
 * owned by that uid.
 */
export function getAsUid(opts: { uid?: number; host: string; port: number; path: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  const script = `
    const http = require("node:http");
    http.get({ host: ${JSON.stringify(opts.host)}, port: ${opts.port}, path: ${JSON.stringify(opts.path)}, headers: ${JSON.stringify(opts.headers ?? {})} }, (res) => {
      let body = ""; res.setEncoding("utf8"); res.on("data", (c) => (body += c));
      res.on("end", () => process.stdout.write(JSON.stringify({ status: res.statusCode, body })));
    }).on("error", (e) => { process.stderr.write(e.message); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { uid: opts.uid, gid: opts.uid, cwd: "/", stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}: ${err}`))));
  });
}
