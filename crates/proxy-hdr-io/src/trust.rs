//! Which peers may send a PROXY header (§5: accept it only from known
//! sources, or any client can claim any address).
//!
//! Trust fails closed: when the peer's address is unknown (a unix socket, an
//! in-memory stream), only a trust that accepts every peer ([`AnyPeer`])
//! lets a header through. Peers are compared in canonical form: an
//! IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as dual-stack sockets report
//! IPv4 peers) is the IPv4 address it maps.

use core::fmt;
use core::net::IpAddr;
use core::str::FromStr;

/// Decides whether a peer may send a header.
pub trait Trust {
    /// True when `peer` (the socket's remote address, canonical) may send a
    /// header.
    fn is_trusted(&self, peer: IpAddr) -> bool;

    /// True when a peer whose address is unknown may send a header. Only a
    /// trust that accepts everyone should say so.
    fn trusts_unknown(&self) -> bool {
        false
    }
}

/// The address as compared and reported: `::ffff:a.b.c.d` as `a.b.c.d`.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `peer` may send a header under `trust`: unknown peers only when
/// the trust accepts everyone.
pub(crate) fn allows<T: Trust + ?Sized>(trust: &T, peer: Option<IpAddr>) -> bool {
    match peer {
        Some(ip) => trust.is_trusted(canonical(ip)),
        None => trust.trusts_unknown(),
    }
}

/// Every peer is trusted: for listeners only proxies can reach (a port
/// firewalled to the load balancer, a unix socket only it can open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnyPeer;

impl Trust for AnyPeer {
    fn is_trusted(&self, _: IpAddr) -> bool {
        true
    }

    fn trusts_unknown(&self) -> bool {
        true
    }
}

impl<F: Fn(IpAddr) -> bool> Trust for F {
    fn is_trusted(&self, peer: IpAddr) -> bool {
        self(peer)
    }
}

/// An address block such as `10.0.0.0/8` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// Why a CIDR block was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CidrError {
    /// Not an address, or an address and a decimal prefix length.
    Syntax,
    /// The prefix is longer than the address (33+ for IPv4, 129+ for IPv6).
    PrefixTooLong,
    /// An IPv4-mapped block (`::ffff:0:0/96` and longer prefixes are IPv4
    /// blocks, written as such) with a prefix shorter than 96: it spans
    /// more than the mapped range, which peers never show.
    MappedPrefixTooShort,
    /// More blocks than the list's capacity.
    Full,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CidrError::Syntax => {
                "not an address block (expected e.g. 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7)"
            }
            CidrError::PrefixTooLong => "the prefix is longer than the address",
            CidrError::MappedPrefixTooShort => {
                "an IPv4-mapped block (::ffff:a.b.c.d/n) needs a prefix of at least 96; \
                 write the IPv4 block instead"
            }
            CidrError::Full => "more address blocks than the list holds",
        })
    }
}

impl core::error::Error for CidrError {}

impl Cidr {
    /// A block of `prefix` leading bits. An IPv4-mapped IPv6 block with a
    /// prefix of 96 or more is stored as the IPv4 block it maps, so that it
    /// matches the (canonical) peers it is meant for.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, CidrError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(CidrError::PrefixTooLong);
        }
        if let IpAddr::V6(v6) = addr
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            let v4_prefix = prefix.checked_sub(96).ok_or(CidrError::MappedPrefixTooShort)?;
            return Ok(Cidr { addr: IpAddr::V4(v4), prefix: v4_prefix });
        }
        Ok(Cidr { addr, prefix })
    }

    /// The block's (canonical) address and prefix length.
    pub fn parts(&self) -> (IpAddr, u8) {
        (self.addr, self.prefix)
    }

    /// True when `ip` lies in the block (compared in canonical form).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// `a.b.c.d/n`, `v6/n`, or a bare address (a single host).
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| CidrError::Syntax)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| CidrError::Syntax)?
            }
            Some(_) => return Err(CidrError::Syntax),
            None => max,
        };
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Trust for Cidr {
    fn is_trusted(&self, peer: IpAddr) -> bool {
        self.contains(peer)
    }
}

