"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "@/components/trpc/trpc";

/**
 * Keeps the environment overview's sparklines current: the server pushes (SSE) when the sampler
 * stored a newer sample for the environment, and the overview query is read again then — once per
 * tick for all cards, never on a timer.
 */
export function useLiveEnvironmentMetrics(environmentId: string): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useSubscription(
    trpc.metrics.watchEnvironment.subscriptionOptions(
      { environmentId },
      { onData: () => void queryClient.invalidateQueries({ queryKey: trpc.metrics.environment.queryKey({ environmentId }) }) },
    ),
  );
}
