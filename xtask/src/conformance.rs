//! `cargo xtask conformance [--vectors DIR]...`: runs `tests/vectors` and any
//! extra vector directories with the harness `cargo test` uses, and prints
//! the report.

use std::path::PathBuf;

/// Runs the vectors; `Ok(false)` when any failed.
pub(crate) fn run(args: &[String]) -> Result<bool, String> {
    let mut dirs = vec![conformance::vectors_dir()];
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--vectors" => {
                let dir = args.next().ok_or("--vectors needs a directory")?;
                dirs.push(PathBuf::from(dir));
            }
            other => {
                return Err(format!(
                    "unexpected argument {other:?}; usage: cargo xtask conformance [--vectors DIR]..."
                ));
            }
        }
    }
    let report = conformance::run_dirs(&dirs);
    println!("{report}");
    Ok(report.all_passed())
}
