import "server-only";
import superjson from "superjson";
import { hasPrototypeKey } from "@/server/validation/text-input";
import { memoizedJsonSlots } from "./memoized-json";

type Serialized = ReturnType<typeof superjson.serialize>;
type Annotations = Record<string, ["Date"]>;

/**
 * superjson on the wire, written faster for what answers mostly are. superjson walks every value
 * with path arrays, maps and class checks: for a list of 200 services that was ~2 ms of the one
 * thread that serves every request. The fast path below handles plain objects, arrays, strings,
 * finite numbers, booleans, null and valid Dates, and writes exactly what superjson writes for them
 * (`meta.values` keyed by superjson's escaped dotted paths); anything else — undefined, -0, NaN,
 * Map, Set, BigInt, class instances, deep or cyclic values — goes to superjson itself. The client
 * still reads it with superjson (tests/integration/transformer.test.ts compares both).
 */
const MAX_DEPTH = 64;

/** superjson's path escaping: `\` → `\\`, `.` → `\.`. */
const escapeKey = (key: string) => (key.includes(".") || key.includes("\\") ? key.replace(/\\/g, "\\\\").replace(/\./g, "\\.") : key);

/** The plain-JSON form of `value` with Date paths noted in `dates`, or undefined when the fast path does not apply. */
function plain(value: unknown, path: string, depth: number, dates: Annotations): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : undefined;
    case "object": {
      if (value === null) return null;
      if (depth > MAX_DEPTH) return undefined;
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const v = plain(value[i], path === "" ? String(i) : `${path}.${i}`, depth + 1, dates);
          if (v === undefined) return undefined;
          out[i] = v;
        }
        return out;
      }
      if (value instanceof Date) {
        const t = value.getTime();
        if (Number.isNaN(t)) return undefined;
        dates[path] = ["Date"];
        return value.toISOString();
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const out: Record<string, unknown> = {};
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        // superjson refuses these (prototype pollution); let it say so.
        if (key === "__proto__" || key === "constructor" || key === "prototype") return undefined;
        const v = plain((value as Record<string, unknown>)[key], path === "" ? escapeKey(key) : `${path}.${escapeKey(key)}`, depth + 1, dates);
        if (v === undefined) return undefined;
        out[key] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

export function serialize(value: unknown): Serialized {
  if (typeof value === "object" && value !== null) {
    const memo = memoized.get(value);
    if (memo) {
      // In the /api/trpc lane the text itself goes into the body (memoized-json.ts).
      const slot = memoizedJsonSlots.getStore();
      if (slot?.open) return slot.take((memo.text ??= JSON.stringify(memo.serialized))) as unknown as Serialized;
      return memo.serialized;
    }
  }
  const dates: Annotations = {};
  const json = plain(value, "", 0, dates);
  if (json === undefined) return superjson.serialize(value);
  // A Date at the top level: superjson annotates the value itself, not a path.
  if (value instanceof Date) return { json: json as string, meta: { values: ["Date"], v: 1 } } as unknown as Serialized;
  for (const _ in dates) return { json: json as Serialized["json"], meta: { values: dates, v: 1 } } as Serialized;
  return { json: json as Serialized["json"] };
}

const memoized = new WeakMap<object, { serialized: Serialized; text?: string }>();

/**
 * For a value that never changes and is answered many times (a frozen snapshot): serialized once,
 * then reused for every answer that returns this same object.
 */
export function serializeOnce<T extends object>(value: T): T {
  if (!memoized.has(value)) memoized.set(value, { serialized: serialize(value) });
  return value;
}

/** A request body that JSON.parse read but superjson cannot: the client's fault, answered 400 (trpc.ts errorFormatter). */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransportError";
  }
}

/**
 * Reads a request's input. superjson throws riddles ("Trying to deserialize unknown typed array",
 * a stack overflow for a malformed `meta`) or a TypeError for a body that is not `{ json, meta? }`;
 * all of them are a malformed body, said as such.
 */
function deserialize<T>(payload: Serialized): T {
  // tRPC's clients always send an object: { json, meta? }, or {} for no input.
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new TransportError('the request body must be superjson: an object { "json": …, "meta"?: … }');
  }
  const { json, meta } = payload as { json?: unknown; meta?: unknown };
  // Without annotations superjson would only copy the JSON, and its copy assigns keys: an own
  // "__proto__" key of the body would become the input's prototype (and lend it fields) instead of
  // reaching the input rules, which refuse it by path (trpc.ts refuseUnstorableInput). So: the parsed
  // JSON as it is, and with annotations too when it holds a prototype key (the input is refused anyway).
  if (meta === undefined || hasPrototypeKey(json)) return json as T;
  try {
    return superjson.deserialize<T>(payload);
  } catch (err) {
    const reason = err instanceof Error ? err.message.slice(0, 200) : "unreadable";
    throw new TransportError(`the request body is not valid superjson (${reason}); send it with a tRPC client and the superjson transformer`);
  }
}

export const transformer = { serialize, deserialize };
