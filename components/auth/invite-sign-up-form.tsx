"use client";
import { useActionState } from "react";
import { signUpWithInvitationAction } from "@/server/actions/auth-actions";
import type { FormState } from "@/server/actions/form-state";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/card";

export function InviteSignUpForm({ token, email }: { token: string; email: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signUpWithInvitationAction, {});
  return (
    <form action={action} className="flex flex-col gap-3">
      {state.error ? <Alert>{state.error}</Alert> : null}
      <input type="hidden" name="token" value={token} />
      <TextField label="Email" value={email} readOnly disabled />
      <TextField label="Your name" name="name" defaultValue={state.values?.name} autoComplete="name" required error={state.fieldErrors?.name} />
      <TextField label="Choose a password" name="password" type="password" autoComplete="new-password" required hint="At least 10 characters." error={state.fieldErrors?.password} />
      <Button type="submit" disabled={pending}>
        {pending ? "Joining…" : "Create account and join"}
      </Button>
    </form>
  );
}
