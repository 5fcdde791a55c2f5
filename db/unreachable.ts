import "server-only";

/** Node's socket errors and PostgreSQL's SQLSTATEs that mean "no database to talk to right now". */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN", "57P01", "57P02", "57P03"]);
// pg says "Connection terminated (unexpectedly)" without a code when the server goes away mid-query.
const UNREACHABLE_TEXT = /connection terminated|not queryable|terminating connection/i;

/** The SQLSTATE (or socket error code) and the root message of an error chain (drizzle wraps the driver's in `cause`). */
export function databaseErrorOf(err: unknown): { code: string | undefined; message: string } {
  let code: string | undefined;
  let message = "unknown error";
  for (let e: unknown = err, depth = 0; e && depth < 6; e = e instanceof Error ? e.cause : undefined, depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string") code = c;
    if (e instanceof Error && e.message && !e.message.startsWith("Failed query")) message = e.message;
  }
  return { code, message };
}

/** True when the error says the database could not be reached (restarting, gone), not that it refused a statement. */
export function isDatabaseUnreachable(err: unknown): boolean {
  const { code, message } = databaseErrorOf(err);
  return Boolean(code && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) || UNREACHABLE_TEXT.test(message);
}
