import "server-only";
import type { VariableAvailability, VariableKind } from "@/db/schema";
import { encryptSecret, valueDigest } from "@/server/secrets/secret-box";
import type { VariableRow } from "./load-variables";
import type { LayeredVariable } from "./layer-variables";
import { SECRET_MASK } from "./variable-rules";

export type VariableListItem = {
  id: string;
  name: string;
  kind: VariableKind;
  /** null for secrets: they are write-only. */
  value: string | null;
  mask: string | null;
  availability: VariableAvailability;
  asFile: boolean;
  updatedAt: Date;
  updatedBy: string | null;
  /** Declared in the service spec's env (manifest), not set through the variables API. */
  fromSpec: boolean;
};

export function toListItem(row: VariableRow): VariableListItem {
  const secret = row.kind === "secret";
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    value: secret ? null : row.value,
    mask: secret ? SECRET_MASK : null,
    availability: row.availability,
    asFile: row.asFile,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedByLabel,
    fromSpec: false,
  };
}

export function specListItem(v: LayeredVariable, updatedAt: Date): VariableListItem {
  return { id: `spec:${v.name}`, name: v.name, kind: "value", value: v.value, mask: null, availability: v.availability, asFile: false, updatedAt, updatedBy: null, fromSpec: true };
}

/** The stored columns for a value: secrets only as ciphertext, everything with its digest. */
export function storedValue(name: string, kind: VariableKind, value: string) {
  if (kind === "secret") {
    const { ciphertext, keyId } = encryptSecret(value, name);
    return { value: null, ciphertext, keyId, digest: valueDigest(value, true) };
  }
  return { value, ciphertext: null, keyId: null, digest: valueDigest(value, false) };
}

export const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
