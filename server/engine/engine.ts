import "server-only";
import crypto from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deployments } from "@/db/schema";
import { claimNext, heartbeat } from "./deployment-queue";
import { bus } from "./event-bus";
import type { LogWriter } from "./log-writer";
import { reconcile, failOrphanedDeployments } from "./reconcile";
import { runDeployment } from "./run-deployment";
import type { Runtime } from "./runtime";

const MAX_PARALLEL = 2;
const HEARTBEAT_MS = 3_000;
/** A runner silent this long is dead; its deployment is failed with a reason. */
export const STALE_MS = 30_000;
// The queue is woken at once by requests in this process; other processes' requests on a shared
// PostgreSQL are noticed at this interval (the heartbeat tick).
const IDLE_CHECK_MS = HEARTBEAT_MS;

/** Claims queued deployments and runs them, reconciles on start, and keeps its claims alive. */
export class Engine {
  readonly claimer: string;
  private running = new Map<string, AbortController>();
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly db: Db,
    readonly runtime: Runtime,
    readonly nodeId: string,
    readonly logs: LogWriter,
  ) {
    this.claimer = `${nodeId}/${crypto.randomBytes(4).toString("hex")}`;
  }

  async start(): Promise<void> {
    try {
      await reconcile({ db: this.db, runtime: this.runtime, nodeId: this.nodeId, logs: this.logs });
    } catch (err) {
      console.error(`[slipway] restoring the services of this node failed (the router now answers 404 for hostnames not routed): ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      // Until now the router answered unrouted hostnames with 503 "starting": they may have been among those restored.
      this.runtime.restoreDone();
    }
    const offQueued = bus.on("queued", () => this.wake());
    // Queued work announced while the event bridge was down: look at the queue now, not at the next heartbeat.
    const offResync = bus.on("resync", () => this.wake());
    this.unsubscribe = () => {
      offQueued();
      offResync();
    };
    this.timer = setInterval(() => void this.tick(), HEARTBEAT_MS);
    this.timer.unref();
    this.loopDone = this.loop();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Aborts a deployment this process is running (the row is already CANCELING). */
  cancel(deploymentId: string): boolean {
    const c = this.running.get(deploymentId);
    c?.abort();
    return Boolean(c);
  }

  get busy(): number {
    return this.running.size;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let claimed = null;
      if (this.running.size < MAX_PARALLEL) {
        try {
          claimed = await claimNext({ db: this.db, claimer: this.claimer });
        } catch (err) {
          console.error("[slipway] queue claim failed:", err instanceof Error ? err.message : err);
        }
      }
      if (claimed) {
        const controller = new AbortController();
        this.running.set(claimed.id, controller);
        const d = claimed;
        void runDeployment({ db: this.db, runtime: this.runtime, logs: this.logs, deployment: d, signal: controller.signal })
          .catch((err) => console.error("[slipway] deployment runner crashed:", err))
          .finally(() => {
            this.running.delete(d.id);
            this.wake();
          });
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, IDLE_CHECK_MS);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private async tick(): Promise<void> {
    try {
      await heartbeat({ db: this.db, claimer: this.claimer });
      if (this.running.size) {
        // A cancel requested through another console process reaches the runner here.
        const canceling = await this.db
          .select({ id: deployments.id })
          .from(deployments)
          .where(and(eq(deployments.claimedBy, this.claimer), inArray(deployments.status, ["CANCELING"])));
        for (const { id } of canceling) this.cancel(id);
      }
      await failOrphanedDeployments({ db: this.db, nodeId: null, staleMs: STALE_MS, claimerToSpare: this.claimer });
      this.wake();
    } catch (err) {
      console.error("[slipway] engine heartbeat failed:", err instanceof Error ? err.message : err);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const c of this.running.values()) c.abort();
    this.wake();
    await this.loopDone;
    // Instances print while they stop: flush after them.
    await this.runtime.shutdown();
    await this.logs.flush();
  }
}

type Global = typeof globalThis & { __slipwayEngine?: Engine };

export const getEngine = (): Engine | null => (globalThis as Global).__slipwayEngine ?? null;
export const setEngine = (e: Engine | null) => {
  (globalThis as Global).__slipwayEngine = e ?? undefined;
};
