import http from "node:http";
import path from "node:path";

/** The example apps the tests deploy. */
export const EXAMPLES = path.resolve(import.meta.dirname, "..", "..", "examples");

/** GET through the router with a Host header, like a browser opening the service URL. */
export function getVia(routerPort: number, host: string, urlPath = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port: routerPort, path: urlPath, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}
