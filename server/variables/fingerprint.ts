import crypto from "node:crypto";
import type { VariableAvailability, VariableKind } from "@/db/schema";

/**
 * What "the variables changed" compares: names, kinds, flags and value digests (secrets' digests
 * are keyed HMACs), never values. Built-ins are left out: they change with every deployment.
 */
export function fingerprintOf(entries: readonly { name: string; kind: VariableKind; availability: VariableAvailability; asFile: boolean; digest: string }[]): string {
  const canonical = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => [e.name, e.kind, e.availability, e.asFile, e.digest]);
  return crypto.createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}

type Fingerprinted = Parameters<typeof fingerprintOf>[0][number];

/** Only what a build sees: variables available at build time. */
export const buildFingerprintOf = (entries: readonly Fingerprinted[]) => fingerprintOf(entries.filter((e) => e.availability !== "runtime"));
