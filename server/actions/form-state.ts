import type { z, ZodError } from "zod";
import { addFieldError } from "@/server/errors/app-error";
import { findInputProblems } from "@/server/validation/text-input";
import "@/server/validation/type-names";

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
  for (const issue of error.issues) addFieldError(out, issue.path.map(String).join(".") || "form", issue.message);
  return out;
}

/**
 * A form's fields through the rules every input obeys (server/validation/text-input.ts: no NUL or
 * lone surrogate), then through its schema: a server action is an entry point just like a procedure.
 */
export function parseForm<T extends z.ZodType>(schema: T, fields: Record<string, unknown>): { success: true; data: z.output<T> } | { success: false; fieldErrors: Record<string, string[]> } {
  const problems = findInputProblems(fields);
  if (problems.length) {
    const out: Record<string, string[]> = {};
    for (const p of problems) addFieldError(out, p.path.map(String).join(".") || "form", p.message);
    return { success: false, fieldErrors: out };
  }
  const parsed = schema.safeParse(fields);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, fieldErrors: fieldErrorsOf(parsed.error) };
}
