import { useId, type ReactNode, type TextareaHTMLAttributes } from "react";

const textareaClass =
  "w-full rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-xs leading-5 shadow-sm outline-none focus:border-sky-500 focus:ring-2 focus:ring-sky-500/30 dark:border-zinc-700 dark:bg-zinc-900 aria-[invalid=true]:border-red-500";

/** A labelled multi-line text box (monospace: it holds .env text), with its errors under it. */
export function TextAreaField({ label, error, hint, ...props }: { label: string; error?: string[] | string | null; hint?: ReactNode } & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  const messages = typeof error === "string" ? [error] : (error ?? []);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      <textarea id={id} spellCheck={false} aria-invalid={messages.length > 0} aria-describedby={messages.length ? `${id}-error` : undefined} className={textareaClass} {...props} />
      {hint && !messages.length ? <p className="text-xs text-zinc-500">{hint}</p> : null}
      {messages.map((m) => (
        <p key={m} id={`${id}-error`} role="alert" className="text-xs text-red-600 dark:text-red-400">
          {m}
        </p>
      ))}
    </div>
  );
}
