//! The conformance vectors of `proxy-hdr` and the one harness that runs them,
//! shared by `cargo test -p conformance` and `cargo xtask conformance`
//! (rust-analyzer's data-driven parser tests).
//!
//! A vector is one JSON file:
//!
//! ```json
//! { "name": "kebab-name", "source": "how it was made",
//!   "input_hex": "header bytes and whatever follows them",
//!   "expect": { "version": 1, "command": "proxy", "transport": "tcp4",
//!               "source": "1.2.3.4:80", "destination": "5.6.7.8:443",
//!               "tlvs": [], "consumed": 35 } }
//! ```
//!
//! or with `expect` one of `{"error": "invalid", "why": "..."}`,
//! `{"error": "incomplete"}` and `{"error": "not_proxy"}`. A `why` equal to an
//! [`Error::code`](proxy_hdr::Error::code) demands exactly that error; any other text accepts any
//! rejection except not-PROXY. The header form is what [`header_expect`]
//! produces.
//!
//! [`run_vector`] checks one vector: the one-shot parse against `expect`,
//! every prefix of the input (the byte-by-byte feed) and every two-part split
//! fed like a driver against the one-shot result, and for a header the
//! write/parse round trip. [`run_dirs`] runs every `*.json` under some
//! directories into a [`Report`].

mod alloc;

pub use alloc::{Counting, allocations};
pub use proxy_hdr_cli::vector::{Expect, Vector, from_hex, header_expect, to_hex};
use proxy_hdr_cli::vector::{Outcome, describe, describe_expect, meets};

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The committed vectors: `tests/vectors`.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// Every committed vector, loaded (panics on an unreadable one: for tests).
pub fn committed_vectors() -> Vec<Vector> {
    let files = vector_files(&vectors_dir()).unwrap_or_else(|e| panic!("{e}"));
    files
        .iter()
        .map(|f| Vector::load(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect()
}

use proxy_hdr::{Header, Status};

fn same<'a>(a: &Outcome<'a>, b: &Outcome<'a>) -> bool {
    match (a, b) {
        (
            Ok(Status::Complete { header: h1, len: l1 }),
            Ok(Status::Complete { header: h2, len: l2 }),
        ) => h1 == h2 && l1 == l2,
        (Ok(Status::Incomplete { .. }), Ok(Status::Incomplete { .. })) => true,
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}

/// Runs every check on one vector; the error names what differed, with the
/// expected and the actual outcome.
pub fn run_vector(vector: &Vector) -> Result<(), String> {
    let input = vector.input.as_slice();
    let one = proxy_hdr::parse(input);
    if !meets(&vector.expect, &one, input) {
        return Err(format!(
            "one-shot parse of {} bytes: expected {}, got {}",
            input.len(),
            describe_expect(&vector.expect),
            describe(&one)
        ));
    }
    check_prefixes(input, &one)?;
    check_splits(input, &one)?;
    if let Ok(Status::Complete { header, .. }) = &one {
        check_round_trip(header)?;
    }
    Ok(())
}

/// Feeding the input byte by byte: every prefix is incomplete until the
/// one-shot answer appears, then it is that answer for every longer prefix.
fn check_prefixes(input: &[u8], one: &Outcome<'_>) -> Result<(), String> {
    let complete_at = match one {
        Ok(Status::Complete { len, .. }) => Some(*len),
        _ => None,
    };
    let mut reached = false;
    for k in 0..=input.len() {
        let got = proxy_hdr::parse(&input[..k]);
        if reached || same(&got, one) {
            if !same(&got, one) {
                return Err(format!(
                    "prefix of {k} bytes: expected {} (the one-shot answer, already given by a \
                     shorter prefix), got {}",
                    describe(one),
                    describe(&got)
                ));
            }
            reached = true;
            continue;
        }
        let Ok(Status::Incomplete { needed }) = got else {
            return Err(format!(
                "prefix of {k} bytes: expected incomplete or {}, got {}",
                describe(one),
                describe(&got)
            ));
        };
        if let (Some(needed), Some(total)) = (needed, complete_at)
            && total.saturating_sub(k) < needed.get()
        {
            return Err(format!(
                "prefix of {k} bytes: needed {} more, but the header completes after {} more",
                needed.get(),
                total.saturating_sub(k)
            ));
        }
    }
    Ok(())
}

/// A driver with one fixed buffer: the first part arrives, and only if that
/// is incomplete does the rest arrive; the answer is the one-shot answer.
fn check_splits(input: &[u8], one: &Outcome<'_>) -> Result<(), String> {
    let mut buf = vec![0u8; input.len()];
    for k in 0..=input.len() {
        buf[..k].copy_from_slice(&input[..k]);
        let first = proxy_hdr::parse(&buf[..k]);
        let (got, filled) = if matches!(first, Ok(Status::Incomplete { .. })) {
            buf[k..].copy_from_slice(&input[k..]);
            (proxy_hdr::parse(&buf), input.len())
        } else {
            (first, k)
        };
        if let Ok(Status::Complete { len, .. }) = got
            && len > filled
        {
            return Err(format!(
                "split at {k}: header length {len} exceeds the {filled} bytes read"
            ));
        }
        if !same(&got, one) {
            return Err(format!(
                "split at {k} (driver feed): expected {}, got {}",
                describe(one),
                describe(&got)
            ));
        }
    }
    Ok(())
}

/// `write` gives `encoded_len` bytes that parse back to an equal header, and
/// fails without touching a buffer one byte too small.
fn check_round_trip(header: &Header<'_>) -> Result<(), String> {
    let n = header.encoded_len();
    let mut out = vec![0u8; n];
    let written = header
        .write(&mut out)
        .map_err(|e| format!("round trip: write into {n} bytes failed: {e}"))?;
    if written != n {
        return Err(format!("round trip: write returned {written}, encoded_len is {n}"));
    }
    match proxy_hdr::parse(&out) {
        Ok(Status::Complete { header: back, len }) if len == n && back == *header => {}
        other => {
            return Err(format!(
                "round trip: the written header {} parses back as {}, expected {}",
                to_hex(&out),
                describe(&other),
                header_expect(header, n)
            ));
        }
    }
    if let Some(short) = n.checked_sub(1) {
        let mut small = vec![0xA5u8; short];
        if let Ok(w) = header.write(&mut small) {
            return Err(format!("round trip: write into {short} bytes succeeded with {w}"));
        }
        if small.iter().any(|&b| b != 0xA5) {
            return Err(format!(
                "round trip: a failed write into {short} bytes changed the buffer"
            ));
        }
    }
    Ok(())
}

/// Every `*.json` file under `dir`, recursively, sorted.
pub fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, &mut files).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    files.sort();
    Ok(files)
}

