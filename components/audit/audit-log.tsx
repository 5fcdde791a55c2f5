"use client";
import { useState } from "react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "@/components/trpc/trpc";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";

type Filters = { actor: string; action: string; resourceType: string; from: string; to: string };
const EMPTY: Filters = { actor: "", action: "", resourceType: "", from: "", to: "" };
const opt = (s: string) => (s.trim() ? s.trim() : undefined);
const optDate = (s: string) => (s ? new Date(s) : undefined);

export function AuditLog({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const input = {
    orgId,
    actor: opt(applied.actor),
    action: opt(applied.action),
    resourceType: opt(applied.resourceType),
    from: optDate(applied.from),
    to: optDate(applied.to),
    limit: 50,
  };
  // Paged by the event sequence number ("before"), newest first.
  const query = useInfiniteQuery({
    queryKey: [...trpc.audit.list.queryKey(input), "pages"],
    queryFn: ({ pageParam }) => client.audit.list.query({ ...input, before: pageParam }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.nextBefore ?? undefined,
  });
  const rows = query.data?.pages.flatMap((p) => p.items) ?? [];
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement>) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <form
          className="grid items-end gap-3 sm:grid-cols-6"
          aria-label="Filter audit events"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(draft);
          }}
        >
          <TextField label="Actor" value={draft.actor} onChange={set("actor")} placeholder="email" />
          <TextField label="Action" value={draft.action} onChange={set("action")} placeholder="service." />
          <TextField label="Resource type" value={draft.resourceType} onChange={set("resourceType")} placeholder="project" />
          <TextField label="From" type="datetime-local" value={draft.from} onChange={set("from")} />
          <TextField label="To" type="datetime-local" value={draft.to} onChange={set("to")} />
          <Button type="submit">Filter</Button>
        </form>
      </Card>
      {query.error ? <Alert>{query.error.message}</Alert> : null}
      <Card padded={false} className="overflow-x-auto">
        <table className="w-full text-sm" aria-label="Audit events">
          <thead className="text-left text-xs text-zinc-500">
            <tr className="border-b border-zinc-200 dark:border-zinc-800">
              <th className="px-4 py-2 font-medium">When</th>
              <th className="px-4 py-2 font-medium">Actor</th>
              <th className="px-4 py-2 font-medium">Action</th>
              <th className="px-4 py-2 font-medium">Resource</th>
              <th className="px-4 py-2 font-medium">Source</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
                <td className="whitespace-nowrap px-4 py-1.5 text-zinc-500">{r.createdAt.toLocaleString()}</td>
                <td className="px-4 py-1.5">{r.actor}</td>
                <td className="px-4 py-1.5 font-mono text-xs">{r.action}</td>
                <td className="px-4 py-1.5">
                  <span className="text-zinc-500">{r.resourceType}</span> {r.resourceName}
                </td>
                <td className="px-4 py-1.5 text-zinc-500">
                  {r.source}
                  {r.ip ? ` · ${r.ip}` : ""}
                </td>
              </tr>
            ))}
            {!query.isLoading && rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="px-4 py-3 text-zinc-500">
                  No events match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </Card>
      {query.hasNextPage ? (
        <div>
          <Button variant="secondary" onClick={() => query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            Load older events
          </Button>
        </div>
      ) : null}
    </div>
  );
}
