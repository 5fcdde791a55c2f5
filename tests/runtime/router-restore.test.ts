/**
 * The router of a (re)starting console answers unrouted hostnames 503 "starting" until the engine has
 * restored the services of this node, then 404 as usual: with a real engine, process runtime and
 * database, when there is nothing to restore and when restoring fails (the console says so).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DbHandle } from "@/db/client";
import { ensureWorkDir } from "@/server/config/work-dir";
import { Engine } from "@/server/engine/engine";
import { LogWriter } from "@/server/engine/log-writer";
import { ProcessRuntime } from "@/server/runtime/process/process-runtime";
import { createTestDb } from "../support/test-db";
import { rawConnect } from "../support/raw-http";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startConsoleRuntime(h: DbHandle) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-restore-"));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const dataDir = path.join(root, "data");
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const logs = new LogWriter(h.db);
  const nodeId = `test-${path.basename(root)}`;
  const runtime = new ProcessRuntime({ db: h.db, logs, nodeId, dataDir, workDir: ensureWorkDir(path.join(root, "work")), routerPort: 0 });
  await runtime.startRouter();
  const engine = new Engine(h.db, runtime, nodeId, logs);
  cleanups.push(() => engine.stop());
  return { runtime, engine };
}

async function statusOf(port: number, host: string): Promise<{ status: number; body: string }> {
  const c = rawConnect(port);
  c.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  try {
    return await c.response();
  } finally {
    c.destroy();
  }
}

const UNROUTED = "gone.staging.shop.localhost";

describe("the router across a console start", () => {
  it("answers 503 starting before the engine has restored, and 404 after, with nothing to restore", async () => {
    const h = await createTestDb();
    cleanups.push(() => h.close());
    const { runtime, engine } = await startConsoleRuntime(h);
    const before = await statusOf(runtime.router.port, UNROUTED);
    expect(before.status).toBe(503);
    expect(before.body).toContain("Slipway is starting");
    await engine.start();
    expect(runtime.router.isReady).toBe(true);
    const after = await statusOf(runtime.router.port, UNROUTED);
    expect(after.status).toBe(404);
    expect(after.body).toContain(`No service is routed to ${UNROUTED}.`);
  });

  it("says so when restoring fails, and then serves 404 as usual", async () => {
    // A database without its tables: the restore's first query fails.
    const h = await createTestDb({ migrate: false });
    cleanups.push(() => h.close());
    const { runtime, engine } = await startConsoleRuntime(h);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(engine.start()).rejects.toThrow();
    expect(errors.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/restoring the services of this node failed \(the router now answers 404 for hostnames not routed\): .*deployments/s);
    expect((await statusOf(runtime.router.port, UNROUTED)).status).toBe(404);
  });
});
