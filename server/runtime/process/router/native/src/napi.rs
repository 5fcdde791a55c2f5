//! The Node-API surface (declared by hand: no crates here). Every function runs on the JS thread
//! and only touches `Shared` behind its mutexes; the plane's thread never calls into JS.
#![allow(non_camel_case_types)]
use crate::metrics::Metrics;
use crate::plane::{self, Shared};
use crate::routes::{parse_ipv4, Addr, Route, Routes};
use crate::sys::*;
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type napi_env = *mut c_void;
type napi_value = *mut c_void;
type napi_callback_info = *mut c_void;
type napi_status = c_int;
type napi_callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

extern "C" {
    fn napi_get_cb_info(env: napi_env, info: napi_callback_info, argc: *mut usize, argv: *mut napi_value, this: *mut napi_value, data: *mut *mut c_void) -> napi_status;
    fn napi_get_value_double(env: napi_env, v: napi_value, out: *mut f64) -> napi_status;
    fn napi_get_value_bool(env: napi_env, v: napi_value, out: *mut bool) -> napi_status;
    fn napi_get_value_string_utf8(env: napi_env, v: napi_value, buf: *mut c_char, size: usize, out: *mut usize) -> napi_status;
    fn napi_get_typedarray_info(env: napi_env, v: napi_value, ty: *mut c_int, len: *mut usize, data: *mut *mut c_void, ab: *mut napi_value, off: *mut usize) -> napi_status;
    fn napi_create_double(env: napi_env, v: f64, out: *mut napi_value) -> napi_status;
    fn napi_get_boolean(env: napi_env, v: bool, out: *mut napi_value) -> napi_status;
    fn napi_get_undefined(env: napi_env, out: *mut napi_value) -> napi_status;
    fn napi_create_buffer_copy(env: napi_env, len: usize, data: *const c_void, out_data: *mut *mut c_void, out: *mut napi_value) -> napi_status;
    fn napi_create_function(env: napi_env, name: *const c_char, len: usize, cb: napi_callback, data: *mut c_void, out: *mut napi_value) -> napi_status;
    fn napi_set_named_property(env: napi_env, obj: napi_value, name: *const c_char, v: napi_value) -> napi_status;
    fn napi_throw_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
}

const NAPI_FLOAT64_ARRAY: c_int = 8;

struct Instance {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    port: u16,
    notify_r: Fd,
}

static INSTANCES: Mutex<Vec<Option<Instance>>> = Mutex::new(Vec::new());

struct Args {
    env: napi_env,
    argv: [napi_value; 6],
    argc: usize,
}

unsafe fn args(env: napi_env, info: napi_callback_info) -> Args {
    let mut a = Args { env, argv: [ptr::null_mut(); 6], argc: 6 };
    napi_get_cb_info(env, info, &mut a.argc, a.argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut());
    a
}

impl Args {
    unsafe fn num(&self, k: usize) -> f64 {
        let mut v = f64::NAN;
        if k < self.argc {
            napi_get_value_double(self.env, self.argv[k], &mut v);
        }
        v
    }
    unsafe fn bool(&self, k: usize) -> bool {
        let mut v = false;
        if k < self.argc {
            napi_get_value_bool(self.env, self.argv[k], &mut v);
        }
        v
    }
    unsafe fn string(&self, k: usize) -> String {
        if k >= self.argc {
            return String::new();
        }
        let mut len = 0usize;
        if napi_get_value_string_utf8(self.env, self.argv[k], ptr::null_mut(), 0, &mut len) != 0 {
            return String::new();
        }
        let mut buf = vec![0u8; len + 1];
        napi_get_value_string_utf8(self.env, self.argv[k], buf.as_mut_ptr() as *mut c_char, len + 1, &mut len);
        buf.truncate(len);
        String::from_utf8(buf).unwrap_or_default()
    }
}

unsafe fn undefined(env: napi_env) -> napi_value {
    let mut v = ptr::null_mut();
    napi_get_undefined(env, &mut v);
    v
}

unsafe fn number(env: napi_env, n: f64) -> napi_value {
    let mut v = ptr::null_mut();
    napi_create_double(env, n, &mut v);
    v
}

