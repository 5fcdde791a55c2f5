import { z } from "zod";

/**
 * Reading a zod schema's shape: which keys an object allows, in which order. Messages ("allowed
 * here: …") and exports (key order) come from the schema itself, so they never drift from the rules.
 */
export type AnySchema = z.core.$ZodType;
export type PathSegment = string | number;

export function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (def.type === "optional" || def.type === "nullable" || def.type === "default" || def.type === "prefault") s = (def as z.core.$ZodOptionalDef).innerType;
    else if (def.type === "pipe") s = (def as z.core.$ZodPipeDef).in;
    else return s;
  }
}

export function objectKeys(schema: AnySchema): string[] | null {
  const def = unwrap(schema)._zod.def;
  return def.type === "object" ? Object.keys((def as z.core.$ZodObjectDef).shape) : null;
}

const objectShape = (schema: AnySchema) => (unwrap(schema)._zod.def as z.core.$ZodObjectDef).shape;

/** The object option of a union that allows every one of `keys` (how zod itself picks the branch to report). */
function unionOption(schema: AnySchema, keys: string[]): AnySchema | undefined {
  const def = unwrap(schema)._zod.def;
  if (def.type !== "union") return undefined;
  return (def as z.core.$ZodUnionDef).options.find((o) => {
    const own = objectKeys(o);
    return own !== null && keys.every((k) => own.includes(k));
  });
}

/** The schema that validates the value at `segments`, or null when the path leaves the schema. */
export function schemaAt(root: AnySchema, segments: readonly PathSegment[]): AnySchema | null {
  let s: AnySchema | undefined = unwrap(root);
  for (const seg of segments) {
    const def: z.core.$ZodTypeDef = s._zod.def;
    if (def.type === "object" && typeof seg === "string") s = (def as z.core.$ZodObjectDef).shape[seg];
    else if (def.type === "array" && typeof seg === "number") s = (def as z.core.$ZodArrayDef).element;
    else if (def.type === "record") s = (def as z.core.$ZodRecordDef).valueType;
    else if (def.type === "union" && typeof seg === "string") {
      const option = unionOption(s, [seg]);
      s = option ? objectShape(option)[seg] : undefined;
    } else return null;
    if (!s) return null;
    s = unwrap(s);
  }
  return s;
}

/** "a, b, c" for an object; "path; or git, branch, commit" for a union of objects. */
export function describeAllowedKeys(root: AnySchema, segments: readonly PathSegment[]): string {
  const s = schemaAt(root, segments);
  if (!s) return "";
  const own = objectKeys(s);
  if (own) return own.join(", ");
  const def = s._zod.def;
  if (def.type !== "union") return "";
  return (def as z.core.$ZodUnionDef).options
    .map((o) => objectKeys(o))
    .filter((k): k is string[] => k !== null)
    .map((keys) => keys.join(", "))
    .join("; or ");
}

/** A copy of `value` whose object keys follow the schema's order (jsonb keeps its own order); records sort by key. */
export function orderKeys(value: unknown, schema: AnySchema | null): unknown {
  if (Array.isArray(value)) {
    const element = schema && unwrap(schema)._zod.def.type === "array" ? (unwrap(schema)._zod.def as z.core.$ZodArrayDef).element : null;
    return value.map((v) => orderKeys(v, element));
  }
  if (!value || typeof value !== "object") return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  const s = schema ? (unionOption(schema, entries.map(([k]) => k)) ?? unwrap(schema)) : null;
  const def = s?._zod.def;
  if (s && def?.type === "object") {
    const shape = (def as z.core.$ZodObjectDef).shape;
    const order = Object.keys(shape);
    const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
    return Object.fromEntries(entries.sort(([a], [b]) => rank(a) - rank(b)).map(([k, v]) => [k, orderKeys(v, shape[k] ?? null)]));
  }
  const valueSchema = s && def?.type === "record" ? (def as z.core.$ZodRecordDef).valueType : null;
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, orderKeys(v, valueSchema)]));
}
