//! `cargo xtask nostd`: links the core into a bare-metal `#![no_std]`,
//! `#![no_main]` binary (see `nostd/`) and prints the code size.
//!
//! The thumbv7em build is the real proof (no std, no allocator exist there).
//! When that target cannot be installed, the same binary is linked for the
//! host without start files, which still fails on any `std` or `alloc` use.

use std::path::Path;
use std::process::Command;

const TARGET: &str = "thumbv7em-none-eabihf";

/// The flash budget of a receiver on a microcontroller (issue 11): the
/// parser alone with the compact CRC32C, code + read-only data, on
/// thumbv7em. A change that outgrows it fails here, not in a user's link.
const RECEIVER_BUDGET: u64 = 10 * 1024;

pub(crate) fn run(_args: &[String]) -> Result<bool, String> {
    let root = crate::workspace_root();
    let manifest = root.join("nostd/Cargo.toml");
    let cargo = crate::cargo();

    let have_target = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);

    // The default table CRC32C, then the compact one, then a receiver's
    // build (the parser alone: the writer's v1 address formatting pulls in
    // core::fmt), each measured.
    // The last is held to the budget.
    let variants: [(&str, &[&str], Option<u64>); 3] = [
        ("parser and writer, table CRC32C (16 KiB)", &[], None),
        ("parser and writer, compact CRC32C (1 KiB)", &["--features", "compact"], None),
        (
            "parser alone, compact CRC32C (1 KiB)",
            &["--features", "compact,parse-only"],
            Some(RECEIVER_BUDGET),
        ),
    ];
    for (variant, features, budget) in variants {
        let mut cmd = Command::new(&cargo);
        if have_target {
            cmd.args(["build", "--release", "--target", TARGET]);
        } else {
            cmd.args(["rustc", "--release"]);
        }
        cmd.args(features).arg("--manifest-path").arg(&manifest);
        cmd.arg("--target-dir").arg(root.join("nostd/target"));
        if !have_target {
            println!(
                "nostd: target {TARGET} unavailable, linking for the host without start files"
            );
            cmd.args(["--", "-C", "link-arg=-nostartfiles", "-C", "link-arg=-lc"]);
        }
        let ok = cmd.status().map_err(|e| format!("running cargo: {e}"))?.success();
        let what = if have_target { TARGET } else { "host" };
        if !ok {
            println!("nostd: FAILED to build for {what} ({variant})");
            return Ok(false);
        }
        let binary = if have_target {
            root.join("nostd/target").join(TARGET).join("release/proxy-hdr-nostd")
        } else {
            root.join("nostd/target/release/proxy-hdr-nostd")
        };
        let sizes = elf_sizes(&binary)?;
        let total = sizes.code + sizes.rodata;
        println!(
            "nostd: linked a no_std, no_main, allocator-free binary for {what} ({variant}): \
             code {} bytes + read-only data {} bytes = {:.1} KiB",
            sizes.code,
            sizes.rodata,
            total as f64 / 1024.0
        );
        // Only thumbv7em's size means anything; a host link is not measured.
        if let Some(budget) = budget.filter(|_| have_target)
            && total > budget
        {
            println!("nostd: FAILED: {variant} is {total} bytes, over the {budget}-byte budget");
            return Ok(false);
        }
    }
    Ok(true)
}

struct Sizes {
    code: u64,
    rodata: u64,
}

/// Sums the allocated sections of an ELF file: executable ones are code,
/// non-writable others read-only data.
fn elf_sizes(path: &Path) -> Result<Sizes, String> {
    let elf = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not an ELF file this reader understands", path.display());
    if elf.get(..4) != Some(b"\x7fELF") || elf.get(5) != Some(&1) {
        return Err(bad()); // little-endian only: thumbv7em and x86_64 both are
    }
    let wide = match elf.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(bad()),
    };
    let int = |at: usize, len: usize| -> Result<u64, String> {
        let bytes = elf.get(at..at + len).ok_or_else(bad)?;
        Ok(bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    };
    let (shoff, shentsize, shnum) = if wide {
        (int(0x28, 8)?, int(0x3A, 2)?, int(0x3C, 2)?)
    } else {
        (int(0x20, 4)?, int(0x2E, 2)?, int(0x30, 2)?)
    };
    let mut sizes = Sizes { code: 0, rodata: 0 };
    for i in 0..shnum {
        let at = usize::try_from(shoff + i * shentsize).map_err(|_| bad())?;
        let (flags, size) = if wide {
            (int(at + 8, 8)?, int(at + 0x20, 8)?)
        } else {
            (int(at + 8, 4)?, int(at + 0x14, 4)?)
        };
        const WRITE: u64 = 0x1;
        const ALLOC: u64 = 0x2;
        const EXEC: u64 = 0x4;
        if flags & ALLOC == 0 {
            continue;
        }
        if flags & EXEC != 0 {
            sizes.code += size;
        } else if flags & WRITE == 0 {
            sizes.rodata += size;
        }
    }
    Ok(sizes)
}