/// The outcome of one vector file.
#[derive(Debug, Clone)]
pub struct VectorResult {
    /// The file's folder, relative to the directory it was found under.
    pub folder: String,
    /// The vector's name (the file stem if it could not be read).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// `Err` says what failed, with expected and actual outcomes.
    pub outcome: Result<(), String>,
}

/// The outcomes of a run over some directories.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per vector file, in run order.
    pub results: Vec<VectorResult>,
}

impl Report {
    /// Vectors that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.outcome.is_ok()).count()
    }

    /// Vectors (or unreadable files and directories) that failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// True when nothing failed.
    pub fn all_passed(&self) -> bool {
        self.failed() == 0
    }

    /// The failed entries.
    pub fn failures(&self) -> impl Iterator<Item = &VectorResult> {
        self.results.iter().filter(|r| r.outcome.is_err())
    }

    /// `(folder, passed, failed)` per folder, in first-seen order.
    pub fn by_folder(&self) -> Vec<(String, usize, usize)> {
        let mut rows: Vec<(String, usize, usize)> = Vec::new();
        for r in &self.results {
            let i = match rows.iter().position(|row| row.0 == r.folder) {
                Some(i) => i,
                None => {
                    rows.push((r.folder.clone(), 0, 0));
                    rows.len() - 1
                }
            };
            if r.outcome.is_ok() {
                rows[i].1 += 1;
            } else {
                rows[i].2 += 1;
            }
        }
        rows
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.by_folder();
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max("folder".len());
        writeln!(f, "{:width$}  {:>6}  {:>6}", "folder", "passed", "failed")?;
        for (folder, passed, failed) in &rows {
            writeln!(f, "{folder:width$}  {passed:>6}  {failed:>6}")?;
        }
        for r in self.failures() {
            if let Err(why) = &r.outcome {
                writeln!(f, "FAIL {}/{} ({}): {why}", r.folder, r.name, r.path.display())?;
            }
        }
        write!(f, "conformance: {} passed, {} failed", self.passed(), self.failed())
    }
}

/// The folder label of `file` found under `root`.
fn folder_of(root: &Path, file: &Path) -> String {
    let parent = file.parent().unwrap_or(root);
    match parent.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
        }
        _ => root
            .file_name()
            .map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned()),
    }
}

/// Loads and runs every `*.json` under each of `dirs` (recursively, sorted).
/// A file that is not a valid vector, or a directory that cannot be read, is
/// a failure naming its path.
pub fn run_dirs(dirs: &[PathBuf]) -> Report {
    let mut report = Report::default();
    for dir in dirs {
        let files = match vector_files(dir) {
            Ok(files) => files,
            Err(why) => {
                report.results.push(VectorResult {
                    folder: dir.display().to_string(),
                    name: "(directory)".into(),
                    path: dir.clone(),
                    outcome: Err(why),
                });
                continue;
            }
        };
        for path in files {
            let stem =
                path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let (name, outcome) = match Vector::load(&path) {
                Ok(vector) => {
                    let outcome = run_vector(&vector);
                    (vector.name, outcome)
                }
                Err(why) => (stem, Err(why)),
            };
            report.results.push(VectorResult {
                folder: folder_of(dir, &path),
                name,
                path,
                outcome,
            });
        }
    }
    report
}
