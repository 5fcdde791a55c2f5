import "server-only";
import { badField, forbidden } from "@/server/errors/app-error";
import { can, denialMessage, type Role } from "@/server/policy/policy";
import { checkSource } from "@/server/runtime/process/builder/source-policy";
import type { ServiceSpec } from "./service-spec";

type Source = ServiceSpec["source"];

export function sameSource(a: Source, b: Source): boolean {
  if ("path" in a || "path" in b) return "path" in a && "path" in b && a.path === b.path;
  return a.git === b.git && a.branch === b.branch && a.commit === b.commit;
}

/** True when this change sets a path source (a new one, or another folder): that needs the source.path permission. */
export const setsPathSource = (before: Source | null, after: Source) => "path" in after && (before === null || !sameSource(before, after));

/**
 * The checks for a source being set or changed through the API: who may choose a folder on this
 * machine (policy), then whether the source is allowed at all (source-policy, with a field error on
 * `<field>.path` / `<field>.git`). An unchanged source is not re-judged here: the engine's precheck
 * and the fetch judge it on every deploy.
 */
export async function checkServiceSource(opts: { role: Role; before: Source | null; after: Source; field: string }): Promise<void> {
  const { role, before, after, field } = opts;
  if (before !== null && sameSource(before, after)) return;
  if (setsPathSource(before, after) && !can(role, "source.path")) throw forbidden(`${denialMessage(role, "source.path")} (${field}.path); nothing was saved`);
  const problem = await checkSource(after);
  if (problem) throw badField(`${field}.${problem.field}`, problem.message);
}
