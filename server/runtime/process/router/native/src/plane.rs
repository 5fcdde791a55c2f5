//! The event loop of the native data plane: one thread, one epoll set, client connections and
//! keep-alive upstream connections in one slab. It serves what nearly all traffic is (HTTP/1.1
//! requests with bodies up to 64 KiB, any response framing) the way the JS router does, and hands
//! every other connection to the JS router (see request.rs) through `Shared::handoffs`.
use crate::metrics::Metrics;
use crate::pages::{self, reason_phrase, Page};
use crate::fields::find as find_bytes;
use crate::request;
use crate::response::{self, BODY_CHUNKED, BODY_LENGTH};
use crate::routes::{Addr, Route, Routes};
use crate::sys::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/** A client connection the JS router takes over, with the bytes read from it so far. */
pub struct Handoff {
    pub fd: Fd,
    pub prefix: Vec<u8>,
}

pub struct Shared {
    pub routes: Mutex<Routes>,
    pub metrics: Mutex<Metrics>,
    pub handoffs: Mutex<Vec<Handoff>>,
    /** Every connection goes to the JS router (its per-request hooks are in use). */
    pub delegate_all: AtomicBool,
    pub stop: AtomicBool,
    /** eventfd: route changes and stop. */
    pub wake_fd: Fd,
    /** Pipe the JS side reads: a byte means handoffs are waiting. */
    pub notify_w: Fd,
}

const TOK_LISTEN: u64 = u64::MAX;
const TOK_WAKE: u64 = u64::MAX - 1;

const CLIENT_IDLE: Duration = Duration::from_secs(30);
/** How long a closing connection is read (and dropped) after our FIN, so a late request does not reset our answer. */
const CLOSING_LINGER: Duration = Duration::from_secs(5);
const IDLE_TIMEOUT_MS: i64 = 4_000;
const HINT_MARGIN_MS: i64 = 1_000;
const DOWN_FOR: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST_HEAD: usize = 16 * 1024;
const MAX_RESPONSE_HEAD: usize = 64 * 1024;
const MAX_CHUNK_LINE: usize = 4 * 1024;
const MAX_PIPELINED: usize = 64 * 1024;
/** Response bytes queued for a slow client before the instance stops being read. */
const MAX_CLIENT_OUT: usize = 1024 * 1024;
const MAX_IDLE_PER_UPSTREAM: usize = 128;
const READ_CHUNK: usize = 64 * 1024;
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

#[derive(PartialEq, Clone, Copy)]
enum CState {
    Head,
    Body,
    Wait,
    Closing,
}

struct Exchange {
    host_key: Vec<u8>,
    /** The route as it was when the request arrived (error pages, metrics); retries look it up again. */
    route: Arc<Route>,
    forward: Vec<u8>,
    body: Vec<u8>,
    content_length: i64,
    idempotent: bool,
    is_head: bool,
    wants_html: bool,
    keep_alive: bool,
    tried: Vec<Addr>,
    target: Option<Addr>,
    up: Option<usize>,
    answered: bool,
    status: u16,
    bytes: u64,
    start: Instant,
}

struct Client {
    fd: Fd,
    /** The peer's address as text, for X-Forwarded-For (made once per connection). */
    remote_text: String,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    state: CState,
    body_remaining: usize,
    ex: Option<Box<Exchange>>,
    last_active: Instant,
    reading: bool,
    writing: bool,
    registered: u32,
    handoff_after_flush: bool,
    shut: bool,
}

#[derive(PartialEq, Clone, Copy)]
enum UState {
    Idle,
    Head,
    Length,
    ChunkSize,
    ChunkData,
    ChunkEnd,
    Trailers,
    UntilClose,
}

struct Up {
    fd: Fd,
    addr: Addr,
    client: Option<usize>,
    connecting: bool,
    connect_start: Instant,
    state: UState,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    reused: bool,
    got_bytes: bool,
    keep_alive: bool,
    hint_ms: i64,
    idle_since: Instant,
    remaining: u64,
    /** The request was HEAD: no response body whatever the headers say. */
    no_body: bool,
    client_keep_alive: bool,
    chunked_out: bool,
    reading: bool,
    writing: bool,
    registered: u32,
}

enum Conn {
    Client(Client),
    Up(Up),
}

struct Slot {
    gen: u32,
    conn: Option<Conn>,
}

#[derive(Default)]
struct Endpoint {
    idle: Vec<(usize, u32)>,
    down_until: Option<Instant>,
    retired: bool,
}

enum End {
    More,
    Complete { extra: bool },
    Fail,
    Unsendable,
}

pub struct Plane {
    ep: Fd,
    listen_fd: Fd,
    shared: Arc<Shared>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    endpoints: HashMap<Addr, Endpoint>,
    routes_version: u64,
    accept_paused_until: Option<Instant>,
}

