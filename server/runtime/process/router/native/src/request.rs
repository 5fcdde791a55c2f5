//! Client request heads: the strict checks of request-head.ts, and the head sent to an instance as
//! forward-headers.ts builds it. Anything this plane does not serve itself (HTTP/1.0, upgrades,
//! chunked or large bodies, Expect, and every malformed head, whose exact answer the JS side
//! owns) comes back as None, and the connection moves to the JS router.

use crate::fields::{append_list, connection_listed, content_length as parse_length, eq_ci, find, has_controls, is_listed, list_tokens, trim_ows};

/** Bodies up to this size are read whole before sending (so a retry can send them again). */
pub const MAX_BUFFERED_BODY: usize = 64 * 1024;

pub struct Request<'a> {
    pub method: &'a [u8],
    pub content_length: i64,
    pub keep_alive: bool,
    /** The Host header as sent (port included). */
    pub host: &'a [u8],
    pub wants_html: bool,
    /** Request line and forwarded header lines, each ending in CRLF, without framing or the blank line. */
    pub forward: Vec<u8>,
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&c| is_tchar(c))
}

/** Parses `head` (without the final blank line); None means: let the JS router serve it. */
pub fn parse<'a>(head: &'a [u8], remote: &str) -> Option<Request<'a>> {
    let line_end = find(head, b"\r\n", 0).unwrap_or(head.len());
    let line = &head[..line_end];
    let sp1 = line.iter().position(|&c| c == b' ')?;
    let method = &line[..sp1];
    if !is_token(method) || method == b"CONNECT" {
        return None;
    }
    let rest = &line[sp1 + 1..];
    let sp2 = rest.iter().position(|&c| c == b' ')?;
    let url = &rest[..sp2];
    if url.is_empty() || url.iter().any(|&c| c <= 32 || c == 127) {
        return None;
    }
    if &rest[sp2 + 1..] != b"HTTP/1.1" {
        return None; // HTTP/1.0 (and anything malformed) is the JS side's
    }

    let mut fields: Vec<(&[u8], &[u8])> = Vec::with_capacity(16);
    let mut content_length: i64 = -1;
    let mut hosts = 0;
    let mut host: &[u8] = b"";
    let mut connection: Vec<u8> = Vec::new();
    let mut wants_html: Option<bool> = None;
    let mut pos = line_end + 2;
    while pos < head.len() {
        let end = find(head, b"\r\n", pos).unwrap_or(head.len());
        let line = &head[pos..end];
        pos = end + 2;
        let colon = line.iter().position(|&c| c == b':')?;
        let name = &line[..colon];
        if !is_token(name) {
            return None;
        }
        let value = trim_ows(&line[colon + 1..]);
        if has_controls(value) {
            return None;
        }
        match name.len() {
            4 if eq_ci(name, "host") => {
                hosts += 1;
                if hosts == 1 {
                    host = value;
                }
            }
            6 if eq_ci(name, "expect") => return None,
            6 if eq_ci(name, "accept") => {
                if wants_html.is_none() {
                    wants_html = Some(find(value, b"text/html", 0).is_some());
                }
            }
            7 if eq_ci(name, "upgrade") => return None,
            10 if eq_ci(name, "connection") => append_list(&mut connection, value),
            14 if eq_ci(name, "content-length") => content_length = parse_length(value, content_length)?,
            17 if eq_ci(name, "transfer-encoding") => return None,
            _ => {}
        }
        fields.push((name, value));
    }
    if hosts != 1 || content_length > MAX_BUFFERED_BODY as i64 {
        return None;
    }
    let keep_alive = !list_tokens(&connection).any(|t| t == b"close");
    let listed = connection_listed(&connection);

    // The forwarded head: hop-by-hop headers and those Connection names dropped, framing left to the sender.
    let mut out = Vec::with_capacity(head.len() + 128);
    out.extend_from_slice(&head[..line_end]);
    out.extend_from_slice(b"\r\n");
    let mut forwarded_for: Vec<u8> = Vec::new();
    for &(name, value) in &fields {
        let drop = match name.len() {
            2 => eq_ci(name, "te"),
            6 => eq_ci(name, "expect"),
            7 => eq_ci(name, "upgrade") || eq_ci(name, "trailer"),
            10 => eq_ci(name, "connection") || eq_ci(name, "keep-alive"),
            14 => eq_ci(name, "content-length"),
            15 if eq_ci(name, "x-forwarded-for") => {
                append_list(&mut forwarded_for, value);
                true
            }
            16 => eq_ci(name, "proxy-connection") || eq_ci(name, "x-forwarded-host"),
            17 => eq_ci(name, "transfer-encoding") || eq_ci(name, "x-forwarded-proto"),
            18 => eq_ci(name, "proxy-authenticate"),
            19 => eq_ci(name, "proxy-authorization"),
            _ => false,
        };
        if drop || is_listed(&listed, name) {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"X-Forwarded-For: ");
    if !forwarded_for.is_empty() {
        out.extend_from_slice(&forwarded_for);
        out.extend_from_slice(b", ");
    }
    out.extend_from_slice(remote.as_bytes());
    out.extend_from_slice(b"\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: ");
    out.extend_from_slice(host);
    out.extend_from_slice(b"\r\n");
    Some(Request { method, content_length, keep_alive, host, wants_html: wants_html.unwrap_or(false), forward: out })
}

/** Host header → route key: without port (IPv6 keeps its brackets), trailing dot and case. */
pub fn normalize_host(host: &[u8]) -> Vec<u8> {
    let mut end = host.len();
    if host.first() == Some(&b'[') {
        if let Some(close) = host.iter().position(|&c| c == b']') {
            end = close + 1;
        }
    } else if let Some(colon) = host.iter().position(|&c| c == b':') {
        end = colon;
    }
    if end > 0 && host[end - 1] == b'.' {
        end -= 1;
    }
    trim_ascii_ws(&host[..end]).to_ascii_lowercase()
}

fn trim_ascii_ws(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if !c.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., c] = s {
        if !c.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}

/** Methods safe to send again even if the instance may have seen them (RFC 9110 §9.2.2). */
pub fn idempotent(method: &[u8]) -> bool {
    matches!(method, b"GET" | b"HEAD" | b"OPTIONS" | b"TRACE" | b"PUT" | b"DELETE")
}
