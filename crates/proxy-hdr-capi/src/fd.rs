//! `pp_read_header_fd`: read exactly the header from a connected socket, as
//! HAProxy does (`MSG_PEEK`, then a `recv` of what is known to be header),
//! so every byte after it stays in the kernel for the next protocol
//! (OpenSSL's `SSL_set_fd`, a bufferevent). The spec (§5) asks receivers to
//! accept headers only from known proxies and not to wait forever: hence the
//! trusted list and the deadline.

use core::ffi::{CStr, c_char, c_int};
use std::io;
use std::time::{Duration, Instant};

use proxy_hdr::{Frame, Status, Version};
use proxy_hdr_io::{Cidr, CidrError, Policy};

use crate::codes::*;
use crate::header::PpHeader;
use crate::sockaddr::peer_ip;

/// Policy: every connection starts with a header; anything else is
/// `PP_ERR_NOT_PROXY` (the default: the spec, §5, forbids guessing).
pub const PP_POLICY_REQUIRE: c_int = 0;
/// Policy: a header is used when present; otherwise nothing is read and the
/// function returns 0 (decided from the first bytes: TLS starts with 0x16).
pub const PP_POLICY_OPTIONAL: c_int = 1;
/// Policy: the PROXY protocol is off, with detection: nothing is read and 0
/// is returned, but a connection that starts with a header is refused with
/// `PP_ERR_UNEXPECTED` instead of being handed to TLS as garbage.
pub const PP_POLICY_OFF: c_int = 2;

/// The default size limit, `pp_config.max_header_len` 0.
pub const PP_DEFAULT_MAX_HEADER_LEN: usize = 4096;
/// The default deadline of `pp_config_default`, in milliseconds.
pub const PP_DEFAULT_TIMEOUT_MS: u32 = 5000;

/// How `pp_read_header_fd` reads: start from `pp_config_default()`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PpConfig {
    /// `PP_POLICY_REQUIRE`, `PP_POLICY_OPTIONAL` or `PP_POLICY_OFF`.
    pub policy: c_int,
    /// The deadline for the whole header, in milliseconds; 0 for none.
    pub timeout_ms: u32,
    /// The largest header accepted (0: `PP_DEFAULT_MAX_HEADER_LEN`), also
    /// bounded by the buffer's capacity.
    pub max_header_len: usize,
    /// The peers allowed to send a header: address blocks separated by
    /// commas or spaces (`"127.0.0.0/8, ::1, 10.0.0.0/8"`). NULL trusts
    /// every peer (only for a port nothing but the proxy can reach); `""`
    /// trusts none. A peer that is not an IP socket is never trusted unless
    /// this is NULL.
    pub trusted: *const c_char,
}

/// The defaults: require a header, 5 s deadline, 4096 bytes, every peer
/// trusted (set `trusted`).
#[unsafe(no_mangle)]
pub extern "C" fn pp_config_default() -> PpConfig {
    PpConfig {
        policy: PP_POLICY_REQUIRE,
        timeout_ms: PP_DEFAULT_TIMEOUT_MS,
        max_header_len: 0,
        trusted: core::ptr::null(),
    }
}

/// The trusted blocks, checked once: `None` trusts everyone. The text is
/// kept and re-read at the check, so reading a header allocates nothing.
#[derive(Clone, Copy)]
struct Trusted<'a>(Option<&'a str>);

impl<'a> Trusted<'a> {
    fn of(config: &'a PpConfig) -> Result<Self, c_int> {
        if config.trusted.is_null() {
            return Ok(Trusted(None));
        }
        // SAFETY: non-NULL, and the contract of `pp_read_header_fd` makes it
        // a NUL-terminated string that outlives the call.
        let text = unsafe { CStr::from_ptr(config.trusted) }.to_str().map_err(|_| PP_ERR_CONFIG)?;
        let trusted = Trusted(Some(text));
        if trusted.blocks().any(|b| b.is_err()) {
            return Err(PP_ERR_CONFIG);
        }
        Ok(trusted)
    }

