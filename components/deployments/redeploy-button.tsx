"use client";
import { useRouter } from "next/navigation";
import { deployAction } from "@/server/actions/deploy-actions";
import { Button } from "@/components/ui/button";
import { useAction } from "./use-action";

/** One-click redeploy of one service from a list (named, so each card's button is distinct), then its live page. */
export function RedeployButton({ environmentId, serviceId, serviceName, deploymentsHref }: { environmentId: string; serviceId: string; serviceName: string; deploymentsHref: string }) {
  const router = useRouter();
  const { pending, error, run } = useAction();
  return (
    <span className="inline-flex flex-col gap-1">
      <Button
        variant="secondary"
        className="px-2 py-0.5 text-xs"
        aria-label={`Redeploy ${serviceName}`}
        disabled={pending}
        onClick={() => run(() => deployAction(environmentId, serviceId), (d) => router.push(`${deploymentsHref}/${d.id}`))}
      >
        {pending ? "Queuing…" : "Redeploy"}
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-600 dark:text-red-400">
          {error}
        </span>
      ) : null}
    </span>
  );
}
