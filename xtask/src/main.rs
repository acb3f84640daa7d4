//! `cargo xtask <task>`: the project's chores, as plain Rust (matklad's cargo-xtask).

mod capture;
mod conformance;
mod nostd;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  conformance [--vectors DIR]...  run the conformance vectors (tests/vectors and any DIR)
  capture                         record real PROXY headers from HAProxy, nginx and curl into tests/vectors/captures
  nostd                           build the core for a bare-metal target (host fallback) and print its code size";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let outcome = match args.first().map(String::as_str) {
        Some("conformance") => conformance::run(rest),
        Some("capture") => capture::run(rest),
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
