import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";

const inputClass =
  "w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm shadow-sm outline-none focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 dark:border-zinc-700 dark:bg-zinc-900 aria-[invalid=true]:border-red-500";

type Common = { label: string; error?: string[] | string | null; hint?: ReactNode };

function FieldShell({ id, label, error, hint, children }: Common & { id: string; children: ReactNode }) {
  const messages = typeof error === "string" ? [error] : (error ?? []);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      {children}
      {hint && !messages.length ? <p className="text-xs text-zinc-500">{hint}</p> : null}
      {messages.map((m) => (
        <p key={m} id={`${id}-error`} role="alert" className="text-xs text-red-600 dark:text-red-400">
          {m}
        </p>
      ))}
    </div>
  );
}

/** A labelled input: every form field has a visible label, and its error sits right under it. */
export function TextField({ label, error, hint, className = "", ...props }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  const invalid = Boolean(typeof error === "string" ? error : error?.length);
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <input id={id} aria-invalid={invalid} aria-describedby={invalid ? `${id}-error` : undefined} className={`${inputClass} ${className}`} {...props} />
    </FieldShell>
  );
}

export function SelectField({ label, error, hint, children, ...props }: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  const invalid = Boolean(typeof error === "string" ? error : error?.length);
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <select id={id} aria-invalid={invalid} className={inputClass} {...props}>
        {children}
      </select>
    </FieldShell>
  );
}
