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

/// Copy the folder `from` to `to`, recursively (a fixture to change, in a temporary folder).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A finding with every field empty (rule `test`, a warning over the first byte of source 0),
/// for tests to fill in what they look at: `Finding { fingerprint: .., ..finding() }`.
pub fn finding() -> crate::finding::Finding {
    use crate::finding::{Finding, Label};
    use crate::source::{Location, SourceId, Span};
    Finding {
        rule: "test".into(),
        code: None,
        severity: crate::rules::Severity::Warning,
        summary: crate::model::Name::default(),
        message: String::new(),
        primary: Label {
            location: Location {
                file: SourceId(0),
                span: Span::new(0, 1),
            },
            message: String::new(),
        },
        related: vec![],
        notes: vec![],
        help: crate::model::Name::default(),
        policy: None,
        setting: None,
        fingerprint: String::new(),
        controls: vec![],
        join_types: crate::model::JoinTypeSet::EMPTY,
        targets: vec![],
        exception: None,
        members: vec![],
    }
}
