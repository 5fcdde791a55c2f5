"use client";
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { ImportPreview, planNames } from "./import-preview";
import { useInvalidateVariables } from "./use-invalidate-variables";
import type { ImportMode, VariableScope } from "./variable-types";

/** `NAME=******** # secret`, as the export writes a secret. */
const holdsMask = (text: string, name: string) => new RegExp(`^[ \\t]*(?:export[ \\t]+)?${name}[ \\t]*=[ \\t]*\\*{8}[ \\t]*(#.*)?$`, "m").test(text);

type Props = { scope: VariableScope; text: string; mode: ImportMode; applyLabel: string; onApplied: (summary: string) => void };

/** Plans an import of `text`, shows the plan, and applies exactly that plan (with the secrets the person chose to overwrite). */
export function ImportPlanReview({ scope, text, mode, applyLabel, onApplied }: Props) {
  const trpc = useTRPC();
  const invalidate = useInvalidateVariables();
  const [overwrite, setOverwrite] = useState<string[]>([]);
  const input = { scope, text, mode, overwriteSecrets: overwrite };
  // A plan is a read, but it is always computed fresh: the variables may have changed since the last look.
  const plan = useQuery({ ...trpc.variable.importPlan.queryOptions(input), staleTime: 0, placeholderData: keepPreviousData });
  const list = useQuery(trpc.variable.list.queryOptions({ scope }));
  const apply = useMutation(
    trpc.variable.import.mutationOptions({
      onSuccess: async () => {
        const p = plan.data;
        await invalidate();
        onApplied(p ? `Imported: ${planNames(p.create).length} created, ${planNames(p.update).length} updated, ${planNames(p.remove).length} removed.` : "Imported.");
      },
    }),
  );

  if (plan.error) return <Alert>{plan.error.message}</Alert>;
  if (!plan.data) return <p className="text-sm text-zinc-500">Checking…</p>;
  const secrets = new Set(list.data?.filter((v) => v.kind === "secret").map((v) => v.name) ?? []);
  // An existing secret named in the text is either skipped (kept) or, once ticked, updated: offer the choice in both
  // states — except where the line still holds the export's mask, which means "keep it", never a new value.
  const choices = [...new Set([...plan.data.skip.map((s) => s.name), ...planNames(plan.data.update)])].filter((n) => secrets.has(n) && !holdsMask(text, n)).sort();
  const changes = planNames(plan.data.create).length + planNames(plan.data.update).length + planNames(plan.data.remove).length;
  return (
    <div className="flex flex-col gap-3">
      <ImportPreview
        plan={plan.data}
        secretChoices={choices}
        overwrite={overwrite}
        onToggleOverwrite={(name, on) => setOverwrite((cur) => (on ? [...cur, name] : cur.filter((n) => n !== name)))}
      />
      {apply.error ? <Alert>{apply.error.message}</Alert> : null}
      <div>
        <Button disabled={plan.data.errors.length > 0 || changes === 0 || apply.isPending || plan.isFetching} onClick={() => apply.mutate(input)}>
          {plan.data.errors.length ? applyLabel : `${applyLabel} (${changes} change${changes === 1 ? "" : "s"})`}
        </Button>
      </div>
    </div>
  );
}
