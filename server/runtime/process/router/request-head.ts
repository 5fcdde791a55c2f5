import "server-only";

/**
 * Parses a client's HTTP/1.x request head (request line and header lines, without the blank line)
 * into what the router needs. Strict where leniency invites request smuggling: both
 * Content-Length and Transfer-Encoding, conflicting lengths, a transfer coding that does not end in
 * chunked, obsolete line folding and whitespace before a colon are all refused with 400. Lenient
 * where RFC 9112 allows it without ambiguity: a line may end in a bare LF (§2.2; a CR anywhere else
 * is still refused), and the instance always receives CRLF lines rebuilt from what was parsed.
 * An absolute-form target (`GET http://host:port/path`, §3.2.2) is routed by its authority: the
 * Host header is replaced by it and the target becomes origin-form.
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

/** A line's content ends before its LF and, if there is one, the CR just before it. */
function contentEnd(text: string, lf: number): number {
  return lf > 0 && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
}

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
  const firstLf = text.indexOf("\n");
  const lineEnd = firstLf === -1 ? text.length : contentEnd(text, firstLf);
  const sp1 = text.indexOf(" ");
  if (sp1 <= 0 || sp1 > lineEnd || !isToken(text, 0, sp1)) return bad("malformed request line");
  const sp2 = text.indexOf(" ", sp1 + 1);
  if (sp2 === -1 || sp2 > lineEnd || sp2 === sp1 + 1) return bad("malformed request line");
  if (lineEnd - sp2 !== 9 || !text.startsWith("HTTP/", sp2 + 1) || text.charCodeAt(sp2 + 7) !== 46) return bad("malformed request line");
  const major = text.charCodeAt(sp2 + 6) - 48;
  const minor = text.charCodeAt(sp2 + 8) - 48;
  if (major !== 1 || (minor !== 0 && minor !== 1)) return { error: 505, message: "only HTTP/1.0 and HTTP/1.1 are served here" };
  const method = text.slice(0, sp1);
  let url = text.slice(sp1 + 1, sp2);
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 32 || c === 127) return bad("malformed request target");
  }
  let authority: string | null = null;
  if (url.charCodeAt(0) !== 47 /* / */ && url !== "*") {
    const absolute = absoluteForm(method, url);
    if (absolute !== null) {
      if ("error" in absolute) return absolute;
      authority = absolute.authority;
      url = absolute.path;
    }
  }

  const raw: string[] = [];
  let contentLength = -1;
  let transferEncoding = "";
  let connection = "";
  let hasUpgrade = false;
  let hosts = 0;
  let expectContinue = false;
  let pos = firstLf === -1 ? text.length : firstLf + 1;
  while (pos < text.length) {
    const lf = text.indexOf("\n", pos);
    const end = lf === -1 ? text.length : contentEnd(text, lf);
    const colon = text.indexOf(":", pos);
    if (colon <= pos || colon > end) return bad("malformed header line");
    if (!isToken(text, pos, colon)) return bad("malformed header name");
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    if (!isFieldValue(text, vs, ve)) return bad("invalid character in a header value");
    const name = text.slice(pos, colon);
    let value = text.slice(vs, ve);
    pos = lf === -1 ? text.length : lf + 1;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") {
          hosts++;
          // §3.2.2: the target's authority wins over the Host header, and is what gets forwarded.
          if (authority !== null) value = authority;
        }
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
  if (hosts > 1) return bad("more than one Host header");
  if (authority !== null && hosts === 0) raw.push("Host", authority);

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

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/;
/** host (reg-name, IPv4 or [IP-literal]) with an optional port; no userinfo. */
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(:\d{0,5})?$/;

/**
 * `http://host:port/path?query` → the authority and the origin-form target; null when the target is
 * not absolute-form (left as it is), an error when it is but cannot be served.
 */
function absoluteForm(method: string, url: string): { authority: string; path: string } | RequestHeadError | null {
  const m = ABSOLUTE_FORM.exec(url);
  if (m === null) return null;
  const scheme = m[1].toLowerCase();
  if (scheme !== "http" && scheme !== "https") return bad(`the request target's scheme must be http, not ${scheme.slice(0, 20)}`);
  const authority = m[2];
  if (!AUTHORITY.test(authority)) return bad("the request target's authority must be host[:port]");
  const rest = m[3];
  if (rest.includes("#")) return bad("malformed request target");
  const path = rest === "" ? (method === "OPTIONS" ? "*" : "/") : rest.charCodeAt(0) === 63 /* ? */ ? `/${rest}` : rest;
  return { authority, path };
}
