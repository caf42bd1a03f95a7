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

/// Copy the folder `from` to `to`, recursively (a fixture to change, in a temporary folder).
/// The library's unit tests have the same in `src/testing.rs`, which test files cannot reach.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
