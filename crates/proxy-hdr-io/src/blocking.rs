//! The read loop for blocking `embedded_io::Read` streams.

use core::net::IpAddr;

use embedded_io::{Error as _, ErrorKind, Read};

use crate::config::Config;
use crate::engine::{self, Accepted, Framing};
use crate::error::Error;
use crate::trust::Trust;

/// Reads a PROXY header from `stream` into `buf`.
///
/// Each read asks for all the free space in `buf` and takes whatever the
/// stream has, so the header usually arrives in one read along with the
/// first bytes of the next protocol; those are returned in
/// [`Accepted::leftover`]. Nothing is read byte by byte and nothing waits for
/// the buffer to fill. No trust check is made (the peer is unknown here;
/// see [`read_header_from`]) and no deadline is enforced unless the stream
/// fails reads with [`ErrorKind::TimedOut`] (the std reader does).
pub fn read_header<'b, S: Read, T: Trust>(
    stream: &mut S,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<S::Error>> {
    read_header_from(stream, None, buf, config)
}

/// [`read_header`] for a connection from `peer`, applying
/// [`Config::trusted`].
pub fn read_header_from<'b, S: Read, T: Trust>(
    stream: &mut S,
    peer: Option<IpAddr>,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<S::Error>> {
    let mut filled = 0;
    let framing = loop {
        match engine::frame(buf.get(..filled).unwrap_or_default(), buf.len(), config)? {
            Framing::NeedMore => {}
            done => break done,
        }
        let free = buf.get_mut(filled..).unwrap_or_default();
        let n = match stream.read(free) {
            Ok(n) => n,
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
    engine::finish(buf.get(..filled).unwrap_or_default(), framing, peer, config)
}
