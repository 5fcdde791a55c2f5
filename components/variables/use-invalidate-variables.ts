"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";

/** After any variable change: every list, effective view and export may be stale (scopes inherit). */
export function useInvalidateVariables() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => qc.invalidateQueries(trpc.variable.pathFilter());
}
