"use client";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { fieldError, formError } from "@/components/ui/trpc-errors";

type Role = "admin" | "developer" | "viewer";

export function InvitePanel({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("developer");
  const [link, setLink] = useState<string | null>(null);
  const pending = useQuery(trpc.invitation.list.queryOptions({ orgId }));
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.invitation.list.queryKey({ orgId }) });
  const invite = useMutation(
    trpc.invitation.create.mutationOptions({
      onSuccess: (r) => {
        setLink(`${window.location.origin}${r.path}`);
        setEmail("");
        return refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.invitation.revoke.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <h2 className="mb-3 text-sm font-semibold">Invite a member</h2>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setLink(null);
            invite.mutate({ orgId, email, role });
          }}
        >
          {formError(invite.error) ? <Alert>{formError(invite.error)}</Alert> : null}
          <TextField label="Email to invite" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fieldError(invite.error, "email")} />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fieldError(invite.error, "role")}>
            <option value="admin">admin</option>
            <option value="developer">developer</option>
            <option value="viewer">viewer</option>
          </SelectField>
          <Button type="submit" disabled={invite.isPending}>
            Create invite link
          </Button>
        </form>
        {link ? (
          <div className="mt-3">
            <Alert tone="success">Send this one-time link to the person you invited. It is shown only now.</Alert>
            <TextField label="Invite link" value={link} readOnly onFocus={(e) => e.currentTarget.select()} />
          </div>
        ) : null}
      </Card>
      <Card>
        <h2 className="mb-2 text-sm font-semibold">Pending invitations</h2>
        {pending.data?.length === 0 ? <p className="text-sm text-zinc-500">None.</p> : null}
        <ul className="divide-y divide-zinc-100 text-sm dark:divide-zinc-800">
          {pending.data?.map((i) => (
            <li key={i.id} className="flex items-center justify-between py-1.5">
              <span>
                {i.email} <span className="text-zinc-500">· {i.role}</span>
              </span>
              <Button variant="ghost" onClick={() => revoke.mutate({ invitationId: i.id })}>
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
