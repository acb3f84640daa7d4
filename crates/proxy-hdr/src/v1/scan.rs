//! Scanners for the v1 line's address and port fields (§2.1).
//!
//! They are hand-written rather than built on `core::net`'s `FromStr` for two
//! reasons: they must stop at the first byte that cannot belong to a valid
//! field (so an invalid header is reported as soon as it is visible, and a
//! valid prefix is merely incomplete), and they are on the hot path of every
//! v1 header. Each returns the value and the number of bytes it consumed, or
//! where it stopped.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Why a scanner stopped without a value (the v1 parser maps it to its
/// `Stop`, choosing the error from the field it was scanning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// More input is needed to decide.
    Incomplete,
    /// The byte at this offset cannot continue a valid field.
    At(usize),
    /// A dotted quad where an IPv6 address was expected.
    Ipv4InIpv6,
}

type Scan<T> = Result<(T, usize), Halt>;

fn byte(input: &[u8], pos: usize) -> Result<u8, Halt> {
    input.get(pos).copied().ok_or(Halt::Incomplete)
}

#[inline(always)]
fn hex(b: u8) -> Option<u16> {
    // Two range checks: a decimal digit, or a letter a-f in either case.
    let decimal = b.wrapping_sub(b'0');
    if decimal < 10 {
        return Some(u16::from(decimal));
    }
    let letter = (b | 0x20).wrapping_sub(b'a');
    if letter < 6 { Some(u16::from(letter) + 10) } else { None }
}

/// The value of a decimal digit, or a value above 9 for any other byte.
const fn digit(b: u8) -> u32 {
    b.wrapping_sub(b'0') as u32
}

/// A port: 0..=65535, no sign, no leading zeros. Stops at the first
/// non-digit, which is not consumed.
#[inline(always)]
pub(crate) fn port(input: &[u8]) -> Scan<u16> {
    let first = digit(byte(input, 0)?);
    if first > 9 {
        return Err(Halt::At(0));
    }
    let mut value = first;
    let mut pos = 1;
    loop {
        let d = digit(byte(input, pos)?);
        if d > 9 {
            // At most five digits got here, so the value fits.
            return Ok((value as u16, pos));
        }
        value = value * 10 + d;
        // A digit after a leading zero, or one that overflows, is where the
        // field went wrong; `value` stays below 10^6.
        if first == 0 || value > u32::from(u16::MAX) {
            return Err(Halt::At(pos));
        }
        pos += 1;
    }
}

/// A dotted quad: exactly four parts 0..=255 without leading zeros.
#[inline(always)]
pub(crate) fn ipv4(input: &[u8]) -> Scan<Ipv4Addr> {
    // The usual case: a whole quad's worth of bytes (15, and the byte after
    // it) is there, so every read is in bounds by construction.
    match input.first_chunk::<16>() {
        Some(window) => dotted_quad(|pos| byte(window, pos & 15)),
        None => dotted_quad(|pos| byte(input, pos)),
    }
}

/// The dotted-quad scanner over a byte source; it never reads past offset
/// 15 (four 3-digit parts, three dots, then the byte that ends them).
#[inline(always)]
fn dotted_quad(byte: impl Fn(usize) -> Result<u8, Halt>) -> Scan<Ipv4Addr> {
    let mut addr: u32 = 0;
    let mut pos = 0;
    for part in 0..4 {
        if part > 0 {
            if byte(pos)? != b'.' {
                return Err(Halt::At(pos));
            }
            pos += 1;
        }
        let mut value = digit(byte(pos)?);
        if value > 9 {
            return Err(Halt::At(pos));
        }
        pos += 1;
        // Up to two more digits; a fourth is left for the caller to trip on.
        for _ in 0..2 {
            let d = digit(byte(pos)?);
            if d > 9 {
                break;
            }
            if value == 0 {
                return Err(Halt::At(pos)); // leading zero
            }
            value = value * 10 + d;
            if value > 255 {
                return Err(Halt::At(pos));
            }
            pos += 1;
        }
        addr = (addr << 8) | value;
    }
    Ok((Ipv4Addr::from(addr), pos))
}

fn shift(stop: Halt, by: usize) -> Halt {
    match stop {
        Halt::At(at) => Halt::At(at + by),
        other => other,
    }
}

