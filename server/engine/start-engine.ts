import "server-only";
import fs from "node:fs";
import os from "node:os";
import type { Db } from "@/db/client";
import { resolveDataDir } from "@/server/config/data-dir";
import { ensureWorkDir } from "@/server/config/work-dir";
import { ProcessRuntime } from "@/server/runtime/process/process-runtime";
import { Engine, getEngine, setEngine } from "./engine";
import { LogWriter } from "./log-writer";
import { routerPort } from "./service-url";
import { startMetricsSampler } from "@/server/metrics/start-metrics";
import { isolationStatus } from "@/server/runtime/process/isolation-status";
import { serviceUidRange } from "@/server/config/service-uids";

/** Starts the process runtime (router included) and the deployment engine for this console process. */
export async function startEngine(db: Db): Promise<Engine> {
  const existing = getEngine();
  if (existing) return existing;
  const dataDir = resolveDataDir();
  // Deployed code runs as another user: the data folder (database, keys) must be ours alone.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const workDir = ensureWorkDir();
  const port = routerPort();
  const nodeId = process.env.SLIPWAY_NODE_ID || `${os.hostname()}:${port}`;
  const logs = new LogWriter(db);
  const runtime = new ProcessRuntime({ db, logs, nodeId, dataDir, workDir, routerPort: port });
  await runtime.startRouter();
  console.log(`[slipway] router: listening on port ${runtime.router.port}`);
  // A malformed uid range stops the start here, with the setting named, not at the first deployment.
  serviceUidRange();
  const isolation = isolationStatus();
  if (isolation.warnings.length === 0) console.log("[slipway] isolation: each service runs as its own user, sandboxed by bubblewrap");
  for (const w of isolation.warnings) console.warn(`[slipway] isolation: ${w}`);
  const engine = new Engine(db, runtime, nodeId, logs);
  setEngine(engine);
  await engine.start();
  // Metrics are on by default: sampled by the console that supervises the instances.
  startMetricsSampler(db, runtime);
  return engine;
}
