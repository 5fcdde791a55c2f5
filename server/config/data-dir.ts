import path from "node:path";

/** Where Slipway keeps its embedded database and generated keys. */
export function resolveDataDir(): string {
  return path.resolve(process.env.SLIPWAY_DATA_DIR || path.join(process.cwd(), ".slipway", "data"));
}
