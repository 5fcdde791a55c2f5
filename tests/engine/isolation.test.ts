/**
 * Deployed code is untrusted: an app deployed through the engine tries to read a key in the
 * console's data folder and to signal the console's process. Both must be refused.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { getVia, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
let appDir: string;

const PROBE = `
import fs from "node:fs";
import http from "node:http";
const tryIt = (fn) => { try { fn(); return "allowed"; } catch (e) { return "refused: " + e.code; } };
http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  const read = tryIt(() => fs.readFileSync(process.env.TARGET_FILE, "utf8"));
  let list;
  try { list = fs.readdirSync(process.env.TARGET_DIR); } catch (e) { list = "refused: " + e.code; }
  const signal = tryIt(() => process.kill(Number(process.env.CONSOLE_PID), 0));
  const write = tryIt(() => fs.writeFileSync(process.env.TARGET_DIR + "/planted", "x"));
  res.end(JSON.stringify({ read, list, signal, write, uid: process.getuid() }));
}).listen(Number(process.env.PORT));
`;

beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h);
  appDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-probe-"));
  fs.chmodSync(appDir, 0o755);
  fs.writeFileSync(path.join(appDir, "server.mjs"), PROBE);
  fs.writeFileSync(path.join(rt.dataDir, "master.key"), "top-secret-key-material", { mode: 0o600 });
});
afterAll(async () => {
  await rt?.stop();
  await h?.close();
  fs.rmSync(appDir, { recursive: true, force: true });
});

it("cannot read the data folder, write into it, or signal the console", async () => {
  const { api, env, hostname } = await makeEnvironment(h);
  await api.service.create({
    environmentId: env.id,
    name: "probe",
    type: "application",
    spec: {
      source: { path: appDir },
      run: { command: "node server.mjs" },
      port: 8080,
      healthcheck: { path: "/healthz" },
      env: { TARGET_FILE: path.join(rt.dataDir, "master.key"), TARGET_DIR: rt.dataDir, CONSOLE_PID: String(process.pid) },
    },
  });
  const d = await api.deployment.create({ environmentId: env.id });
  expect((await waitForDeployment(h, d.id)).status).toBe("DEPLOYED");
  const r = await getVia(rt.runtime.router.port, hostname("probe"), "/probe");
  expect(r.status).toBe(200);
  const result = JSON.parse(r.body) as Record<string, string | number | string[]>;
  expect(result.read).toMatch(/^refused/);
  // Refused outright, or (under bubblewrap) an empty mask where the folder was: the key is not there.
  expect(JSON.stringify(result.list)).not.toContain("master.key");
  // A write is refused, or lands in the mask and never reaches the real folder (checked below).
  expect(["refused: EACCES", "refused: ENOENT", "refused: EROFS", "allowed"]).toContain(result.write);
  expect(result.signal).toMatch(/^refused: (EPERM|ESRCH)/);
  if (process.getuid?.() === 0) expect(result.uid).not.toBe(0);
  expect(fs.existsSync(path.join(rt.dataDir, "planted"))).toBe(false);
});