impl Trust for [Cidr] {
    fn is_trusted(&self, peer: IpAddr) -> bool {
        self.iter().any(|b| b.contains(peer))
    }
}

#[cfg(feature = "std")]
impl Trust for alloc::vec::Vec<Cidr> {
    fn is_trusted(&self, peer: IpAddr) -> bool {
        self.as_slice().is_trusted(peer)
    }
}

/// Up to `N` address blocks, in fixed capacity: the peers in any of them are
/// trusted.
///
/// ```
/// use proxy_hdr_io::{CidrList, Trust};
/// let list: CidrList<4> = CidrList::parse(["10.0.0.0/8", "::1"]).unwrap();
/// assert!(list.is_trusted("10.1.2.3".parse().unwrap()));
/// assert!(!list.is_trusted("192.0.2.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrList<const N: usize> {
    blocks: heapless::Vec<Cidr, N>,
}

impl<const N: usize> CidrList<N> {
    /// An empty list: trusts nobody.
    pub const fn new() -> Self {
        CidrList { blocks: heapless::Vec::new() }
    }

    /// Loopback only: `127.0.0.0/8` and `::1` (needs `N >= 2`).
    pub fn loopback() -> Result<Self, CidrError> {
        Self::parse(["127.0.0.0/8", "::1/128"])
    }

    /// Adds a block; gives it back when the list is full.
    pub fn push(&mut self, block: Cidr) -> Result<(), Cidr> {
        self.blocks.push(block)
    }

    /// Parses every block; fails on a bad block or when more than `N` are given.
    pub fn parse<'s>(blocks: impl IntoIterator<Item = &'s str>) -> Result<Self, CidrError> {
        let mut list = Self::new();
        for block in blocks {
            list.push(block.parse()?).map_err(|_| CidrError::Full)?;
        }
        Ok(list)
    }

    /// The blocks.
    pub fn blocks(&self) -> &[Cidr] {
        &self.blocks
    }
}

impl<const N: usize> Trust for CidrList<N> {
    fn is_trusted(&self, peer: IpAddr) -> bool {
        self.blocks.is_trusted(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let cases = [
            ("10.0.0.0/8", "10.255.0.1", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "192.0.2.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::5", false),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true),
            ("::/0", "127.0.0.1", false),
            // Written in IPv4-mapped form: canonicalized to the IPv4 block.
            ("::ffff:127.0.0.1", "127.0.0.1", true),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1", true),
            ("::ffff:10.0.0.0/104", "10.9.9.9", true),
            ("::ffff:10.0.0.0/104", "11.0.0.1", false),
        ];
        for (block, ip, want) in cases {
            let block: Cidr = block.parse().unwrap();
            assert_eq!(block.contains(ip.parse().unwrap()), want, "{block} {ip}");
        }
        let mapped: Cidr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(mapped.parts(), ("127.0.0.1".parse().unwrap(), 32));
        let bad = [
            ("10.0.0.0/33", CidrError::PrefixTooLong),
            ("::/129", CidrError::PrefixTooLong),
            ("10.0.0.0/", CidrError::Syntax),
            ("10.0.0.0/+8", CidrError::Syntax),
            ("10.0.0.0/0008", CidrError::Syntax),
            ("x/8", CidrError::Syntax),
            ("::ffff:10.0.0.0/64", CidrError::MappedPrefixTooShort),
        ];
        for (text, want) in bad {
            assert_eq!(text.parse::<Cidr>(), Err(want), "{text}");
        }
    }

    /// A configured trust list fails closed when the peer is unknown.
    #[test]
    fn unknown_peers_only_under_any_peer() {
        let list: CidrList<2> = CidrList::loopback().unwrap();
        assert!(!allows(&list, None));
        assert!(!allows(&|_: IpAddr| true, None), "a closure cannot vouch for an unknown peer");
        assert!(allows(&AnyPeer, None));
        assert!(allows(&list, Some("::ffff:127.0.0.9".parse().unwrap())));
        assert!(!allows(&list, Some("::ffff:10.0.0.1".parse().unwrap())));
    }
}
