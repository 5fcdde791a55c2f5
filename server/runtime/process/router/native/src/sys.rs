//! The few Linux calls std does not offer (epoll, non-blocking connect, accept4, pipes).
#![allow(non_camel_case_types)]
use std::io;
use std::os::raw::{c_int, c_uint, c_void};

pub type Fd = c_int;

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SockaddrIn {
    pub family: u16,
    pub port: u16, // network order
    pub addr: u32, // network order
    pub zero: [u8; 8],
}

extern "C" {
    fn epoll_create1(flags: c_int) -> c_int;
    fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut EpollEvent) -> c_int;
    fn epoll_wait(epfd: c_int, events: *mut EpollEvent, maxevents: c_int, timeout: c_int) -> c_int;
    fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    fn connect(fd: c_int, addr: *const SockaddrIn, len: u32) -> c_int;
    fn bind(fd: c_int, addr: *const SockaddrIn, len: u32) -> c_int;
    fn listen(fd: c_int, backlog: c_int) -> c_int;
    fn accept4(fd: c_int, addr: *mut SockaddrIn, len: *mut u32, flags: c_int) -> c_int;
    fn getsockname(fd: c_int, addr: *mut SockaddrIn, len: *mut u32) -> c_int;
    fn read(fd: c_int, buf: *mut c_void, n: usize) -> isize;
    fn write(fd: c_int, buf: *const c_void, n: usize) -> isize;
    fn close(fd: c_int) -> c_int;
    fn shutdown(fd: c_int, how: c_int) -> c_int;
    fn getsockopt(fd: c_int, level: c_int, name: c_int, val: *mut c_void, len: *mut u32) -> c_int;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, val: *const c_void, len: u32) -> c_int;
    fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    fn eventfd(initval: c_uint, flags: c_int) -> c_int;
}

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
const EPOLL_CTL_ADD: c_int = 1;
const EPOLL_CTL_DEL: c_int = 2;
const EPOLL_CTL_MOD: c_int = 3;
const O_NONBLOCK: c_int = 0o4000;
const O_CLOEXEC: c_int = 0o2000000;
const AF_INET: c_int = 2;
const SOCK_STREAM: c_int = 1;
const SOL_SOCKET: c_int = 1;
const SO_REUSEADDR: c_int = 2;
const SO_ERROR: c_int = 4;
const SO_KEEPALIVE: c_int = 9;
const IPPROTO_TCP: c_int = 6;
const TCP_NODELAY: c_int = 1;
pub const EINPROGRESS: i32 = 115;
pub const EAGAIN: i32 = 11;
pub const EINTR: i32 = 4;
const ECONNABORTED: i32 = 103;

fn check(rc: c_int) -> io::Result<c_int> {
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(rc) }
}

pub fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn epoll_new() -> io::Result<Fd> {
    check(unsafe { epoll_create1(O_CLOEXEC) })
}

fn ctl(ep: Fd, op: c_int, fd: Fd, events: u32, token: u64) -> io::Result<()> {
    let mut ev = EpollEvent { events, data: token };
    check(unsafe { epoll_ctl(ep, op, fd, &mut ev) }).map(|_| ())
}
pub fn ep_add(ep: Fd, fd: Fd, events: u32, token: u64) -> io::Result<()> { ctl(ep, EPOLL_CTL_ADD, fd, events, token) }
pub fn ep_mod(ep: Fd, fd: Fd, events: u32, token: u64) -> io::Result<()> { ctl(ep, EPOLL_CTL_MOD, fd, events, token) }
pub fn ep_del(ep: Fd, fd: Fd) { let _ = ctl(ep, EPOLL_CTL_DEL, fd, 0, 0); }

pub fn ep_wait(ep: Fd, events: &mut [EpollEvent], timeout_ms: i32) -> usize {
    let n = unsafe { epoll_wait(ep, events.as_mut_ptr(), events.len() as c_int, timeout_ms) };
    if n < 0 { 0 } else { n as usize }
}

pub fn sockaddr(ip: [u8; 4], port: u16) -> SockaddrIn {
    SockaddrIn { family: AF_INET as u16, port: port.to_be(), addr: u32::from_ne_bytes(ip), zero: [0; 8] }
}

fn set_int(fd: Fd, level: c_int, name: c_int, v: c_int) {
    unsafe { setsockopt(fd, level, name, &v as *const c_int as *const c_void, 4) };
}

