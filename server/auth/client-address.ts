import "server-only";
import crypto from "node:crypto";
import net from "node:net";

/** What reading a request's headers needs: a fetch `Headers`, or an adapter over Node's. */
export type HeaderReader = Pick<Headers, "get">;

/**
 * The one header Slipway reads a request's addresses from. The console's HTTP server sets it on every
 * request from the socket (client-address-hook.ts), overwriting whatever a client sent under this
 * name; its value carries a per-process secret so that a request the hook did not see (none should
 * exist) is read as "unknown", never as what it claims.
 */
export const ADDRESS_HEADER = "x-slipway-client-address";

/** Forwarding headers a client may send; honoured only from a trusted proxy. */
const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"] as const;

/** The addresses of one request: who the client is by the rule, and the TCP connection it came over. */
export type RequestAddresses = {
  /** The socket's peer, or what a trusted proxy said the client is. */
  client: string;
  /** True when `client` is what a trusted proxy reported, not the socket's peer. */
  forwarded: boolean;
  /** The socket's peer address (a proxy, when the request came through one). */
  peer: string;
  peerPort: number;
  /** This server's end of the connection. */
  local: string;
  localPort: number;
};

type State = { nonce: string; trusted: net.BlockList; configured: boolean };
// Shared by the instrumentation bundle (which installs the hook) and the route bundles (which read it).
const g = globalThis as typeof globalThis & { __slipwayClientAddress?: State };

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`, how a dual-stack socket shows an IPv4 peer) as plain IPv4. */
export function plainAddress(address: string): string {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
}

/**
 * SLIPWAY_TRUSTED_PROXIES: addresses and CIDR ranges (IPv4 and IPv6), separated by commas or spaces.
 * Empty (the default): no proxy is trusted and the socket's peer is the client.
 */
export function parseTrustedProxies(raw = process.env.SLIPWAY_TRUSTED_PROXIES ?? ""): net.BlockList {
  const list = new net.BlockList();
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const [address, prefix, extra] = entry.split("/");
    const family = net.isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || extra !== undefined || !(bits >= 0 && bits <= (family === 6 ? 128 : 32))) {
      throw new Error(`SLIPWAY_TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, ::1, fd00::/8)`);
    }
    list.addSubnet(address, bits, family === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

function state(): State {
  return (g.__slipwayClientAddress ??= { nonce: crypto.randomBytes(16).toString("hex"), trusted: parseTrustedProxies(), configured: false });
}

/** Reads SLIPWAY_TRUSTED_PROXIES again (boot; tests that change it). Throws on a bad entry. */
export function configureTrustedProxies(raw?: string): void {
  const s = state();
  s.trusted = parseTrustedProxies(raw);
  s.configured = true;
}

function isTrusted(address: string, trusted: net.BlockList): boolean {
  const a = plainAddress(address);
  const family = net.isIP(a);
  return family !== 0 && trusted.check(a, family === 6 ? "ipv6" : "ipv4");
}

/** An address as a forwarding header writes it: `[v6]:port`, `v4:port`, quoted (Forwarded); null when it is none. */
function addressOf(token: string): string | null {
  let t = token.trim().replace(/^"|"$/g, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) t = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(t)) t = t.slice(0, t.lastIndexOf(":"));
  return net.isIP(t) ? plainAddress(t) : null;
}

/** The hops a proxy chain reports, nearest last: Forwarded's `for=`, else X-Forwarded-For, else X-Real-IP. */
function reportedHops(get: (name: (typeof FORWARDING_HEADERS)[number]) => string | undefined): (string | null)[] {
  const forwarded = get("forwarded");
  if (forwarded) {
    return forwarded.split(",").map((element) => {
      const pair = element.split(";").map((p) => p.trim()).find((p) => p.toLowerCase().startsWith("for="));
      return pair ? addressOf(pair.slice(4)) : null;
    });
  }
  const xff = get("x-forwarded-for");
  if (xff) return xff.split(",").map(addressOf);
  const real = get("x-real-ip");
  return real ? [addressOf(real)] : [];
}

/**
 * The rule: the socket's peer is the client, unless the peer is a trusted proxy; then the right-most
 * reported address that is not itself a trusted proxy. A hop that is not an address (`unknown`, an
 * obfuscated name) ends the walk at the last trusted hop: nothing left of it can be believed.
 */
export function resolveClientAddress(peer: string, get: (name: (typeof FORWARDING_HEADERS)[number]) => string | undefined, trusted = state().trusted): string {
  return resolve(peer, get, trusted).client;
}

function resolve(peer: string, get: (name: (typeof FORWARDING_HEADERS)[number]) => string | undefined, trusted: net.BlockList): { client: string; forwarded: boolean } {
  let client = plainAddress(peer);
  if (!isTrusted(client, trusted)) return { client, forwarded: false };
  let forwarded = false;
  const hops = reportedHops(get);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (!hop) break;
    client = hop;
    forwarded = true;
    if (!isTrusted(hop, trusted)) break;
  }
  return { client, forwarded };
}

type NodeRequestLike = { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number } };

/**
 * Normalizes one incoming request at the server's entry: resolves the client by the rule, removes the
 * forwarding headers (so nothing downstream can read a client's claim), sets X-Forwarded-For to the
 * resolved client alone (what Next and next-auth read) and stamps ADDRESS_HEADER.
 */
export function normalizeRequestAddresses(req: NodeRequestLike): RequestAddresses {
  const { headers, socket } = req;
  const peer = plainAddress(socket.remoteAddress ?? "");
  const get = (name: (typeof FORWARDING_HEADERS)[number]) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(", ") : v;
  };
  const { client, forwarded } = peer ? resolve(peer, get, state().trusted) : { client: "unknown", forwarded: false };
  for (const name of FORWARDING_HEADERS) delete headers[name];
  if (peer) headers["x-forwarded-for"] = client;
  const addresses: RequestAddresses = { client, forwarded, peer: peer || "unknown", peerPort: socket.remotePort ?? 0, local: plainAddress(socket.localAddress ?? ""), localPort: socket.localPort ?? 0 };
  headers[ADDRESS_HEADER] = stampOf(addresses);
  return addresses;
}

/** The stamped header value for these addresses (the hook; test helpers that build a request's headers as the hook would). */
export function stampOf(a: RequestAddresses): string {
  return `${state().nonce} ${a.client} ${a.forwarded ? "via-proxy" : "direct"} ${a.peer} ${a.peerPort} ${a.local || "-"} ${a.localPort}`;
}

/** The addresses the entry stamped on this request, or null when it did not (or the header is forged). */
export function requestAddresses(headers: HeaderReader): RequestAddresses | null {
  const value = headers.get(ADDRESS_HEADER);
  if (!value) return null;
  const [nonce, client, via, peer, peerPort, local, localPort] = value.split(" ");
  if (nonce !== state().nonce || !client || !peer) return null;
  return { client, forwarded: via === "via-proxy", peer, peerPort: Number(peerPort) || 0, local: local === "-" ? "" : (local ?? ""), localPort: Number(localPort) || 0 };
}

/** The caller's address for sign-in limits and audit events: the socket's peer, or what a trusted proxy said. */
export function clientAddress(headers: HeaderReader): string {
  return requestAddresses(headers)?.client ?? "unknown";
}
