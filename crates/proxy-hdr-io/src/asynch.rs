//! The read loop for async `embedded_io_async::Read` streams, with a
//! caller-supplied deadline so it runs on any executor (embassy, tokio, ...).

use core::future::{Future, poll_fn};
use core::net::IpAddr;
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Error as _, ErrorKind, Read};

use crate::config::Config;
use crate::engine::{self, Accepted};
use crate::error::Error;
use crate::trust::Trust;

/// Reads a PROXY header from `stream`, a connection from `peer`, into
/// `buf`, giving up with [`Error::TimedOut`] when `deadline` completes (an
/// embassy `Timer`, `tokio::time::sleep`, or `core::future::pending()` for
/// none).
///
/// `peer` and the reads are as in [`read_header`](crate::read_header). The
/// config's own timeouts are not used: the deadline is the argument.
///
/// Not cancel-safe: dropping the future loses how many bytes were read into
/// `buf`. Bound it with `deadline` instead of racing it against a timer.
pub async fn read_header_async<'b, S: Read, T: Trust>(
    stream: &mut S,
    peer: Option<IpAddr>,
    buf: &'b mut [u8],
    config: &Config<T>,
    deadline: impl Future<Output = ()>,
) -> Result<Accepted<'b>, Error<S::Error>> {
    let mut deadline = pin!(deadline);
    let limit = config.max_header_len().min(buf.len());
    let mut filled = 0;
    let ready = loop {
        if let Some(ready) = engine::decide(buf.get(..filled).unwrap_or_default(), limit, config)? {
            break ready;
        }
        let free = buf.get_mut(filled..).unwrap_or_default();
        let mut read = pin!(stream.read(free));
        let outcome = poll_fn(|cx| {
            if let Poll::Ready(r) = read.as_mut().poll(cx) {
                return Poll::Ready(Some(r));
            }
            match deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        let n = match outcome {
            None => return Err(Error::TimedOut { received: filled }),
            Some(Err(e)) if e.kind() == ErrorKind::Interrupted => continue,
            Some(Err(e)) => return Err(Error::Io(e)),
            Some(Ok(n)) => n,
        };
        if n == 0 {
            return engine::at_eof(filled, config);
        }
        filled += n;
    };
    let buf: &'b [u8] = buf;
    engine::finish(buf.get(..filled).unwrap_or_default(), ready, peer, config)
}
