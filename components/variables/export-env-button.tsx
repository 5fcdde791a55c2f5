"use client";
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import type { VariableScope } from "./variable-types";

/** Downloads the scope's variables as a .env file; the server masks secrets, so none leaves in clear. */
export function ExportEnvButton({ scope, fileName }: { scope: VariableScope; fileName: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  async function download() {
    setError(null);
    setPending(true);
    try {
      const { text } = await qc.fetchQuery({ ...trpc.variable.export.queryOptions({ scope }), staleTime: 0 });
      const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = fileName;
      a.click();
      // Revoked later, not at once: the browser may still be reading the blob when click() returns.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err instanceof Error ? err.message : "export failed");
    } finally {
      setPending(false);
    }
  }
  return (
    <span className="inline-flex flex-col items-end gap-1">
      <Button variant="secondary" disabled={pending} onClick={download}>
        Export .env
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-600 dark:text-red-400">
          {error}
        </span>
      ) : null}
    </span>
  );
}