/// An IPv6 address in RFC 4291 §2.2 text form: groups of 1-4 hex digits,
/// at most one `::`, and an optional dotted quad in the last 32 bits.
/// Scope zones (`%eth0`) are not part of it: the `%` is where it stops.
pub(crate) fn ipv6(input: &[u8]) -> Scan<Ipv6Addr> {
    // As for the dotted quad: with the longest address's worth of bytes at
    // hand (45, and the byte after it), every read is in bounds by
    // construction, so the per-byte bounds checks fold away.
    match input.first_chunk::<IPV6_WINDOW>() {
        // The groups never read past offset 41 (32 digits, 8 colons and the
        // byte after), so the clamp only tells the compiler.
        Some(window) => hex_groups(input, |pos| byte(window, pos.min(IPV6_WINDOW - 1))),
        None => hex_groups(input, |pos| byte(input, pos)),
    }
}

/// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255` and the byte after it.
const IPV6_WINDOW: usize = 46;

/// The IPv6 scanner over a byte source that reads `input`.
#[inline(always)]
fn hex_groups(input: &[u8], byte: impl Fn(usize) -> Result<u8, Halt>) -> Scan<Ipv6Addr> {
    let mut groups = [0u16; 8];
    let mut count = 0; // groups written
    let mut gap: Option<usize> = None; // index in `groups` where `::` stands
    let mut pos = 0;

    if byte(0)? == b':' {
        if byte(1)? != b':' {
            return Err(Halt::At(1));
        }
        gap = Some(0);
        pos = 2;
    }
    let mut after_gap = gap.is_some();

    loop {
        let start = pos;
        let mut b = byte(pos)?;
        // Room for a group here: the explicit ones, at least one zero group
        // for `::`, and this one. Decided at its first digit.
        if hex(b).is_some() && count + usize::from(gap.is_some()) >= 8 {
            return Err(Halt::At(pos));
        }
        let mut value: u16 = 0;
        while let Some(digit) = hex(b) {
            if pos - start == 4 {
                return Err(Halt::At(pos));
            }
            value = (value << 4) | digit;
            pos += 1;
            b = byte(pos)?;
        }
        let next = b;

        if pos == start {
            // No group here: only the end of an address that ends in `::`.
            if after_gap {
                return finish(groups, count, gap, pos);
            }
            return Err(Halt::At(pos));
        }

        if next == b'.' {
            if count == 0 && gap.is_none() {
                return Err(Halt::Ipv4InIpv6);
            }
            let fits = match gap {
                None => count == 6,
                Some(_) => count + 2 < 8,
            };
            if !fits {
                return Err(Halt::At(pos));
            }
            let rest = input.get(start..).unwrap_or_default();
            let (v4, len) = ipv4(rest).map_err(|stop| shift(stop, start))?;
            let [a, b, c, d] = v4.octets();
            if let Some(slots) = groups.get_mut(count..count + 2) {
                slots.copy_from_slice(&[u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
            }
            return finish(groups, count + 2, gap, start + len);
        }

        if let Some(slot) = groups.get_mut(count) {
            *slot = value;
        }
        count += 1;
        after_gap = false;

        if next != b':' {
            return finish(groups, count, gap, pos);
        }
        if byte(pos + 1)? == b':' {
            if gap.is_some() || count >= 8 {
                return Err(Halt::At(pos + 1));
            }
            gap = Some(count);
            after_gap = true;
            pos += 2;
        } else {
            // A single colon promises another group.
            if count + usize::from(gap.is_some()) >= 8 {
                return Err(Halt::At(pos));
            }
            pos += 1;
        }
    }
}

/// Places the groups around the `::` gap, or rejects a short address.
fn finish(groups: [u16; 8], count: usize, gap: Option<usize>, pos: usize) -> Scan<Ipv6Addr> {
    let Some(at) = gap else {
        return if count == 8 { Ok((Ipv6Addr::from(groups), pos)) } else { Err(Halt::At(pos)) };
    };
    let mut full = [0u16; 8];
    let tail = count - at;
    if let (Some(head), Some(dst_head)) = (groups.get(..at), full.get_mut(..at)) {
        dst_head.copy_from_slice(head);
    }
    if let (Some(src_tail), Some(dst_tail)) = (groups.get(at..count), full.get_mut(8 - tail..)) {
        dst_tail.copy_from_slice(src_tail);
    }
    Ok((Ipv6Addr::from(full), pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// Runs a scanner over `text` followed by a space, as in a header line.
    fn whole<T>(scan: fn(&[u8]) -> Scan<T>, text: &str) -> Option<T> {
        let mut input = Vec::from(text.as_bytes());
        input.push(b' ');
        match scan(&input) {
            Ok((value, len)) if len == text.len() => Some(value),
            _ => None,
        }
    }

    #[test]
    fn ports() {
        for (text, want) in [
            ("0", Some(0)),
            ("1", Some(1)),
            ("443", Some(443)),
            ("65535", Some(65535)),
            ("65536", None),
            ("99999", None),
            ("100000", None),
            ("080", None),
            ("00", None),
            ("+80", None),
            ("-1", None),
            ("", None),
        ] {
            assert_eq!(whole(port, text), want, "port {text:?}");
        }
    }

    #[test]
    fn port_errors_point_at_the_first_bad_digit() {
        assert_eq!(port(b"65536 "), Err(Halt::At(4)));
        assert_eq!(port(b"01"), Err(Halt::At(1)));
        assert_eq!(port(b"655"), Err(Halt::Incomplete));
        assert_eq!(port(b"x"), Err(Halt::At(0)));
    }

    #[test]
    fn ipv4_cases() {
        for (text, ok) in [
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("192.168.0.1", true),
            ("256.0.0.1", false),
            ("1.2.3", false),
            ("1.2.3.4.5", false),
            ("01.2.3.4", false),
            ("1.2.3.04", false),
            ("1..2.3", false),
            ("1.2.3.-4", false),
            ("1.2.3.1000", false),
        ] {
            let got = whole(ipv4, text);
            assert_eq!(got.is_some(), ok, "ipv4 {text:?}");
            if ok {
                assert_eq!(got, text.parse().ok(), "ipv4 value {text:?}");
            }
        }
    }

    #[test]
    fn ipv6_cases() {
        for (text, ok) in [
            ("::", true),
            ("::1", true),
            ("1::", true),
            ("2001:db8::8:800:200c:417a", true),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("1:2:3:4:5:6:7::", true),
            ("::2:3:4:5:6:7:8", true),
            ("::ffff:192.0.2.1", true),
            ("::192.0.2.1", true),
            ("1:2:3:4:5:6:1.2.3.4", true),
            ("FE80::ABCD", true),
            ("1:2:3:4:5:6:7:8::", false),
            ("1:2:3:4:5:6:7:8:9", false),
            ("1::2::3", false),
            (":1::", false),
            ("1:", false),
            ("12345::", false),
            ("1:2:3:4:5:6:7:1.2.3.4", false),
            ("::1.2.3", false),
            ("::01.2.3.4", false),
            ("fe80::1%eth0", false),
            ("g::", false),
            (":::", false),
            ("1:2:3:4:5:6:7", false),
        ] {
            let got = whole(ipv6, text);
            assert_eq!(got.is_some(), ok, "ipv6 {text:?}");
            if ok {
                assert_eq!(got, text.parse().ok(), "ipv6 value {text:?}");
            }
        }
        assert_eq!(ipv6(b"1.2.3.4 "), Err(Halt::Ipv4InIpv6));
    }

    /// A small xorshift generator, so the differential test needs no crate.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Our scanners accept exactly what the standard library accepts, with
    /// the same value, over random strings biased towards address syntax.
    #[test]
    fn agrees_with_core_net_on_random_text() {
        let alphabet = b"0123456789abcdefABCDEF:.::..0011";
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..300_000 {
            let len = (next(&mut state) % 24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next(&mut state) % alphabet.len() as u64) as usize] as char)
                .collect();
            assert_eq!(whole(ipv6, &text), text.parse::<Ipv6Addr>().ok(), "ipv6 {text:?}");
            assert_eq!(whole(ipv4, &text), text.parse::<Ipv4Addr>().ok(), "ipv4 {text:?}");
        }
        // Every address std prints round-trips through our scanner.
        for _ in 0..50_000 {
            let bits = (u128::from(next(&mut state)) << 64) | u128::from(next(&mut state));
            // Clear random groups so `::` compression is exercised.
            let mask = next(&mut state);
            let mut addr = bits;
            for g in 0..8 {
                if mask >> g & 1 == 1 {
                    addr &= !(0xffffu128 << (16 * g));
                }
            }
            let v6 = Ipv6Addr::from(addr);
            let text = std::format!("{v6}");
            assert_eq!(whole(ipv6, &text), Some(v6), "{text}");
        }
    }

    /// A prefix of a valid field never looks invalid.
    #[test]
    fn prefixes_are_incomplete() {
        let text = b"2001:db8:0:0:1:0:192.168.100.200 ";
        for end in 0..text.len() - 1 {
            assert_eq!(ipv6(&text[..end]).map(|_| ()), Err(Halt::Incomplete), "{end}");
        }
    }
}