fn ipv4(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

fn idle_limit_ms(hint: i64) -> i64 {
    if hint < 0 { IDLE_TIMEOUT_MS } else { (hint - HINT_MARGIN_MS).min(IDLE_TIMEOUT_MS) }
}

fn page_bytes(out: &mut Vec<u8>, p: &Page, head_only: bool, keep_alive: bool) {
    out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", p.status, reason_phrase(p.status)).as_bytes());
    for (name, value) in &p.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n", p.body.len()).as_bytes());
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&p.body);
    }
}

pub fn run(shared: Arc<Shared>, listen_fd: Fd) {
    let ep = match epoll_new() {
        Ok(ep) => ep,
        Err(_) => return,
    };
    let mut plane = Plane { ep, listen_fd, shared, slots: Vec::new(), free: Vec::new(), endpoints: HashMap::new(), routes_version: 0, accept_paused_until: None };
    let _ = ep_add(ep, listen_fd, EPOLLIN, TOK_LISTEN);
    let _ = ep_add(ep, plane.shared.wake_fd, EPOLLIN, TOK_WAKE);
    let mut events = vec![EpollEvent { events: 0, data: 0 }; 256];
    let mut last_sweep = Instant::now();
    loop {
        let timeout = match plane.accept_paused_until {
            Some(t) => t.saturating_duration_since(Instant::now()).as_millis().min(1000) as i32,
            None => 1000,
        };
        let n = ep_wait(ep, &mut events, timeout);
        for ev in events.iter().take(n) {
            let (e, tok) = (ev.events, ev.data);
            match tok {
                TOK_LISTEN => plane.accept_all(),
                TOK_WAKE => plane.on_wake(),
                _ => plane.on_event(tok, e),
            }
        }
        if plane.shared.stop.load(Ordering::Acquire) {
            break;
        }
        let now = Instant::now();
        if plane.accept_paused_until.is_some_and(|t| t <= now) {
            plane.accept_paused_until = None;
            let _ = ep_mod(ep, listen_fd, EPOLLIN, TOK_LISTEN);
        }
        if now.duration_since(last_sweep) >= Duration::from_secs(1) {
            last_sweep = now;
            plane.sweep(now);
        }
    }
    plane.close_all();
}

impl Plane {
    // ---- slab -------------------------------------------------------------------------------

    fn insert(&mut self, conn: Conn) -> usize {
        if let Some(i) = self.free.pop() {
            self.slots[i].conn = Some(conn);
            i
        } else {
            self.slots.push(Slot { gen: 0, conn: Some(conn) });
            self.slots.len() - 1
        }
    }

    fn token(&self, i: usize) -> u64 {
        ((self.slots[i].gen as u64) << 32) | i as u64
    }

    fn release_slot(&mut self, i: usize) {
        self.slots[i].conn = None;
        self.slots[i].gen = self.slots[i].gen.wrapping_add(1);
        self.free.push(i);
    }

    fn client(&mut self, i: usize) -> &mut Client {
        match self.slots[i].conn.as_mut() {
            Some(Conn::Client(c)) => c,
            _ => unreachable!("slot {} is not a client", i),
        }
    }

    fn up(&mut self, i: usize) -> &mut Up {
        match self.slots[i].conn.as_mut() {
            Some(Conn::Up(u)) => u,
            _ => unreachable!("slot {} is not an upstream", i),
        }
    }

    fn is_client(&self, i: usize) -> bool {
        matches!(self.slots.get(i).and_then(|s| s.conn.as_ref()), Some(Conn::Client(_)))
    }

    fn is_up(&self, i: usize) -> bool {
        matches!(self.slots.get(i).and_then(|s| s.conn.as_ref()), Some(Conn::Up(_)))
    }

    fn client_interest(&mut self, i: usize) {
        let tok = self.token(i);
        let ep = self.ep;
        let c = self.client(i);
        let want = (if c.reading { EPOLLIN } else { 0 }) | (if c.writing { EPOLLOUT } else { 0 });
        if want != c.registered {
            c.registered = want;
            let _ = ep_mod(ep, c.fd, want, tok);
        }
    }

    fn up_interest(&mut self, i: usize) {
        let tok = self.token(i);
        let ep = self.ep;
        let u = self.up(i);
        let want = (if u.reading { EPOLLIN } else { 0 }) | (if u.writing || u.connecting { EPOLLOUT } else { 0 });
        if want != u.registered {
            u.registered = want;
            let _ = ep_mod(ep, u.fd, want, tok);
        }
    }

    // ---- events -----------------------------------------------------------------------------

