import type { ZodError } from "zod";

/** What a form's server action hands back to the page: a summary and per-field messages. */
export type FormState = {
  error?: string;
  fieldErrors?: Record<string, string[]>;
  /** What was typed (never passwords): React resets a form after its action, so the page puts these back. */
  values?: Record<string, string>;
};

/** The non-secret fields of a submitted form, to refill it after an error. */
export function keepValues(form: FormData, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, String(form.get(n) ?? "")]));
}

export function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  return out;
}
