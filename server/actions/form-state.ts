import type { ZodError } from "zod";

/** What a form's server action hands back to the page: a summary and per-field messages. */
export type FormState = { error?: string; fieldErrors?: Record<string, string[]> };

export function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  return out;
}
