//! Conformance vectors: one JSON file per case, with the input's hex and
//! what `proxy_hdr::parse` must say about it. The format is described in the
//! `conformance` crate; this module reads it and checks one-shot parses, so
//! `proxy-hdr decode --vectors DIR` and `cargo test` judge vectors alike.

use std::fs;
use std::path::Path;

use proxy_hdr::{Error, Header, Status};
use serde_json::{Map, Value, json};

use crate::json::{Detail, header, hex};

/// The transports a header expectation may name.
const TRANSPORTS: [&str; 7] =
    ["tcp4", "tcp6", "udp4", "udp6", "unix-stream", "unix-dgram", "unspec"];

/// What a vector says `proxy_hdr::parse` returns for its whole input.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// A complete header, in the form [`header_expect`] produces (TLV hex in
    /// lower case).
    Header(Value),
    /// A rejection other than not-PROXY.
    Invalid {
        /// An [`Error::code`] for exactly that error, or free text for any.
        why: String,
    },
    /// A valid strict prefix of a header.
    Incomplete,
    /// Not a PROXY header at all.
    NotProxy,
}

/// One conformance vector.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The vector's kebab-case name (its file name without `.json`).
    pub name: String,
    /// How the vector was made.
    pub source: String,
    /// The bytes fed to the parser: a header and whatever follows it.
    pub input: Vec<u8>,
    /// The expected outcome.
    pub expect: Expect,
}

impl Vector {
    /// Reads a vector from its JSON text.
    pub fn from_json(text: &str) -> Result<Vector, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let obj = value.as_object().ok_or("the vector is not a JSON object")?;
        let name = string(obj, "name")?.to_owned();
        let source = string(obj, "source")?.to_owned();
        let input = from_hex(string(obj, "input_hex")?).map_err(|e| format!("input_hex: {e}"))?;
        let expect =
            obj.get("expect").and_then(Value::as_object).ok_or("`expect` is not an object")?;
        let expect = match expect.get("error") {
            None => Expect::Header(header_form(expect)?),
            Some(Value::String(kind)) => match kind.as_str() {
                "invalid" => Expect::Invalid {
                    why: expect.get("why").and_then(Value::as_str).unwrap_or_default().to_owned(),
                },
                "incomplete" => Expect::Incomplete,
                "not_proxy" => Expect::NotProxy,
                other => return Err(format!("unknown expect.error {other:?}")),
            },
            Some(other) => return Err(format!("expect.error is not a string: {other}")),
        };
        Ok(Vector { name, source, input, expect })
    }

    /// Reads the vector file at `path`.
    pub fn load(path: &Path) -> Result<Vector, String> {
        let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        Vector::from_json(&text).map_err(|e| format!("malformed vector: {e}"))
    }
}

fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

/// Checks a header expectation and returns it normalised (known keys only,
/// hex in lower case), ready to compare with [`header_expect`].
fn header_form(obj: &Map<String, Value>) -> Result<Value, String> {
    let version = obj
        .get("version")
        .and_then(Value::as_u64)
        .filter(|v| *v == 1 || *v == 2)
        .ok_or("expect.version must be 1 or 2")?;
    let command = string(obj, "command")?;
    if command != "proxy" && command != "local" {
        return Err(format!("expect.command {command:?} is not proxy or local"));
    }
    let transport = string(obj, "transport")?;
    if !TRANSPORTS.contains(&transport) {
        return Err(format!("expect.transport {transport:?} is not one of {TRANSPORTS:?}"));
    }
    let address = |key: &str| match obj.get(key) {
        Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) => Ok(Value::String(s.clone())),
        _ => Err(format!("expect.{key} must be a string or null")),
    };
    let (source, destination) = (address("source")?, address("destination")?);
    let mut tlvs = Vec::new();
    for tlv in obj.get("tlvs").and_then(Value::as_array).ok_or("expect.tlvs must be an array")? {
        let kind = tlv
            .get("type")
            .and_then(Value::as_u64)
            .filter(|t| *t <= 0xFF)
            .ok_or("a TLV type must be an integer 0..255")?;
        let value = tlv.get("value_hex").and_then(Value::as_str).ok_or("a TLV needs value_hex")?;
        let value = from_hex(value).map_err(|e| format!("TLV value_hex: {e}"))?;
        tlvs.push(json!({ "type": kind, "value_hex": to_hex(&value) }));
    }
    let consumed =
        obj.get("consumed").and_then(Value::as_u64).ok_or("expect.consumed must be an integer")?;
    Ok(json!({
        "version": version,
        "command": command,
        "transport": transport,
        "source": source,
        "destination": destination,
        "tlvs": tlvs,
        "consumed": consumed,
    }))
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    hex(bytes)
}

