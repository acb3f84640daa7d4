//! `proxy-hdr decode`: the header at the start of some bytes, as JSON in the
//! conformance vectors' format; or a directory of vectors checked.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use proxy_hdr::{Status, parse};
use proxy_hdr_cli::json::{Detail, header};
use proxy_hdr_cli::vector::{Vector, check_one_shot, from_hex};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The input is hex text (whitespace ignored), not raw bytes.
    #[arg(long)]
    hex: bool,
    /// Check every `*.json` vector under this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    vectors: Option<PathBuf>,
    /// The file to read; `-` or nothing for stdin.
    file: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    if let Some(dir) = &args.vectors {
        return vectors(dir);
    }
    let mut input = Vec::new();
    match args.file.as_deref() {
        None => std::io::stdin().read_to_end(&mut input),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut input),
        Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut input)),
    }
    .map_err(|e| format!("cannot read the input: {e}"))?;
    if args.hex {
        let text: String = String::from_utf8_lossy(&input).split_whitespace().collect();
        input = from_hex(&text).map_err(|e| format!("--hex: {e}"))?;
    }
    let (value, ok) = decode(&input);
    println!("{value:#}");
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The JSON for `input`, and whether it starts with a whole header.
fn decode(input: &[u8]) -> (serde_json::Value, bool) {
    match parse(input) {
        Ok(Status::Complete { header: h, len }) => (header(&h, len, Detail::Decoded), true),
        Ok(Status::Incomplete { needed }) => {
            let why = match needed {
                Some(n) => format!("a valid prefix of a header: at least {n} more bytes needed"),
                None => "a valid prefix of a v1 line: its CRLF has not arrived".into(),
            };
            (json!({ "error": "incomplete", "why": why }), false)
        }
        Err(e) if e.is_not_proxy() => {
            let what = proxy_hdr_io::FirstBytes::of(input);
            (
                json!({ "error": "not_proxy", "why": format!("not a PROXY header: the bytes are {what}") }),
                false,
            )
        }
        Err(e) => (json!({ "error": "invalid", "why": e.code(), "message": e.to_string() }), false),
    }
}

/// Runs every vector under `dir` through the same one-shot check.
fn vectors(dir: &std::path::Path) -> Result<ExitCode, String> {
    let files = walk(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        match Vector::load(&file).and_then(|v| check_one_shot(&v)) {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                println!("FAIL {}: {why}", file.display());
            }
        }
    }
    println!("decode: {passed} passed, {failed} failed");
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn walk(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
