//! `cargo xtask fuzz [--seconds N] [--coverage] [TARGET]...`: runs the
//! cargo-fuzz targets in `fuzz/` (default: all, 60 s each) and prints, per
//! target, libFuzzer's runs, exec/s, coverage, features, corpus size and any
//! crash; the last line counts the targets that passed and failed.
//!
//! Installs cargo-fuzz when missing. Uses nightly (AddressSanitizer) when a
//! nightly toolchain is installed, else stable with `-s none` (the crates
//! forbid `unsafe`, so the sanitizer matters less than the speed). Every
//! conformance vector is exported as a seed into `fuzz/corpus-generated/`,
//! where new corpus entries go too; `fuzz/corpus/` holds the committed seeds.
//! `--coverage` then prints llvm-cov's line coverage of the corpus, when the
//! toolchain has `llvm-tools-preview`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const V1_PREFIX: &[u8] = b"PROXY ";

pub(crate) fn run(args: &[String]) -> Result<bool, String> {
    let mut seconds = 60u64;
    let mut coverage = false;
    let mut chosen = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = rest.next().ok_or("--seconds needs a value")?;
                seconds = value.parse().map_err(|e| format!("--seconds {value}: {e}"))?;
            }
            "--coverage" => coverage = true,
            name if targets()?.iter().any(|t| t == name) => chosen.push(name.to_string()),
            other => return Err(format!("unknown fuzz target or option {other:?}")),
        }
    }
    if chosen.is_empty() {
        chosen = targets()?;
    }
    let root = crate::workspace_root();
    let fuzz = root.join("fuzz");
    install_cargo_fuzz()?;
    let toolchain = toolchain();
    println!("fuzz: toolchain {toolchain}, {seconds} s per target");
    let seeds = export_vectors(&fuzz)?;
    println!("fuzz: {seeds} conformance vectors exported as seeds into fuzz/corpus-generated");

    let (mut passed, mut failed) = (0, 0);
    for target in &chosen {
        if run_target(&root, &fuzz, toolchain, target, seconds)? {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    if coverage {
        for target in &chosen {
            report_coverage(&root, &fuzz, toolchain, target)?;
        }
    }
    println!("fuzz: {passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// The corpus directories of a target: generated first, so libFuzzer writes
/// new entries there and the committed seeds stay as they are.
fn corpus_dirs(fuzz: &Path, target: &str) -> Result<[PathBuf; 2], String> {
    let generated = fuzz.join("corpus-generated").join(target);
    fs::create_dir_all(&generated).map_err(|e| format!("{}: {e}", generated.display()))?;
    // The C API's seeds live with its crate, replayed by its own tests.
    let committed = match target {
        "capi" => crate::workspace_root().join("crates/proxy-hdr-capi/tests/fuzz-seeds"),
        _ => fuzz.join("corpus").join(target),
    };
    Ok([generated, committed])
}

/// `cargo +TOOLCHAIN fuzz SUBCOMMAND`, run from the repository root by the
/// rustup proxy, so the toolchain choice is not overridden by ours.
fn cargo_fuzz(root: &Path, toolchain: &str, subcommand: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg(format!("+{toolchain}"))
        .args(["fuzz", subcommand])
        .current_dir(root)
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN");
    cmd
}

/// Fuzzes one target and prints its line; `Ok(false)` when it failed.
fn run_target(
    root: &Path,
    fuzz: &Path,
    toolchain: &str,
    target: &str,
    seconds: u64,
) -> Result<bool, String> {
    let mut cmd = cargo_fuzz(root, toolchain, "run");
    if toolchain != "nightly" {
        cmd.args(["-s", "none"]);
    }
    cmd.arg(target)
        .args(corpus_dirs(fuzz, target)?)
        .arg("--")
        .arg(format!("-dict={}", fuzz.join("dict").display()))
        .arg(format!("-max_total_time={seconds}"))
        .args(["-print_final_stats=1", "-rss_limit_mb=2048", "-timeout=10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = cmd.output().map_err(|e| format!("running cargo fuzz: {e}"))?;
    let log =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let stats = Stats::read(&log);
    let crashes: Vec<&str> =
        log.lines().filter_map(|l| l.split("Test unit written to ").nth(1)).collect();
    let ok = out.status.success() && crashes.is_empty() && stats.runs.is_some();
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let line = format!(
        "runs {}, exec/s {}, cov {}, ft {}, corpus {}, crashes {}",
        field(&stats.runs),
        field(&stats.exec_per_sec),
        field(&stats.cov),
        field(&stats.ft),
        field(&stats.corpus),
        if crashes.is_empty() { "none".to_string() } else { crashes.join(" ") },
    );
    if ok {
        println!("fuzz {target}: ok ({line})");
    } else {
        println!("fuzz {target}: FAILED ({line}; {})\n{}", out.status, last_lines(&log, 25));
    }
    Ok(ok)
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

/// Read sizes for the exported `driver_chunked` seeds: single bytes, odd
/// sizes and one large read, so a header is split in every way early on.
const READ_SIZES: [u8; 16] = [1, 7, 1, 3, 2, 16, 5, 1, 255, 2, 9, 1, 4, 33, 1, 2];

/// Writes every conformance vector's input as a seed for the byte-level
/// targets: as is, after the v1 or v2 signature for `parse_v1`/`parse_v2`,
/// and behind a policy byte and [`READ_SIZES`] for `driver_chunked`.
fn export_vectors(fuzz: &Path) -> Result<usize, String> {
    let files = conformance::vector_files(&conformance::vectors_dir())?;
    for (i, path) in files.iter().enumerate() {
        let vector = conformance::Vector::load(path)?;
        let input = vector.input.as_slice();
        let put = |target: &str, bytes: &[u8]| -> Result<(), String> {
            let dir = fuzz.join("corpus-generated").join(target);
            fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let file = dir.join(format!("vector-{}", vector.name));
            fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))
        };
        for target in ["parse_any", "differential", "rustls_accept", "capi"] {
            put(target, input)?;
        }
        // Require, Optional and Ignore in turn.
        let policy = (i % 3) as u8;
        put("driver_chunked", &[&[policy][..], &READ_SIZES, input].concat())?;
        if let Some(rest) = input.strip_prefix(V1_PREFIX) {
            put("parse_v1", rest)?;
        }
        if let Some(rest) = input.strip_prefix(&proxy_hdr::v2::SIGNATURE[..]) {
            put("parse_v2", rest)?;
        }
    }
    Ok(files.len())
}

/// Replays the corpus of `target` with coverage instrumentation and prints
/// llvm-cov's summary of the workspace's own sources. Skipped, with a
/// message, when the toolchain lacks `llvm-tools-preview`.
fn report_coverage(root: &Path, fuzz: &Path, toolchain: &str, target: &str) -> Result<(), String> {
    let host = host_triple(toolchain).ok_or("rustc -vV gave no host triple")?;
    let Some(llvm_cov) = llvm_tool(toolchain, &host, "llvm-cov") else {
        println!(
            "fuzz {target}: coverage skipped (rustup component add llvm-tools-preview \
             --toolchain {toolchain})"
        );
        return Ok(());
    };
    // Its own directory: not the workspace's target, and apart from the
    // libFuzzer builds, whose flags differ.
    let target_dir = fuzz.join("target").join("coverage");
    let out = cargo_fuzz(root, toolchain, "coverage")
        .arg("--target-dir")
        .arg(&target_dir)
        .arg(target)
        .args(corpus_dirs(fuzz, target)?)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("running cargo fuzz coverage: {e}"))?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stderr);
        println!("fuzz {target}: coverage FAILED\n{}", last_lines(&log, 10));
        return Ok(());
    }
    let binary = target_dir.join(&host).join("release").join(target);
    let profile = fuzz.join("coverage").join(target).join("coverage.profdata");
    let profile = format!("-instr-profile={}", profile.display());
    // The core alone (every target runs it), then all of the workspace's
    // crates the target links.
    for (what, sources) in [("core", "crates/proxy-hdr/src"), ("crates", "crates")] {
        let report = Command::new(&llvm_cov)
            .arg("report")
            .arg(&binary)
            .arg(&profile)
            .arg(root.join(sources))
            .output()
            .map_err(|e| format!("running llvm-cov: {e}"))?;
        let text = String::from_utf8_lossy(&report.stdout);
        // TOTAL regions missed cover% functions missed executed% lines missed cover% ...
        let total: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with("TOTAL"))
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        match (total.get(3), total.get(6), total.get(9)) {
            (Some(regions), Some(functions), Some(lines)) => println!(
                "fuzz {target}: coverage of {sources}: regions {regions}, functions {functions}, \
                 lines {lines}"
            ),
            _ => println!(
                "fuzz {target}: llvm-cov gave no summary of {what} ({}): {}",
                report.status,
                String::from_utf8_lossy(&report.stderr).trim()
            ),
        }
    }
    Ok(())
}

/// A tool from `llvm-tools-preview` in the toolchain's sysroot.
fn llvm_tool(toolchain: &str, host: &str, name: &str) -> Option<PathBuf> {
    let out = Command::new("rustc")
        .arg(format!("+{toolchain}"))
        .args(["--print", "sysroot"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let tool = sysroot.join("lib/rustlib").join(host).join("bin").join(name);
    tool.exists().then_some(tool)
}

/// The last `n` lines of a tool's log, for a failure report.
fn last_lines(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn host_triple(toolchain: &str) -> Option<String> {
    let out = Command::new("rustc")
        .arg(format!("+{toolchain}"))
        .arg("-vV")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(String::from)
}

/// The targets: `fuzz/fuzz_targets/*.rs`, sorted.
fn targets() -> Result<Vec<String>, String> {
    let dir = crate::workspace_root().join("fuzz/fuzz_targets");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    Ok(names)
}
