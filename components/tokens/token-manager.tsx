"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { fieldError, formError } from "@/components/ui/trpc-errors";
import type { Role } from "@/server/policy/policy";

const when = (d: Date | null) => (d ? d.toLocaleString() : "never");

export function TokenManager({ orgId, roles }: { orgId: string; roles: Role[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(roles.includes("developer") ? "developer" : roles[roles.length - 1]);
  const [secret, setSecret] = useState<string | null>(null);
  const tokens = useQuery(trpc.token.list.queryOptions({ orgId }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.token.list.queryKey({ orgId }) });
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: (t) => {
        setSecret(t.token);
        setName("");
        return refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.token.revoke.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="grid gap-6 md:grid-cols-[1fr_20rem]">
      <Card padded={false} className="overflow-x-auto">
        {revoke.error ? <Alert>{revoke.error.message}</Alert> : null}
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-zinc-500">
            <tr className="border-b border-zinc-200 dark:border-zinc-800">
              <th className="px-4 py-2 font-medium">Name</th>
              <th className="px-4 py-2 font-medium">Role</th>
              <th className="px-4 py-2 font-medium">Owner</th>
              <th className="px-4 py-2 font-medium">Last used</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody>
            {tokens.data?.length === 0 ? (
              <tr>
                <td colSpan={5} className="px-4 py-3 text-zinc-500">
                  No active tokens.
                </td>
              </tr>
            ) : null}
            {tokens.data?.map((t) => (
              <tr key={t.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800/60">
                <td className="px-4 py-2">
                  <div className="font-medium">{t.name}</div>
                  <div className="font-mono text-xs text-zinc-500">{t.prefix}…</div>
                </td>
                <td className="px-4 py-2">{t.role}</td>
                <td className="px-4 py-2 text-zinc-500">{t.owner}</td>
                <td className="px-4 py-2 text-zinc-500">{when(t.lastUsedAt)}</td>
                <td className="px-4 py-2 text-right">
                  <Button variant="ghost" aria-label={`Revoke ${t.name}`} onClick={() => revoke.mutate({ tokenId: t.id })}>
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card>
        <h2 className="mb-3 text-sm font-semibold">New token</h2>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setSecret(null);
            create.mutate({ orgId, name, role });
          }}
        >
          {formError(create.error) ? <Alert>{formError(create.error)}</Alert> : null}
          <TextField label="Token name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
          <SelectField label="Token role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fieldError(create.error, "role")}>
            {roles.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </SelectField>
          <Button type="submit" disabled={create.isPending}>
            Create token
          </Button>
        </form>
        {secret ? (
          <div className="mt-3 flex flex-col gap-2">
            <Alert tone="success">Copy this token now. It will not be shown again.</Alert>
            <TextField label="New token" value={secret} readOnly onFocus={(e) => e.currentTarget.select()} className="font-mono" />
          </div>
        ) : null}
      </Card>
    </div>
  );
}
