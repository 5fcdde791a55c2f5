import type { ServiceSpec } from "@/server/services/service-spec";

export function describeSource(source: ServiceSpec["source"]): string {
  if ("path" in source) return `folder ${source.path}`;
  return `git ${source.git}${source.branch ? `#${source.branch}` : ""}${source.commit ? `@${source.commit.slice(0, 7)}` : ""}`;
}
