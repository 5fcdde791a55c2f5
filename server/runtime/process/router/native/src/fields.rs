//! Byte-level helpers for HTTP/1.x heads, shared by the request and response parsers.

/** Optional whitespace (space, tab) trimmed from both ends. */
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

pub fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if hay.len() < needle.len() || from > hay.len() - needle.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

pub fn eq_ci(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/** Controls other than tab, and DEL: what may not appear in a field (nor be sent on). */
pub fn has_controls(s: &[u8]) -> bool {
    s.iter().any(|&c| (c < 32 && c != 9) || c == 127)
}

/** Appends a field value to a comma-joined list (repeated Connection or Transfer-Encoding lines). */
pub fn append_list(list: &mut Vec<u8>, value: &[u8]) {
    if !list.is_empty() {
        list.extend_from_slice(b", ");
    }
    list.extend_from_slice(value);
}

/**
 * A Content-Length value given `previous` (-1 when none yet): digits only, at most 15, and equal to
 * any earlier one; None otherwise (a smuggling shape: refused, never guessed).
 */
pub fn content_length(value: &[u8], previous: i64) -> Option<i64> {
    if value.is_empty() || value.len() > 15 || !value.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    if previous != -1 && previous != n {
        return None;
    }
    Some(n)
}

/** Lower-cased, trimmed, non-empty tokens of a comma list (a Connection header's value). */
pub fn list_tokens(v: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    v.split(|&c| c == b',').map(|t| trim_ows(t).to_ascii_lowercase()).filter(|t| !t.is_empty())
}

/** The header names a Connection value lists besides keep-alive, close and upgrade (dropped as hop-by-hop). */
pub fn connection_listed(connection: &[u8]) -> Vec<Vec<u8>> {
    list_tokens(connection).filter(|t| !matches!(t.as_slice(), b"keep-alive" | b"close" | b"upgrade")).collect()
}

pub fn is_listed(listed: &[Vec<u8>], name: &[u8]) -> bool {
    listed.iter().any(|l| name.eq_ignore_ascii_case(l))
}
