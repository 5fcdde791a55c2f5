//! Per-service counters, laid out as the JS side reads them (see RAW_COUNTER_SLOTS in ../../router-metrics.ts):
//! [requests, bytesSent, sumMs, maxMs, codes 100..600 (500 slots), latency buckets (28)].
use std::collections::HashMap;

/** Upper bounds (ms) of the latency buckets; the same as router-metrics.ts. */
pub const BUCKETS_MS: [f64; 27] = [
    0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0, 750.0,
    1000.0, 1500.0, 2000.0, 3000.0, 5000.0, 10_000.0, 30_000.0, 60_000.0,
];
pub const SLOTS: usize = 4 + 500 + BUCKETS_MS.len() + 1;

pub struct Metrics {
    slots: HashMap<String, usize>,
    data: Vec<[f64; SLOTS]>,
}

impl Metrics {
    pub fn new() -> Self {
        Metrics { slots: HashMap::new(), data: Vec::new() }
    }

    /** The slot of a service, created on first use. */
    pub fn slot(&mut self, service_id: &str) -> usize {
        if let Some(&s) = self.slots.get(service_id) {
            return s;
        }
        self.data.push([0.0; SLOTS]);
        let s = self.data.len() - 1;
        self.slots.insert(service_id.to_string(), s);
        s
    }

    pub fn record(&mut self, slot: usize, status: u16, duration_ms: f64, bytes: u64) {
        let d = &mut self.data[slot];
        d[0] += 1.0;
        d[1] += bytes as f64;
        d[2] += duration_ms;
        if duration_ms > d[3] {
            d[3] = duration_ms;
        }
        let code = if (100..600).contains(&status) { status } else { 599 } as usize;
        d[4 + code - 100] += 1.0;
        let mut i = 0;
        while i < BUCKETS_MS.len() && duration_ms > BUCKETS_MS[i] {
            i += 1;
        }
        d[4 + 500 + i] += 1.0;
    }

    pub fn copy_to(&self, service_id: &str, out: &mut [f64]) -> bool {
        match self.slots.get(service_id) {
            Some(&s) => {
                let n = out.len().min(SLOTS);
                out[..n].copy_from_slice(&self.data[s][..n]);
                true
            }
            None => false,
        }
    }
}
