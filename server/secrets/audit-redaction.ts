import "server-only";
import { and, eq } from "drizzle-orm";
import { variables } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";
import { createRedactor, type Redactor } from "./redactor";
import { decryptSecret, SecretDecryptError } from "./secret-box";

function mapStrings(value: unknown, redact: Redactor): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, redact));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), mapStrings(v, redact)]));
  return value;
}

const hasText = (value: unknown): boolean =>
  typeof value === "string" ? value.length > 0 : Array.isArray(value) ? value.some(hasText) : value !== null && typeof value === "object" ? Object.keys(value).length > 0 : false;

/**
 * Audit metadata carries names, not values; this is the net under that rule: any string equal to
 * or containing one of the organization's secrets (or its encodings) is masked before it is stored.
 */
export async function redactAuditMetadata(tx: DbOrTx, orgId: string | null, metadata: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!orgId || !hasText(metadata)) return metadata;
  const secrets = await tx
    .select({ name: variables.name, ciphertext: variables.ciphertext })
    .from(variables)
    .where(and(eq(variables.orgId, orgId), eq(variables.kind, "secret")));
  if (secrets.length === 0) return metadata;
  const values: string[] = [];
  for (const s of secrets) {
    try {
      values.push(decryptSecret(s.ciphertext ?? "", s.name));
    } catch (err) {
      // An unreadable secret cannot appear in clear anywhere either; the audit must still be written.
      if (!(err instanceof SecretDecryptError)) throw err;
    }
  }
  return mapStrings(metadata, createRedactor(values)) as Record<string, unknown>;
}
