//! Every conformance vector through the driver, read in 1-byte chunks, at
//! every two-part split and in seeded random chunkings: the same header or
//! error as a one-shot parse, and the leftover followed by the rest of the
//! stream is exactly the input after the header.

mod common;

use common::{Chunked, Rng};
use conformance::{Expect, Vector, header_expect};
use proxy_hdr_io::{Config, Error, MAX_HEADER_LEN, Rewind, read_header};

fn vectors() -> Vec<Vector> {
    let vectors = conformance::committed_vectors();
    assert!(vectors.len() >= 150, "only {} vectors", vectors.len());
    vectors
}

/// The driver's result, in a form comparable across chunkings.
fn drive(input: &[u8], sizes: &[usize]) -> Result<(serde_json::Value, Vec<u8>), String> {
    let mut stream = Chunked::new(input, sizes);
    let mut buf = vec![0u8; MAX_HEADER_LEN + 64];
    let config = Config::new().with_max_header_len(MAX_HEADER_LEN);
    match read_header(&mut stream, None, &mut buf, &config) {
        Ok(accepted) => {
            let header = accepted.header.expect("Require policy reports the header");
            let expect = header_expect(&header, accepted.header_len);
            let mut rest = Rewind::new(&mut stream, accepted.leftover);
            let mut after = Vec::new();
            let mut chunk = [0u8; 37];
            loop {
                match embedded_io::Read::read(&mut rest, &mut chunk) {
                    Ok(0) => break,
                    Ok(n) => after.extend_from_slice(&chunk[..n]),
                    Err(never) => match never {},
                }
            }
            Ok((expect, after))
        }
        Err(Error::Invalid(e)) => Err(format!("invalid {}", e.code())),
        Err(Error::NotProxy { .. }) => Err("not_proxy".into()),
        Err(Error::Closed { received }) if received == input.len() => Err("incomplete".into()),
        Err(other) => Err(format!("unexpected driver error: {other:?}")),
    }
}

fn expected(vector: &Vector) -> Result<(serde_json::Value, Vec<u8>), String> {
    match &vector.expect {
        Expect::Header(h) => {
            let consumed = h["consumed"].as_u64().unwrap() as usize;
            Ok((h.clone(), vector.input[consumed..].to_vec()))
        }
        Expect::NotProxy => Err("not_proxy".into()),
        Expect::Incomplete => Err("incomplete".into()),
        Expect::Invalid { why } => Err(format!("invalid {why}")),
    }
}

fn same(vector: &Vector, got: &Result<(serde_json::Value, Vec<u8>), String>, how: &str) {
    let want = expected(vector);
    match (&want, got) {
        // Free-text reasons (someone else's vectors) accept any rejection.
        (Err(w), Err(g)) if w.starts_with("invalid") && g.starts_with("invalid") => {
            let known = proxy_hdr::Error::ALL.iter().any(|e| w == &format!("invalid {}", e.code()));
            assert!(!known || w == g, "{} {how}: want {w}, got {g}", vector.name);
        }
        _ => assert_eq!(&want, got, "{} {how}", vector.name),
    }
}

#[test]
fn one_byte_reads() {
    for v in vectors() {
        same(&v, &drive(&v.input, &[1]), "1-byte reads");
    }
}

#[test]
fn every_two_part_split() {
    for v in vectors() {
        for cut in 1..v.input.len() {
            same(&v, &drive(&v.input, &[cut, usize::MAX]), &format!("split at {cut}"));
        }
    }
}

#[test]
fn seeded_random_chunkings() {
    let mut rng = Rng(0xC0FF_EE00_D15E_A5E5);
    for v in vectors() {
        for _ in 0..8 {
            let sizes: Vec<usize> = (0..1 + rng.below(6)).map(|_| 1 + rng.below(40)).collect();
            same(&v, &drive(&v.input, &sizes), &format!("chunks {sizes:?}"));
        }
    }
}
