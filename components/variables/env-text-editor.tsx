"use client";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { TextAreaField } from "@/components/ui/textarea-field";
import { Button } from "@/components/ui/button";
import { Alert, Card } from "@/components/ui/card";
import { ImportPlanReview } from "./import-plan-review";
import type { VariableScope } from "./variable-types";

type Props = { scope: VariableScope; onClose: () => void; onSaved: (summary: string) => void };

/** Bulk edit: the scope's variables as .env text; saving replaces the set (through the same preview as an import). */
export function EnvTextEditor({ scope, onClose, onSaved }: Props) {
  const trpc = useTRPC();
  const current = useQuery({ ...trpc.variable.export.queryOptions({ scope }), staleTime: 0 });
  if (current.error) return <Alert>{current.error.message}</Alert>;
  if (!current.data) return <p className="text-sm text-zinc-500">Loading…</p>;
  return <Editor scope={scope} initial={current.data.text} onClose={onClose} onSaved={onSaved} />;
}

function Editor({ scope, initial, onClose, onSaved }: Props & { initial: string }) {
  const [text, setText] = useState(initial);
  const [previewed, setPreviewed] = useState<{ text: string; n: number } | null>(null);
  return (
    <Card>
      <form
        aria-label="Edit as .env"
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setPreviewed((p) => ({ text, n: (p?.n ?? 0) + 1 }));
        }}
      >
        <TextAreaField
          label="Variables as .env"
          rows={Math.min(24, Math.max(8, text.split("\n").length + 2))}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setPreviewed(null);
          }}
          hint="Lines you delete are removed, except secrets: they show masked and stay as they are (delete a secret from the table)."
        />
        <div className="flex gap-2">
          <Button type="submit" variant="secondary">
            Preview changes
          </Button>
          <Button type="button" variant="ghost" onClick={onClose}>
            Cancel
          </Button>
        </div>
      </form>
      {previewed ? (
        <div className="mt-4 border-t border-zinc-200 pt-4 dark:border-zinc-800">
          <ImportPlanReview key={previewed.n} scope={scope} text={previewed.text} mode="replace" applyLabel="Apply changes" onApplied={onSaved} />
        </div>
      ) : null}
    </Card>
  );
}
