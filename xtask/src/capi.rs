//! `cargo xtask capi [--bless]`: the C API end to end. Builds the static
//! library, checks the committed header is what cbindgen makes of the
//! sources (`--bless` rewrites it), runs the C test program over every
//! conformance vector (one-shot and byte by byte) with the system `cc`,
//! plain and under `-fsanitize=address,undefined`, then builds the libevent
//! and OpenSSL example and runs it against curl and HAProxy on loopback.
//! A missing tool or package is reported on one line and skipped.

mod example;

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proxy_hdr::{Addresses, Command as Cmd, Protocol, Status, Version};
use proxy_hdr_cli::vector::{Expect, Vector, check_one_shot, error_with_code, to_hex};

const CRATE: &str = "crates/proxy-hdr-capi";

pub(crate) fn run(args: &[String]) -> Result<bool, String> {
    let bless = args.iter().any(|a| a == "--bless");
    let root = crate::workspace_root();
    let lib = build_library(&root)?;
    let mut ok = header_is_fresh(&root, bless)?;
    let out = target_dir(&root).join("capi");
    fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    let vectors = out.join("vectors.txt");
    let count = export_vectors(&root.join("tests/vectors"), &vectors)?;
    println!("capi: exported {count} vectors to {}", vectors.display());
    if !have("cc") {
        println!("capi: no C compiler (cc): the C test program and the example are skipped");
        return Ok(ok);
    }
    let include = root.join(CRATE).join("include");
    let test_c = root.join(CRATE).join("tests/c/test_parse.c");
    for sanitize in [false, true] {
        let exe = out.join(if sanitize { "test_parse-asan" } else { "test_parse" });
        match compile(&test_c, &include, &lib, &exe, sanitize, &[])? {
            Some(()) => ok &= run_test(&exe, &vectors)?,
            None => println!("capi: cc -fsanitize=address,undefined does not work here: skipped"),
        }
    }
    ok &= example::run(&root, &include, &lib, &out)?;
    println!("capi: {}", if ok { "all passed" } else { "FAILED" });
    Ok(ok)
}

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