    fn accept_all(&mut self) {
        loop {
            let (fd, remote) = match accept(self.listen_fd) {
                Ok(Some(x)) => x,
                Ok(None) => return,
                Err(_) => {
                    // Out of descriptors (EMFILE/ENFILE) or memory: stop accepting for a moment rather
                    // than spin on a listener that stays readable (nginx does the same).
                    let _ = ep_mod(self.ep, self.listen_fd, 0, TOK_LISTEN);
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    return;
                }
            };
            if self.shared.delegate_all.load(Ordering::Relaxed) {
                self.push_handoff(Handoff { fd, prefix: Vec::new() });
                continue;
            }
            let c = Client {
                fd,
                remote_text: ipv4(remote),
                inbuf: Vec::new(),
                out: Vec::new(),
                out_pos: 0,
                state: CState::Head,
                body_remaining: 0,
                ex: None,
                last_active: Instant::now(),
                reading: true,
                writing: false,
                registered: EPOLLIN,
                handoff_after_flush: false,
                shut: false,
            };
            let i = self.insert(Conn::Client(c));
            let tok = self.token(i);
            if ep_add(self.ep, fd, EPOLLIN, tok).is_err() {
                close_fd(fd);
                self.release_slot(i);
            }
        }
    }

    fn on_wake(&mut self) {
        let mut buf = [0u8; 8];
        let _ = read_fd(self.shared.wake_fd, &mut buf);
        let (version, referenced) = {
            let routes = lock(&self.shared.routes);
            (routes.version, if routes.version != self.routes_version { routes.referenced() } else { Vec::new() })
        };
        if version == self.routes_version {
            return;
        }
        self.routes_version = version;
        // Instances no route names any more (a rollout's old version): idle connections close now,
        // busy ones when their exchange ends, so the instance can stop without waiting for us.
        let mut close = Vec::new();
        for (addr, e) in self.endpoints.iter_mut() {
            e.retired = referenced.binary_search(addr).is_err();
            if e.retired {
                close.extend(e.idle.drain(..));
            }
        }
        for (i, gen) in close {
            if self.slots[i].gen == gen && self.is_up(i) {
                self.destroy_up(i);
            }
        }
        self.endpoints.retain(|_, e| !(e.retired && e.idle.is_empty() && e.down_until.is_none()));
    }

    fn on_event(&mut self, tok: u64, e: u32) {
        let i = (tok & 0xffff_ffff) as usize;
        let gen = (tok >> 32) as u32;
        if i >= self.slots.len() || self.slots[i].gen != gen {
            return;
        }
        match self.slots[i].conn {
            Some(Conn::Client(_)) => self.client_event(i, e),
            Some(Conn::Up(_)) => self.up_event(i, e),
            None => {}
        }
    }

    // ---- client side ------------------------------------------------------------------------

    fn client_event(&mut self, i: usize, e: u32) {
        if e & EPOLLOUT != 0 {
            self.flush_client(i);
            if !self.is_client(i) {
                return;
            }
        }
        if e & (EPOLLIN | EPOLLHUP | EPOLLERR) != 0 {
            self.client_read(i);
        }
    }

    fn client_read(&mut self, i: usize) {
        let c = self.client(i);
        let fd = c.fd;
        if c.state == CState::Closing {
            c.inbuf.clear();
        }
        match read_into(fd, &mut c.inbuf, READ_CHUNK) {
            Ok(0) => return self.close_client(i),
            Ok(_) => c.last_active = Instant::now(),
            Err(e) if e == EAGAIN => return,
            Err(_) => return self.close_client(i),
        }
        match c.state {
            CState::Closing => c.inbuf.clear(),
            CState::Wait => {
                if c.inbuf.len() > MAX_PIPELINED {
                    c.reading = false;
                    self.client_interest(i);
                }
            }
            _ => self.process_client(i),
        }
    }

    /** Reads requests out of the client's buffer while it holds complete ones. */
    fn process_client(&mut self, i: usize) {
        loop {
            if !self.is_client(i) {
                return;
            }
            let c = self.client(i);
            match c.state {
                CState::Head => {
                    if !c.reading && !c.handoff_after_flush {
                        c.reading = true;
                        self.client_interest(i);
                    }
                    let c = self.client(i);
                    let mut start = 0;
                    while start + 1 < c.inbuf.len() && c.inbuf[start] == b'\r' && c.inbuf[start + 1] == b'\n' {
                        start += 2;
                    }
                    if start > 0 {
                        c.inbuf.drain(..start);
                    }
                    if c.inbuf.is_empty() {
                        return;
                    }
                    let end = match find_bytes(&c.inbuf, b"\r\n\r\n", 0) {
                        Some(end) if end <= MAX_REQUEST_HEAD => end,
                        Some(_) => return self.handoff(i),
                        None if c.inbuf.len() > MAX_REQUEST_HEAD => return self.handoff(i),
                        None => return,
                    };
                    if self.shared.delegate_all.load(Ordering::Relaxed) {
                        return self.handoff(i);
                    }
                    if !self.start_request(i, end) {
                        return;
                    }
                }
                CState::Body => {
                    if c.inbuf.len() < c.body_remaining {
                        return;
                    }
                    let n = c.body_remaining;
                    let body: Vec<u8> = c.inbuf.drain(..n).collect();
                    c.body_remaining = 0;
                    c.state = CState::Wait;
                    if let Some(ex) = c.ex.as_mut() {
                        ex.body = body;
                    }
                    self.dispatch(i);
                }
                CState::Wait | CState::Closing => return,
            }
        }
    }

