import "server-only";
import fs from "node:fs/promises";
import net from "node:net";

/** An address as /proc/net/tcp6 writes it: 16 bytes as four 32-bit words in host (little-endian) order; IPv4 as IPv4-mapped. */
function procHex(address: string): string | null {
  const a = address.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
  const bytes = Buffer.alloc(16);
  if (net.isIPv4(a)) {
    bytes.writeUInt16BE(0xffff, 10);
    a.split(".").forEach((octet, i) => (bytes[12 + i] = Number(octet)));
  } else if (net.isIPv6(a)) {
    const groups = expandIPv6(a);
    if (!groups) return null;
    groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  } else return null;
  let hex = "";
  for (let word = 0; word < 4; word++) hex += bytes.readUInt32LE(word * 4).toString(16).padStart(8, "0");
  return hex.toUpperCase();
}

function expandIPv6(address: string): number[] | null {
  const [head, tail, extra] = address.split("::");
  if (extra !== undefined) return null;
  const parse = (part: string | undefined) => {
    if (!part) return [];
    const out: number[] = [];
    for (const piece of part.split(":")) {
      if (net.isIPv4(piece)) {
        const [a, b, c, d] = piece.split(".").map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const left = parse(head);
  const right = parse(tail);
  if (tail === undefined) return left.length === 8 ? left : null;
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** IPv4 as /proc/net/tcp writes it (one little-endian word), or null when the address is IPv6. */
function procHex4(address: string): string | null {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (!net.isIPv4(a)) return null;
  const b = Buffer.from(a.split(".").map(Number));
  return b.readUInt32LE(0).toString(16).padStart(8, "0").toUpperCase();
}

const port = (p: number) => p.toString(16).padStart(4, "0").toUpperCase();

/**
 * The uid that owns the client's end of a TCP connection to this machine: its socket is the row of
 * /proc/net/tcp (or tcp6) whose local end is the client's address and port and whose remote end is
 * ours. Null when no such row exists (the client is on another machine, or already gone). The kernel
 * keeps these rows per network namespace: a client in another namespace is not found (and is then
 * not on this loopback either).
 */
export async function socketOwnerUid(conn: { peer: string; peerPort: number; local: string; localPort: number }): Promise<number | null> {
  const candidates: [file: string, local: string | null, remote: string | null][] = [
    ["/proc/net/tcp", procHex4(conn.peer), procHex4(conn.local)],
    ["/proc/net/tcp6", procHex(conn.peer), procHex(conn.local)],
  ];
  for (const [file, peerHex, localHex] of candidates) {
    if (!peerHex || !localHex) continue;
    const want = `${peerHex}:${port(conn.peerPort)} ${localHex}:${port(conn.localPort)}`;
    const text = await fs.readFile(/*turbopackIgnore: true*/ file, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …
      const cols = line.trim().split(/\s+/);
      if (cols.length > 7 && `${cols[1]} ${cols[2]}` === want) return Number(cols[7]);
    }
  }
  return null;
}
