//! Helpers for the unit tests of several modules.

use std::path::{Path, PathBuf};

/// Every `.json` file under `dir` (any case of the extension), recursively, in path order;
/// nothing when `dir` cannot be read (the shared corpus is absent from a user's clone).
pub fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            json_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(path);
        }
    }
}