    /** Parses the head ending at `end`; false when the connection left this loop (handoff). */
    fn start_request(&mut self, i: usize, end: usize) -> bool {
        let shared = self.shared.clone();
        let c = self.client(i);
        let Some(req) = request::parse(&c.inbuf[..end], &c.remote_text) else {
            self.handoff(i);
            return false;
        };
        let (host, method_head, method_idem) = (req.host.to_vec(), req.method == b"HEAD", request::idempotent(req.method));
        let (content_length, keep_alive, wants_html, forward) = (req.content_length, req.keep_alive, req.wants_html, req.forward);
        let key = request::normalize_host(&host);
        let route: Option<Arc<Route>> = lock(&shared.routes).by_host.get(&key).cloned();
        let Some(route) = route else {
            let c = self.client(i);
            if content_length > 0 && c.inbuf.len() - (end + 4) < content_length as usize {
                // Its body has not all arrived: the JS plane answers and reads past it to the next request.
                self.handoff(i);
                return false;
            }
            let page = pages::no_route(&String::from_utf8_lossy(&key), wants_html);
            // The head and the body (read past, to reach the next request) leave the buffer.
            c.inbuf.drain(..end + 4 + content_length.max(0) as usize);
            page_bytes(&mut c.out, &page, method_head, keep_alive);
            if !keep_alive {
                c.state = CState::Closing;
            }
            self.flush_client(i);
            return self.is_client(i);
        };
        if route.js_only {
            self.handoff(i); // the head is still in the buffer: the JS plane reads it again
            return false;
        }
        let ex = Box::new(Exchange {
            host_key: key,
            route: route.clone(),
            forward,
            body: Vec::new(),
            content_length,
            idempotent: method_idem,
            is_head: method_head,
            wants_html,
            keep_alive,
            tried: Vec::new(),
            target: None,
            up: None,
            answered: false,
            status: 0,
            bytes: 0,
            start: Instant::now(),
        });
        let c = self.client(i);
        c.inbuf.drain(..end + 4);
        c.ex = Some(ex);
        if content_length > 0 {
            c.state = CState::Body;
            c.body_remaining = content_length as usize;
        } else {
            c.state = CState::Wait;
            self.dispatch(i);
        }
        true
    }

    fn flush_client(&mut self, i: usize) {
        let c = self.client(i);
        if c.out_pos < c.out.len() {
            match write_fd(c.fd, &c.out[c.out_pos..]) {
                Ok(n) => c.out_pos += n,
                Err(e) if e == EAGAIN => {}
                Err(_) => return self.close_client(i),
            }
        }
        let drained = c.out_pos >= c.out.len();
        if drained {
            c.out.clear();
            c.out_pos = 0;
        }
        if c.writing != !drained {
            c.writing = !drained;
            self.client_interest(i);
        }
        let c = self.client(i);
        if !drained {
            return;
        }
        if c.state == CState::Closing && !c.shut {
            c.shut = true;
            shutdown_write(c.fd);
            c.last_active = Instant::now();
            return;
        }
        if c.handoff_after_flush {
            c.handoff_after_flush = false;
            return self.handoff(i);
        }
        // A slow client caught up: its instance may be read again.
        if let Some(u) = c.ex.as_ref().and_then(|ex| ex.up) {
            if self.is_up(u) && !self.up(u).reading {
                self.up(u).reading = true;
                self.up_interest(u);
            }
        }
    }

    /** The client went away (or broke): whatever was in flight counts as 499. */
    fn close_client(&mut self, i: usize) {
        let c = self.client(i);
        let fd = c.fd;
        let ex = c.ex.take();
        sys_close(self.ep, fd);
        self.release_slot(i);
        if let Some(ex) = ex {
            if let Some(u) = ex.up {
                if self.is_up(u) {
                    self.destroy_up(u);
                }
            }
            self.record(&ex, 499);
        }
    }

    /** Hands the connection to the JS router (once our answers are written). */
    fn handoff(&mut self, i: usize) {
        let c = self.client(i);
        if c.out_pos < c.out.len() {
            c.handoff_after_flush = true;
            c.reading = false;
            self.client_interest(i);
            return;
        }
        let fd = c.fd;
        let prefix = std::mem::take(&mut c.inbuf);
        ep_del(self.ep, fd);
        self.release_slot(i);
        self.push_handoff(Handoff { fd, prefix });
    }

