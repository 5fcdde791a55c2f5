"use server";
import { headers } from "next/headers";
import { AuthError, CredentialsSignin } from "next-auth";
import { getDb } from "@/db/client";
import { signIn, signOut } from "@/server/auth/auth";
import { clientAddress } from "@/server/auth/client-address";
import { AppError } from "@/server/errors/app-error";
import { createOwner } from "@/server/users/create-owner";
import { signUpWithInvitation } from "@/server/users/sign-up-with-invitation";
import { createOwnerInput, signUpWithInvitationInput } from "@/server/users/user-schemas";
import type { FormState } from "./form-state";
import { keepValues, parseForm } from "./form-state";

function signInFailure(err: unknown, values: Record<string, string>): FormState {
  if (err instanceof CredentialsSignin && err.code.startsWith("rate_limited")) {
    const seconds = Number(err.code.split(":")[1] ?? 600);
    return { values, error: `Too many failed sign-ins for this email from your address. Try again in ${Math.ceil(seconds / 60)} minute(s).` };
  }
  return { values, error: "Wrong email or password." };
}

export async function signInAction(_prev: FormState, form: FormData): Promise<FormState> {
  const next = String(form.get("next") ?? "/");
  try {
    await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      // Only same-site paths: an open redirect would turn the sign-in page into a phishing aid.
      redirectTo: next.startsWith("/") && !next.startsWith("//") ? next : "/",
    });
  } catch (err) {
    // A successful sign-in throws NEXT_REDIRECT, which must propagate.
    if (err instanceof AuthError) return signInFailure(err, keepValues(form, ["email"]));
    throw err;
  }
  return {};
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/sign-in" });
}

const meta = async () => ({ source: "ui" as const, ip: clientAddress(await headers()) });

export async function createOwnerAction(_prev: FormState, form: FormData): Promise<FormState> {
  const values = keepValues(form, ["name", "email"]);
  const parsed = parseForm(createOwnerInput, { name: form.get("name"), email: form.get("email"), password: form.get("password") });
  if (!parsed.success) return { values, error: "Please fix the fields below.", fieldErrors: parsed.fieldErrors };
  try {
    await createOwner({ db: await getDb(), input: parsed.data, meta: await meta() });
  } catch (err) {
    if (err instanceof AppError) return { values, error: err.message };
    throw err;
  }
  await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirectTo: "/orgs/new" });
  return {};
}

export async function signUpWithInvitationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const values = keepValues(form, ["name"]);
  const parsed = parseForm(signUpWithInvitationInput, { token: form.get("token"), name: form.get("name"), password: form.get("password") });
  if (!parsed.success) return { values, error: "Please fix the fields below.", fieldErrors: parsed.fieldErrors };
  let result: { email: string; orgSlug: string };
  try {
    result = await signUpWithInvitation({ db: await getDb(), input: parsed.data, meta: await meta() });
  } catch (err) {
    if (err instanceof AppError) return { values, error: err.message };
    throw err;
  }
  await signIn("credentials", { email: result.email, password: parsed.data.password, redirectTo: `/o/${result.orgSlug}` });
  return {};
}
