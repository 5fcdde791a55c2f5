"use client";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/server/actions/action-context";

/** Runs a server action with a pending flag and the error it returned (if any). */
export function useAction() {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  function run<T>(action: () => Promise<ActionResult<T>>, onOk?: (data: T) => void) {
    setError(null);
    startTransition(async () => {
      const r = await action();
      if (r.ok) onOk?.(r.data);
      else setError(r.error);
    });
  }
  return { pending, error, run };
}
