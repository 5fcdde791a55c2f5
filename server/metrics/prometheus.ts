import "server-only";
import { count, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deployments } from "@/db/schema";
import { DEPLOYMENT_STATUSES } from "@/server/engine/deployment-status";
import { readLogCounters } from "@/server/logs/log-counters";
import { sseSubscriptions } from "./sse-subscriptions";

/** Upper bounds (seconds) of the deploy duration histogram. */
export const DEPLOY_DURATION_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

type Family = { name: string; help: string; type: "counter" | "gauge" | "histogram"; samples: [string, number][] };

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const label = (labels: Record<string, string>) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : "NaN");

/** Prometheus text exposition format 0.0.4. */
export function exposition(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    for (const [name, value] of f.samples) lines.push(`${name} ${num(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Slipway's own metrics. Deployment figures come from the database (the same for every console on
 * one PostgreSQL); log and subscription counters are this process's.
 */
export async function slipwayMetrics(db: Db): Promise<string> {
  const byStatus = await db.select({ status: deployments.status, n: count() }).from(deployments).groupBy(deployments.status);
  const counts = new Map(byStatus.map((r) => [r.status, Number(r.n)]));
  const seconds = sql`extract(epoch from ${deployments.finishedAt} - ${deployments.startedAt})`;
  const [d] = await db
    .select({
      count: sql<string>`count(*)`,
      sum: sql<string>`coalesce(sum(${seconds}), 0)`,
      buckets: sql<string[]>`array[${sql.join(DEPLOY_DURATION_BUCKETS.map((b) => sql`count(*) filter (where ${seconds} <= ${b})`), sql`, `)}]::text[]`,
    })
    .from(deployments)
    .where(sql`${deployments.finishedAt} is not null and ${deployments.startedAt} is not null`);
  const logs = readLogCounters();
  const sse = sseSubscriptions();
  const total = Number(d?.count ?? 0);
  return exposition([
    {
      name: "slipway_deployments",
      help: "Deployments by status.",
      type: "gauge",
      samples: DEPLOYMENT_STATUSES.map((s) => [`slipway_deployments${label({ status: s })}`, counts.get(s) ?? 0]),
    },
    {
      name: "slipway_deploy_duration_seconds",
      help: "Time from claim to finish of finished deployments.",
      type: "histogram",
      samples: [
        ...DEPLOY_DURATION_BUCKETS.map((b, i): [string, number] => [`slipway_deploy_duration_seconds_bucket${label({ le: String(b) })}`, Number(d?.buckets?.[i] ?? 0)]),
        [`slipway_deploy_duration_seconds_bucket${label({ le: "+Inf" })}`, total],
        ["slipway_deploy_duration_seconds_sum", Number(d?.sum ?? 0)],
        ["slipway_deploy_duration_seconds_count", total],
      ],
    },
    { name: "slipway_queue_depth", help: "Deployments waiting in the queue.", type: "gauge", samples: [["slipway_queue_depth", counts.get("QUEUED") ?? 0]] },
    { name: "slipway_log_lines_ingested_total", help: "Log lines received by this process.", type: "counter", samples: [["slipway_log_lines_ingested_total", logs.linesIngested]] },
    { name: "slipway_log_lines_dropped_total", help: "Log lines this process dropped.", type: "counter", samples: [["slipway_log_lines_dropped_total", logs.linesDropped]] },
    { name: "slipway_sse_subscriptions", help: "Open SSE subscriptions in this process.", type: "gauge", samples: [["slipway_sse_subscriptions", sse.open]] },
  ]);
}
