"use client";
import { useRouter } from "next/navigation";
import { deployAction } from "@/server/actions/deploy-actions";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { useAction } from "./use-action";

/** Deploy (or redeploy) an environment or a service, then open the new deployment's live page. */
export function DeployButton({ environmentId, serviceId, deploymentsHref, label = "Deploy" }: { environmentId: string; serviceId?: string; deploymentsHref: string; label?: string }) {
  const router = useRouter();
  const { pending, error, run } = useAction();
  return (
    <div className="flex flex-col items-end gap-2">
      <Button disabled={pending} onClick={() => run(() => deployAction(environmentId, serviceId), (d) => router.push(`${deploymentsHref}/${d.id}`))}>
        {pending ? "Queuing…" : label}
      </Button>
      {error ? <Alert>{error}</Alert> : null}
    </div>
  );
}
