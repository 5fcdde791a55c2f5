import "server-only";
import type { Db } from "@/db/client";
import type { ProcessRuntime } from "@/server/runtime/process/process-runtime";
import { MetricsSampler } from "./sampler";
import { metricsIntervalMs } from "./metric-config";

type Global = typeof globalThis & { __slipwayMetricsSampler?: MetricsSampler };

/** Starts this console's sampler over what its process runtime supervises and routes (once per process). */
export function startMetricsSampler(db: Db, runtime: ProcessRuntime): MetricsSampler {
  const g = globalThis as Global;
  if (g.__slipwayMetricsSampler) return g.__slipwayMetricsSampler;
  const sampler = new MetricsSampler({
    db,
    intervalMs: metricsIntervalMs(),
    source: { instances: () => runtime.supervisor.list(), routerMetrics: (serviceId) => runtime.router.metrics(serviceId) },
  });
  sampler.start();
  g.__slipwayMetricsSampler = sampler;
  return sampler;
}
