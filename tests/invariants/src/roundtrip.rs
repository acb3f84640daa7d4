//! The writer target: arbitrary headers written, parsed back and owned.

use arbitrary::{Arbitrary, Unstructured};
use proxy_hdr::v2::{ClientFlags, SslSubtype, TlvWriter, Tlvs};
use proxy_hdr::{BoxedHeader, Header, InlineHeader, Status, WriteError, parse};

use crate::parse::check_tlv_views;

/// An SSL TLV to write: client flags, verify result, sub-TLVs (raw subtype bytes).
type SslSpec<'a> = (u8, u32, Vec<(u8, &'a [u8])>);

/// Where to put CRC32C TLVs, which the writer fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Crc {
    /// No CRC32C TLV.
    None,
    /// Before every other TLV.
    First,
    /// After every other TLV.
    Last,
    /// One first and one last: the parser checks each, so the writer fills
    /// in both.
    Both,
}

/// What the `roundtrip` target decodes from its input: a header from the
/// core's `Arbitrary`, TLVs appended by the writer, and the short buffer
/// lengths to try.
#[derive(Debug)]
pub struct RoundTrip<'a> {
    /// The header; for v2 its `Arbitrary` TLVs are written first (after a
    /// leading CRC32C, if any).
    pub header: Header<'a>,
    /// More TLVs `(type, value)` pushed with [`TlvWriter::push`]; an entry
    /// the parser would refuse is skipped.
    pub tlvs: Vec<(u8, &'a [u8])>,
    /// An SSL TLV pushed with [`TlvWriter::ssl`], if its sub-TLVs are valid.
    pub ssl: Option<SslSpec<'a>>,
    /// CRC32C TLVs to add.
    pub crc: Crc,
    /// Picks a buffer length shorter than the header (besides one byte short).
    pub short: u16,
}

impl<'a> Arbitrary<'a> for RoundTrip<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(RoundTrip {
            header: u.arbitrary()?,
            tlvs: u.arbitrary()?,
            ssl: u.arbitrary()?,
            crc: u.arbitrary()?,
            short: u.arbitrary()?,
        })
    }
}

impl<'a> RoundTrip<'a> {
    /// Decodes the target's input exactly as the fuzzer does; `None` when
    /// the bytes run out before a case is whole.
    pub fn decode(data: &'a [u8]) -> Option<Self> {
        RoundTrip::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

/// A sentinel the refused writes must leave in place.
const UNTOUCHED: u8 = 0xA5;

/// Writes an arbitrary header and parses it back: equal, with the length the
/// writer announced; the owned copy agrees; a buffer too small (one byte
/// short, and a random shorter length) is refused and left untouched.
pub fn roundtrip(data: &[u8]) {
    let Some(case) = RoundTrip::decode(data) else { return };
    let mut storage = vec![0u8; 4096];
    let header = match case.header {
        Header::V2(h) => Header::V2(h.with_tlvs(build_tlvs(&mut storage, h.tlvs(), &case))),
        v1 => v1,
    };
    let len = header.encoded_len();
    let mut out = vec![UNTOUCHED; len];
    // A header value cannot disagree with itself, so none is refused.
    let n = header.write(&mut out).unwrap_or_else(|e| panic!("refused {header:?}: {e}"));
    assert_eq!(n, len, "write returned a length other than encoded_len");
    match parse(&out) {
        Ok(Status::Complete { header: back, len: parsed }) => {
            assert_eq!(parsed, len, "parsed length");
            assert_eq!(back, header, "parse(write(h)) != h");
            check_tlv_views(back.tlvs());
        }
        other => panic!("parse(write({header:?})) = {other:?}"),
    }
    let owned = InlineHeader::<4096>::new(&header).expect("4096 bytes hold any TLVs here");
    assert_eq!(owned.header(), header, "the owned copy differs");
    let boxed = BoxedHeader::new(&header).expect("a box holds any header");
    assert_eq!(boxed.header(), header, "the boxed copy differs");

    for short in [len - 1, usize::from(case.short) % len] {
        let mut small = vec![UNTOUCHED; short];
        assert_eq!(
            header.write(&mut small),
            Err(WriteError::BufferTooSmall { needed: len }),
            "writing {len} bytes into {short}"
        );
        assert!(small.iter().all(|&b| b == UNTOUCHED), "a refused write touched its buffer");
    }
}

/// The header's own TLVs, then the case's entries, each pushed by the
/// writer when the parser would accept it alone (TLVs are validated one by
/// one, so the list stays valid), and CRC32C where the case puts it.
fn build_tlvs<'s>(storage: &'s mut [u8], own: Tlvs<'_>, case: &RoundTrip<'_>) -> Tlvs<'s> {
    let mut w = TlvWriter::new(storage);
    if matches!(case.crc, Crc::First | Crc::Both) {
        let _ = w.crc32c();
    }
    for tlv in own {
        let _ = w.push(tlv.kind(), tlv.value());
    }
    for &(kind, value) in &case.tlvs {
        if valid_alone(kind, value) {
            let _ = w.push(kind.into(), value);
        }
    }
    if let Some((client, verify, subs)) = &case.ssl {
        let client = ClientFlags::from_bits(*client);
        let subs: Vec<(SslSubtype, &[u8])> = subs.iter().map(|&(k, v)| (k.into(), v)).collect();
        let subs = &subs;
        let mut probe = [0u8; 4096];
        let mut alone = TlvWriter::new(&mut probe);
        if alone.ssl(client, *verify, subs).is_ok() && alone.finish().is_ok() {
            let _ = w.ssl(client, *verify, subs);
        }
    }
    if matches!(case.crc, Crc::Last | Crc::Both) {
        let _ = w.crc32c();
    }
    w.finish().expect("TLVs valid one by one make a valid list")
}

/// Whether the parser accepts this TLV on its own.
fn valid_alone(kind: u8, value: &[u8]) -> bool {
    let Ok(len) = u16::try_from(value.len()) else { return false };
    let mut one = vec![kind];
    one.extend_from_slice(&len.to_be_bytes());
    one.extend_from_slice(value);
    Tlvs::new(&one).is_ok()
}
