"use client";
import { useActionState } from "react";
import { createOwnerAction } from "@/server/actions/auth-actions";
import type { FormState } from "@/server/actions/form-state";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";

export function OwnerSetupForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(createOwnerAction, {});
  return (
    <form action={action} className="flex flex-col gap-3">
      {state.error ? <Alert>{state.error}</Alert> : null}
      <TextField label="Your name" name="name" defaultValue={state.values?.name} autoComplete="name" required error={state.fieldErrors?.name} />
      <TextField label="Email" name="email" defaultValue={state.values?.email} type="email" autoComplete="email" required error={state.fieldErrors?.email} />
      <TextField label="Password" name="password" type="password" autoComplete="new-password" required hint="At least 10 characters." error={state.fieldErrors?.password} />
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create the owner account"}
      </Button>
    </form>
  );
}
