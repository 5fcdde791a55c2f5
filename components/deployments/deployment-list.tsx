"use client";
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Card } from "@/components/ui/card";
import { DeploymentStatusBadge } from "./status-badge";

const seconds = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

/** Deployments of an environment (or one service), refreshed whenever one of them changes. */
export function DeploymentList({ environmentId, serviceId, baseHref }: { environmentId: string; serviceId?: string; baseHref: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const input = { environmentId, serviceId, limit: 30 };
  const list = useQuery(trpc.deployment.list.queryOptions(input));
  // The status stream fires on every deployment or service change in this environment.
  useSubscription(
    trpc.runtime.watchStatus.subscriptionOptions(
      { environmentId },
      { onData: () => void qc.invalidateQueries({ queryKey: trpc.deployment.list.queryKey(input) }) },
    ),
  );
  if (list.data?.length === 0) return <p className="text-sm text-zinc-500">No deployments yet.</p>;
  return (
    <Card padded={false} className="overflow-x-auto">
      <table className="w-full text-sm" aria-label="Deployments">
        <thead className="text-left text-xs text-zinc-500">
          <tr className="border-b border-zinc-200 dark:border-zinc-800">
            <th className="px-4 py-2 font-medium">Status</th>
            <th className="px-4 py-2 font-medium">What</th>
            <th className="px-4 py-2 font-medium">Trigger</th>
            <th className="px-4 py-2 font-medium">Who</th>
            <th className="px-4 py-2 font-medium">When</th>
            <th className="px-4 py-2 font-medium">Duration</th>
            <th className="px-4 py-2 font-medium">Commit</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((d) => (
            <tr key={d.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
              <td className="px-4 py-1.5">
                <Link href={`${baseHref}/${d.id}`} className="hover:underline" aria-label={`Deployment ${d.id.slice(0, 8)}`}>
                  <DeploymentStatusBadge status={d.status} testId="deployment-row-status" />
                </Link>
              </td>
              <td className="px-4 py-1.5">
                <Link href={`${baseHref}/${d.id}`} className="hover:underline">
                  {d.kind} {d.services.join(", ")}
                </Link>
              </td>
              <td className="px-4 py-1.5 text-zinc-500">{d.trigger}</td>
              <td className="px-4 py-1.5 text-zinc-500">{d.requestedBy}</td>
              <td className="whitespace-nowrap px-4 py-1.5 text-zinc-500">{d.createdAt.toLocaleString()}</td>
              <td className="px-4 py-1.5 text-zinc-500">{seconds(d.durationMs)}</td>
              <td className="px-4 py-1.5 font-mono text-xs text-zinc-500">{d.revision ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
