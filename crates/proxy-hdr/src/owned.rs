//! A header that owns its bytes, so a driver can keep it after the read
//! buffer it was parsed from is reused.
//!
//! The fixed part (version, command, IP addresses) is held inline; the parts
//! whose size varies (unix paths, TLVs) go to a storage of the caller's
//! choice: a fixed-capacity `heapless::Vec` without an allocator, or, with
//! the `alloc` feature, a `Box<[u8]>` sized to the content.

use core::fmt;

use crate::ip_block::IpBlock;
use crate::v2::{Block, Tlvs};
use crate::{Addresses, Command, Header, Protocol, UnixAddr, v1, v2};

/// Byte storage an owned header copies its variable parts into.
pub trait Storage: AsRef<[u8]> + Sized {
    /// A storage holding `parts` one after the other, or `None` when they
    /// do not fit.
    fn from_parts(parts: &[&[u8]]) -> Option<Self>;
}

impl<const N: usize> Storage for heapless::Vec<u8, N> {
    fn from_parts(parts: &[&[u8]]) -> Option<Self> {
        let mut bytes = heapless::Vec::new();
        for part in parts {
            bytes.extend_from_slice(part).ok()?;
        }
        Some(bytes)
    }
}

#[cfg(feature = "alloc")]
impl Storage for alloc::boxed::Box<[u8]> {
    fn from_parts(parts: &[&[u8]]) -> Option<Self> {
        Some(parts.concat().into_boxed_slice())
    }
}

/// A header in fixed capacity: `N` bytes for TLVs and unix paths, no
/// allocation.
pub type InlineHeader<const N: usize> = OwnedHeader<heapless::Vec<u8, N>>;

/// A header whose TLVs and unix paths are on the heap, sized to them
/// (feature `alloc`).
#[cfg(feature = "alloc")]
pub type BoxedHeader = OwnedHeader<alloc::boxed::Box<[u8]>>;

/// A copy of a [`Header`] that borrows nothing.
///
/// ```
/// let input = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
/// let Ok(proxy_hdr::Status::Complete { header, .. }) = proxy_hdr::parse(input) else { panic!() };
/// let owned = proxy_hdr::InlineHeader::<256>::new(&header).unwrap();
/// assert_eq!(owned.header(), header);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedHeader<B> {
    fixed: Fixed,
    /// Unix source path, unix destination path, then the TLV bytes.
    bytes: B,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixed {
    V1(v1::Header),
    V2 { command: Command, connection: Option<(Protocol, FixedAddresses)> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FixedAddresses {
    /// An IP pair, which borrows nothing.
    Ip(IpBlock),
    /// The lengths of the two paths at the start of the storage (each at
    /// most 108 bytes).
    Unix { source: u8, destination: u8 },
}

/// The header's TLVs and paths do not fit the owned header's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityError {
    /// Bytes the header's TLVs and unix paths take.
    pub needed: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the header's TLVs and paths ({} bytes) do not fit the storage", self.needed)
    }
}

impl core::error::Error for CapacityError {}

impl<B: Storage> OwnedHeader<B> {
    /// Copies `header`.
    pub fn new(header: &Header<'_>) -> Result<Self, CapacityError> {
        let (fixed, parts): (Fixed, [&[u8]; 3]) = match header {
            Header::V1(h) => (Fixed::V1(*h), [&[], &[], &[]]),
            Header::V2(h) => {
                let tlvs = h.tlvs().as_bytes();
                let (addresses, source, destination) = match h.addresses() {
                    None => (None, &[][..], &[][..]),
                    Some(Addresses::Unix { source, destination }) => {
                        let (s, d) = (source.as_bytes(), destination.as_bytes());
                        // `UnixAddr` paths are at most 108 bytes.
                        let lens = FixedAddresses::Unix {
                            source: s.len() as u8,
                            destination: d.len() as u8,
                        };
                        (Some(lens), s, d)
                    }
                    Some(ip) => (IpBlock::new(ip).map(FixedAddresses::Ip), &[][..], &[][..]),
                };
                let connection = h.protocol().zip(addresses);
                (Fixed::V2 { command: h.command(), connection }, [source, destination, tlvs])
            }
        };
        let needed = parts.iter().map(|p| p.len()).sum();
        let bytes = B::from_parts(&parts).ok_or(CapacityError { needed })?;
        Ok(OwnedHeader { fixed, bytes })
    }

    /// The header, borrowing from `self`.
    pub fn header(&self) -> Header<'_> {
        let bytes = self.bytes.as_ref();
        let (command, connection) = match self.fixed {
            Fixed::V1(h) => return Header::V1(h),
            Fixed::V2 { command, connection } => (command, connection),
        };
        let (addresses, tlvs) = match connection {
            None => (None, bytes),
            Some((protocol, FixedAddresses::Ip(ip))) => (Some((protocol, Block::Ip(ip))), bytes),
            Some((protocol, FixedAddresses::Unix { source, destination })) => {
                let (source, rest) = bytes.split_at(usize::from(source).min(bytes.len()));
                let (destination, rest) = rest.split_at(usize::from(destination).min(rest.len()));
                let unix =
                    Block::Unix(UnixAddr::from_field(source), UnixAddr::from_field(destination));
                (Some((protocol, unix)), rest)
            }
        };
        // The bytes were copied from a validated `Tlvs`.
        Header::V2(v2::Header::parsed(command, addresses, Tlvs::trusted(tlvs)))
    }

    /// The storage: unix paths, then TLVs (for counting what a connection
    /// holds).
    pub fn storage(&self) -> &B {
        &self.bytes
    }
}

impl<B: Storage> TryFrom<&Header<'_>> for OwnedHeader<B> {
    type Error = CapacityError;

    fn try_from(header: &Header<'_>) -> Result<Self, CapacityError> {
        OwnedHeader::new(header)
    }
}

impl<B: Storage> fmt::Debug for OwnedHeader<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.header().fmt(f)
    }
}
