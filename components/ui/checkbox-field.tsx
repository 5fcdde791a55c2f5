import { useId, type InputHTMLAttributes } from "react";

/** A checkbox with its label beside it (clickable), for yes/no options in dense forms. */
export function CheckboxField({ label, className = "", ...props }: { label: string } & Omit<InputHTMLAttributes<HTMLInputElement>, "type">) {
  const id = useId();
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <input id={id} type="checkbox" className="h-4 w-4 rounded border-zinc-300 accent-sky-600 dark:border-zinc-700" {...props} />
      <label htmlFor={id} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
    </div>
  );
}
