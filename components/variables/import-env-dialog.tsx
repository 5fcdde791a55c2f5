"use client";
import { useEffect, useState } from "react";
import { SelectField, TextField } from "@/components/ui/field";
import { TextAreaField } from "@/components/ui/textarea-field";
import { Button } from "@/components/ui/button";
import { ImportPlanReview } from "./import-plan-review";
import type { ImportMode, VariableScope } from "./variable-types";

type Props = { scope: VariableScope; onClose: () => void; onImported: (summary: string) => void };

/** Import a .env file (chosen or pasted): preview first, import only what the preview showed. */
export function ImportEnvDialog({ scope, onClose, onImported }: Props) {
  const [text, setText] = useState("");
  const [mode, setMode] = useState<ImportMode>("merge");
  // The text and mode the preview was made for; editing either asks for a new preview.
  const [previewed, setPreviewed] = useState<{ text: string; mode: ImportMode; n: number } | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const edit = (next: { text?: string; mode?: ImportMode }) => {
    if (next.text !== undefined) setText(next.text);
    if (next.mode !== undefined) setMode(next.mode);
    setPreviewed(null);
  };

  return (
    <div className="fixed inset-0 z-30 flex items-start justify-center overflow-y-auto bg-black/40 p-4 sm:p-10">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="import-env-title"
        className="w-full max-w-2xl rounded-lg border border-zinc-200 bg-white p-4 shadow-lg dark:border-zinc-800 dark:bg-zinc-900"
      >
        <div className="mb-3 flex items-center justify-between">
          <h2 id="import-env-title" className="text-sm font-semibold">
            Import .env
          </h2>
          <Button variant="ghost" onClick={onClose} aria-label="Close import">
            ✕
          </Button>
        </div>
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setPreviewed((p) => ({ text, mode, n: (p?.n ?? 0) + 1 }));
          }}
        >
          <TextField
            label=".env file"
            type="file"
            accept=".env,text/plain"
            className="file:mr-2 file:rounded file:border-0 file:bg-zinc-100 file:px-2 file:py-1 file:text-xs dark:file:bg-zinc-800"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              if (file) edit({ text: await file.text() });
            }}
          />
          <TextAreaField label=".env text" rows={10} value={text} onChange={(e) => edit({ text: e.target.value })} placeholder={"# or paste here\nNAME=value"} hint="One NAME=value per line; # starts a comment." />
          <SelectField label="Import mode" value={mode} onChange={(e) => edit({ mode: e.target.value as ImportMode })}>
            <option value="merge">merge: add and update, keep the others</option>
            <option value="replace">replace: also remove variables not in the text</option>
          </SelectField>
          <div>
            <Button type="submit" variant="secondary" disabled={!text.trim()}>
              Preview import
            </Button>
          </div>
        </form>
        {previewed ? (
          <div className="mt-4 border-t border-zinc-200 pt-4 dark:border-zinc-800">
            <ImportPlanReview key={previewed.n} scope={scope} text={previewed.text} mode={previewed.mode} applyLabel="Apply import" onApplied={onImported} />
          </div>
        ) : null}
      </div>
    </div>
  );
}
