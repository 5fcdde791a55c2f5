"use client";
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc";
import { SelectField, TextField } from "@/components/ui/field";
import { CheckboxField } from "@/components/ui/checkbox-field";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";
import { fieldError, formError } from "@/components/ui/trpc-errors";
import { AVAILABILITY, KINDS, type Availability, type VariableKind, type VariableRow, type VariableScope } from "./variable-types";
import { useInvalidateVariables } from "./use-invalidate-variables";

type Props = { scope: VariableScope; existing?: VariableRow; onDone?: () => void; onCancel?: () => void };

/** Adds a variable, or edits one (`existing`). A secret's old value is never shown: editing it means typing a new one. */
export function VariableForm({ scope, existing, onDone, onCancel }: Props) {
  const trpc = useTRPC();
  const invalidate = useInvalidateVariables();
  const [name, setName] = useState(existing?.name ?? "");
  const [kind, setKind] = useState<VariableKind>(existing?.kind ?? "value");
  const [value, setValue] = useState(existing?.kind === "secret" ? "" : (existing?.value ?? ""));
  const [availability, setAvailability] = useState<Availability>(existing?.availability ?? "runtime");
  const [asFile, setAsFile] = useState(existing?.asFile ?? false);
  const [saved, setSaved] = useState<string | null>(null);
  const set = useMutation(
    trpc.variable.set.mutationOptions({
      onSuccess: async (_data, input) => {
        setSaved(input.name);
        if (!existing) {
          setName("");
          setKind("value");
          setAvailability("runtime");
          setAsFile(false);
        }
        // Cleared after every save, so a secret does not linger in the page.
        setValue("");
        await invalidate();
        onDone?.();
      },
    }),
  );
  const secret = kind === "secret";
  const title = existing ? `Edit ${existing.name}` : "Add variable";

  return (
    <form
      aria-label={title}
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(null);
        set.mutate({ scope, name, kind, value, availability, asFile });
      }}
    >
      {formError(set.error) ? <Alert>{formError(set.error)}</Alert> : null}
      {saved && !existing ? <Alert tone="success">Saved {saved}.</Alert> : null}
      <div className={existing ? "grid gap-3 sm:grid-cols-[12rem_10rem_1fr]" : "flex flex-col gap-3"}>
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} disabled={Boolean(existing)} error={fieldError(set.error, "name")} className="font-mono" autoComplete="off" placeholder="DATABASE_URL" />
        <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as VariableKind)} error={fieldError(set.error, "kind")}>
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Value"
          type={secret ? "password" : "text"}
          autoComplete={secret ? "new-password" : "off"}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          error={fieldError(set.error, "value")}
          className="font-mono"
          placeholder={secret && existing?.kind === "secret" ? "type a new value to replace it" : kind === "alias" ? "{{OTHER_NAME}}" : undefined}
          hint={secret ? "Write-only: nobody can read it back, only replace it." : kind === "alias" ? "Refers to other variables as {{NAME}}; resolved at deploy." : undefined}
        />
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-40">
          <SelectField label="Available at" value={availability} onChange={(e) => setAvailability(e.target.value as Availability)} error={fieldError(set.error, "availability")}>
            {AVAILABILITY.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </SelectField>
        </div>
        <CheckboxField label="Mount as a file" checked={asFile} onChange={(e) => setAsFile(e.target.checked)} className="pb-2" />
      </div>
      <div className="flex gap-2">
        <Button type="submit" disabled={set.isPending}>
          {existing ? "Save" : "Add variable"}
        </Button>
        {onCancel ? (
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}
