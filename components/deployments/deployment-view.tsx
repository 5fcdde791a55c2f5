"use client";
import { useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { cancelDeploymentAction, rollbackAction } from "@/server/actions/deploy-actions";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { DeploymentStatusBadge } from "./status-badge";
import { useAction } from "./use-action";

type Event = { id: number; stage: string; step: string; status: string; message: string; hint: string | null; serviceName: string | null; createdAt: Date };

const DOT: Record<string, string> = { running: "bg-sky-500 animate-pulse", success: "bg-emerald-500", error: "bg-red-500", warning: "bg-amber-500", info: "bg-zinc-400" };

/** A deployment's live step timeline: events stream in over SSE and are kept in order, without duplicates. */
export function DeploymentView({ deploymentId, deploymentsHref, canDeploy }: { deploymentId: string; deploymentsHref: string; canDeploy: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const initial = useQuery(trpc.deployment.get.queryOptions({ deploymentId }));
  const [events, setEvents] = useState<Event[]>([]);
  const [live, setLive] = useState<typeof initial.data>(undefined);
  useSubscription(
    trpc.deployment.watch.subscriptionOptions(
      { deploymentId },
      {
        onData: ({ data }) => {
          setLive(data.deployment);
          if (data.type === "event") setEvents((cur) => (cur.some((e) => e.id === data.event.id) ? cur : [...cur, data.event].sort((a, b) => a.id - b.id)));
        },
      },
    ),
  );
  const d = live ?? initial.data;
  const { pending, error, run } = useAction();
  if (!d) return <p className="text-sm text-zinc-500">Loading…</p>;
  const actions = new Set(canDeploy ? d.actions : []);
  // A step links to its service's log lines of this deployment: those leading up to it when it ended,
  // those from it on while it runs.
  const envHref = deploymentsHref.replace(/\/deployments$/, "");
  const stepLogsHref = (e: Event) => {
    const service = e.serviceName ?? (d.services.length === 1 ? d.services[0].name : null);
    if (!service) return null;
    const at = e.createdAt.toISOString();
    return `${envHref}/s/${service}/logs?deployment=${d.id}&${e.status === "running" ? `from=${at}` : `until=${at}`}`;
  };
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <DeploymentStatusBadge status={d.status} />
            <span>
              {d.kind} {d.services.map((s) => s.name).join(", ")}
            </span>
            <span className="text-zinc-500">by {d.requestedBy ?? "—"} via {d.trigger}</span>
            {d.revision ? <span className="font-mono text-xs text-zinc-500">{d.revision}</span> : null}
          </div>
          <div className="flex gap-2">
            {actions.has("cancel") ? (
              <Button variant="secondary" disabled={pending} onClick={() => run(() => cancelDeploymentAction(d.id))}>
                Cancel
              </Button>
            ) : null}
            {actions.has("rollback") ? (
              <Button variant="secondary" disabled={pending} onClick={() => run(() => rollbackAction(d.id), (n) => router.push(`${deploymentsHref}/${n.id}`))}>
                Roll back to this
              </Button>
            ) : null}
          </div>
        </div>
        {d.message ? <p className="mt-3 text-sm" data-testid="deployment-message">{d.message}</p> : null}
        {d.hint ? <pre className="mt-2 max-h-80 overflow-auto whitespace-pre-wrap rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-950">{d.hint}</pre> : null}
        {error ? (
          <div className="mt-3">
            <Alert>{error}</Alert>
          </div>
        ) : null}
      </Card>
      <Card>
        <h2 className="mb-3 text-sm font-semibold">Steps</h2>
        <ol className="flex flex-col gap-2" aria-label="Deployment steps">
          {events.map((e) => (
            <li key={e.id} className="flex items-start gap-2 text-sm" data-status={e.status}>
              <span className={`mt-1.5 inline-block h-2 w-2 shrink-0 rounded-full ${DOT[e.status] ?? DOT.info}`} aria-hidden />
              <div>
                <span className="font-medium">{e.step}</span>
                <span className="text-zinc-500"> · {e.message}</span>
                {e.hint ? <pre className="mt-1 whitespace-pre-wrap font-mono text-xs text-zinc-500">{e.hint}</pre> : null}
              </div>
              <span className="ml-auto flex items-center gap-2 whitespace-nowrap text-xs text-zinc-400">
                {stepLogsHref(e) ? (
                  <Link href={stepLogsHref(e) as string} className="text-sky-600 hover:underline" aria-label={`Logs of step ${e.step}`}>
                    logs
                  </Link>
                ) : null}
                {e.createdAt.toLocaleTimeString()}
              </span>
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
