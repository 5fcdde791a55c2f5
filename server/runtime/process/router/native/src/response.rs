//! Instance response heads, read as response-head.ts reads them (strict: anything malformed is a
//! 502, never a guess at where a body ends) and written to the client as client-connection.ts's
//! writeHead does.
use crate::pages::reason_phrase;
use crate::fields::{append_list, connection_listed, content_length as parse_length, is_listed, eq_ci, find as find_bytes, has_controls as unsendable, trim_ows};

pub const BODY_LENGTH: u8 = 1;
pub const BODY_CHUNKED: u8 = 2;
pub const BODY_UNTIL_CLOSE: u8 = 3;

pub struct Response {
    pub status: u16,
    pub framing: u8,
    pub content_length: u64,
    pub keep_alive: bool,
    /** `Keep-Alive: timeout=N` in ms, or -1. */
    pub hint_ms: i64,
    /** Status line and passed-on header lines for the client (CRLF each, no framing, no blank line). */
    head: Vec<u8>,
    has_length: bool,
    /** A header value the client must not get (control characters): the response is unusable. */
    pub unsendable: bool,
}

fn contains_token(list: &[u8], token: &str) -> bool {
    list.split(|&c| c == b',' || c == b' ' || c == b'\t').any(|t| eq_ci(t, token))
}

fn last_coding_is_chunked(te: &[u8]) -> bool {
    let last = te.rsplit(|&c| c == b',').next().unwrap_or(b"");
    eq_ci(trim_ows(last), "chunked")
}

fn keep_alive_timeout_ms(v: &[u8]) -> i64 {
    let lower = v.to_ascii_lowercase();
    let Some(at) = find_bytes(&lower, b"timeout", 0) else { return -1 };
    let mut rest = trim_ows(&lower[at + 7..]);
    let Some((b'=', after)) = rest.split_first() else { return -1 };
    rest = trim_ows(after);
    let digits: Vec<u8> = rest.iter().take_while(|c| c.is_ascii_digit()).copied().collect();
    if digits.is_empty() || digits.len() > 12 {
        return -1;
    }
    std::str::from_utf8(&digits).ok().and_then(|d| d.parse::<i64>().ok()).map_or(-1, |n| n * 1000)
}

/** Parses a response head (without the blank line); None when malformed. */
pub fn parse(text: &[u8]) -> Option<Response> {
    let line_end = find_bytes(text, b"\r\n", 0).unwrap_or(text.len());
    if line_end < 12 || !text.starts_with(b"HTTP/1.") || text[8] != b' ' {
        return None;
    }
    let minor = text[7];
    if minor != b'0' && minor != b'1' {
        return None;
    }
    let d = &text[9..12];
    if !(b'1'..=b'5').contains(&d[0]) || !d[1].is_ascii_digit() || !d[2].is_ascii_digit() {
        return None;
    }
    let status = (d[0] - b'0') as u16 * 100 + (d[1] - b'0') as u16 * 10 + (d[2] - b'0') as u16;
    if line_end > 12 && text[12] != b' ' {
        return None;
    }
    let reason: &[u8] = if line_end > 13 { &text[13..line_end] } else { b"" };

    let mut fields: Vec<(&[u8], &[u8])> = Vec::with_capacity(16);
    let mut keep_alive = minor == b'1';
    let mut hint_ms = -1;
    let mut content_length: i64 = -1;
    let mut te: Vec<u8> = Vec::new();
    let mut connection: Vec<u8> = Vec::new();
    let mut pos = line_end + 2;
    while pos < text.len() {
        let end = find_bytes(text, b"\r\n", pos).unwrap_or(text.len());
        let line = &text[pos..end];
        pos = end + 2;
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return None; // obsolete line folding
        }
        let colon = line.iter().position(|&c| c == b':')?;
        if colon == 0 {
            return None;
        }
        let name = &line[..colon];
        let value = trim_ows(&line[colon + 1..]);
        let skip = match name.len() {
            2 => eq_ci(name, "te"),
            7 => eq_ci(name, "upgrade") || eq_ci(name, "trailer"),
            10 if eq_ci(name, "connection") => {
                append_list(&mut connection, value);
                true
            }
            10 if eq_ci(name, "keep-alive") => {
                hint_ms = keep_alive_timeout_ms(value);
                true
            }
            14 if eq_ci(name, "content-length") => {
                content_length = parse_length(value, content_length)?;
                false
            }
            16 => eq_ci(name, "proxy-connection"),
            17 if eq_ci(name, "transfer-encoding") => {
                append_list(&mut te, value);
                true
            }
            _ => false,
        };
        if !skip {
            fields.push((name, value));
        }
    }

    let mut listed: Vec<Vec<u8>> = Vec::new();
    if !connection.is_empty() {
        if connection == b"keep-alive" || connection == b"Keep-Alive" {
            if minor == b'0' {
                keep_alive = true;
            }
        } else if connection == b"close" || connection == b"Close" {
            keep_alive = false;
        } else {
            let lower = connection.to_ascii_lowercase();
            if contains_token(&lower, "close") {
                keep_alive = false;
            } else if minor == b'0' && contains_token(&lower, "keep-alive") {
                keep_alive = true;
            }
            listed = connection_listed(&lower);
        }
    }

    let framing;
    let mut drop_length = false;
    if !te.is_empty() {
        if content_length != -1 {
            // Content-Length is ignored next to Transfer-Encoding (RFC 9112 §6.3); never reuse the connection.
            keep_alive = false;
            drop_length = true;
            content_length = -1;
        }
        framing = if last_coding_is_chunked(&te) { BODY_CHUNKED } else { BODY_UNTIL_CLOSE };
    } else if content_length != -1 {
        framing = BODY_LENGTH;
    } else {
        framing = BODY_UNTIL_CLOSE;
    }

    let mut head = Vec::with_capacity(text.len() + 64);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(&text[9..12]);
    head.push(b' ');
    if reason.is_empty() {
        head.extend_from_slice(reason_phrase(status).as_bytes());
    } else {
        head.extend_from_slice(reason);
    }
    head.extend_from_slice(b"\r\n");
    let mut has_length = false;
    let mut bad = unsendable(reason);
    for &(name, value) in &fields {
        let is_length = name.len() == 14 && eq_ci(name, "content-length");
        if (is_length && drop_length) || is_listed(&listed, name) {
            continue;
        }
        if unsendable(name) || unsendable(value) {
            bad = true;
        }
        has_length |= is_length;
        head.extend_from_slice(name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    Some(Response {
        status,
        framing,
        content_length: content_length.max(0) as u64,
        keep_alive,
        hint_ms,
        head,
        has_length,
        unsendable: bad,
    })
}

impl Response {
    /**
     * Appends the client's head to `out`; returns whether the body goes out chunked (no length
     * from the instance). `no_body`: HEAD, 204, 304 or 1xx.
     */
    pub fn write_client_head(&self, out: &mut Vec<u8>, no_body: bool, keep_alive: bool) -> bool {
        out.extend_from_slice(&self.head);
        let chunked = !no_body && !self.has_length;
        if chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if !keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        chunked
    }
}

/** Hex chunk size before `;`, space or tab; None when malformed or absurdly large. */
pub fn chunk_size(line: &[u8]) -> Option<u64> {
    let mut size: u64 = 0;
    let mut digits = 0;
    for &c in line {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b';' | b' ' | b'\t' => break,
            _ => return None,
        };
        digits += 1;
        if digits > 12 {
            return None;
        }
        size = size * 16 + v as u64;
    }
    if digits == 0 { None } else { Some(size) }
}
