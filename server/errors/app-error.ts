export type AppErrorCode = "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "TOO_MANY_REQUESTS";

/**
 * Errors the service layer raises on purpose. The tRPC layer maps the code to its own; server
 * actions show the message. `fieldErrors` names the input field so forms can show it inline.
 */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);
export const forbidden = (message: string) => new AppError("FORBIDDEN", message);
export const conflict = (field: string, message: string) => new AppError("CONFLICT", message, { [field]: [message] });
export const badField = (field: string, message: string) => new AppError("BAD_REQUEST", message, { [field]: [message] });

/**
 * Adds a message under `field`. Field names come from input (a manifest's keys), so never through
 * `out[field] ??=`: "toString" would find Object.prototype's and "__proto__" would set the prototype.
 */
export function addFieldError(out: Record<string, string[]>, field: string, message: string): void {
  if (Object.hasOwn(out, field)) out[field].push(message);
  else Object.defineProperty(out, field, { value: [message], enumerable: true, writable: true, configurable: true });
}