/** A listening IPv4 socket; returns (fd, bound port). */
pub fn listen_tcp(ip: [u8; 4], port: u16) -> io::Result<(Fd, u16)> {
    let fd = check(unsafe { socket(AF_INET, SOCK_STREAM | O_NONBLOCK | O_CLOEXEC, 0) })?;
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    let addr = sockaddr(ip, port);
    let bound = check(unsafe { bind(fd, &addr, 16) }).and_then(|_| check(unsafe { listen(fd, 1024) }));
    if let Err(e) = bound {
        unsafe { close(fd) };
        return Err(e);
    }
    let mut out = sockaddr([0; 4], 0);
    let mut len = 16u32;
    unsafe { getsockname(fd, &mut out, &mut len) };
    Ok((fd, u16::from_be(out.port)))
}

/** Accepts one connection (non-blocking, TCP_NODELAY): Ok(None) when none is waiting, Err(errno) on failure. */
pub fn accept(fd: Fd) -> Result<Option<(Fd, [u8; 4])>, i32> {
    let mut addr = sockaddr([0; 4], 0);
    let mut len = 16u32;
    let c = unsafe { accept4(fd, &mut addr, &mut len, O_NONBLOCK | O_CLOEXEC) };
    if c < 0 {
        let e = errno();
        // A connection that was reset before we took it: try the next one.
        return if e == EAGAIN { Ok(None) } else if e == ECONNABORTED || e == EINTR { accept(fd) } else { Err(e) };
    }
    set_int(c, IPPROTO_TCP, TCP_NODELAY, 1);
    Ok(Some((c, addr.addr.to_ne_bytes())))
}

/** Starts a non-blocking connect: Ok(true) connected, Ok(false) in progress. */
pub fn connect_tcp(ip: [u8; 4], port: u16) -> io::Result<(Fd, bool)> {
    let fd = check(unsafe { socket(AF_INET, SOCK_STREAM | O_NONBLOCK | O_CLOEXEC, 0) })?;
    set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    let addr = sockaddr(ip, port);
    let rc = unsafe { connect(fd, &addr, 16) };
    if rc == 0 { return Ok((fd, true)); }
    let e = errno();
    if e == EINPROGRESS { return Ok((fd, false)); }
    unsafe { close(fd) };
    Err(io::Error::from_raw_os_error(e))
}

/** The pending error of a socket (0 when connected). */
pub fn socket_error(fd: Fd) -> i32 {
    let mut v: c_int = 0;
    let mut len = 4u32;
    unsafe { getsockopt(fd, SOL_SOCKET, SO_ERROR, &mut v as *mut c_int as *mut c_void, &mut len) };
    v
}

/** read(2): Ok(0) end of stream, Err(EAGAIN) nothing now. */
pub fn read_fd(fd: Fd, buf: &mut [u8]) -> Result<usize, i32> {
    loop {
        let n = unsafe { read(fd, buf.as_mut_ptr() as *mut c_void, buf.len()) };
        if n >= 0 { return Ok(n as usize); }
        let e = errno();
        if e != EINTR { return Err(e); }
    }
}

pub fn write_fd(fd: Fd, buf: &[u8]) -> Result<usize, i32> {
    loop {
        let n = unsafe { write(fd, buf.as_ptr() as *const c_void, buf.len()) };
        if n >= 0 { return Ok(n as usize); }
        let e = errno();
        if e != EINTR { return Err(e); }
    }
}

pub fn close_fd(fd: Fd) { unsafe { close(fd) }; }
/** Sends FIN after what was written (SHUT_WR). */
pub fn shutdown_write(fd: Fd) { unsafe { shutdown(fd, 1) }; }

pub fn pipe() -> io::Result<(Fd, Fd)> {
    let mut fds = [0 as c_int; 2];
    check(unsafe { pipe2(fds.as_mut_ptr(), O_NONBLOCK | O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

pub fn event_fd() -> io::Result<Fd> {
    check(unsafe { eventfd(0, O_NONBLOCK | O_CLOEXEC) })
}

pub fn signal_event(fd: Fd) {
    let one: u64 = 1;
    let _ = write_fd(fd, &one.to_ne_bytes());
}

/** Reads up to `max` more bytes into `v`'s spare room (growing it); Ok(0) end of stream. */
pub fn read_into(fd: Fd, v: &mut Vec<u8>, max: usize) -> Result<usize, i32> {
    v.reserve(max);
    let spare = v.spare_capacity_mut();
    let n = spare.len().min(max);
    loop {
        let r = unsafe { read(fd, spare.as_mut_ptr() as *mut c_void, n) };
        if r >= 0 {
            let len = v.len();
            // SAFETY: read(2) initialised the first r bytes of the spare capacity.
            unsafe { v.set_len(len + r as usize) };
            return Ok(r as usize);
        }
        let e = errno();
        if e != EINTR {
            return Err(e);
        }
    }
}

/** Locks a mutex shared with the other thread; a panic elsewhere (poisoning) must not stop the router. */
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
