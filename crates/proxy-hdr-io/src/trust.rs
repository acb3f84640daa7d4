//! Which peers may send a PROXY header (§5: accept it only from known
//! sources, or any client can claim any address).

use core::fmt;
use core::net::IpAddr;
use core::str::FromStr;

/// Decides whether a peer may send a header.
pub trait Trust {
    /// True when `peer` (the socket's remote address) may send a header.
    fn is_trusted(&self, peer: IpAddr) -> bool;
}

/// Every peer is trusted: for listeners only proxies can reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnyPeer;

impl Trust for AnyPeer {
    fn is_trusted(&self, _: IpAddr) -> bool {
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

/// A CIDR block that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidrError;

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an address block (expected e.g. 10.0.0.0/8 or 2001:db8::/32)")
    }
}

impl core::error::Error for CidrError {}

impl Cidr {
    /// A block of `prefix` leading bits; `None` if the prefix is longer than
    /// the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// True when `ip` lies in the block. An IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`, as dual-stack sockets report IPv4 peers) matches
    /// the IPv4 block it maps to.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
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
        let addr: IpAddr = addr.parse().map_err(|_| CidrError)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| CidrError)?
            }
            Some(_) => return Err(CidrError),
            None => max,
        };
        Cidr::new(addr, prefix).ok_or(CidrError)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Up to `N` address blocks, in fixed capacity: the peers in any of them are
/// trusted.
///
/// ```
/// use proxy_hdr_io::{CidrList, Trust};
/// let list: CidrList<4> = CidrList::parse(["10.0.0.0/8", "::1"]).unwrap();
/// assert!(list.is_trusted("10.1.2.3".parse().unwrap()));
/// assert!(list.is_trusted("::ffff:10.9.9.9".parse().unwrap()));
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

    /// Adds a block; gives it back when the list is full.
    pub fn push(&mut self, block: Cidr) -> Result<(), Cidr> {
        self.blocks.push(block)
    }

    /// Parses every block; fails on a bad block or when more than `N` are given.
    pub fn parse<'s>(blocks: impl IntoIterator<Item = &'s str>) -> Result<Self, CidrError> {
        let mut list = Self::new();
        for block in blocks {
            list.push(block.parse()?).map_err(|_| CidrError)?;
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
        self.blocks.iter().any(|b| b.contains(peer))
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
        ];
        for (block, ip, want) in cases {
            let block: Cidr = block.parse().unwrap();
            assert_eq!(block.contains(ip.parse().unwrap()), want, "{block} {ip}");
        }
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/+8", "x/8", "::/129"] {
            assert_eq!(bad.parse::<Cidr>(), Err(CidrError), "{bad}");
        }
    }
}
