import "server-only";

/**
 * Header rewriting between client and instance, on Node's flat raw header arrays
 * ([name, value, name, value, …]) so nothing is parsed into objects on the hot path. Names are only
 * lower-cased when their length matches one of the headers we care about.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1) are dropped in both directions, as are the headers a
 * `Connection` header names. `Transfer-Encoding` is re-done by Node on each side: it de-chunks what
 * it reads and chunks what it writes when no Content-Length is known (kept on requests so a chunked
 * body is still chunked to the instance, dropped on responses so Node picks what suits the client).
 */

/** Results of scanning a request's headers; reused for every request (the scan is synchronous). */
export type RequestScan = {
  /** The Host header as sent (port included), or "" when absent. */
  host: string;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The `Upgrade` header value, or "" when absent. */
  upgrade: string;
};

export const scan: RequestScan = { host: "", contentLength: -1, chunked: false, upgrade: "" };

/**
 * Headers to send to the instance: the client's, minus hop-by-hop ones, plus X-Forwarded-For
 * (appended), X-Forwarded-Proto and X-Forwarded-Host (replaced). Host is kept as the client sent it.
 * With `upgrade`, `Connection: upgrade` and `Upgrade` are kept for the WebSocket handshake.
 * Fills `scan` as a side effect.
 */
export function forwardRequestHeaders(raw: string[], remoteAddress: string, upgrade: boolean): string[] {
  const out: string[] = [];
  let host = "";
  let forwardedFor = "";
  let contentLength = -1;
  let chunked = false;
  let upgradeValue = "";
  let connection = "";
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    switch (name.length) {
      case 2: // te
        if (name.toLowerCase() === "te") continue;
        break;
      case 4:
        if (name.toLowerCase() === "host") {
          if (host === "") host = value;
        }
        break;
      case 6: // expect: the 100-continue handshake was done with the client already
        if (name.toLowerCase() === "expect") continue;
        break;
      case 7: {
        const lower = name.toLowerCase();
        if (lower === "upgrade") {
          upgradeValue = value;
          if (!upgrade) continue;
        } else if (lower === "trailer") continue;
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
        if (name.toLowerCase() === "content-length") contentLength = Number(value);
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
        } else if (lower === "x-forwarded-proto") continue;
        break;
      }
      case 18:
        if (name.toLowerCase() === "proxy-authenticate") continue;
        break;
      case 19:
        if (name.toLowerCase() === "proxy-authorization") continue;
        break;
    }
    out.push(name, value);
  }
  if (connection !== "") dropConnectionListed(out, connection);
  if (upgrade) out.push("Connection", "upgrade");
  out.push(
    "X-Forwarded-For",
    forwardedFor === "" ? remoteAddress : `${forwardedFor}, ${remoteAddress}`,
    "X-Forwarded-Proto",
    "http",
    "X-Forwarded-Host",
    host,
  );
  scan.host = host;
  scan.contentLength = contentLength;
  scan.chunked = chunked;
  scan.upgrade = upgradeValue;
  return out;
}

/** Results of scanning a response's headers; reused like `scan`. */
export const responseScan = {
  /** Keep-alive timeout (ms) the instance announced (`Keep-Alive: timeout=5`), or -1. */
  keepAliveMs: -1,
};

/**
 * Headers to send to the client: the instance's minus hop-by-hop ones (and Transfer-Encoding, see
 * above). With `upgrade` (a 101 response), Connection and Upgrade are kept. Fills `responseScan`.
 */
export function forwardResponseHeaders(raw: string[], upgrade: boolean): string[] {
  const out: string[] = [];
  let connection = "";
  let hint = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === "te") continue;
        break;
      case 7: {
        if (upgrade) break;
        const lower = name.toLowerCase();
        if (lower === "upgrade" || lower === "trailer") continue;
        break;
      }
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "connection") {
          connection = connection === "" ? value : `${connection}, ${value}`;
          if (upgrade) break;
          continue;
        }
        if (lower === "keep-alive") {
          hint = keepAliveTimeoutMs(value);
          continue;
        }
        break;
      }
      case 16:
        if (name.toLowerCase() === "proxy-connection") continue;
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") continue;
        break;
    }
    out.push(name, value);
  }
  if (connection !== "" && !upgrade) dropConnectionListed(out, connection);
  responseScan.keepAliveMs = hint;
  return out;
}

function keepAliveTimeoutMs(value: string): number {
  const m = /timeout=(\d+)/i.exec(value);
  return m ? Number(m[1]) * 1000 : -1;
}

const STANDARD_CONNECTION_TOKENS = new Set(["keep-alive", "close", "upgrade"]);

/** Removes the headers a Connection header names (`Connection: close, X-Foo` drops X-Foo). */
function dropConnectionListed(out: string[], connection: string): void {
  let names: Set<string> | null = null;
  for (const token of connection.split(",")) {
    const t = token.trim().toLowerCase();
    if (t !== "" && !STANDARD_CONNECTION_TOKENS.has(t)) (names ??= new Set()).add(t);
  }
  if (names === null) return;
  let w = 0;
  for (let r = 0; r < out.length; r += 2) {
    if (names.has(out[r].toLowerCase())) continue;
    out[w++] = out[r];
    out[w++] = out[r + 1];
  }
  out.length = w;
}

/** Whether the client asked for HTML (browsers) rather than text (curl, scripts). */
export function acceptsHtml(raw: string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 6 && raw[i].toLowerCase() === "accept") return raw[i + 1].includes("text/html");
  }
  return false;
}
