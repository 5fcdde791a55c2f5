import "server-only";

export const MIB = 1024 * 1024;
const DEFAULT_MAX_BODY_BYTES = MIB;
const DEFAULT_MAX_MANIFEST_BYTES = 8 * MIB;

function bytesSetting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1024) throw new Error(`${name} must be a whole number of bytes, at least 1024 (got ${JSON.stringify(raw.slice(0, 40))}); e.g. ${fallback}`);
  return Number(raw);
}

/** Every request body (the API, Next's routes, server actions): SLIPWAY_MAX_BODY_BYTES, 1 MiB by default. */
export const maxBodyBytes = () => bytesSetting("SLIPWAY_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES);
/** Procedures that take a manifest (their meta says `body: "manifest"`): SLIPWAY_MAX_MANIFEST_BYTES, 8 MiB by default. */
export const maxManifestBytes = () => Math.max(maxBodyBytes(), bytesSetting("SLIPWAY_MAX_MANIFEST_BYTES", DEFAULT_MAX_MANIFEST_BYTES));

const size = (n: number) => (n % MIB === 0 ? `${n / MIB} MiB` : `${n} bytes`);

/** What a refused body is told: the limit and the setting that raises it. */
export function bodyTooLargeMessage(limit: number, manifest: boolean): string {
  return manifest
    ? `the request body is larger than the ${size(limit)} a manifest may have (SLIPWAY_MAX_MANIFEST_BYTES)`
    : `the request body is larger than ${size(limit)} (SLIPWAY_MAX_BODY_BYTES; manifests may have up to ${size(maxManifestBytes())})`;
}

type Gate = { ok: true } | { ok: false; status: 411 | 413; message: string };

/**
 * For servers that hand the request to code that reads the body itself (Next's routes and server
 * actions): a declared length over the limit is refused before a byte is read, and a body without a
 * declared length is refused too (browsers always declare one), since its size is known only once read.
 */
export function gateByDeclaredLength(headers: Record<string, string | string[] | undefined>, limit = maxBodyBytes()): Gate {
  const length = headers["content-length"];
  if (typeof length === "string") {
    return Number(length) > limit ? { ok: false, status: 413, message: bodyTooLargeMessage(limit, false) } : { ok: true };
  }
  if (headers["transfer-encoding"] !== undefined) return { ok: false, status: 411, message: "a request body needs a Content-Length here" };
  return { ok: true };
}
