//! `cargo xtask fuzz [--seconds N] [TARGET]...`: runs the cargo-fuzz targets
//! in `fuzz/` (default: all, 60 s each) and prints, per target, libFuzzer's
//! runs, exec/s, coverage, features, corpus size and any crash.
//!
//! Installs cargo-fuzz when missing. Uses nightly (AddressSanitizer) when a
//! nightly toolchain is installed, else stable with `-s none` (the crates
//! forbid `unsafe`, so the sanitizer matters less than the speed). Every
//! conformance vector is exported as a seed into `fuzz/corpus-generated/`,
//! where new corpus entries go too; `fuzz/corpus/` holds the committed seeds.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use conformance::fuzz::TARGETS;

const V1_PREFIX: &[u8] = b"PROXY ";

pub fn run(args: &[String]) -> Result<bool, String> {
    let mut seconds = 60u64;
    let mut chosen = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = rest.next().ok_or("--seconds needs a value")?;
                seconds = value.parse().map_err(|e| format!("--seconds {value}: {e}"))?;
            }
            name if TARGETS.iter().any(|(t, _)| *t == name) => chosen.push(name.to_string()),
            other => return Err(format!("unknown fuzz target or option {other:?}")),
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.iter().map(|(t, _)| t.to_string()).collect();
    }
    let root = crate::workspace_root();
    let fuzz = root.join("fuzz");
    install_cargo_fuzz()?;
    let toolchain = toolchain();
    println!("fuzz: toolchain {toolchain}, {seconds} s per target");
    let seeds = export_vectors(&root, &fuzz)?;
    println!("fuzz: {seeds} conformance vectors exported as seeds");

    let (mut passed, mut failed) = (0, 0);
    for target in &chosen {
        let generated = fuzz.join("corpus-generated").join(target);
        fs::create_dir_all(&generated).map_err(|e| format!("{}: {e}", generated.display()))?;
        let mut cmd = Command::new("cargo");
        cmd.arg(format!("+{toolchain}")).args(["fuzz", "run"]);
        if toolchain != "nightly" {
            cmd.args(["-s", "none"]);
        }
        cmd.arg(target)
            .arg(&generated)
            .arg(fuzz.join("corpus").join(target))
            .arg("--")
            .arg(format!("-dict={}", fuzz.join("dict").display()))
            .arg(format!("-max_total_time={seconds}"))
            .args(["-print_final_stats=1", "-rss_limit_mb=2048", "-timeout=10"])
            .current_dir(&root)
            .env_remove("CARGO")
            .env_remove("RUSTUP_TOOLCHAIN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = cmd.output().map_err(|e| format!("running cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        let stats = Stats::read(&log);
        let crashes: Vec<&str> =
            log.lines().filter_map(|l| l.split("Test unit written to ").nth(1)).collect();
        let ok = out.status.success() && crashes.is_empty() && stats.runs.is_some();
        let line = format!(
            "runs {}, exec/s {}, cov {}, ft {}, corpus {}, crashes {}",
            stats.runs.as_deref().unwrap_or("?"),
            stats.exec_per_sec.as_deref().unwrap_or("?"),
            stats.cov.as_deref().unwrap_or("?"),
            stats.ft.as_deref().unwrap_or("?"),
            stats.corpus.as_deref().unwrap_or("?"),
            if crashes.is_empty() { "none".to_string() } else { crashes.join(" ") },
        );
        if ok {
            passed += 1;
            println!("fuzz {target}: ok ({line})");
        } else {
            failed += 1;
            let tail: Vec<&str> = log.lines().rev().take(25).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            println!("fuzz {target}: FAILED ({line}; {})\n{}", out.status, tail.join("\n"));
        }
    }
    println!("fuzz: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// What libFuzzer reports at the end of a run.
#[derive(Default)]
struct Stats {
    runs: Option<String>,
    exec_per_sec: Option<String>,
    cov: Option<String>,
    ft: Option<String>,
    corpus: Option<String>,
}

impl Stats {
    fn read(log: &str) -> Stats {
        let mut s = Stats::default();
        for line in log.lines() {
            if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
                s.runs = Some(v.trim().to_string());
            }
            if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
                s.exec_per_sec = Some(v.trim().to_string());
            }
            // "#123 DONE cov: 456 ft: 789 corp: 12/3456b ..." (or a last pulse).
            if line.starts_with('#') && line.contains(" cov: ") {
                let word = |key: &str| {
                    line.split(key)
                        .nth(1)
                        .and_then(|r| r.split_whitespace().next())
                        .map(String::from)
                };
                s.cov = word(" cov: ").or(s.cov.take());
                s.ft = word(" ft: ").or(s.ft.take());
                s.corpus = word(" corp: ").or(s.corpus.take());
            }
        }
        s
    }
}

fn install_cargo_fuzz() -> Result<(), String> {
    let have = Command::new("cargo")
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if have {
        return Ok(());
    }
    println!("fuzz: installing cargo-fuzz");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|e| format!("cargo install cargo-fuzz: {e}"))?;
    status.success().then_some(()).ok_or_else(|| "cargo install cargo-fuzz failed".into())
}

/// `nightly` when rustup has one installed, else `stable`.
fn toolchain() -> &'static str {
    let list = Command::new("rustup").args(["toolchain", "list"]).output();
    match list {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("nightly")) =>
        {
            "nightly"
        }
        _ => "stable",
    }
}

/// Writes every conformance vector's input as a seed for the byte-level
/// targets (the v1/v2 targets get the bytes after their signature).
fn export_vectors(root: &Path, fuzz: &Path) -> Result<usize, String> {
    let files = conformance::vector_files(&root.join("tests/vectors"))?;
    let mut count = 0;
    for path in &files {
        let vector = conformance::Vector::load(path)?;
        let input = vector.input.as_slice();
        let put = |target: &str, bytes: &[u8]| -> Result<(), String> {
            let dir = fuzz.join("corpus-generated").join(target);
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let file = dir.join(format!("vector-{}", vector.name));
            fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))
        };
        for target in ["parse_any", "differential", "rustls_accept"] {
            put(target, input)?;
        }
        put("driver_chunked", &[&[1u8, 7, 1, 3][..], &[2; 12], input].concat())?;
        if let Some(rest) = input.strip_prefix(V1_PREFIX) {
            put("parse_v1", rest)?;
        }
        if let Some(rest) = input.strip_prefix(&proxy_hdr::v2::SIGNATURE[..]) {
            put("parse_v2", rest)?;
        }
        count += 1;
    }
    Ok(count)
}