    fn blocks(self) -> impl Iterator<Item = Result<Cidr, CidrError>> + 'a {
        let text = self.0.unwrap_or_default();
        text.split([',', ' ', '\t', '\n']).filter(|s| !s.is_empty()).map(str::parse::<Cidr>)
    }

    /// Fails closed: a peer that is not an IP socket is trusted only by NULL.
    fn allows(self, peer: Option<core::net::IpAddr>) -> bool {
        match (self.0, peer) {
            (None, _) => true,
            (Some(_), Some(ip)) => self.blocks().any(|b| b.is_ok_and(|b| b.contains(ip))),
            (Some(_), None) => false,
        }
    }
}

fn policy(code: c_int) -> Option<Policy> {
    match code {
        PP_POLICY_REQUIRE => Some(Policy::Require),
        PP_POLICY_OPTIONAL => Some(Policy::Optional),
        PP_POLICY_OFF => Some(Policy::Refuse),
        _ => None,
    }
}

/// The socket, a deadline and errno handling.
struct Sock {
    fd: c_int,
    deadline: Option<Instant>,
}

enum Ready {
    Readable { hang_up: bool },
}

impl Sock {
    /// Waits until the socket is readable or the deadline passes.
    fn wait(&self) -> Result<Ready, c_int> {
        loop {
            let timeout = match self.deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(PP_ERR_TIMEOUT);
                    }
                    c_int::try_from(left.as_millis().max(1)).unwrap_or(c_int::MAX)
                }
            };
            let mut pfd = libc::pollfd { fd: self.fd, events: libc::POLLIN | RDHUP, revents: 0 };
            // SAFETY: one valid pollfd, count 1.
            let rc = unsafe { libc::poll(&mut pfd, 1, timeout) };
            match rc {
                0 => return Err(PP_ERR_TIMEOUT),
                1.. => {
                    let hang_up = pfd.revents & (libc::POLLHUP | RDHUP) != 0;
                    if pfd.revents & libc::POLLNVAL != 0 {
                        set_errno(libc::EBADF);
                        return Err(PP_ERR_IO);
                    }
                    return Ok(Ready::Readable { hang_up });
                }
                _ => retry_or_fail(io::Error::last_os_error())?,
            }
        }
    }

    /// One `recv` into `buf` (with `MSG_PEEK` when `peek`), after waiting.
    fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, bool), c_int> {
        loop {
            let Ready::Readable { hang_up } = self.wait()?;
            let flags = if peek { libc::MSG_PEEK } else { 0 };
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
            match usize::try_from(n) {
                Ok(n) => return Ok((n, hang_up)),
                Err(_) => retry_or_fail(io::Error::last_os_error())?,
            }
        }
    }

    /// Consumes exactly `buf.len()` bytes (already peeked, so present).
    fn consume(&self, buf: &mut [u8]) -> Result<(), c_int> {
        let mut at = 0;
        while let Some(rest) = buf.get_mut(at..).filter(|r| !r.is_empty()) {
            match self.recv(rest, false)? {
                (0, _) => return Err(PP_ERR_CLOSED),
                (n, _) => at += n,
            }
        }
        Ok(())
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const RDHUP: libc::c_short = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const RDHUP: libc::c_short = 0;

fn retry_or_fail(e: io::Error) -> Result<(), c_int> {
    match e.raw_os_error() {
        Some(libc::EINTR | libc::EAGAIN) => Ok(()),
        Some(code) => {
            set_errno(code);
            Err(PP_ERR_IO)
        }
        None => Err(PP_ERR_IO),
    }
}

fn set_errno(code: c_int) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: __errno_location returns this thread's errno, always valid.
    unsafe {
        *libc::__errno_location() = code;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = code;
}

/// True once `seen` holds a whole signature: from there on any failure is
/// an invalid header, so consuming bytes cannot take anything from the next
/// protocol.
fn signature_seen(seen: &[u8]) -> Option<Version> {
    if seen.starts_with(b"PROXY ") {
        Some(Version::V1)
    } else if seen.starts_with(&proxy_hdr::v2::SIGNATURE) {
        Some(Version::V2)
    } else {
        None
    }
}

/// Reads a PROXY header from the connected socket `fd` into `buf` (`cap`
/// bytes) and consumes exactly the header: the next byte `recv` returns is
/// the first byte after it (for `SSL_set_fd`). Works on blocking and
/// non-blocking sockets (it waits with `poll`).
///
/// Returns the header's length (> 0) with `*out` filled (its pointers borrow
/// `buf`); 0 when there is no header and the policy allows it (nothing was
/// consumed); or a negative code: `PP_ERR_TIMEOUT`, `PP_ERR_CLOSED`,
/// `PP_ERR_UNTRUSTED`, `PP_ERR_TOO_LARGE`, `PP_ERR_NOT_PROXY` (policy
/// require), `PP_ERR_UNEXPECTED` (policy off), a `PP_ERR_V1_*` /
/// `PP_ERR_V2_*` invalid-header code (see `pp_is_invalid`), `PP_ERR_IO`
/// with `errno` set, `PP_ERR_CONFIG`, `PP_ERR_ARGUMENT` or `PP_ERR_NULL`.
/// After an error the connection should be closed: part of a bad header may
/// have been consumed. `config` may be NULL for `pp_config_default()`;
/// `out` may be NULL.
///
/// # Safety
/// `buf` must point to `cap` writable bytes; `config` NULL or valid, with
/// `trusted` NULL or a NUL-terminated string; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pp_read_header_fd(
    fd: c_int,
    config: *const PpConfig,
    buf: *mut u8,
    cap: usize,
    out: *mut PpHeader,
) -> c_int {
    crate::guard(|| {
        // SAFETY: NULL or valid / writable (the contract).
        let (config, out) = unsafe { (config.as_ref().copied(), out.as_mut()) };
        if buf.is_null() {
            return PP_ERR_NULL;
        }
        // SAFETY: non-NULL, `cap` writable bytes (the contract).
        let buf = unsafe { core::slice::from_raw_parts_mut(buf, cap) };
        let config = config.unwrap_or_else(|| pp_config_default());
        let mut answer = PpHeader::empty();
        let code = read(fd, &config, buf, &mut answer).unwrap_or_else(|code| code);
        if let Some(out) = out {
            *out = answer;
        }
        code
    })
}

