import type { VariableKind } from "./variable-types";

/** A variable's value as the console may show it: secrets only ever as their mask. */
export function VariableValue({ kind, value, mask }: { kind: VariableKind | "builtin"; value: string | null; mask: string | null }) {
  if (kind === "secret")
    return (
      <span className="font-mono text-xs text-zinc-500" title="Secret: write-only, shown masked">
        {mask ?? "••••••••"}
      </span>
    );
  return <span className={`break-all font-mono text-xs ${kind === "alias" ? "text-violet-700 dark:text-violet-300" : ""}`}>{value === "" ? <span className="text-zinc-400">(empty)</span> : value}</span>;
}
