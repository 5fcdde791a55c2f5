import { echoInput } from "@/server/validation/echo-input";

/** What a variable name and value may be. Shared by the API, the .env import and the engine. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_NAME_LENGTH = 128;
export const MAX_VALUE_BYTES = 64 * 1024;
/** Shown instead of a secret's value; a fixed length, so it says nothing about the value's. */
export const SECRET_MASK = "••••••";


export function nameProblem(name: string): string | null {
  if (name.length === 0) return "a variable name is required";
  if (name.length > MAX_NAME_LENGTH) return `${echoInput(name)}: names are at most ${MAX_NAME_LENGTH} characters (this one has ${name.length})`;
  if (!NAME_PATTERN.test(name)) return `${echoInput(name)} is not a valid name: use letters, digits and _, and do not start with a digit`;
  if (name.toUpperCase().startsWith("SLIPWAY_")) return `${name}: the SLIPWAY_ prefix is reserved for variables Slipway sets`;
  if (name === "PORT") return "PORT is set by Slipway (the port each instance must listen on); choose another name";
  return null;
}

export function valueProblem(value: string): string | null {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VALUE_BYTES) return `the value is ${bytes} bytes; values are at most 64 KiB (${MAX_VALUE_BYTES} bytes)`;
  return null;
}