fn read(fd: c_int, config: &PpConfig, buf: &mut [u8], out: &mut PpHeader) -> Result<c_int, c_int> {
    if fd < 0 {
        // poll() ignores negative descriptors: it would wait out the deadline.
        set_errno(libc::EBADF);
        return Err(PP_ERR_IO);
    }
    let policy = policy(config.policy).ok_or(PP_ERR_ARGUMENT)?;
    let trusted = Trusted::of(config)?;
    let max = match config.max_header_len {
        0 => PP_DEFAULT_MAX_HEADER_LEN,
        n => n,
    };
    let limit = max.min(buf.len()).min(proxy_hdr::v2::MAX_LEN);
    if limit == 0 {
        return Err(PP_ERR_TOO_LARGE);
    }
    let timeout = Duration::from_millis(u64::from(config.timeout_ms));
    let sock = Sock { fd, deadline: (config.timeout_ms > 0).then(|| Instant::now() + timeout) };
    let mut filled = 0; // consumed, all of them header bytes
    let mut backoff = Duration::from_millis(1);
    let mut last_seen = 0;
    loop {
        let window = buf.get_mut(filled..limit).ok_or(PP_ERR_TOO_LARGE)?;
        let (n, hang_up) = sock.recv(window, true)?;
        if n == 0 {
            return match (filled, policy) {
                (0, Policy::Optional | Policy::Refuse) => Ok(0),
                _ => Err(PP_ERR_CLOSED),
            };
        }
        let seen_len = filled + n;
        let seen = buf.get(..seen_len).ok_or(PP_ERR_INTERNAL)?;
        let refuse = policy == Policy::Refuse;
        // Under off, a whole signature decides before any length: the peer
        // sent a header, whatever its size, however it arrived.
        if refuse && signature_seen(seen).is_some() {
            return Err(PP_ERR_UNEXPECTED);
        }
        match proxy_hdr::frame(seen) {
            Ok(Frame::Whole(framed)) => {
                let len = framed.len();
                let peer = peer_ip(fd).map_err(|e| retry_or_fail(e).err().unwrap_or(PP_ERR_IO))?;
                let allowed = trusted.allows(peer);
                if !allowed {
                    return Err(PP_ERR_UNTRUSTED);
                }
                sock.consume(buf.get_mut(filled..len).ok_or(PP_ERR_INTERNAL)?)?;
                let bytes = buf.get(..len).ok_or(PP_ERR_INTERNAL)?;
                return match proxy_hdr::parse(bytes) {
                    Ok(Status::Complete { header, len }) => {
                        *out = PpHeader::from_header(&header, len);
                        Ok(c_int::try_from(len).unwrap_or(c_int::MAX))
                    }
                    Ok(Status::Incomplete { .. }) => Err(PP_ERR_INTERNAL),
                    Err(e) => Err(error_code(e)),
                };
            }
            Ok(Frame::Partial { len: Some(total), .. }) if total > limit => {
                return Err(PP_ERR_TOO_LARGE);
            }
            Ok(Frame::Partial { .. }) if seen_len >= limit => return Err(PP_ERR_TOO_LARGE),
            Ok(Frame::Partial { .. }) => {
                // Bytes of a header prefix are safe to take once nothing can
                // turn them back into the next protocol's: always under
                // require, else once the signature is whole. Taking them is
                // what lets poll block until more arrive.
                if policy == Policy::Require || signature_seen(seen).is_some() {
                    sock.consume(buf.get_mut(filled..seen_len).ok_or(PP_ERR_INTERNAL)?)?;
                    filled = seen_len;
                } else if hang_up && seen_len == last_seen {
                    return Err(PP_ERR_CLOSED);
                } else {
                    // A split signature under optional/off: the peeked bytes
                    // keep the socket readable, so poll cannot wait; sleep.
                    if seen_len == last_seen {
                        let left = sock.deadline.map_or(backoff, |d| {
                            d.saturating_duration_since(Instant::now()).min(backoff)
                        });
                        std::thread::sleep(left);
                        backoff = (backoff * 2).min(Duration::from_millis(16));
                    }
                    last_seen = seen_len;
                }
            }
            Err(proxy_hdr::Error::NotProxy) if filled == 0 && policy != Policy::Require => {
                return Ok(0);
            }
            Err(_) if refuse => return Err(PP_ERR_UNEXPECTED),
            Err(e) => return Err(error_code(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_lists_parse_or_fail_as_config() {
        let cfg = |s: &'static CStr| PpConfig { trusted: s.as_ptr(), ..pp_config_default() };
        let ip = |s: &str| Some(s.parse().unwrap());
        let list = cfg(c"127.0.0.0/8, ::1 10.0.0.0/8");
        let t = Trusted::of(&list).unwrap();
        assert_eq!(t.blocks().count(), 3);
        assert!(t.allows(ip("10.2.3.4")) && t.allows(ip("::ffff:127.0.0.9")));
        assert!(!t.allows(ip("192.0.2.1")) && !t.allows(None));
        let none = cfg(c"");
        assert!(!Trusted::of(&none).unwrap().allows(ip("127.0.0.1")));
        assert_eq!(Trusted::of(&cfg(c"10.0.0.0/33")).err(), Some(PP_ERR_CONFIG));
        assert!(Trusted::of(&pp_config_default()).unwrap().allows(None));
    }
}
