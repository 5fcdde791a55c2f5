import "server-only";
import path from "node:path";

/**
 * The router's native data plane (Rust, `native/`, built by scripts/build-native-router.mjs): a
 * Node-API addon that runs the proxy's hot path on its own thread, off the console's event loop.
 * It serves HTTP/1.1 requests with bodies up to 64 KiB to IPv4 instances; every other connection
 * (upgrades, HTTP/1.0, chunked or large bodies, malformed heads) is handed to the JS router with
 * the bytes read so far. The JS router keeps the routes and merges both planes' metrics.
 */
export type NativeRouterAddon = {
  /** Listens and starts the plane's thread; throws with `code` (EADDRINUSE, EACCES, …). */
  start(host: string, port: number): number;
  port(id: number): number;
  /** A pipe's read end: a byte arrives whenever connections wait in takeHandoffs. */
  notifyFd(id: number): number;
  /** `targets`: "ip:port,ip:port"; a target that is not IPv4 leaves the hostname to the JS router. */
  setRoute(id: number, hostname: string, serviceId: string, described: string, targets: string): boolean;
  removeRoute(id: number, hostname: string): void;
  metrics(id: number, serviceId: string, out: Float64Array): boolean;
  takeHandoffs(id: number): Buffer | undefined;
  /** While true every connection goes to the JS router (per-request sample listeners need it). */
  delegateAll(id: number, on: boolean): void;
  /** Closes the listener and the plane's connections, and joins its thread. */
  stop(id: number): void;
};

export type DataPlane = "native" | "js";

export function nativeAddonPath(): string {
  return (
    process.env.SLIPWAY_ROUTER_ADDON ||
    path.join(/*turbopackIgnore: true*/ process.cwd(), "server", "runtime", "process", "router", "native", "target", "release", "libslipway_router.so")
  );
}

let cached: { addon: NativeRouterAddon | null; error: string } | null = null;

/** The addon, or null with the reason (not built, or built for another platform). */
export function loadNativePlane(): { addon: NativeRouterAddon | null; error: string } {
  if (cached) return cached;
  const file = nativeAddonPath();
  try {
    const mod = { exports: {} as NativeRouterAddon };
    process.dlopen(mod, file);
    cached = { addon: mod.exports, error: "" };
  } catch (err) {
    cached = { addon: null, error: `the native router (${file}) could not be loaded: ${err instanceof Error ? err.message : String(err)}` };
  }
  return cached;
}

/** Which plane a router uses: the option, else SLIPWAY_ROUTER_DATA_PLANE, else native when it loads. */
export function chooseDataPlane(requested: DataPlane | undefined, host: string): DataPlane {
  // An empty setting counts as unset.
  const wanted = requested ?? ((process.env.SLIPWAY_ROUTER_DATA_PLANE || undefined) as DataPlane | undefined);
  if (wanted === "js") return "js";
  if (wanted !== undefined && wanted !== "native") {
    throw new Error(`SLIPWAY_ROUTER_DATA_PLANE must be "native" or "js", not "${wanted}"`);
  }
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
  const { addon, error } = loadNativePlane();
  if (wanted === "native") {
    if (!addon) throw new Error(`${error} (build it with: node scripts/build-native-router.mjs)`);
    if (!ipv4) throw new Error(`the native router listens on IPv4 addresses only, not ${host}`);
    return "native";
  }
  return addon && ipv4 ? "native" : "js";
}

/** One line for the console's start-up log: which plane serves, and why not the native one. */
export function describeDataPlane(plane: DataPlane): string {
  if (plane === "native") return "native data plane";
  const { error } = loadNativePlane();
  return `JavaScript data plane (${error || "SLIPWAY_ROUTER_DATA_PLANE=js"})`;
}

export type Handoff = { fd: number; prefix: Buffer };

/** Unpacks takeHandoffs' records: [fd i32][length u32][bytes], little-endian. */
export function unpackHandoffs(packed: Buffer): Handoff[] {
  const out: Handoff[] = [];
  let at = 0;
  while (at + 8 <= packed.length) {
    const fd = packed.readInt32LE(at);
    const length = packed.readUInt32LE(at + 4);
    out.push({ fd, prefix: packed.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return out;
}