    fn push_handoff(&mut self, h: Handoff) {
        lock(&self.shared.handoffs).push(h);
        let _ = write_fd(self.shared.notify_w, &[1]);
    }

    fn record(&self, ex: &Exchange, status: u16) {
        let ms = ex.start.elapsed().as_secs_f64() * 1000.0;
        lock(&self.shared.metrics).record(ex.route.slot, status, ms, ex.bytes);
    }

    /** The response to the current exchange was queued whole. */
    fn finish_exchange(&mut self, i: usize) {
        let c = self.client(i);
        let Some(ex) = c.ex.take() else { return };
        c.state = if ex.keep_alive { CState::Head } else { CState::Closing };
        let status = ex.status;
        self.record(&ex, status);
        self.flush_client(i);
        if self.is_client(i) && self.client(i).state == CState::Head && !self.client(i).reading {
            self.client(i).reading = true;
            self.client_interest(i);
        }
    }

    fn respond_page(&mut self, i: usize, page: Page) {
        let c = self.client(i);
        let Some(ex) = c.ex.as_mut() else { return };
        if ex.answered {
            // Headers went out already: a broken response must not look complete.
            return self.close_client(i);
        }
        ex.status = page.status;
        let (is_head, keep_alive) = (ex.is_head, ex.keep_alive);
        page_bytes(&mut c.out, &page, is_head, keep_alive);
        self.finish_exchange(i);
    }

    // ---- picking and sending ----------------------------------------------------------------

    fn is_down(&self, addr: &Addr, now: Instant) -> bool {
        self.endpoints.get(addr).and_then(|e| e.down_until).is_some_and(|t| t > now)
    }

    fn dispatch(&mut self, i: usize) {
        loop {
            if !self.is_client(i) {
                return;
            }
            let shared = self.shared.clone();
            let now = Instant::now();
            let c = self.client(i);
            let Some(ex) = c.ex.as_ref() else { return };
            let route = lock(&shared.routes).by_host.get(&ex.host_key).cloned();
            let tried = std::mem::take(&mut self.client(i).ex.as_mut().unwrap().tried);
            let picked = route.as_ref().and_then(|r| r.pick(&tried, |a| self.is_down(a, now)));
            self.client(i).ex.as_mut().unwrap().tried = tried;
            let Some(addr) = picked else {
                let ex = self.client(i).ex.as_ref().unwrap();
                let page = match &route {
                    Some(r) if !r.targets.is_empty() => pages::upstream_error(&ex.route.described, ex.wants_html),
                    _ => pages::no_instance(&ex.route.described, ex.wants_html),
                };
                return self.respond_page(i, page);
            };
            self.client(i).ex.as_mut().unwrap().target = Some(addr);
            match self.acquire(addr) {
                Some(u) => return self.send(i, u),
                None => {
                    self.endpoints.entry(addr).or_default().down_until = Some(now + DOWN_FOR);
                    self.client(i).ex.as_mut().unwrap().tried.push(addr);
                }
            }
        }
    }

    /** An idle pooled connection to `addr`, or a new one (None when the connect failed at once). */
    fn acquire(&mut self, addr: Addr) -> Option<usize> {
        let now = Instant::now();
        loop {
            let Some((u, gen)) = self.endpoints.get_mut(&addr).and_then(|e| e.idle.pop()) else { break };
            if self.slots[u].gen != gen || !self.is_up(u) {
                continue;
            }
            let up = self.up(u);
            let idle_ms = now.duration_since(up.idle_since).as_millis() as i64;
            if up.state == UState::Idle && idle_ms < idle_limit_ms(up.hint_ms) {
                return Some(u);
            }
            self.destroy_up(u);
        }
        let (fd, connected) = connect_tcp(addr.0, addr.1).ok()?;
        let up = Up {
            fd,
            addr,
            client: None,
            connecting: !connected,
            connect_start: now,
            state: UState::Idle,
            inbuf: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            reused: false,
            got_bytes: false,
            keep_alive: true,
            hint_ms: -1,
            idle_since: now,
            remaining: 0,
            no_body: false,
            client_keep_alive: true,
            chunked_out: false,
            reading: true,
            writing: false,
            registered: 0,
        };
        let u = self.insert(Conn::Up(up));
        let tok = self.token(u);
        let want = EPOLLIN | if connected { 0 } else { EPOLLOUT };
        if ep_add(self.ep, fd, want, tok).is_err() {
            close_fd(fd);
            self.release_slot(u);
            return None;
        }
        self.up(u).registered = want;
        self.endpoints.entry(addr).or_default();
        Some(u)
    }

