//! `std::net::TcpStream` and `std::io::Read` streams, with the deadline
//! enforced through socket read timeouts.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::blocking;
use crate::config::Config;
use crate::engine::Accepted;
use crate::error::Error;
use crate::trust::Trust;

/// Reads a header from a TCP connection: the peer is checked against
/// [`Config::trusted`] and [`Config::timeout`] bounds the whole header (each
/// read's socket timeout is set to the time left, and restored afterwards).
pub fn read_header_tcp<'b, T: Trust>(
    stream: &mut TcpStream,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>> {
    let peer = Error::from_peer_addr(stream.peer_addr())?;
    let previous = stream.read_timeout().map_err(Error::Io)?;
    let mut reader =
        DeadlineReader { stream, deadline: config.timeout.map(|t| Instant::now() + t) };
    let result = blocking::read_header_from(&mut reader, Some(peer), buf, config);
    reader.stream.set_read_timeout(previous).map_err(Error::Io)?;
    result
}

/// Reads a header from any `std::io::Read` (no trust check, no deadline:
/// use [`read_header_tcp`] for sockets).
pub fn read_header_std<'b, R: io::Read, T: Trust>(
    reader: &mut R,
    buf: &'b mut [u8],
    config: &Config<T>,
) -> Result<Accepted<'b>, Error<io::Error>> {
    let mut reader = embedded_io_adapters::std::FromStd::new(reader);
    blocking::read_header(&mut reader, buf, config)
}

/// Sets the socket's read timeout to what is left of the deadline before
/// each read, and reports a passed deadline as `TimedOut`.
struct DeadlineReader<'s> {
    stream: &'s mut TcpStream,
    deadline: Option<Instant>,
}

impl embedded_io::ErrorType for DeadlineReader<'_> {
    type Error = io::Error;
}

impl embedded_io::Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let timed_out = || io::Error::from(io::ErrorKind::TimedOut);
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timed_out());
            }
            // A zero timeout means "none" to the socket: never pass one.
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        }
        match io::Read::read(self.stream, buf) {
            // Linux reports an expired SO_RCVTIMEO as EAGAIN.
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                Err(timed_out())
            }
            other => other,
        }
    }
}
