import "server-only";

/**
 * Parses a client's HTTP/1.x request head (request line and header lines, without the blank line)
 * into what the router needs. Strict where leniency invites request smuggling: both
 * Content-Length and Transfer-Encoding, conflicting lengths, a transfer coding that does not end in
 * chunked, obsolete line folding and whitespace before a colon are all refused with 400.
 */

export type RequestHead = {
  method: string;
  url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Flat [name, value, …] as sent (names keep their case). */
  raw: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The client wants the connection kept open after the response. */
  keepAlive: boolean;
  /** `Upgrade` with `Connection: upgrade` (WebSocket and others). */
  upgrade: boolean;
  expectContinue: boolean;
};

export type RequestHeadError = { error: number; message: string };

/** Largest request head accepted (Node's default); larger ones get 431. */
export const MAX_REQUEST_HEAD = 16 * 1024;

// RFC 9110 tchar, for methods and header names.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

function isToken(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Field values: visible ASCII, obs-text, space and tab (no CR, LF or other controls). */
function isFieldValue(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

const bad = (message: string): RequestHeadError => ({ error: 400, message });

export function parseRequestHead(text: string): RequestHead | RequestHeadError {
  let lineEnd = text.indexOf("\r\n");
  if (lineEnd === -1) lineEnd = text.length;
  const sp1 = text.indexOf(" ");
  if (sp1 <= 0 || sp1 > lineEnd || !isToken(text, 0, sp1)) return bad("malformed request line");
  const sp2 = text.indexOf(" ", sp1 + 1);
  if (sp2 === -1 || sp2 > lineEnd || sp2 === sp1 + 1) return bad("malformed request line");
  if (lineEnd - sp2 !== 9 || !text.startsWith("HTTP/", sp2 + 1) || text.charCodeAt(sp2 + 7) !== 46) return bad("malformed request line");
  const major = text.charCodeAt(sp2 + 6) - 48;
  const minor = text.charCodeAt(sp2 + 8) - 48;
  if (major !== 1 || (minor !== 0 && minor !== 1)) return { error: 505, message: "only HTTP/1.0 and HTTP/1.1 are served here" };
  const method = text.slice(0, sp1);
  const url = text.slice(sp1 + 1, sp2);
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 32 || c === 127) return bad("malformed request target");
  }

  const raw: string[] = [];
  let contentLength = -1;
  let transferEncoding = "";
  let connection = "";
  let hasUpgrade = false;
  let hosts = 0;
  let expectContinue = false;
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf("\r\n", pos);
    if (end === -1) end = text.length;
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon > end) return bad("malformed header line");
    if (!isToken(text, pos, colon)) return bad("malformed header name");
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    if (!isFieldValue(text, vs, ve)) return bad("invalid character in a header value");
    const name = text.slice(pos, colon);
    const value = text.slice(vs, ve);
    pos = end + 2;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") hosts++;
        break;
      case 6:
        if (name.toLowerCase() === "expect" && value.toLowerCase() === "100-continue") expectContinue = true;
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") hasUpgrade = true;
        break;
      case 10:
        if (name.toLowerCase() === "connection") connection = connection === "" ? value : `${connection}, ${value}`;
        break;
      case 14:
        if (name.toLowerCase() === "content-length") {
          if (!/^\d{1,15}$/.test(value)) return bad("invalid Content-Length");
          const n = Number(value);
          if (contentLength !== -1 && contentLength !== n) return bad("conflicting Content-Length headers");
          contentLength = n;
        }
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") transferEncoding = transferEncoding === "" ? value : `${transferEncoding}, ${value}`;
        break;
    }
    raw.push(name, value);
  }
  if (minor === 1 && hosts !== 1) return bad(hosts === 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");

  let chunked = false;
  if (transferEncoding !== "") {
    if (contentLength !== -1) return bad("both Content-Length and Transfer-Encoding");
    if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding)) return bad("the last transfer coding must be chunked");
    chunked = true;
  }

  let keepAlive = minor === 1;
  let upgradeToken = false;
  if (connection !== "") {
    const tokens = connection.toLowerCase();
    if (tokens === "keep-alive") keepAlive = true;
    else if (tokens === "close") keepAlive = false;
    else {
      for (const t of tokens.split(",")) {
        const token = t.trim();
        if (token === "close") keepAlive = false;
        else if (token === "keep-alive" && minor === 0) keepAlive = true;
        else if (token === "upgrade") upgradeToken = true;
      }
      if (/(^|[\s,])close($|[\s,])/.test(tokens)) keepAlive = false;
    }
  }
  return { method, url, minor, raw, contentLength, chunked, keepAlive, upgrade: hasUpgrade && upgradeToken, expectContinue: expectContinue && minor === 1 };
}