    fn send(&mut self, i: usize, u: usize) {
        let mut out = std::mem::take(&mut self.up(u).out);
        out.clear();
        let c = self.client(i);
        let ex = c.ex.as_mut().unwrap();
        ex.up = Some(u);
        out.extend_from_slice(&ex.forward);
        if ex.content_length < 0 {
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(&mut out, ex.body.len() as u64);
            out.extend_from_slice(b"\r\n\r\n");
            out.extend_from_slice(&ex.body);
        }
        let (no_body, keep_alive) = (ex.is_head, ex.keep_alive);
        let up = self.up(u);
        up.client = Some(i);
        up.state = UState::Head;
        up.inbuf.clear();
        up.out = out;
        up.out_pos = 0;
        up.got_bytes = false;
        up.keep_alive = true;
        up.no_body = no_body;
        up.client_keep_alive = keep_alive;
        up.chunked_out = false;
        up.reading = true;
        if !up.connecting {
            self.flush_up(u);
        }
    }

    // ---- upstream side ----------------------------------------------------------------------

    fn up_event(&mut self, u: usize, e: u32) {
        if self.up(u).connecting {
            if e & (EPOLLOUT | EPOLLERR | EPOLLHUP) == 0 {
                return;
            }
            let err = socket_error(self.up(u).fd);
            if err != 0 || e & (EPOLLERR | EPOLLHUP) != 0 {
                return self.connect_failed(u);
            }
            if self.up(u).client.is_none() {
                return self.destroy_up(u); // its client left while it connected
            }
            self.up(u).connecting = false;
            self.up_interest(u);
            self.flush_up(u);
            return;
        }
        if e & EPOLLOUT != 0 {
            self.flush_up(u);
            if !self.is_up(u) {
                return;
            }
        }
        if e & (EPOLLIN | EPOLLHUP | EPOLLERR) != 0 {
            self.up_read(u);
        }
    }

    fn flush_up(&mut self, u: usize) {
        let up = self.up(u);
        if up.out_pos < up.out.len() {
            match write_fd(up.fd, &up.out[up.out_pos..]) {
                Ok(n) => up.out_pos += n,
                Err(e) if e == EAGAIN => {}
                Err(_) => return self.up_fail(u),
            }
        }
        let pending = up.out_pos < up.out.len();
        if up.writing != pending {
            up.writing = pending;
            self.up_interest(u);
        }
    }

    fn up_read(&mut self, u: usize) {
        let up = self.up(u);
        let fd = up.fd;
        if up.client.is_none() {
            // Idle in the pool: bytes nobody asked for, or the instance closed it. Either way it is done.
            return self.destroy_up(u);
        }
        match read_into(fd, &mut up.inbuf, READ_CHUNK) {
            Ok(0) => return self.up_eof(u),
            Ok(_) => up.got_bytes = true,
            Err(e) if e == EAGAIN => return,
            Err(_) => return self.up_fail(u),
        }
        self.on_response_bytes(u);
    }

    fn on_response_bytes(&mut self, u: usize) {
        let i = self.up(u).client.unwrap();
        let mut out = std::mem::take(&mut self.client(i).out);
        let (status, body_bytes, end) = self.decode(u, &mut out);
        let c = self.client(i);
        c.out = out;
        let ex = c.ex.as_mut().unwrap();
        if let Some(status) = status {
            ex.answered = true;
            ex.status = status;
        }
        ex.bytes += body_bytes;
        match end {
            End::More => {
                self.flush_client(i);
                if self.is_client(i) && self.is_up(u) {
                    let c = self.client(i);
                    if c.out.len() - c.out_pos > MAX_CLIENT_OUT {
                        self.up(u).reading = false;
                        self.up_interest(u);
                    }
                }
            }
            End::Complete { extra } => {
                self.complete_up(u, extra);
                self.finish_exchange(i);
                self.process_client(i);
            }
            End::Fail => {
                self.flush_client(i);
                if self.is_up(u) {
                    self.up_fail(u);
                }
            }
            End::Unsendable => {
                self.destroy_up(u);
                let c = self.client(i);
                let ex = c.ex.as_mut().unwrap();
                ex.up = None;
                let page = pages::upstream_error(&ex.route.described, false);
                self.respond_page(i, page);
            }
        }
    }

