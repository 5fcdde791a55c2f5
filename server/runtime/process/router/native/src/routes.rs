//! The routing table shared between the JS thread (which sets routes) and the plane's thread
//! (which reads them per request). A route is replaced as a whole (one Arc swap), so a request
//! sees the old set or the new one, never a mix; a retry looks the hostname up again (new set).
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub type Addr = ([u8; 4], u16);

pub struct Route {
    /** "web (shop/staging)", for error pages. */
    pub described: String,
    /** The service's metrics slot. */
    pub slot: usize,
    pub targets: Vec<Addr>,
    /** Some target is not an IPv4 address: the JS router serves this hostname. */
    pub js_only: bool,
    cursor: AtomicUsize,
}

impl Route {
    pub fn new(described: String, slot: usize, targets: Vec<Addr>, js_only: bool) -> Self {
        Route { described, slot, targets, js_only, cursor: AtomicUsize::new(0) }
    }

    /**
     * Next target round-robin, skipping those in `tried` and, while others are left, those down
     * (an instance that just refused a connection); as route-table.ts's pick.
     */
    pub fn pick(&self, tried: &[Addr], is_down: impl Fn(&Addr) -> bool) -> Option<Addr> {
        let n = self.targets.len();
        let mut fallback = None;
        for _ in 0..n {
            let c = self.cursor.load(Ordering::Relaxed);
            self.cursor.store(if c + 1 >= n { 0 } else { c + 1 }, Ordering::Relaxed);
            let t = self.targets[if c < n { c } else { 0 }];
            if tried.contains(&t) {
                continue;
            }
            if is_down(&t) {
                fallback.get_or_insert(t);
                continue;
            }
            return Some(t);
        }
        fallback
    }
}

#[derive(Default)]
pub struct Routes {
    pub by_host: HashMap<Vec<u8>, Arc<Route>>,
    /** Bumped on every change, so the plane knows to retire endpoints no route names any more. */
    pub version: u64,
}

impl Routes {
    pub fn set(&mut self, hostname: &[u8], route: Route) {
        self.by_host.insert(hostname.to_vec(), Arc::new(route));
        self.version += 1;
    }

    pub fn remove(&mut self, hostname: &[u8]) {
        self.by_host.remove(hostname);
        self.version += 1;
    }

    pub fn referenced(&self) -> Vec<Addr> {
        let mut all: Vec<Addr> = self.by_host.values().flat_map(|r| r.targets.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/** Parses "1.2.3.4" (None for anything else: host names and IPv6 stay with the JS router). */
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut ip = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        ip[i] = p.parse().ok()?;
    }
    Some(ip)
}
