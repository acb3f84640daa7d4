//! A header that owns its bytes, in fixed capacity, so a driver can keep it
//! after the read buffer it was parsed from is reused.

use core::fmt;

use heapless::Vec;

use crate::v2::{Addresses, Family, Protocol, Tlvs, UNIX_ADDR_LEN, UnixAddr};
use crate::{Command, Header, v1, v2};

/// A copy of a [`Header`] with room for `N` bytes of TLVs; no allocation.
///
/// ```
/// let input = b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
/// let Ok(proxy_hdr::Status::Complete { header, .. }) = proxy_hdr::parse(input) else { panic!() };
/// let owned = proxy_hdr::OwnedHeader::<256>::try_from(&header).unwrap();
/// assert_eq!(owned.header(), header);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedHeader<const N: usize> {
    inner: Inner<N>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inner<const N: usize> {
    V1(v1::Header),
    V2 {
        command: Command,
        family: Family,
        protocol: Protocol,
        addresses: OwnedAddresses,
        tlvs: Vec<u8, N>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedAddresses {
    Borrowless(Addresses<'static>),
    Unix { source: Vec<u8, UNIX_ADDR_LEN>, destination: Vec<u8, UNIX_ADDR_LEN> },
}

/// The header's TLVs do not fit the owned header's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityError {
    /// Bytes of TLVs the header carries.
    pub needed: usize,
    /// The capacity `N`.
    pub capacity: usize,
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "header TLVs need {} bytes, capacity is {}", self.needed, self.capacity)
    }
}

impl core::error::Error for CapacityError {}

impl<const N: usize> OwnedHeader<N> {
    /// The header, borrowing from `self`.
    pub fn header(&self) -> Header<'_> {
        match &self.inner {
            Inner::V1(h) => Header::V1(*h),
            Inner::V2 { command, family, protocol, addresses, tlvs } => Header::V2(v2::Header {
                command: *command,
                family: *family,
                protocol: *protocol,
                addresses: match addresses {
                    OwnedAddresses::Borrowless(a) => *a,
                    OwnedAddresses::Unix { source, destination } => Addresses::Unix {
                        source: UnixAddr::from_path(source),
                        destination: UnixAddr::from_path(destination),
                    },
                },
                // Copied from a validated `Tlvs`.
                tlvs: Tlvs::trusted(tlvs),
            }),
        }
    }
}

impl<const N: usize> TryFrom<&Header<'_>> for OwnedHeader<N> {
    type Error = CapacityError;

    fn try_from(header: &Header<'_>) -> Result<Self, CapacityError> {
        let inner = match header {
            Header::V1(h) => Inner::V1(*h),
            Header::V2(h) => {
                let bytes = h.tlvs.as_bytes();
                let tlvs = Vec::from_slice(bytes)
                    .map_err(|_| CapacityError { needed: bytes.len(), capacity: N })?;
                let addresses = match h.addresses {
                    Addresses::None => OwnedAddresses::Borrowless(Addresses::None),
                    Addresses::Inet { source, destination } => {
                        OwnedAddresses::Borrowless(Addresses::Inet { source, destination })
                    }
                    Addresses::Inet6 { source, destination } => {
                        OwnedAddresses::Borrowless(Addresses::Inet6 { source, destination })
                    }
                    // Paths are at most 108 bytes: parsed from 108-byte fields.
                    Addresses::Unix { source, destination } => OwnedAddresses::Unix {
                        source: Vec::from_slice(source.as_bytes()).unwrap_or_default(),
                        destination: Vec::from_slice(destination.as_bytes()).unwrap_or_default(),
                    },
                };
                Inner::V2 {
                    command: h.command,
                    family: h.family,
                    protocol: h.protocol,
                    addresses,
                    tlvs,
                }
            }
        };
        Ok(OwnedHeader { inner })
    }
}
