import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { formatDotenvLine } from "./dotenv";
import { looksLikeTemplate } from "./interpolate";
import { listVariables } from "./list-variables";
import type { ScopeInput } from "./variable-schemas";

export const EXPORTED_SECRET = "********";

/**
 * Import reads `{{NAME}}` as a reference: a plain value that looks like one is written escaped
 * (`\{{`), so it comes back as an alias whose value is exactly the original text.
 */
const exportedValue = (kind: string, value: string) => (kind === "value" && looksLikeTemplate(value) ? value.replaceAll("{{", "\\{{") : value);

/**
 * The scope's variables as .env text, sorted by name. Values are quoted so that importing the text
 * gives back the same bytes; secrets are written as `NAME=******** # secret` (never their value).
 */
export async function exportVariables({ ctx, scope }: { ctx: ServiceCtx; scope: ScopeInput }): Promise<{ text: string }> {
  const items = await listVariables({ ctx, scope });
  const lines = items.map((v) => (v.kind === "secret" ? `${v.name}=${EXPORTED_SECRET} # secret` : formatDotenvLine(v.name, exportedValue(v.kind, v.value ?? ""))));
  return { text: lines.length ? `${lines.join("\n")}\n` : "" };
}
