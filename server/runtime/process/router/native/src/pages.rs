//! The pages the native plane answers with itself (502, 503, 404), byte for byte as error-page.ts
//! writes them, and the reason phrases of node:http's STATUS_CODES.

const RETRY_AFTER_SECONDS: u32 = 5;

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue", 101 => "Switching Protocols", 102 => "Processing", 103 => "Early Hints",
        200 => "OK", 201 => "Created", 202 => "Accepted", 203 => "Non-Authoritative Information", 204 => "No Content",
        205 => "Reset Content", 206 => "Partial Content", 207 => "Multi-Status", 208 => "Already Reported", 226 => "IM Used",
        300 => "Multiple Choices", 301 => "Moved Permanently", 302 => "Found", 303 => "See Other", 304 => "Not Modified",
        305 => "Use Proxy", 307 => "Temporary Redirect", 308 => "Permanent Redirect",
        400 => "Bad Request", 401 => "Unauthorized", 402 => "Payment Required", 403 => "Forbidden", 404 => "Not Found",
        405 => "Method Not Allowed", 406 => "Not Acceptable", 407 => "Proxy Authentication Required", 408 => "Request Timeout",
        409 => "Conflict", 410 => "Gone", 411 => "Length Required", 412 => "Precondition Failed", 413 => "Payload Too Large",
        414 => "URI Too Long", 415 => "Unsupported Media Type", 416 => "Range Not Satisfiable", 417 => "Expectation Failed",
        418 => "I'm a Teapot", 421 => "Misdirected Request", 422 => "Unprocessable Entity", 423 => "Locked",
        424 => "Failed Dependency", 425 => "Too Early", 426 => "Upgrade Required", 428 => "Precondition Required",
        429 => "Too Many Requests", 431 => "Request Header Fields Too Large", 451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error", 501 => "Not Implemented", 502 => "Bad Gateway", 503 => "Service Unavailable",
        504 => "Gateway Timeout", 505 => "HTTP Version Not Supported", 506 => "Variant Also Negotiates",
        507 => "Insufficient Storage", 508 => "Loop Detected", 509 => "Bandwidth Limit Exceeded", 510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

pub struct Page {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

pub fn no_route(hostname: &str, html: bool) -> Page {
    let shown = if hostname.is_empty() { "(no Host header)" } else { hostname };
    page(404, "No service here", &format!("No service is routed to {}.", shown), "Check the address, or deploy a service with this hostname in Slipway.", html)
}

/** `described` is "web (shop/staging)", computed by the JS side when the route was set. */
pub fn no_instance(described: &str, html: bool) -> Page {
    let mut p = page(
        503,
        "No healthy instance",
        &format!("The service {} has no healthy instance right now.", described),
        "It may be starting, restarting or stopped. Try again in a few seconds.",
        html,
    );
    p.headers.push(("retry-after", RETRY_AFTER_SECONDS.to_string()));
    p
}

pub fn upstream_error(described: &str, html: bool) -> Page {
    page(
        502,
        "Upstream error",
        &format!("The service {} did not answer: its instances refused or dropped the connection.", described),
        "Its logs in Slipway usually say why.",
        html,
    )
}

fn page(status: u16, title: &str, message: &str, hint: &str, html: bool) -> Page {
    let mut headers = vec![("cache-control", "no-store".to_string())];
    if !html {
        headers.push(("content-type", "text/plain; charset=utf-8".to_string()));
        let body = format!("{} {}\n\n{}\n{}\n\n\u{2014} Slipway router\n", status, title, message, hint);
        return Page { status, headers, body: body.into_bytes() };
    }
    headers.push(("content-type", "text/html; charset=utf-8".to_string()));
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{s} {t}</title>\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1rem;color:#222}}\
h1{{font-size:1.4rem}}small{{color:#777}}</style></head><body>\
<h1>{s} \u{b7} {t}</h1><p>{m}</p><p>{h}</p><small>Slipway router</small></body></html>\n",
        s = status,
        t = escape_html(title),
        m = escape_html(message),
        h = escape_html(hint)
    );
    Page { status, headers, body: body.into_bytes() }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' | '<' | '>' | '"' | '\'' => out.push_str(&format!("&#{};", c as u32)),
            _ => out.push(c),
        }
    }
    out
}
