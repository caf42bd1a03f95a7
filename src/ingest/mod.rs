//! Input readers: find the files, decode each once, detect its format by content, then one
//! module per format.

pub mod entra_groups;
pub mod intune;
pub mod json;
pub mod membership_rule;

use std::path::{Path, PathBuf};

use crate::model::{AssignmentFilter, Group, InputError, Policy};
use crate::source::{SourceFile, display_path};

/// What one file contributed to the model.
#[derive(Debug, Default)]
pub struct Parsed {
    pub policies: Vec<Policy>,
    pub groups: Vec<Group>,
    pub filters: Vec<AssignmentFilter>,
    pub errors: Vec<InputError>,
}

/// The formats baselint reads, detected from a file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Microsoft Graph JSON: Intune policies, Entra groups, assignment filters.
    GraphJson,
    Unsupported,
}

/// Detect the format from the first meaningful character of the decoded text.
pub fn detect(file: &SourceFile) -> Format {
    match file.text.trim_start().chars().next() {
        Some('{' | '[' | '"') => Format::GraphJson,
        _ => Format::Unsupported,
    }
}

/// Read and decode one file; an unreadable or undecodable file is a positioned input error.
pub fn read_source(path: &Path) -> Result<SourceFile, InputError> {
    let error = |line, column, message| InputError {
        path: display_path(path),
        location: None,
        line,
        column,
        message,
    };
    let bytes =
        std::fs::read(path).map_err(|e| error(None, None, format!("cannot read file: {e}")))?;
    SourceFile::decode(path, &bytes).map_err(|e| {
        let (line, column) = raw_position(&bytes, e.byte_offset);
        error(
            Some(line),
            Some(column),
            format!(
                "cannot decode file: {} (byte offset {})",
                e.message, e.byte_offset
            ),
        )
    })
}

/// Best-effort line and column of a raw byte offset in a file that failed to decode: count
/// line feeds in either byte order (a UTF-16 line feed is `0A 00`).
fn raw_position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let bom = match bytes {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => 2,
        _ => 0,
    };
    let units = &before[bom.min(before.len())..];
    let wide =
        bom == 2 || (units.len() > 1 && units.iter().skip(1).step_by(2).take(16).all(|&b| b == 0));
    let unit = if wide { 2 } else { 1 };
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        // In UTF-16LE the line feed is `0A 00`: the next line starts after the `00`.
        .map_or(bom, |i| {
            if bytes.starts_with(&[0xFE, 0xFF]) {
                i + 1
            } else {
                i + unit
            }
        });
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = (offset - line_start).div_ceil(unit) + 1;
    (line, column)
}

/// Files to lint under the given paths: directories are walked recursively in a stable order,
/// skipping hidden entries (`.git`) and build output; a file given explicitly is always read.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut errors);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            errors.push(InputError {
                path: display_path(path),
                location: None,
                line: None,
                column: None,
                message: "no such file or directory".to_string(),
            });
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError {
                path: display_path(dir),
                location: None,
                line: None,
                column: None,
                message: format!("cannot read directory: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, errors);
        } else if is_input_candidate(&path) {
            files.push(path);
        }
    }
}

/// In a walk, only files whose extension names a supported format are read.
fn is_input_candidate(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
}

/// Read every file into the model; each file's problems stay with that file.
pub fn load(files: &[PathBuf], model: &mut crate::model::Model, catalog: &crate::catalog::Catalog) {
    for path in files {
        let file = match read_source(path) {
            Ok(file) => file,
            Err(e) => {
                model.errors.push(e);
                continue;
            }
        };
        let format = detect(&file);
        let id = model.sources.add(file);
        let file = model.sources.get(id);
        let parsed = match format {
            Format::GraphJson => intune::read_json(id, file, catalog),
            Format::Unsupported => Parsed {
                errors: vec![InputError {
                    path: file.display_path.clone(),
                    location: None,
                    line: None,
                    column: None,
                    message: "unsupported input format (expected Intune or Entra Graph JSON)"
                        .to_string(),
                }],
                ..Parsed::default()
            },
        };
        model.policies.extend(parsed.policies);
        model.groups.extend(parsed.groups);
        model.filters.extend(parsed.filters);
        model.errors.extend(parsed.errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_position_counts_utf16_line_feeds() {
        let bytes: Vec<u8> = "ab\ncd".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(raw_position(&bytes, 8), (2, 2));
        assert_eq!(raw_position(b"ab\ncd", 4), (2, 2));
        let mut bom: Vec<u8> = vec![0xFF, 0xFE];
        bom.extend("abc".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(raw_position(&bom, 6), (1, 3));
    }
}
