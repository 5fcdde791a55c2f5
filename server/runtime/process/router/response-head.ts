import "server-only";

/**
 * Parses the head of an HTTP/1.x response from an instance (status line and header lines, without
 * the blank line), into what the proxy needs: status, reason, the headers to pass on (hop-by-hop
 * ones removed unless `keepHopByHop`, for a 101) and the body framing. Strict: anything malformed
 * returns null and the proxy answers 502, rather than guessing where a body ends.
 */

export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
/** Read until the instance closes the connection (HTTP/1.0 style, or a transfer coding we do not parse). */
export const BODY_UNTIL_CLOSE = 3;

export type ResponseHead = {
  status: number;
  /** Reason phrase as sent ("" when none). */
  reason: string;
  /** Flat [name, value, …] to pass to the client. */
  headers: string[];
  /** BODY_LENGTH, BODY_CHUNKED or BODY_UNTIL_CLOSE; whether there is a body at all depends on the request method and status. */
  framing: number;
  /** Content-Length when framing is BODY_LENGTH. */
  contentLength: number;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** `Keep-Alive: timeout=N` in ms, or -1. */
  keepAliveHintMs: number;
};

export function parseResponseHead(text: string, keepHopByHop: boolean): ResponseHead | null {
  let lineEnd = text.indexOf("\r\n");
  if (lineEnd === -1) lineEnd = text.length;
  // "HTTP/1.1 200 OK": version, space, three digits, then an optional space and reason.
  if (lineEnd < 12 || !text.startsWith("HTTP/1.") || text.charCodeAt(8) !== 32) return null;
  const minor = text.charCodeAt(7) - 48;
  if (minor !== 0 && minor !== 1) return null;
  const d0 = text.charCodeAt(9) - 48;
  const d1 = text.charCodeAt(10) - 48;
  const d2 = text.charCodeAt(11) - 48;
  if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return null;
  const status = d0 * 100 + d1 * 10 + d2;
  if (lineEnd > 12 && text.charCodeAt(12) !== 32) return null;
  const reason = lineEnd > 13 ? text.slice(13, lineEnd) : "";

  const headers: string[] = [];
  let keepAlive = minor === 1;
  let keepAliveHintMs = -1;
  let contentLength = -1;
  let transferEncoding = "";
  let connection = "";
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf("\r\n", pos);
    if (end === -1) end = text.length;
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) return null; // obsolete line folding
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon > end) return null;
    const name = text.slice(pos, colon);
    const value = trimOws(text, colon + 1, end);
    pos = end + 2;
    switch (name.length) {
      case 2:
        if (!keepHopByHop && name.toLowerCase() === "te") continue;
        break;
      case 7:
        if (!keepHopByHop) {
          const lower = name.toLowerCase();
          if (lower === "upgrade" || lower === "trailer") continue;
        }
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "connection") {
          connection = connection === "" ? value : `${connection}, ${value}`;
          if (!keepHopByHop) continue;
        } else if (lower === "keep-alive") {
          keepAliveHintMs = keepAliveTimeoutMs(value);
          if (!keepHopByHop) continue;
        }
        break;
      }
      case 14:
        if (name.toLowerCase() === "content-length") {
          if (!/^\d{1,15}$/.test(value)) return null;
          const n = Number(value);
          if (contentLength !== -1 && contentLength !== n) return null;
          contentLength = n;
        }
        break;
      case 16:
        if (!keepHopByHop && name.toLowerCase() === "proxy-connection") continue;
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") {
          transferEncoding = transferEncoding === "" ? value : `${transferEncoding}, ${value}`;
          // Node frames the body for the client itself.
          continue;
        }
        break;
    }
    headers.push(name, value);
  }

  if (connection !== "") {
    // Fast path for what nearly every instance sends.
    if (connection === "keep-alive" || connection === "Keep-Alive") {
      if (minor === 0) keepAlive = true;
    } else if (connection === "close" || connection === "Close") {
      keepAlive = false;
    } else {
      const tokens = connection.toLowerCase();
      if (/(^|[\s,])close($|[\s,])/.test(tokens)) keepAlive = false;
      else if (minor === 0 && /(^|[\s,])keep-alive($|[\s,])/.test(tokens)) keepAlive = true;
      if (!keepHopByHop) dropConnectionListed(headers, tokens);
    }
  }

  let framing: number;
  if (transferEncoding !== "") {
    // Content-Length is ignored next to Transfer-Encoding (RFC 9112 §6.3); never reuse such a connection.
    if (contentLength !== -1) {
      keepAlive = false;
      removeHeader(headers, "content-length");
      contentLength = -1;
    }
    framing = /(^|,)\s*chunked\s*$/i.test(transferEncoding) ? BODY_CHUNKED : BODY_UNTIL_CLOSE;
  } else if (contentLength !== -1) {
    framing = BODY_LENGTH;
  } else {
    // Until close (the connection cannot be reused) — unless the response has no body at all
    // (HEAD, 204, 304), which the connection decides.
    framing = BODY_UNTIL_CLOSE;
  }
  return { status, reason, headers, framing, contentLength, keepAlive, keepAliveHintMs };
}

let lastKeepAlive = "";
let lastKeepAliveMs = -1;

/** `timeout=N` of a Keep-Alive header in ms, or -1; the last value is cached (instances repeat it). */
function keepAliveTimeoutMs(value: string): number {
  if (value === lastKeepAlive) return lastKeepAliveMs;
  const m = /timeout\s*=\s*(\d+)/i.exec(value);
  lastKeepAlive = value;
  lastKeepAliveMs = m ? Number(m[1]) * 1000 : -1;
  return lastKeepAliveMs;
}

function trimOws(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}

const STANDARD_CONNECTION_TOKENS = new Set(["keep-alive", "close", "upgrade"]);

/** Lower-cased header names a Connection header lists beyond keep-alive/close/upgrade, or null. */
export function connectionListed(connection: string): Set<string> | null {
  let names: Set<string> | null = null;
  for (const token of connection.toLowerCase().split(",")) {
    const t = token.trim();
    if (t !== "" && !STANDARD_CONNECTION_TOKENS.has(t)) (names ??= new Set()).add(t);
  }
  return names;
}

/** Removes the headers a Connection header names (`Connection: close, X-Foo` drops X-Foo). */
function dropConnectionListed(headers: string[], connection: string): void {
  const names = connectionListed(connection);
  if (names === null) return;
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (names.has(headers[r].toLowerCase())) continue;
    headers[w++] = headers[r];
    headers[w++] = headers[r + 1];
  }
  headers.length = w;
}

function removeHeader(headers: string[], lowerName: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (headers[r].toLowerCase() === lowerName) continue;
    headers[w++] = headers[r];
    headers[w++] = headers[r + 1];
  }
  headers.length = w;
}
