"use client";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { VariableForm } from "./variable-form";
import { VariableValue } from "./variable-value";
import { useInvalidateVariables } from "./use-invalidate-variables";
import type { VariableRow, VariableScope } from "./variable-types";

const AVAILABLE: Record<VariableRow["availability"], string> = { both: "build + runtime", runtime: "runtime", build: "build" };

/** The variables set directly on one scope, each editable and deletable in place. */
export function VariableTable({ scope, canWrite }: { scope: VariableScope; canWrite: boolean }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.variable.list.queryOptions({ scope }));
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const invalidate = useInvalidateVariables();
  const unset = useMutation(
    trpc.variable.unset.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        return invalidate();
      },
    }),
  );
  const cols = canWrite ? 6 : 5;
  return (
    <Card padded={false} className="self-start overflow-x-auto">
      {list.error ? <Alert>{list.error.message}</Alert> : null}
      {unset.error ? <Alert>{unset.error.message}</Alert> : null}
      <table className="w-full text-sm" aria-label="Variables">
        <thead className="text-left text-xs text-zinc-500">
          <tr className="border-b border-zinc-200 dark:border-zinc-800">
            <th className="px-4 py-2 font-medium">Name</th>
            <th className="px-4 py-2 font-medium">Value</th>
            <th className="px-4 py-2 font-medium">Kind</th>
            <th className="px-4 py-2 font-medium">Available</th>
            <th className="px-4 py-2 font-medium">Changed</th>
            {canWrite ? <th className="px-4 py-2" /> : null}
          </tr>
        </thead>
        <tbody>
          {list.data?.length === 0 ? (
            <tr>
              <td colSpan={cols} className="px-4 py-3 text-zinc-500">
                No variables here yet.
              </td>
            </tr>
          ) : null}
          {list.data?.map((v) =>
            editing === v.name ? (
              <tr key={v.id} className="border-b border-zinc-100 bg-zinc-50 last:border-0 dark:border-zinc-800/60 dark:bg-zinc-950/40">
                <td colSpan={cols} className="px-4 py-3">
                  <VariableForm scope={scope} existing={v} onDone={() => setEditing(null)} onCancel={() => setEditing(null)} />
                </td>
              </tr>
            ) : (
              <tr key={v.id} className="border-b border-zinc-100 align-top last:border-0 dark:border-zinc-800/60">
                <td className="px-4 py-2 font-mono text-xs font-medium">
                  {v.name}
                  {v.fromSpec ? (
                    <div className="font-sans font-normal text-zinc-500" title="Declared in the service spec (manifest env); saving it here turns it into a variable">
                      from the service spec
                    </div>
                  ) : null}
                </td>
                <td className="max-w-xs px-4 py-2 text-xs">
                  <VariableValue kind={v.kind} value={v.value} mask={v.mask} />
                </td>
                <td className="px-4 py-2 text-xs">{v.kind}</td>
                <td className="px-4 py-2 text-xs text-zinc-500">
                  {AVAILABLE[v.availability]}
                  {v.asFile ? <span className="ml-1 rounded bg-zinc-100 px-1 dark:bg-zinc-800">file</span> : null}
                </td>
                <td className="whitespace-nowrap px-4 py-2 text-xs text-zinc-500">
                  {v.updatedAt.toLocaleString()}
                  {v.updatedBy ? <div>by {v.updatedBy}</div> : null}
                </td>
                {canWrite ? (
                  <td className="whitespace-nowrap px-4 py-1.5 text-right">
                    {deleting === v.name ? (
                      <span className="inline-flex items-center gap-1">
                        <span className="text-xs text-zinc-500">Delete {v.name}?</span>
                        <Button variant="danger" aria-label={`Confirm delete ${v.name}`} disabled={unset.isPending} onClick={() => unset.mutate({ scope, name: v.name })}>
                          Delete
                        </Button>
                        <Button variant="ghost" onClick={() => setDeleting(null)}>
                          Keep
                        </Button>
                      </span>
                    ) : (
                      <span className="inline-flex gap-1">
                        <Button variant="ghost" aria-label={`Edit ${v.name}`} onClick={() => setEditing(v.name)}>
                          Edit
                        </Button>
                        <Button variant="ghost" aria-label={`Delete ${v.name}`} onClick={() => setDeleting(v.name)}>
                          Delete
                        </Button>
                      </span>
                    )}
                  </td>
                ) : null}
              </tr>
            ),
          )}
        </tbody>
      </table>
    </Card>
  );
}
