"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";

const ASSIGNABLE = ["admin", "developer", "viewer"] as const;

export function MemberList({ orgId, canManage, isOwner }: { orgId: string; canManage: boolean; isOwner: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const members = useQuery(trpc.member.list.queryOptions({ orgId }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.member.list.queryKey({ orgId }) });
  const updateRole = useMutation(trpc.member.updateRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.member.remove.mutationOptions({ onSuccess: refresh }));
  const transfer = useMutation(trpc.member.transferOwnership.mutationOptions({ onSuccess: () => window.location.reload() }));
  const error = updateRole.error ?? remove.error ?? transfer.error;
  return (
    <Card padded={false} className="overflow-x-auto">
      {error ? (
        <div className="p-3">
          <Alert>{error.message}</Alert>
        </div>
      ) : null}
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-zinc-500">
          <tr className="border-b border-zinc-200 dark:border-zinc-800">
            <th className="px-4 py-2 font-medium">Member</th>
            <th className="px-4 py-2 font-medium">Role</th>
            <th className="px-4 py-2" />
          </tr>
        </thead>
        <tbody>
          {members.data?.map((m) => (
            <tr key={m.userId} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
              <td className="px-4 py-2">
                <div className="font-medium">{m.name}</div>
                <div className="text-xs text-zinc-500">{m.email}</div>
              </td>
              <td className="px-4 py-2">
                {canManage && m.role !== "owner" ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    className="rounded border border-zinc-300 bg-white px-1.5 py-0.5 text-sm dark:border-zinc-700 dark:bg-zinc-900"
                    value={m.role}
                    onChange={(e) => updateRole.mutate({ orgId, userId: m.userId, role: e.target.value as (typeof ASSIGNABLE)[number] })}
                  >
                    {ASSIGNABLE.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td className="space-x-1 px-4 py-2 text-right">
                {isOwner && m.role !== "owner" ? (
                  <Button variant="ghost" onClick={() => window.confirm(`Make ${m.email} the owner? You become an admin.`) && transfer.mutate({ orgId, userId: m.userId })}>
                    Make owner
                  </Button>
                ) : null}
                {canManage && m.role !== "owner" ? (
                  <Button variant="ghost" onClick={() => window.confirm(`Remove ${m.email}?`) && remove.mutate({ orgId, userId: m.userId })}>
                    Remove
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
