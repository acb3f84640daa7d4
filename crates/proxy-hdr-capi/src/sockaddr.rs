//! Socket addresses between Rust and C: `struct sockaddr_storage` out,
//! `struct sockaddr *` in.

use core::mem::{size_of, zeroed};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use libc::{
    sa_family_t, sockaddr, sockaddr_in, sockaddr_in6, sockaddr_storage, sockaddr_un, socklen_t,
};

/// An all-zero `sockaddr_storage` (`ss_family` is `AF_UNSPEC`).
pub(crate) fn empty() -> sockaddr_storage {
    // SAFETY: sockaddr_storage is a plain C struct of integers and byte
    // arrays, for which all-zero bits are a valid value.
    unsafe { zeroed() }
}

/// Writes `addr` into `out` and returns the length of the address written.
pub(crate) fn store(addr: SocketAddr, out: &mut sockaddr_storage) -> socklen_t {
    *out = empty();
    match addr {
        SocketAddr::V4(v4) => {
            // SAFETY: as in `empty`, zero is a valid sockaddr_in.
            let mut sin: sockaddr_in = unsafe { zeroed() };
            sin.sin_family = libc::AF_INET as sa_family_t;
            sin.sin_port = v4.port().to_be();
            sin.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
            // SAFETY: sockaddr_storage is at least as large and as aligned as
            // any sockaddr_* (that is its purpose), and `out` is a valid,
            // exclusive reference.
            unsafe { core::ptr::write((out as *mut sockaddr_storage).cast::<sockaddr_in>(), sin) };
            size_of::<sockaddr_in>() as socklen_t
        }
        SocketAddr::V6(v6) => {
            // SAFETY: as in `empty`, zero is a valid sockaddr_in6.
            let mut sin6: sockaddr_in6 = unsafe { zeroed() };
            sin6.sin6_family = libc::AF_INET6 as sa_family_t;
            sin6.sin6_port = v6.port().to_be();
            sin6.sin6_addr.s6_addr = v6.ip().octets();
            sin6.sin6_flowinfo = v6.flowinfo();
            sin6.sin6_scope_id = v6.scope_id();
            // SAFETY: as for sockaddr_in above.
            unsafe {
                core::ptr::write((out as *mut sockaddr_storage).cast::<sockaddr_in6>(), sin6)
            };
            size_of::<sockaddr_in6>() as socklen_t
        }
    }
}

/// Writes a unix path (at most 108 bytes, no NUL) as a `sockaddr_un`.
pub(crate) fn store_unix(path: &[u8], out: &mut sockaddr_storage) -> socklen_t {
    *out = empty();
    // SAFETY: as in `empty`, zero is a valid sockaddr_un.
    let mut sun: sockaddr_un = unsafe { zeroed() };
    sun.sun_family = libc::AF_UNIX as sa_family_t;
    let n = path.len().min(sun.sun_path.len());
    for (dst, src) in sun.sun_path.iter_mut().zip(path.iter().take(n)) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: as for sockaddr_in in `store`.
    unsafe { core::ptr::write((out as *mut sockaddr_storage).cast::<sockaddr_un>(), sun) };
    (core::mem::offset_of!(sockaddr_un, sun_path) + n) as socklen_t
}

/// An address read from C: an IP socket address, or a unix path.
pub(crate) enum CAddr<'a> {
    Ip(SocketAddr),
    Unix(&'a [u8]),
}

/// Reads `len` bytes at `addr` as a socket address; `None` for a family
/// other than AF_INET, AF_INET6 and AF_UNIX, or a length too short for it.
///
/// # Safety
/// `addr` must be NULL or point to `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn load<'a>(addr: *const sockaddr, len: socklen_t) -> Option<CAddr<'a>> {
    let len = len as usize;
    if addr.is_null() || len < size_of::<sa_family_t>() {
        return None;
    }
    // SAFETY: the caller promises `len` readable bytes, and `len` covers the
    // family field at offset 0 on every platform libc supports. Unaligned
    // reads: a C caller's buffer need not be aligned for the struct.
    let family = unsafe { core::ptr::read_unaligned(addr.cast::<sa_family_t>()) };
    match i32::from(family) {
        libc::AF_INET if len >= size_of::<sockaddr_in>() => {
            // SAFETY: `len` bytes are readable and cover a sockaddr_in.
            let sin = unsafe { core::ptr::read_unaligned(addr.cast::<sockaddr_in>()) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(CAddr::Ip(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port)))))
        }
        libc::AF_INET6 if len >= size_of::<sockaddr_in6>() => {
            // SAFETY: `len` bytes are readable and cover a sockaddr_in6.
            let sin6 = unsafe { core::ptr::read_unaligned(addr.cast::<sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Some(CAddr::Ip(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port,
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            ))))
        }
        libc::AF_UNIX => {
            let start = core::mem::offset_of!(sockaddr_un, sun_path);
            let n = len.checked_sub(start)?.min(108);
            // SAFETY: the caller promises `len` readable bytes; the path is
            // the `n` bytes after the family, within them.
            let path = unsafe { core::slice::from_raw_parts(addr.cast::<u8>().add(start), n) };
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            Some(CAddr::Unix(path.get(..end).unwrap_or_default()))
        }
        _ => None,
    }
}

/// The IP peer of a connected socket, canonical; `None` for other families.
pub(crate) fn peer_ip(fd: libc::c_int) -> Result<Option<IpAddr>, std::io::Error> {
    let mut storage = empty();
    let mut len = size_of::<sockaddr_storage>() as socklen_t;
    // SAFETY: `storage` is a writable sockaddr_storage and `len` says its size.
    let rc = unsafe {
        libc::getpeername(fd, (&mut storage as *mut sockaddr_storage).cast::<sockaddr>(), &mut len)
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: getpeername wrote `len` bytes into `storage`, which outlives the call.
    Ok(match unsafe { load((&storage as *const sockaddr_storage).cast(), len) } {
        Some(CAddr::Ip(addr)) => Some(proxy_hdr_io::canonical(addr.ip())),
        _ => None,
    })
}