pub(crate) fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn build_library(root: &Path) -> Result<PathBuf, String> {
    let status = Command::new(crate::cargo())
        .args(["build", "--quiet", "-p", "proxy-hdr-capi"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("building proxy-hdr-capi: {e}"))?;
    if !status.success() {
        return Err("building proxy-hdr-capi failed".into());
    }
    let lib = target_dir(root).join("debug/libproxy_hdr_capi.a");
    println!("capi: built {}", lib.display());
    Ok(lib)
}

/// Regenerates the header into a temporary file and compares.
fn header_is_fresh(root: &Path, bless: bool) -> Result<bool, String> {
    if !have("cbindgen") {
        println!("capi: cbindgen is missing, installing it (cargo install cbindgen --locked)");
        let installed = Command::new(crate::cargo())
            .args(["install", "--quiet", "--locked", "cbindgen"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed || !have("cbindgen") {
            println!(
                "capi: cbindgen could not be installed: the header's freshness is not checked"
            );
            return Ok(true);
        }
    }
    let dir = root.join(CRATE);
    let committed = dir.join("include/proxy_hdr.h");
    let fresh = target_dir(root).join("capi-proxy_hdr.h");
    let out = Command::new("cbindgen")
        .args(["--quiet", "--config", "cbindgen.toml", "--output"])
        .arg(&fresh)
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("running cbindgen: {e}"))?;
    if !out.status.success() {
        return Err(format!("cbindgen failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let (old, new) =
        (fs::read(&committed).unwrap_or_default(), fs::read(&fresh).unwrap_or_default());
    if old == new {
        println!("capi: include/proxy_hdr.h is up to date");
        return Ok(true);
    }
    if bless {
        fs::write(&committed, new).map_err(|e| e.to_string())?;
        println!("capi: include/proxy_hdr.h regenerated");
        return Ok(true);
    }
    println!(
        "capi: FAIL include/proxy_hdr.h is stale: run `cargo xtask capi --bless` and commit it"
    );
    Ok(false)
}

/// Compiles one C file against the static library; `None` when the
/// sanitizers are asked for and the compiler cannot link them.
pub(crate) fn compile(
    source: &Path,
    include: &Path,
    lib: &Path,
    exe: &Path,
    sanitize: bool,
    libs: &[&str],
) -> Result<Option<()>, String> {
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-g", "-O1"]);
    if sanitize {
        cmd.args(["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]);
    }
    cmd.arg("-I").arg(include).arg(source).arg(lib).args(libs);
    cmd.args(["-lpthread", "-ldl", "-lm", "-o"]).arg(exe);
    let out = cmd.output().map_err(|e| format!("running cc: {e}"))?;
    if out.status.success() {
        println!(
            "capi: compiled {}{}",
            exe.display(),
            if sanitize { " (ASan + UBSan)" } else { "" }
        );
        return Ok(Some(()));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if sanitize && (err.contains("asan") || err.contains("ubsan") || err.contains("sanitize")) {
        return Ok(None);
    }
    Err(format!("cc {} failed:\n{err}", source.display()))
}

/// Sanitizer settings that turn every report into a failure.
pub(crate) const SAN_ENV: [(&str, &str); 2] = [
    ("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23"),
    ("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=24"),
];

fn run_test(exe: &Path, vectors: &Path) -> Result<bool, String> {
    let out = Command::new(exe)
        .arg(vectors)
        .envs(SAN_ENV)
        .output()
        .map_err(|e| format!("running {}: {e}", exe.display()))?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().take(30).collect();
    if !out.status.success() || !err.trim().is_empty() {
        println!("capi: FAIL {} ({}):\n{}", exe.display(), out.status, lines.join("\n"));
        return Ok(false);
    }
    Ok(true)
}

/// Writes the vectors in the C program's line format (see test_parse.c);
/// the header lines come from the Rust parse, checked against the vector
/// first, so the C side is judged against the same answer.
fn export_vectors(dir: &Path, out: &Path) -> Result<usize, String> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    let mut text = String::new();
    for path in &paths {
        let v = Vector::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        check_one_shot(&v).map_err(|e| format!("{}: {e}", v.name))?;
        let hex = if v.input.is_empty() { "-".to_owned() } else { to_hex(&v.input) };
        let _ = write!(text, "{} {hex} ", v.name.replace(' ', "_"));
        match &v.expect {
            Expect::Header(_) => text.push_str(&header_tokens(&v)?),
            Expect::Incomplete => text.push('P'),
            Expect::NotProxy => text.push('N'),
            Expect::Invalid { why } => {
                let code = error_with_code(why).map_or(0, proxy_hdr_capi::error_code);
                let _ = write!(text, "I {code}");
            }
        }
        text.push('\n');
    }
    fs::write(out, text).map_err(|e| format!("writing {}: {e}", out.display()))?;
    Ok(paths.len())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn hex_or_dash(bytes: &[u8]) -> String {
    if bytes.is_empty() { "-".into() } else { to_hex(bytes) }
}

fn ip_token(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("4:{}:{}", to_hex(&a.ip().octets()), a.port()),
        SocketAddr::V6(a) => format!("6:{}:{}", to_hex(&a.ip().octets()), a.port()),
    }
}

fn header_tokens(v: &Vector) -> Result<String, String> {
    let Ok(Status::Complete { header, len }) = proxy_hdr::parse(&v.input) else {
        return Err(format!("{}: expected a header", v.name));
    };
    let version = if header.version() == Version::V1 { 1 } else { 2 };
    let command = u8::from(header.command() == Cmd::Proxy);
    let (family, transport, src, dst) = match (header.protocol(), header.addresses()) {
        (Some(p), Some(a)) => {
            let transport = if p == Protocol::Stream { 1 } else { 2 };
            match a {
                Addresses::Inet { source, destination } => {
                    (1, transport, ip_token(source.into()), ip_token(destination.into()))
                }
                Addresses::Inet6 { source, destination } => {
                    (2, transport, ip_token(source.into()), ip_token(destination.into()))
                }
                Addresses::Unix { source, destination } => (
                    3,
                    transport,
                    format!("u:{}", hex_or_dash(source.as_bytes())),
                    format!("u:{}", hex_or_dash(destination.as_bytes())),
                ),
            }
        }
        _ => (0, 0, "-".into(), "-".into()),
    };
    let tlvs: Vec<String> = header
        .tlvs()
        .iter()
        .map(|t| format!("{}:{}", t.raw_kind(), hex_or_dash(t.value())))
        .collect();
    Ok(format!(
        "H {len} {version} {command} {family} {transport} {src} {dst} {} {}",
        tlvs.len(),
        tlvs.join(" ")
    ))
}
