//! The read loop for blocking `embedded_io::Read` streams.

use core::net::IpAddr;

use embedded_io::{Error as _, ErrorKind, Read};

use crate::config::Config;
use crate::engine::{self, Accepted};
use crate::error::Error;
use crate::trust::Trust;

/// Reads a PROXY header from `stream`, a connection from `peer`, into `buf`.
///
/// `peer` is the socket's remote address, checked against the config's
/// trusted peers; `None` when unknown, which only a trust of every peer
/// accepts. Each read asks for all the free space in `buf` and takes
/// whatever the stream has, so the header usually arrives in one read along
/// with the first bytes of the next protocol; those are returned in
/// [`Accepted::leftover`]. Nothing is read byte by byte and nothing waits
/// for the buffer to fill.
///
/// Deadline: this reader has no clock. It stops when the stream fails a
/// read with [`ErrorKind::TimedOut`] (set a receive timeout on the socket),
/// reporting [`Error::TimedOut`]; reads interrupted by a signal are retried.
pub fn read_header<'b, S: Read, T: Trust>(
    stream: &mut S,
    peer: Option<IpAddr>,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<S::Error>> {
    let limit = config.max_header_len().min(buf.len());
    let mut filled = 0;
    let ready = loop {
        if let Some(ready) = engine::decide(buf.get(..filled).unwrap_or_default(), limit, config)? {
            break ready;
        }
        let free = buf.get_mut(filled..).unwrap_or_default();
        let n = match stream.read(free) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                return Err(Error::TimedOut { received: filled });
            }
            Err(e) => return Err(Error::Io(e)),
        };
        if n == 0 {
            return engine::at_eof(filled, config);
        }
        filled += n;
    };
    let buf: &'b [u8] = buf;
    engine::finish(buf.get(..filled).unwrap_or_default(), ready, peer, config)
}
