import "server-only";
import { connectionListed } from "./response-head";

/**
 * The request head sent to an instance, built straight from Node's flat raw header array
 * ([name, value, …]) into one latin1 string (header bytes round-trip unchanged), so nothing is
 * parsed into objects on the hot path. Names are only lower-cased when their length matches one of
 * the headers we care about.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1) are dropped, as are the headers a `Connection` header names.
 * Body framing (Content-Length / Transfer-Encoding) is left out here and added by the proxy when it
 * knows how it will send the body. Host is kept as the client sent it; X-Forwarded-For is appended
 * to, X-Forwarded-Proto and X-Forwarded-Host are replaced.
 */

/** What the scan learnt besides the head; one object reused for every request (the scan is synchronous). */
export type RequestScan = {
  /** The Host header as sent (port included), or "" when absent. */
  host: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
};

export const scan: RequestScan = { host: "", contentLength: -1, chunked: false };

/**
 * `METHOD url HTTP/1.1\r\n` and the forwarded header lines, each ending in CRLF, without framing
 * headers and without the final blank line. With `upgrade`, `Upgrade` is kept and
 * `Connection: upgrade` sent. Fills `scan` as a side effect.
 */
export function requestHead(method: string, url: string, raw: string[], remoteAddress: string, upgrade: boolean): string {
  return build(method, url, raw, remoteAddress, upgrade, null);
}

function build(method: string, url: string, raw: string[], remoteAddress: string, upgrade: boolean, named: Set<string> | null): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  let host = "";
  let forwardedFor = "";
  let contentLength = -1;
  let chunked = false;
  let connection = "";
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    switch (name.length) {
      case 2: // te
        if (name.toLowerCase() === "te") continue;
        break;
      case 4:
        if (host === "" && name.toLowerCase() === "host") host = value;
        break;
      case 6: // expect: the 100-continue handshake was done with the client already
        if (name.toLowerCase() === "expect") continue;
        break;
      case 7: {
        const lower = name.toLowerCase();
        if ((lower === "upgrade" && !upgrade) || lower === "trailer") continue;
        break;
      }
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "connection") {
          connection = connection === "" ? value : `${connection}, ${value}`;
          continue;
        }
        if (lower === "keep-alive") continue;
        break;
      }
      case 14:
        if (name.toLowerCase() === "content-length") {
          contentLength = Number(value);
          continue;
        }
        break;
      case 15:
        if (name.toLowerCase() === "x-forwarded-for") {
          forwardedFor = forwardedFor === "" ? value : `${forwardedFor}, ${value}`;
          continue;
        }
        break;
      case 16: {
        const lower = name.toLowerCase();
        if (lower === "proxy-connection" || lower === "x-forwarded-host") continue;
        break;
      }
      case 17: {
        const lower = name.toLowerCase();
        if (lower === "transfer-encoding") {
          chunked = true;
          continue;
        }
        if (lower === "x-forwarded-proto") continue;
        break;
      }
      case 18:
        if (name.toLowerCase() === "proxy-authenticate") continue;
        break;
      case 19:
        if (name.toLowerCase() === "proxy-authorization") continue;
        break;
    }
    if (named !== null && named.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  if (named === null && connection !== "") {
    // The Connection header names headers of its own to drop (rare): build again without them.
    const extra = connectionListed(connection);
    if (extra !== null) return build(method, url, raw, remoteAddress, upgrade, extra);
  }
  if (upgrade) head += "Connection: upgrade\r\n";
  head +=
    `X-Forwarded-For: ${forwardedFor === "" ? remoteAddress : `${forwardedFor}, ${remoteAddress}`}\r\n` +
    `X-Forwarded-Proto: http\r\nX-Forwarded-Host: ${host}\r\n`;
  scan.host = host;
  scan.contentLength = contentLength;
  scan.chunked = chunked;
  return head;
}

/** Whether the client asked for HTML (browsers) rather than text (curl, scripts). */
export function acceptsHtml(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 6 && raw[i].toLowerCase() === "accept") return raw[i + 1].includes("text/html");
  }
  return false;
}