/// Decodes hex (either case).
pub fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    let nibble = |d: u8| match d {
        b'0'..=b'9' => Ok(d - b'0'),
        b'a'..=b'f' => Ok(d - b'a' + 10),
        b'A'..=b'F' => Ok(d - b'A' + 10),
        _ => Err(format!("{:?} is not a hex digit", char::from(d))),
    };
    digits.chunks(2).map(|pair| Ok(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

/// The JSON expectation that a parsed `header` of `consumed` bytes meets.
pub fn header_expect(h: &Header<'_>, consumed: usize) -> Value {
    header(h, consumed, Detail::Raw)
}

/// What `parse` returned, as vectors compare it.
pub type Outcome<'a> = Result<Status<Header<'a>>, Error>;

/// The error whose code is `why`, if `why` is a code.
pub fn error_with_code(why: &str) -> Option<Error> {
    Error::from_code(why)
}

/// An outcome in words, for a failure report.
pub fn describe(outcome: &Outcome<'_>) -> String {
    match outcome {
        Ok(Status::Complete { header, len }) => header_expect(header, *len).to_string(),
        Ok(Status::Incomplete { needed }) => {
            format!("incomplete (needed {:?})", needed.map(|n| n.get()))
        }
        Err(e) if e.is_not_proxy() => "not_proxy".into(),
        Err(e) => format!("invalid {} ({e})", e.code()),
    }
}

/// An expectation in words, for a failure report.
pub fn describe_expect(expect: &Expect) -> String {
    match expect {
        Expect::Header(v) => v.to_string(),
        Expect::Invalid { why } if error_with_code(why).is_some() => format!("invalid {why}"),
        Expect::Invalid { why } => format!("invalid (any rule; vector says {why:?})"),
        Expect::Incomplete => "incomplete".into(),
        Expect::NotProxy => "not_proxy".into(),
    }
}

/// The same answer: equal header and length, equal error, or both incomplete.
/// True when `outcome` is what `expect` says.
pub fn meets(expect: &Expect, outcome: &Outcome<'_>, input: &[u8]) -> bool {
    match (expect, outcome) {
        (Expect::Header(want), Ok(Status::Complete { header, len })) => {
            *len <= input.len() && header_expect(header, *len) == *want
        }
        (Expect::Incomplete, Ok(Status::Incomplete { .. })) => true,
        (Expect::NotProxy, Err(e)) => e.is_not_proxy(),
        (Expect::Invalid { why }, Err(e)) => match error_with_code(why) {
            Some(want) => *e == want,
            None => !e.is_not_proxy(),
        },
        _ => false,
    }
}

/// Checks `vector` with one parse of its whole input.
pub fn check_one_shot(vector: &Vector) -> Result<(), String> {
    let input = vector.input.as_slice();
    let one = proxy_hdr::parse(input);
    if meets(&vector.expect, &one, input) {
        Ok(())
    } else {
        Err(format!(
            "one-shot parse of {} bytes: expected {}, got {}",
            input.len(),
            describe_expect(&vector.expect),
            describe(&one)
        ))
    }
}
