import "server-only";
import { databaseErrorOf, isDatabaseUnreachable } from "@/db/unreachable";

/** Why a log batch could not be stored, in words for the service's log and /api/health. */
export type StoreFailure = {
  /**
   * "the database refused the write: disk full (53100)", "the database was unreachable (ECONNREFUSED)":
   * the class and SQLSTATE only, never the server's free text (it may name tables, hosts or values, and
   * /api/health answers anyone).
   */
  cause: string;
  /** The database's own message, for the console's log (operators) only. */
  detail: string;
  /** The database could not be reached at all (as opposed to refusing this write). */
  unreachable: boolean;
};

const WORDS: Record<string, string> = {
  "53100": "disk full",
  "53200": "out of memory",
  "53300": "too many connections",
  "53400": "configuration limit exceeded",
  "54000": "program limit exceeded",
  "25006": "read-only transaction",
};

/** By SQLSTATE class (the first two characters), when the code itself has no words above. */
const CLASS_WORDS: Record<string, string> = {
  "22": "data exception",
  "23": "integrity constraint violation",
  "40": "transaction rollback",
  "42": "syntax error or access rule violation",
  "53": "insufficient resources",
  "54": "program limit exceeded",
  "55": "object not in prerequisite state",
  "57": "operator intervention",
  "58": "system error",
  XX: "internal error",
};

const MAX_MESSAGE = 160;

/**
 * Names the true cause of a failed store from the error chain (pg and PGlite carry PostgreSQL's
 * SQLSTATE as `code`). Never quotes the query: its parameters are the log lines themselves.
 */
export function describeStoreFailure(err: unknown): StoreFailure {
  const { code, message } = databaseErrorOf(err);
  const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  if (isDatabaseUnreachable(err)) return { cause: `the database was unreachable (${code ?? "connection lost"})`, detail: text, unreachable: true };
  if (code && /^[0-9A-Z]{5}$/.test(code)) return { cause: `the database refused the write: ${WORDS[code] ?? CLASS_WORDS[code.slice(0, 2)] ?? "error"} (${code})`, detail: text, unreachable: false };
  return { cause: "the database refused the write", detail: text, unreachable: false };
}
