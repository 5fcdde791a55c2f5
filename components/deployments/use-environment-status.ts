"use client";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";

/** The environment's service statuses: first from a query, then pushed over SSE on every change. */
export function useEnvironmentStatus(environmentId: string) {
  const trpc = useTRPC();
  const initial = useQuery(trpc.runtime.status.queryOptions({ environmentId }));
  const live = useSubscription(trpc.runtime.watchStatus.subscriptionOptions({ environmentId }));
  return live.data ?? initial.data;
}
