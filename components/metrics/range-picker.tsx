"use client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { PRESET_RANGES, type RangeChoice } from "./ranges";
import { toLocalInput } from "./format";

/** The preset ranges as a button group, and a custom from/to pair applied with a button. */
export function RangePicker({ value, onChange, errors }: { value: RangeChoice; onChange: (c: RangeChoice) => void; errors: { from: string[] | null; to: string[] | null } }) {
  const [custom, setCustom] = useState(() => ({ from: toLocalInput(new Date(Date.now() - 3_600_000)), to: toLocalInput(new Date()) }));
  const [local, setLocal] = useState<{ from?: string; to?: string }>({});
  const apply = () => {
    const bad = (s: string) => Number.isNaN(new Date(s).getTime());
    const next = { from: bad(custom.from) ? "must be a date and time" : undefined, to: bad(custom.to) ? "must be a date and time" : undefined };
    setLocal(next);
    if (!next.from && !next.to) onChange({ kind: "custom", from: custom.from, to: custom.to });
  };
  const isCustom = value.kind === "custom";
  return (
    <div className="mb-4 flex flex-wrap items-end gap-3">
      <div role="group" aria-label="Time range" className="flex flex-wrap gap-1">
        {PRESET_RANGES.map((r) => {
          const active = value.kind === "preset" && value.key === r.key;
          return (
            <Button key={r.key} type="button" variant={active ? "primary" : "secondary"} aria-pressed={active} onClick={() => onChange({ kind: "preset", key: r.key })}>
              {r.label}
            </Button>
          );
        })}
        <Button type="button" variant={isCustom ? "primary" : "secondary"} aria-pressed={isCustom} onClick={apply}>
          Custom
        </Button>
      </div>
      <form
        className="flex flex-wrap items-start gap-2"
        aria-label="Custom range"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <TextField label="From" type="datetime-local" value={custom.from} onChange={(e) => setCustom({ ...custom, from: e.target.value })} error={local.from ?? (isCustom ? errors.from : null)} />
        <TextField label="To" type="datetime-local" value={custom.to} onChange={(e) => setCustom({ ...custom, to: e.target.value })} error={local.to ?? (isCustom ? errors.to : null)} />
        <Button type="submit" variant="secondary" className="mt-5">
          Apply range
        </Button>
      </form>
    </div>
  );
}
