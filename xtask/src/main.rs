//! `cargo xtask <task>`: the project's chores, as plain Rust (matklad's cargo-xtask).

mod capi;
mod capture;
mod conformance;
mod fuzz;
mod interop;
mod nostd;
mod senders;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  capi [--bless]                  the C API: header freshness, the C vector test (and ASan/UBSan), the libevent example against curl and HAProxy
  conformance [--vectors DIR]...  run the conformance vectors (tests/vectors and any DIR)
  capture                         record real PROXY headers from HAProxy, nginx and curl into tests/vectors/captures
  fuzz [--seconds N] [--coverage] [TARGET]...
                                  run the cargo-fuzz targets (default: all, 60 s each)
  interop [FILTER]...             run whoami against real curl, HAProxy and nginx senders on loopback
  nostd                           build the core for a bare-metal target (host fallback) and print its code size";

/// The repository root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo that runs us, so toolchain overrides carry through.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let outcome = match args.first().map(String::as_str) {
        Some("capi") => capi::run(rest),
        Some("conformance") => conformance::run(rest),
        Some("capture") => capture::run(rest),
        Some("fuzz") => fuzz::run(rest),
        Some("interop") => interop::run(rest),
        Some("nostd") => nostd::run(rest),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(why) => {
            eprintln!("xtask: {why}");
            ExitCode::FAILURE
        }
    }
}
