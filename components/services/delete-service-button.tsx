"use client";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";

export function DeleteServiceButton({ serviceId, name, afterHref }: { serviceId: string; name: string; afterHref: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const del = useMutation(trpc.service.delete.mutationOptions({ onSuccess: () => router.push(afterHref) }));
  return (
    <Button
      variant="danger"
      disabled={del.isPending}
      onClick={() => {
        if (window.confirm(`Delete the service ${name}? This cannot be undone.`)) del.mutate({ serviceId });
      }}
    >
      Delete service
    </Button>
  );
}
