//! `proxy-hdr`: decode and encode PROXY protocol headers, send one before
//! TLS, and probe what a server does with and without one.

mod decode;
mod encode;
mod probe;
mod send;
mod tls;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The PROXY protocol operator's tool.
#[derive(Debug, Parser)]
#[command(name = "proxy-hdr", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a header from a file or stdin, as JSON.
    Decode(decode::Args),
    /// Write a header (raw, or hex with --hex) to stdout.
    Encode(encode::Args),
    /// Connect, send a header (then TLS, then an HTTP GET), print the answer.
    Send(send::Args),
    /// Try a server with no header, a v1 and a v2 header, and say what it expects.
    Probe(probe::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    let outcome = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Encode(args) => encode::run(&args),
        Command::Send(args) => runtime.block_on(send::run(&args)),
        Command::Probe(args) => runtime.block_on(probe::run(&args)),
    };
    match outcome {
        Ok(code) => code,
        Err(why) => fail(&why),
    }
}

/// One clear line and a failing exit.
fn fail(why: &str) -> ExitCode {
    eprintln!("proxy-hdr: {why}");
    ExitCode::from(2)
}