    /**
     * Decodes what the instance sent as far as it goes, appending the client's bytes to `out`.
     * Returns the status when the head was passed on now, the body bytes passed on, and how it ended.
     */
    fn decode(&mut self, u: usize, out: &mut Vec<u8>) -> (Option<u16>, u64, End) {
        let up = self.up(u);
        let buf = std::mem::take(&mut up.inbuf);
        let mut off = 0;
        let mut status_out = None;
        let mut bytes = 0u64;
        let end = loop {
            let avail = buf.len() - off;
            match up.state {
                UState::Head => {
                    let Some(end) = find_bytes(&buf, b"\r\n\r\n", off) else {
                        if avail > MAX_RESPONSE_HEAD {
                            break End::Fail;
                        }
                        break End::More;
                    };
                    if end - off > MAX_RESPONSE_HEAD {
                        break End::Fail;
                    }
                    let Some(resp) = response::parse(&buf[off..end]) else { break End::Fail };
                    off = end + 4;
                    if resp.status < 200 {
                        if resp.status == 101 {
                            break End::Fail; // never asked for on this path
                        }
                        continue; // 100 Continue, 103 Early Hints: the final response follows
                    }
                    if !resp.keep_alive {
                        up.keep_alive = false;
                    }
                    if resp.hint_ms >= 0 {
                        up.hint_ms = resp.hint_ms;
                    }
                    if resp.unsendable {
                        break End::Unsendable;
                    }
                    let st = resp.status;
                    let client_no_body = up.no_body || st == 204 || st == 304;
                    up.chunked_out = resp.write_client_head(out, client_no_body, up.client_keep_alive);
                    status_out = Some(st);
                    let has_body = !(client_no_body || (resp.framing == BODY_LENGTH && resp.content_length == 0));
                    if !has_body {
                        break End::Complete { extra: off < buf.len() };
                    }
                    if resp.framing == BODY_LENGTH {
                        up.remaining = resp.content_length;
                        up.state = UState::Length;
                    } else if resp.framing == BODY_CHUNKED {
                        up.state = UState::ChunkSize;
                    } else {
                        up.keep_alive = false;
                        up.state = UState::UntilClose;
                    }
                }
                UState::Length => {
                    if avail == 0 {
                        break End::More;
                    }
                    off += pass_body(up, &buf[off..], out, &mut bytes);
                    if up.remaining == 0 {
                        break End::Complete { extra: off < buf.len() };
                    }
                }
                UState::UntilClose => {
                    emit_body(out, up.chunked_out, &buf[off..], &mut bytes);
                    off = buf.len();
                    break End::More;
                }
                UState::ChunkSize => {
                    let Some(end) = find_bytes(&buf, b"\r\n", off) else {
                        break if avail > MAX_CHUNK_LINE { End::Fail } else { End::More };
                    };
                    let Some(size) = response::chunk_size(&buf[off..end]) else { break End::Fail };
                    off = end + 2;
                    if size == 0 {
                        up.state = UState::Trailers;
                    } else {
                        up.remaining = size;
                        up.state = UState::ChunkData;
                    }
                }
                UState::ChunkData => {
                    if avail == 0 {
                        break End::More;
                    }
                    off += pass_body(up, &buf[off..], out, &mut bytes);
                    if up.remaining == 0 {
                        up.state = UState::ChunkEnd;
                    }
                }
                UState::ChunkEnd => {
                    if avail < 2 {
                        break End::More;
                    }
                    if buf[off] != b'\r' || buf[off + 1] != b'\n' {
                        break End::Fail;
                    }
                    off += 2;
                    up.state = UState::ChunkSize;
                }
                UState::Trailers => {
                    // Trailer fields are read and dropped; an empty line ends the message.
                    let Some(end) = find_bytes(&buf, b"\r\n", off) else {
                        break if avail > MAX_RESPONSE_HEAD { End::Fail } else { End::More };
                    };
                    let empty = end == off;
                    off = end + 2;
                    if empty {
                        break End::Complete { extra: off < buf.len() };
                    }
                }
                UState::Idle => break End::Fail,
            }
        };
        if let End::Complete { .. } = end {
            if up.chunked_out {
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        let mut buf = buf;
        buf.drain(..off.min(buf.len()));
        up.inbuf = buf;
        (status_out, bytes, end)
    }

    /** The response ended: back to the pool, or closed when it cannot carry another request. */
    fn complete_up(&mut self, u: usize, extra: bool) {
        let gen = self.slots[u].gen;
        let up = self.up(u);
        up.client = None;
        up.state = UState::Idle;
        up.inbuf.clear();
        if extra {
            up.keep_alive = false; // bytes after the response: out of step
        }
        let reusable = up.keep_alive && up.out_pos >= up.out.len() && !up.connecting;
        let addr = up.addr;
        let retired = self.endpoints.get(&addr).is_none_or(|e| e.retired || e.idle.len() >= MAX_IDLE_PER_UPSTREAM);
        if !reusable || retired {
            return self.destroy_up(u);
        }
        let up = self.up(u);
        up.reused = true;
        up.idle_since = Instant::now();
        up.out.clear();
        up.out_pos = 0;
        up.reading = true;
        self.up_interest(u);
        self.endpoints.get_mut(&addr).unwrap().idle.push((u, gen));
    }

    fn up_eof(&mut self, u: usize) {
        if self.up(u).state == UState::UntilClose {
            let i = self.up(u).client.unwrap();
            let mut out = std::mem::take(&mut self.client(i).out);
            if self.up(u).chunked_out {
                out.extend_from_slice(b"0\r\n\r\n");
            }
            self.client(i).out = out;
            self.up(u).keep_alive = false;
            self.complete_up(u, false);
            self.finish_exchange(i);
            self.process_client(i);
            return;
        }
        self.up_fail(u);
    }

    /** The instance's connection failed while serving a request. */
    fn up_fail(&mut self, u: usize) {
        let up = self.up(u);
        let client = up.client;
        let (started, reused) = (up.got_bytes, up.reused);
        self.destroy_up(u);
        let Some(i) = client else { return };
        if !self.is_client(i) {
            return;
        }
        let c = self.client(i);
        let Some(ex) = c.ex.as_mut() else { return };
        ex.up = None;
        if ex.answered {
            // Dropped mid-response: the client must not take it as complete.
            let ex = c.ex.take().unwrap();
            let fd = c.fd;
            sys_close(self.ep, fd);
            self.release_slot(i);
            self.record(&ex, 502);
            return;
        }
        // Sent again only if the instance cannot have acted on it: no response byte, and an idempotent
        // method or a reused keep-alive connection (closed by the instance while idle).
        if !started && (reused || ex.idempotent) {
            if let Some(t) = ex.target {
                ex.tried.push(t);
            }
            return self.dispatch(i);
        }
        let page = pages::upstream_error(&ex.route.described, ex.wants_html);
        self.respond_page(i, page);
    }

    fn connect_failed(&mut self, u: usize) {
        let up = self.up(u);
        let (client, addr) = (up.client, up.addr);
        self.destroy_up(u);
        self.endpoints.entry(addr).or_default().down_until = Some(Instant::now() + DOWN_FOR);
        let Some(i) = client else { return };
        if !self.is_client(i) {
            return;
        }
        if let Some(ex) = self.client(i).ex.as_mut() {
            ex.up = None;
            ex.tried.push(addr); // nothing reached the instance: always safe to try another
            self.dispatch(i);
        }
    }

    fn destroy_up(&mut self, u: usize) {
        let gen = self.slots[u].gen;
        let up = self.up(u);
        let (fd, addr) = (up.fd, up.addr);
        sys_close(self.ep, fd);
        self.release_slot(u);
        if let Some(e) = self.endpoints.get_mut(&addr) {
            e.idle.retain(|&(i, g)| !(i == u && g == gen));
        }
    }

    // ---- time -------------------------------------------------------------------------------

    fn sweep(&mut self, now: Instant) {
        for i in 0..self.slots.len() {
            match &self.slots[i].conn {
                Some(Conn::Client(c)) => {
                    let idle = now.duration_since(c.last_active);
                    let stale = match c.state {
                        CState::Head => c.ex.is_none() && c.out_pos >= c.out.len() && idle >= CLIENT_IDLE,
                        CState::Closing => idle >= CLOSING_LINGER,
                        _ => false,
                    };
                    if stale {
                        self.close_client(i);
                    }
                }
                Some(Conn::Up(up)) => {
                    if up.connecting && now.duration_since(up.connect_start) >= CONNECT_TIMEOUT {
                        self.connect_failed(i);
                    } else if up.client.is_none()
                        && now.duration_since(up.idle_since).as_millis() as i64 >= idle_limit_ms(up.hint_ms)
                    {
                        self.destroy_up(i);
                    }
                }
                None => {}
            }
        }
        for e in self.endpoints.values_mut() {
            if e.down_until.is_some_and(|t| t <= now) {
                e.down_until = None;
            }
        }
    }

    fn close_all(&mut self) {
        for i in 0..self.slots.len() {
            let fd = match &self.slots[i].conn {
                Some(Conn::Client(c)) => c.fd,
                Some(Conn::Up(u)) => u.fd,
                None => continue,
            };
            close_fd(fd);
            self.release_slot(i);
        }
        close_fd(self.listen_fd);
        close_fd(self.ep);
    }
}

/** Passes body bytes on to the client, chunk-framed when the client's response is chunked. */
fn emit_body(out: &mut Vec<u8>, chunked: bool, piece: &[u8], bytes: &mut u64) {
    if piece.is_empty() {
        return;
    }
    *bytes += piece.len() as u64;
    if chunked {
        push_hex(out, piece.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    } else {
        out.extend_from_slice(piece);
    }
}

/** Passes on what `avail` holds of the `up.remaining` body bytes; returns how many it took. */
fn pass_body(up: &mut Up, avail: &[u8], out: &mut Vec<u8>, bytes: &mut u64) -> usize {
    let n = (avail.len() as u64).min(up.remaining) as usize;
    emit_body(out, up.chunked_out, &avail[..n], bytes);
    up.remaining -= n as u64;
    n
}

fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[k..]);
}

fn push_hex(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 16];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b"0123456789abcdef"[(n % 16) as usize];
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[k..]);
}

fn sys_close(ep: Fd, fd: Fd) {
    ep_del(ep, fd);
    close_fd(fd);
}
