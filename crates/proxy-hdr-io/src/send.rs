//! The sending side: a header written before the client's first bytes, in
//! one write when they are given (frp's shape: the header and the
//! ClientHello in one segment), so a receiver that reads once gets both.

use embedded_io::Write;
use proxy_hdr::{Header, WriteError};

/// Why a header could not be sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError<E> {
    /// The header could not be encoded (or the buffer is too small for it).
    Encode(WriteError),
    /// The stream failed.
    Io(E),
}

impl<E: core::fmt::Display> core::fmt::Display for SendError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SendError::Encode(e) => write!(f, "cannot encode the PROXY header: {e}"),
            SendError::Io(e) => write!(f, "I/O error while sending the PROXY header: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for SendError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SendError::Encode(e) => Some(e),
            SendError::Io(e) => Some(e),
        }
    }
}

/// Encodes `header` into `buf` followed by as much of `first` as fits, and
/// returns the length of that prefix and what of `first` is left.
fn stage<'f>(
    header: &Header<'_>,
    first: &'f [u8],
    buf: &mut [u8],
) -> Result<(usize, &'f [u8]), WriteError> {
    let len = header.write(buf)?;
    let room = buf.len() - len;
    let (now, later) = first.split_at(first.len().min(room));
    if let Some(dst) = buf.get_mut(len..len + now.len()) {
        dst.copy_from_slice(now);
    }
    Ok((len + now.len(), later))
}

/// Writes `header` then `first` (the client's first bytes, possibly empty)
/// to `stream`: in one write when both fit in `buf` (size it with
/// [`Header::encoded_len`] plus the payload), the header and what fits
/// first otherwise. No allocation. Returns the header's length.
///
/// ```
/// use proxy_hdr::{Addresses, Header, Protocol};
/// let header = Header::V2(proxy_hdr::v2::Header::proxy(Protocol::Stream, Addresses::Inet {
///     source: "192.0.2.7:40000".parse().unwrap(),
///     destination: "198.51.100.1:443".parse().unwrap(),
/// }));
/// let mut wire = Vec::new(); // an embedded_io::Write under std
/// let mut buf = [0u8; 128];
/// let len = proxy_hdr_io::write_header(&mut wire, &header, b"\x16\x03\x01", &mut buf).unwrap();
/// assert_eq!(&wire[len..], b"\x16\x03\x01");
/// ```
pub fn write_header<W: Write>(
    stream: &mut W,
    header: &Header<'_>,
    first: &[u8],
    buf: &mut [u8],
) -> Result<usize, SendError<W::Error>> {
    let (staged, rest) = stage(header, first, buf).map_err(SendError::Encode)?;
    stream.write_all(buf.get(..staged).unwrap_or_default()).map_err(SendError::Io)?;
    stream.write_all(rest).map_err(SendError::Io)?;
    stream.flush().map_err(SendError::Io)?;
    Ok(header.encoded_len())
}

/// [`write_header`] for `embedded_io_async::Write` streams.
pub async fn write_header_async<W: embedded_io_async::Write>(
    stream: &mut W,
    header: &Header<'_>,
    first: &[u8],
    buf: &mut [u8],
) -> Result<usize, SendError<W::Error>> {
    let (staged, rest) = stage(header, first, buf).map_err(SendError::Encode)?;
    stream.write_all(buf.get(..staged).unwrap_or_default()).await.map_err(SendError::Io)?;
    stream.write_all(rest).await.map_err(SendError::Io)?;
    stream.flush().await.map_err(SendError::Io)?;
    Ok(header.encoded_len())
}

/// The header and the first bytes as one buffer (std).
#[cfg(feature = "std")]
pub(crate) fn wire(header: &Header<'_>, first: &[u8]) -> Result<alloc::vec::Vec<u8>, WriteError> {
    let mut out = alloc::vec![0u8; header.encoded_len() + first.len()];
    stage(header, first, &mut out)?;
    Ok(out)
}

/// [`write_header`] for a `std::io::Write`: the header and `first` in one
/// write.
#[cfg(feature = "std")]
pub fn write_header_std<W: std::io::Write + ?Sized>(
    stream: &mut W,
    header: &Header<'_>,
    first: &[u8],
) -> Result<usize, SendError<std::io::Error>> {
    let wire = wire(header, first).map_err(SendError::Encode)?;
    stream.write_all(&wire).map_err(SendError::Io)?;
    stream.flush().map_err(SendError::Io)?;
    Ok(header.encoded_len())
}

/// [`write_header`] for a tokio `AsyncWrite`: the header and `first` in one
/// write.
#[cfg(feature = "tokio")]
pub async fn write_header_tokio<W: tokio::io::AsyncWrite + Unpin + ?Sized>(
    stream: &mut W,
    header: &Header<'_>,
    first: &[u8],
) -> Result<usize, SendError<std::io::Error>> {
    use tokio::io::AsyncWriteExt;
    let wire = wire(header, first).map_err(SendError::Encode)?;
    stream.write_all(&wire).await.map_err(SendError::Io)?;
    stream.flush().await.map_err(SendError::Io)?;
    Ok(header.encoded_len())
}

#[cfg(feature = "std")]
impl From<SendError<std::io::Error>> for std::io::Error {
    fn from(e: SendError<std::io::Error>) -> Self {
        match e {
            SendError::Io(e) => e,
            SendError::Encode(e) => std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
        }
    }
}
