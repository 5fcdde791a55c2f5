import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { deployments } from "@/db/schema";
import { Engine, setEngine } from "@/server/engine/engine";
import { LogWriter } from "@/server/engine/log-writer";
import { busWaiter } from "@/server/engine/bus-waiter";
import { TERMINAL, type DeploymentStatus } from "@/server/engine/deployment-status";
import { ProcessRuntime } from "@/server/runtime/process/process-runtime";
import { ensureWorkDir } from "@/server/config/work-dir";

export { EXAMPLES, getVia } from "./examples";
export { makeEnvironment } from "./actors";

/** A real engine + process runtime (router on an ephemeral port) over a test database. */
export async function startTestEngine(h: DbHandle, opts: { healthTimeoutMs?: number } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-engine-"));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, "data");
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const workDir = ensureWorkDir(path.join(root, "work"));
  const logs = new LogWriter(h.db);
  const nodeId = `test-${path.basename(root)}`;
  const runtime = new ProcessRuntime({ db: h.db, logs, nodeId, dataDir, workDir, routerPort: 0, healthTimeoutMs: opts.healthTimeoutMs ?? 10_000, stopGraceMs: 3_000 });
  await runtime.startRouter();
  const engine = new Engine(h.db, runtime, nodeId, logs);
  await engine.start();
  // Services that act on the runtime directly (delete, stop) find it as they would in the console.
  setEngine(engine);
  return {
    engine,
    runtime,
    root,
    dataDir,
    workDir,
    async stop() {
      setEngine(null);
      await engine.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}


/** Waits (on the event bus, not a sleep loop) until a deployment reaches a terminal status. */
export async function waitForDeployment(h: DbHandle, id: string, timeoutMs = 60_000): Promise<typeof deployments.$inferSelect> {
  const waiter = busWaiter(["deployment"], (_n, p) => p.deploymentId === id);
  const abort = AbortSignal.timeout(timeoutMs);
  try {
    for (;;) {
      const [d] = await h.db.select().from(deployments).where(eq(deployments.id, id));
      if (d && TERMINAL.includes(d.status as DeploymentStatus)) return d;
      if (abort.aborted) throw new Error(`deployment ${id} still ${d?.status} after ${timeoutMs} ms`);
      await waiter.wait(abort);
    }
  } finally {
    waiter.close();
  }
}

