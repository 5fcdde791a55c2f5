"use client";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";

export function AcceptInviteButton({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const accept = useMutation(trpc.invitation.accept.mutationOptions({ onSuccess: (r) => router.push(`/o/${r.orgSlug}`) }));
  return (
    <div className="flex flex-col gap-3">
      {accept.error ? <Alert>{accept.error.message}</Alert> : null}
      <Button onClick={() => accept.mutate({ token })} disabled={accept.isPending}>
        Accept invitation
      </Button>
    </div>
  );
}
