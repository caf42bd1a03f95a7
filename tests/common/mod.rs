//! Helpers shared by the CLI-level test files (each `tests/*.rs` is its own crate and uses a
//! different subset of them).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run the built `baselint` in `dir`, without colour and at a fixed width.
pub fn baselint(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baselint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "110")
        .output()
        .expect("baselint runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
