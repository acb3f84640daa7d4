//! A header to send (std): from a client's and a destination's socket
//! addresses, or from a header a relay accepted (TLV pass-through), with
//! TLVs added and a CRC32C on request.

use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use proxy_hdr::v2::{TlvType, TlvWriter};
use proxy_hdr::{Addresses, Command, Header, Protocol, UnixAddr, Version, WriteError, v1, v2};

/// Which TLVs of an accepted header go upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep<'a> {
    /// Every TLV (a CRC32C is computed anew for the new header).
    All,
    /// None.
    None,
    /// Those of these types, in their order on the wire.
    Types(&'a [TlvType]),
}

/// Why a header could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// v1 carries no TLVs.
    V1CarriesNoTlvs,
    /// v1 carries TCP over IPv4 or IPv6 only.
    V1IsTcpOnly,
    /// The source and destination are of different families.
    MixedFamilies,
    /// The header (its TLVs) breaks a rule of the spec, or is too long.
    Write(WriteError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::V1CarriesNoTlvs => f.write_str("a v1 header carries no TLVs"),
            BuildError::V1IsTcpOnly => {
                f.write_str("a v1 header carries TCP over IPv4 or IPv6 only")
            }
            BuildError::MixedFamilies => {
                f.write_str("the source and the destination are not of the same family")
            }
            BuildError::Write(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for BuildError {}

/// The connection a header describes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Connection {
    /// A health check or the proxy's own connection.
    Local,
    /// The addresses are not known (v1 `UNKNOWN`, v2 UNSPEC).
    Unknown,
    Inet {
        protocol: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
    },
    Unix {
        protocol: Protocol,
        source: Vec<u8>,
        destination: Vec<u8>,
    },
}

/// A header to send, owned and built step by step.
///
/// ```
/// use proxy_hdr::v2::TlvType;
/// use proxy_hdr_io::Outbound;
/// let client = "203.0.113.9:40000".parse().unwrap();
/// let server = "192.0.2.1:443".parse().unwrap();
/// let wire = Outbound::v2(client, server)
///     .tlv(TlvType::Authority, b"example.com")
///     .crc32c()
///     .encode_with(b"\x16\x03\x01")
///     .unwrap();
/// let Ok(proxy_hdr::Status::Complete { header, len }) = proxy_hdr::parse(&wire) else { panic!() };
/// assert_eq!(header.source(), Some(client));
/// assert!(header.tlvs().crc32c().is_some());
/// assert_eq!(&wire[len..], b"\x16\x03\x01");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    version: Version,
    connection: Connection,
    tlvs: Vec<(u8, Vec<u8>)>,
    crc32c: bool,
}

impl Outbound {
    /// A v1 line for a TCP connection from `source` to `destination`.
    pub fn v1(source: SocketAddr, destination: SocketAddr) -> Self {
        Self::v2(source, destination).with_version(Version::V1)
    }

    /// A v2 header for a TCP connection from `source` to `destination`
    /// (see [`with_protocol`](Self::with_protocol) for UDP).
    pub fn v2(source: SocketAddr, destination: SocketAddr) -> Self {
        let connection = Connection::Inet { protocol: Protocol::Stream, source, destination };
        Outbound { version: Version::V2, connection, tlvs: Vec::new(), crc32c: false }
    }

    /// A v2 LOCAL header (a health check).
    pub fn local() -> Self {
        Outbound {
            version: Version::V2,
            connection: Connection::Local,
            tlvs: Vec::new(),
            crc32c: false,
        }
    }

    /// A header whose addresses are unknown (v1 `UNKNOWN`, v2 UNSPEC).
    pub fn unknown(version: Version) -> Self {
        Outbound { version, connection: Connection::Unknown, tlvs: Vec::new(), crc32c: false }
    }

    /// The upstream header of a relay that accepted `header`: its addresses,
    /// version and the TLVs `keep` names, re-encoded (never copied as raw
    /// bytes: whatever is dropped, the result is one well-formed header).
    /// A CRC32C is computed anew when the accepted header had one and
    /// [`Keep::All`] keeps it.
    pub fn from_header(header: &Header<'_>, keep: Keep<'_>) -> Self {
        let connection = match (header.command(), header.protocol(), header.addresses()) {
            (Command::Local, ..) => Connection::Local,
            (_, Some(protocol), Some(Addresses::Unix { source, destination })) => {
                Connection::Unix {
                    protocol,
                    source: source.as_bytes().to_vec(),
                    destination: destination.as_bytes().to_vec(),
                }
            }
            (_, Some(protocol), Some(addresses)) => {
                match (addresses.source(), addresses.destination()) {
                    (Some(source), Some(destination)) => {
                        Connection::Inet { protocol, source, destination }
                    }
                    _ => Connection::Unknown,
                }
            }
            _ => Connection::Unknown,
        };
        let mut out =
            Outbound { version: header.version(), connection, tlvs: Vec::new(), crc32c: false };
        for tlv in header.tlvs() {
            let kind = tlv.kind();
            let wanted = match keep {
                Keep::All => true,
                Keep::None => false,
                Keep::Types(types) => types.contains(&kind),
            };
            if !wanted {
                continue;
            }
            if kind == TlvType::Crc32c {
                out.crc32c = true;
            } else {
                out.tlvs.push((tlv.raw_kind(), tlv.value().to_vec()));
            }
        }
        out
    }

