import type { ReactNode } from "react";
import { Alert } from "@/components/ui/card";
import { CheckboxField } from "@/components/ui/checkbox-field";
import type { ImportPlan } from "./variable-types";

/** Plan entries may be names or objects carrying one; the preview needs only the name. */
export const planNames = (xs: ReadonlyArray<string | { name: string }>) => xs.map((x) => (typeof x === "string" ? x : x.name));

function Group({ title, tone, children, count }: { title: string; tone: string; count: number; children: ReactNode }) {
  if (!count) return null;
  return (
    <section aria-label={title} className="flex flex-col gap-1">
      <h3 className={`text-xs font-semibold ${tone}`}>
        {title} ({count})
      </h3>
      <ul className="flex flex-col gap-0.5 font-mono text-xs">{children}</ul>
    </section>
  );
}

type Props = { plan: ImportPlan; secretChoices: string[]; overwrite: string[]; onToggleOverwrite: (name: string, on: boolean) => void };

/** What an import would do, before it does it: line errors first, then create / update / remove / skip. */
export function ImportPreview({ plan, secretChoices, overwrite, onToggleOverwrite }: Props) {
  if (plan.errors.length)
    return (
      <div role="alert" aria-label="Import errors" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200">
        <p className="mb-1 font-medium">Nothing will be imported until every line is valid:</p>
        <ul className="flex flex-col gap-0.5 font-mono text-xs">
          {plan.errors.map((e) => (
            <li key={`${e.line}:${e.message}`}>{e.line ? `line ${e.line}: ${e.message}` : e.message}</li>
          ))}
        </ul>
      </div>
    );
  const create = planNames(plan.create);
  const update = planNames(plan.update);
  const remove = planNames(plan.remove);
  const unchanged = planNames(plan.unchanged);
  const nothing = !create.length && !update.length && !remove.length;
  return (
    <div className="flex flex-col gap-3" aria-label="Import preview" role="region">
      {nothing ? <Alert tone="info">Nothing to change.</Alert> : null}
      <Group title="Create" tone="text-emerald-700 dark:text-emerald-400" count={create.length}>
        {create.map((n) => (
          <li key={n}>+ {n}</li>
        ))}
      </Group>
      <Group title="Update" tone="text-sky-700 dark:text-sky-400" count={update.length}>
        {update.map((n) => (
          <li key={n}>~ {n}</li>
        ))}
      </Group>
      <Group title="Remove" tone="text-red-700 dark:text-red-400" count={remove.length}>
        {remove.map((n) => (
          <li key={n}>− {n}</li>
        ))}
      </Group>
      <Group title="Skip" tone="text-amber-700 dark:text-amber-400" count={plan.skip.length}>
        {plan.skip.map((s) => (
          <li key={s.name}>
            = {s.name} <span className="font-sans text-zinc-500">— {secretChoices.includes(s.name) ? "existing secret, kept" : s.reason}</span>
          </li>
        ))}
      </Group>
      {unchanged.length ? <p className="text-xs text-zinc-500">{unchanged.length} unchanged.</p> : null}
      {secretChoices.length ? (
        <fieldset className="flex flex-col gap-1.5 rounded-md border border-amber-300 px-3 py-2 dark:border-amber-900">
          <legend className="px-1 text-xs font-semibold text-amber-800 dark:text-amber-300">Secrets already set here are kept unless you choose to overwrite them</legend>
          {secretChoices.map((n) => (
            <CheckboxField key={n} label={`Overwrite secret ${n}`} checked={overwrite.includes(n)} onChange={(e) => onToggleOverwrite(n, e.target.checked)} />
          ))}
        </fieldset>
      ) : null}
    </div>
  );
}
