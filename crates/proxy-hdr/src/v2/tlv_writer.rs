//! Building a TLV list in a caller's buffer, for writing headers.

use super::ssl::{ClientFlags, SslSubtype};
use super::tlv::{TlvType, Tlvs};
use crate::WriteError;

/// Builds a TLV list in a caller's buffer, for writing headers.
///
/// ```
/// use proxy_hdr::{Addresses, Protocol};
/// use proxy_hdr::v2::{Header, TlvWriter, TlvType};
///
/// let mut storage = [0u8; 64];
/// let mut tlvs = TlvWriter::new(&mut storage);
/// tlvs.push(TlvType::Authority, b"example.com")?.crc32c()?;
/// let tlvs = tlvs.finish()?;
/// let header = Header::proxy(Protocol::Stream, Addresses::Inet {
///     source: "192.0.2.1:5000".parse().unwrap(),
///     destination: "198.51.100.2:443".parse().unwrap(),
/// }).with_tlvs(tlvs);
///
/// let mut out = [0u8; 128];
/// let len = header.write(&mut out)?;
/// let parsed = proxy_hdr::v2::parse(&out[..len]).unwrap();
/// assert!(matches!(parsed, proxy_hdr::Status::Complete { header: h, .. } if h == header));
/// # Ok::<(), proxy_hdr::WriteError>(())
/// ```
#[derive(Debug)]
pub struct TlvWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> TlvWriter<'b> {
    /// Writes into `buf`, from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        TlvWriter { buf, len: 0 }
    }

    /// Appends a TLV. On error nothing is written.
    pub fn push(&mut self, kind: TlvType, value: &[u8]) -> Result<&mut Self, WriteError> {
        let len = u16::try_from(value.len()).map_err(|_| WriteError::TooLong)?;
        self.reserve(3 + value.len())?;
        self.put(&[u8::from(kind)]);
        self.put(&len.to_be_bytes());
        self.put(value);
        Ok(self)
    }

    /// Appends a CRC32C TLV; [`Header::write`](super::Header::write) fills in
    /// the checksum.
    pub fn crc32c(&mut self) -> Result<&mut Self, WriteError> {
        self.push(TlvType::Crc32c, &[0; 4])
    }

    /// Appends an SSL TLV (§2.2.6) with the given sub-TLVs. On error
    /// nothing is written.
    pub fn ssl(
        &mut self,
        client: ClientFlags,
        verify: u32,
        sub_tlvs: &[(SslSubtype, &[u8])],
    ) -> Result<&mut Self, WriteError> {
        let sub_len: usize = sub_tlvs.iter().map(|(_, v)| 3 + v.len()).sum();
        let total = u16::try_from(5 + sub_len).map_err(|_| WriteError::TooLong)?;
        self.reserve(3 + usize::from(total))?;
        self.put(&[u8::from(TlvType::Ssl)]);
        self.put(&total.to_be_bytes());
        self.put(&[client.bits()]);
        self.put(&verify.to_be_bytes());
        for (kind, value) in sub_tlvs {
            // Each fits: their sum does.
            self.put(&[u8::from(*kind)]);
            self.put(&(value.len() as u16).to_be_bytes());
            self.put(value);
        }
        Ok(self)
    }

    fn reserve(&self, n: usize) -> Result<(), WriteError> {
        let needed = self.len + n;
        if needed > u16::MAX as usize {
            return Err(WriteError::TooLong);
        }
        if needed > self.buf.len() {
            return Err(WriteError::BufferTooSmall { needed });
        }
        Ok(())
    }

    /// Copies after a successful `reserve`.
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    /// The TLVs written so far, validated as the parser would.
    pub fn finish(self) -> Result<Tlvs<'b>, WriteError> {
        let TlvWriter { buf, len } = self;
        let bytes: &'b [u8] = buf;
        Tlvs::new(bytes.get(..len).unwrap_or_default()).map_err(WriteError::InvalidTlv)
    }
}
