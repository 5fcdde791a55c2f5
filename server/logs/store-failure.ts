import "server-only";

/** Why a log batch could not be stored, in words for the service's log and /api/health. */
export type StoreFailure = {
  /** "the database refused the write: disk full (53100)", "the database was unreachable (…)". */
  cause: string;
  /** The database could not be reached at all (as opposed to refusing this write). */
  unreachable: boolean;
};

/** Node's socket errors and PostgreSQL's SQLSTATEs that mean "no database to talk to right now". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN", "57P01", "57P02", "57P03"]);
const WORDS: Record<string, string> = {
  "53100": "disk full",
  "53200": "out of memory",
  "53300": "too many connections",
  "53400": "configuration limit exceeded",
  "54000": "program limit exceeded",
  "25006": "read-only transaction",
};

const MAX_MESSAGE = 160;

/**
 * Names the true cause of a failed store from the error chain (drizzle wraps the driver's error in
 * `cause`; pg and PGlite carry PostgreSQL's SQLSTATE as `code`). Never quotes the query: its
 * parameters are the log lines themselves.
 */
export function describeStoreFailure(err: unknown): StoreFailure {
  let code: string | undefined;
  let root = "unknown error";
  for (let e: unknown = err, depth = 0; e && depth < 6; e = e instanceof Error ? e.cause : undefined, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string") code = c;
    if (e instanceof Error && e.message && !e.message.startsWith("Failed query")) root = e.message;
  }
  const text = root.length > MAX_MESSAGE ? `${root.slice(0, MAX_MESSAGE)}…` : root;
  // pg says "Connection terminated (unexpectedly)" without a code when the server goes away mid-query.
  if ((code && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) || /connection terminated|not queryable|terminating connection/i.test(root)) {
    return { cause: `the database was unreachable (${code ?? text})`, unreachable: true };
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) return { cause: `the database refused the write: ${WORDS[code] ?? text} (${code})`, unreachable: false };
  return { cause: `the database refused the write: ${text}`, unreachable: false };
}