    /// The same header in another version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// The same header for a connection over `protocol` (UDP: `Dgram`).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        if let Connection::Inet { protocol: p, .. } | Connection::Unix { protocol: p, .. } =
            &mut self.connection
        {
            *p = protocol;
        }
        self
    }

    /// The same header with other addresses (a relay that rewrites them).
    pub fn with_addresses(mut self, source: SocketAddr, destination: SocketAddr) -> Self {
        let protocol = match self.connection {
            Connection::Inet { protocol, .. } | Connection::Unix { protocol, .. } => protocol,
            _ => Protocol::Stream,
        };
        self.connection = Connection::Inet { protocol, source, destination };
        self
    }

    /// Adds a TLV (v2 only).
    pub fn tlv(mut self, kind: TlvType, value: &[u8]) -> Self {
        if kind == TlvType::Crc32c {
            self.crc32c = true;
        } else {
            self.tlvs.push((u8::from(kind), value.to_vec()));
        }
        self
    }

    /// Adds an AUTHORITY TLV (the host name the client asked for).
    pub fn authority(self, host: &str) -> Self {
        self.tlv(TlvType::Authority, host.as_bytes())
    }

    /// Adds a CRC32C TLV, last, computed over the written header.
    pub fn crc32c(mut self) -> Self {
        self.crc32c = true;
        self
    }

    /// The header's bytes.
    pub fn encode(&self) -> Result<Vec<u8>, BuildError> {
        self.encode_with(&[])
    }

    /// The header's bytes followed by `first` (the client's first bytes),
    /// ready for one write.
    pub fn encode_with(&self, first: &[u8]) -> Result<Vec<u8>, BuildError> {
        match self.version {
            Version::V1 => self
                .v1_line()
                .and_then(|h| crate::send::wire(&Header::V1(h), first).map_err(BuildError::Write)),
            Version::V2 => {
                let needed = self.tlvs.iter().map(|(_, v)| 3 + v.len()).sum::<usize>()
                    + if self.crc32c { 7 } else { 0 };
                let mut storage = alloc::vec![0u8; needed];
                let mut writer = TlvWriter::new(&mut storage);
                for (kind, value) in &self.tlvs {
                    writer.push(TlvType::from(*kind), value).map_err(BuildError::Write)?;
                }
                if self.crc32c {
                    writer.crc32c().map_err(BuildError::Write)?;
                }
                let tlvs = writer.finish().map_err(BuildError::Write)?;
                let header = self.v2_header()?.with_tlvs(tlvs);
                crate::send::wire(&Header::V2(header), first).map_err(BuildError::Write)
            }
        }
    }

    fn v1_line(&self) -> Result<v1::Header, BuildError> {
        if !self.tlvs.is_empty() || self.crc32c {
            return Err(BuildError::V1CarriesNoTlvs);
        }
        match &self.connection {
            Connection::Local | Connection::Unknown => Ok(v1::Header::UNKNOWN),
            Connection::Inet { protocol: Protocol::Stream, source, destination } => {
                let addresses = Addresses::from_sockets(*source, *destination)
                    .ok_or(BuildError::MixedFamilies)?;
                v1::Header::from_addresses(addresses).ok_or(BuildError::V1IsTcpOnly)
            }
            _ => Err(BuildError::V1IsTcpOnly),
        }
    }

    fn v2_header(&self) -> Result<v2::Header<'_>, BuildError> {
        Ok(match &self.connection {
            Connection::Local => v2::Header::local(),
            Connection::Unknown => v2::Header::proxy_unspec(),
            Connection::Inet { protocol, source, destination } => {
                let addresses = Addresses::from_sockets(*source, *destination)
                    .ok_or(BuildError::MixedFamilies)?;
                v2::Header::proxy(*protocol, addresses)
            }
            Connection::Unix { protocol, source, destination } => v2::Header::proxy(
                *protocol,
                Addresses::Unix {
                    source: unix_path(source)?,
                    destination: unix_path(destination)?,
                },
            ),
        })
    }
}

/// A unix path copied from a parsed header (so valid: at most 108 bytes, no NUL).
fn unix_path(path: &[u8]) -> Result<UnixAddr<'_>, BuildError> {
    UnixAddr::new(path).ok_or(BuildError::Write(WriteError::TooLong))
}