unsafe fn boolean(env: napi_env, b: bool) -> napi_value {
    let mut v = ptr::null_mut();
    napi_get_boolean(env, b, &mut v);
    v
}

unsafe fn throw(env: napi_env, code: &str, msg: &str) -> napi_value {
    let code = CString::new(code).unwrap_or_default();
    let msg = CString::new(msg).unwrap_or_default();
    napi_throw_error(env, code.as_ptr(), msg.as_ptr());
    undefined(env)
}

fn with_shared<T>(id: f64, f: impl FnOnce(&Arc<Shared>) -> T) -> Option<T> {
    let list = lock(&INSTANCES);
    let inst = list.get(id as usize)?.as_ref()?;
    Some(f(&inst.shared))
}

fn errno_code(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(98) => "EADDRINUSE".into(),
        Some(13) => "EACCES".into(),
        Some(99) => "EADDRNOTAVAIL".into(),
        Some(n) => format!("ERRNO{}", n),
        None => "EUNKNOWN".into(),
    }
}

/** start(host, port) → id: listens (IPv4) and starts the plane's thread. */
unsafe extern "C" fn start(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let host = a.string(0);
    let port = a.num(1);
    let Some(ip) = parse_ipv4(&host) else { return throw(env, "EINVAL", "the native router listens on IPv4 addresses only") };
    if !(0.0..=65535.0).contains(&port) || port.fract() != 0.0 {
        return throw(env, "EINVAL", "port must be 0–65535");
    }
    let (listen_fd, bound) = match listen_tcp(ip, port as u16) {
        Ok(x) => x,
        Err(e) => return throw(env, &errno_code(&e), &e.to_string()),
    };
    let (wake_fd, (notify_r, notify_w)) = match (event_fd(), pipe()) {
        (Ok(w), Ok(p)) => (w, p),
        _ => {
            close_fd(listen_fd);
            return throw(env, "EMFILE", "could not create the router's wake-up descriptors");
        }
    };
    let shared = Arc::new(Shared {
        routes: Mutex::new(Routes::default()),
        metrics: Mutex::new(Metrics::new()),
        handoffs: Mutex::new(Vec::new()),
        delegate_all: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        wake_fd,
        notify_w,
    });
    let for_thread = shared.clone();
    let thread = std::thread::Builder::new().name("slipway-router".into()).spawn(move || {
        // A bug in the plane costs its connections, not the console: the loop starts again.
        while !for_thread.stop.load(Ordering::Acquire) {
            let s = for_thread.clone();
            if std::panic::catch_unwind(move || plane::run(s, listen_fd)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    let Ok(thread) = thread else {
        close_fd(listen_fd);
        return throw(env, "EAGAIN", "could not start the router's thread");
    };
    let mut list = lock(&INSTANCES);
    list.push(Some(Instance { shared, thread: Some(thread), port: bound, notify_r }));
    number(env, (list.len() - 1) as f64)
}

/** A number read off an instance (its port, its pipe), or -1 for an unknown id. */
unsafe fn instance_number(env: napi_env, info: napi_callback_info, read: impl FnOnce(&Instance) -> f64) -> napi_value {
    let a = args(env, info);
    let list = lock(&INSTANCES);
    number(env, list.get(a.num(0) as usize).and_then(|i| i.as_ref()).map_or(-1.0, read))
}

unsafe extern "C" fn port(env: napi_env, info: napi_callback_info) -> napi_value {
    instance_number(env, info, |inst| inst.port as f64)
}

/** The read end of the handoff pipe (the JS side owns and closes it). */
unsafe extern "C" fn notify_fd(env: napi_env, info: napi_callback_info) -> napi_value {
    instance_number(env, info, |inst| inst.notify_r as f64)
}

/** setRoute(id, hostname, serviceId, described, "ip:port,ip:port"). */
unsafe extern "C" fn set_route(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let (hostname, service_id, described, spec) = (a.string(1), a.string(2), a.string(3), a.string(4));
    let mut targets: Vec<Addr> = Vec::new();
    let mut js_only = false;
    for t in spec.split(',').filter(|t| !t.is_empty()) {
        let (host, port) = t.rsplit_once(':').unwrap_or((t, ""));
        match (parse_ipv4(host), port.parse::<u16>()) {
            (Some(ip), Ok(p)) if p > 0 => targets.push((ip, p)),
            _ => js_only = true,
        }
    }
    let done = with_shared(a.num(0), |s| {
        let slot = lock(&s.metrics).slot(&service_id);
        lock(&s.routes).set(hostname.as_bytes(), Route::new(described, slot, targets, js_only));
        signal_event(s.wake_fd);
    });
    boolean(env, done.is_some())
}

unsafe extern "C" fn remove_route(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let hostname = a.string(1);
    with_shared(a.num(0), |s| {
        lock(&s.routes).remove(hostname.as_bytes());
        signal_event(s.wake_fd);
    });
    undefined(env)
}

/** metrics(id, serviceId, Float64Array) → whether the plane has counters for the service. */
unsafe extern "C" fn metrics(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let service_id = a.string(1);
    let (mut ty, mut len, mut data) = (0 as c_int, 0usize, ptr::null_mut::<c_void>());
    let mut ab = ptr::null_mut();
    let mut off = 0usize;
    if a.argc < 3 || napi_get_typedarray_info(env, a.argv[2], &mut ty, &mut len, &mut data, &mut ab, &mut off) != 0 || ty != NAPI_FLOAT64_ARRAY {
        return throw(env, "EINVAL", "metrics needs a Float64Array");
    }
    let out = std::slice::from_raw_parts_mut(data as *mut f64, len);
    let found = with_shared(a.num(0), |s| lock(&s.metrics).copy_to(&service_id, out)).unwrap_or(false);
    boolean(env, found)
}

/** Connections for the JS router, packed: [fd i32][length u32][bytes], little-endian. */
unsafe extern "C" fn take_handoffs(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let taken = with_shared(a.num(0), |s| {
        std::mem::take(&mut *lock(&s.handoffs))
    })
    .unwrap_or_default();
    if taken.is_empty() {
        return undefined(env);
    }
    let mut packed = Vec::new();
    for h in taken {
        packed.extend_from_slice(&h.fd.to_le_bytes());
        packed.extend_from_slice(&(h.prefix.len() as u32).to_le_bytes());
        packed.extend_from_slice(&h.prefix);
    }
    let mut v = ptr::null_mut();
    let mut d = ptr::null_mut();
    napi_create_buffer_copy(env, packed.len(), packed.as_ptr() as *const c_void, &mut d, &mut v);
    v
}

unsafe extern "C" fn delegate_all(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let on = a.bool(1);
    with_shared(a.num(0), |s| s.delegate_all.store(on, Ordering::Relaxed));
    undefined(env)
}

/** stop(id): closes the listener and every connection the plane holds, and joins its thread. */
unsafe extern "C" fn stop(env: napi_env, info: napi_callback_info) -> napi_value {
    let a = args(env, info);
    let inst = {
        let mut list = lock(&INSTANCES);
        list.get_mut(a.num(0) as usize).and_then(|i| i.take())
    };
    if let Some(mut inst) = inst {
        inst.shared.stop.store(true, Ordering::Release);
        signal_event(inst.shared.wake_fd);
        if let Some(t) = inst.thread.take() {
            let _ = t.join();
        }
        for h in std::mem::take(&mut *lock(&inst.shared.handoffs)) {
            close_fd(h.fd);
        }
        close_fd(inst.shared.wake_fd);
        close_fd(inst.shared.notify_w);
    }
    undefined(env)
}

unsafe fn export(env: napi_env, exports: napi_value, name: &str, cb: napi_callback) {
    let cname = CString::new(name).unwrap();
    let mut f = ptr::null_mut();
    napi_create_function(env, cname.as_ptr(), name.len(), cb, ptr::null_mut(), &mut f);
    napi_set_named_property(env, exports, cname.as_ptr(), f);
}

#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    export(env, exports, "start", start);
    export(env, exports, "port", port);
    export(env, exports, "notifyFd", notify_fd);
    export(env, exports, "setRoute", set_route);
    export(env, exports, "removeRoute", remove_route);
    export(env, exports, "metrics", metrics);
    export(env, exports, "takeHandoffs", take_handoffs);
    export(env, exports, "delegateAll", delegate_all);
    export(env, exports, "stop", stop);
    exports
}
