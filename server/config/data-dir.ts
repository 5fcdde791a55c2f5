import path from "node:path";

/** Where Slipway keeps its embedded database and generated keys. */
export function resolveDataDir(): string {
  // Ignore for output tracing: the data folder is runtime state, not code to bundle.
  return path.resolve(/*turbopackIgnore: true*/ process.env.SLIPWAY_DATA_DIR || path.join(process.cwd(), ".slipway", "data"));
}
