"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Alert, Card } from "@/components/ui/card";
import { VariableValue } from "./variable-value";
import type { EffectiveVariable } from "./variable-types";

const SCOPE_LABEL: Record<EffectiveVariable["scope"], string> = { project: "project", environment: "environment", service: "service", builtin: "built-in" };
const SCOPE_TONE: Record<EffectiveVariable["scope"], string> = {
  project: "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300",
  environment: "bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300",
  service: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300",
  builtin: "bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-300",
};
const AVAILABLE: Record<EffectiveVariable["availability"], string> = { both: "build + runtime", runtime: "runtime", build: "build" };

/** What the service actually gets: one row per name, from the narrowest scope that sets it. */
export function EffectiveVariables({ serviceId }: { serviceId: string }) {
  const trpc = useTRPC();
  const effective = useQuery({ ...trpc.variable.effective.queryOptions({ serviceId }), staleTime: 0 });
  if (effective.error) return <Alert>{effective.error.message}</Alert>;
  return (
    <Card padded={false} className="overflow-x-auto">
      <table className="w-full text-sm" aria-label="Effective variables">
        <thead className="text-left text-xs text-zinc-500">
          <tr className="border-b border-zinc-200 dark:border-zinc-800">
            <th className="px-4 py-2 font-medium">Name</th>
            <th className="px-4 py-2 font-medium">Value</th>
            <th className="px-4 py-2 font-medium">From</th>
            <th className="px-4 py-2 font-medium">Overrides</th>
            <th className="px-4 py-2 font-medium">Available</th>
          </tr>
        </thead>
        <tbody>
          {effective.data?.length === 0 ? (
            <tr>
              <td colSpan={5} className="px-4 py-3 text-zinc-500">
                No variables reach this service.
              </td>
            </tr>
          ) : null}
          {effective.data?.map((v) => (
            <tr key={v.name} className="border-b border-zinc-100 align-top last:border-0 dark:border-zinc-800/60">
              <td className="px-4 py-1.5 font-mono text-xs font-medium">{v.name}</td>
              <td className="max-w-xs px-4 py-1.5 text-xs">
                <VariableValue kind={v.kind} value={v.value} mask={v.mask} />
                {v.problem ? (
                  <div role="alert" className="text-xs text-red-600 dark:text-red-400">
                    {v.problem}
                  </div>
                ) : null}
              </td>
              <td className="px-4 py-1.5">
                <span data-testid="winning-scope" className={`rounded px-1.5 py-0.5 text-xs font-medium ${SCOPE_TONE[v.scope]}`}>
                  {SCOPE_LABEL[v.scope]}
                </span>
              </td>
              <td className="px-4 py-1.5 text-xs text-zinc-500">{v.overrides.length ? `overrides ${v.overrides.join(", ")}` : "—"}</td>
              <td className="px-4 py-1.5 text-xs text-zinc-500">
                {AVAILABLE[v.availability]}
                {v.asFile ? <span className="ml-1 rounded bg-zinc-100 px-1 dark:bg-zinc-800">file</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
