//! Writing a v2 header into a caller's buffer, CRC32C included.

use super::tlv::Tlvs;
use super::{Header, MAX_LEN, PREFIX_LEN, SIGNATURE};
use crate::crc32c::Crc32c;
use crate::{Command, WriteError};

impl Header<'_> {
    /// Writes the header into `out` and returns its length.
    ///
    /// Any CRC32C TLV gets the checksum of the written header, so a header
    /// that includes one (see [`TlvWriter::crc32c`](super::TlvWriter::crc32c))
    /// is written verifiable. On error `out` is left untouched.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let needed = self.encoded_len();
        if needed > MAX_LEN {
            return Err(WriteError::TooLong);
        }
        let Some(out) = out.get_mut(..needed) else {
            return Err(WriteError::BufferTooSmall { needed });
        };
        let [len_hi, len_lo] = ((needed - PREFIX_LEN) as u16).to_be_bytes();
        let version_command = 0x20 | self.command().nibble();
        let (prefix, rest) = out.split_at_mut(PREFIX_LEN);
        let (signature, fields) = prefix.split_at_mut(SIGNATURE.len());
        signature.copy_from_slice(&SIGNATURE);
        fields.copy_from_slice(&[version_command, self.address_type(), len_hi, len_lo]);
        let (block_out, tlv_out) = rest.split_at_mut(self.family().address_len());
        if let Some(block) = self.block() {
            block.write(block_out);
        }
        tlv_out.copy_from_slice(self.tlvs().as_bytes());

        let tlv_start = PREFIX_LEN + self.family().address_len();
        if let Some(crc) = checksum(out, tlv_start, self.tlvs()) {
            for offset in self.tlvs().crc32c_offsets() {
                let at = tlv_start + offset;
                if let Some(field) = out.get_mut(at..at + 4) {
                    field.copy_from_slice(&crc.to_be_bytes());
                }
            }
        }
        Ok(needed)
    }
}

impl Command {
    pub(crate) const fn nibble(self) -> u8 {
        match self {
            Command::Local => 0,
            Command::Proxy => 1,
        }
    }
}

/// The CRC-32C of `header` with the 4 bytes at `at` taken as zero.
pub(crate) fn checksum_with_zeroed(header: &[u8], at: usize) -> u32 {
    let mut crc = Crc32c::new();
    crc.update(header.get(..at).unwrap_or_default());
    crc.update(&[0; 4]);
    crc.update(header.get(at + 4..).unwrap_or_default());
    crc.finish()
}

/// The CRC-32C of `header`, whose TLVs start at `tlv_start`, with every
/// CRC32C TLV value taken as zero; `None` when there is no such TLV.
pub(crate) fn checksum(header: &[u8], tlv_start: usize, tlvs: Tlvs<'_>) -> Option<u32> {
    let mut offsets = tlvs.crc32c_offsets().peekable();
    offsets.peek()?;
    let mut crc = Crc32c::new();
    let mut done = 0;
    for offset in offsets {
        let at = tlv_start + offset;
        crc.update(header.get(done..at).unwrap_or_default());
        crc.update(&[0; 4]);
        done = at + 4;
    }
    crc.update(header.get(done..).unwrap_or_default());
    Some(crc.finish())
}
