//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request's files.
//!
//! `::error file=F,line=L,endLine=E,col=C,endColumn=D,title=T::message`. Columns are given
//! only for spans on one line (GitHub drops or misplaces them otherwise). Values are escaped
//! as the runner unescapes them: `%`, CR and LF in the message; additionally `:` and `,` in
//! properties (actions/runner `ActionCommand.cs`, `EscapeData` / `EscapeProperty`).

use std::fmt::Write;

use super::{RepoPaths, Report};
use crate::model::InputError;
use crate::rules::Severity;

/// The workflow command for a severity: GitHub has `error`, `warning` and `notice`.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Escape a command's message (the part after `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`...).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Where an annotation points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// Repository-relative path.
    pub file: String,
    /// 1-based start and end lines.
    pub line: Option<usize>,
    pub end_line: Option<usize>,
    /// 1-based columns, the end exclusive; only for spans on one line.
    pub column: Option<usize>,
    pub end_column: Option<usize>,
}

/// One workflow command line, ending in a newline.
pub fn annotation(command: &str, place: Option<&Place>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(place) = place {
        properties.push(format!("file={}", escape_property(&place.file)));
        let numbers = [
            ("line", place.line),
            ("endLine", place.end_line),
            ("col", place.column),
            ("endColumn", place.end_column),
        ];
        for (name, value) in numbers {
            if let Some(value) = value {
                properties.push(format!("{name}={value}"));
            }
        }
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{command} {}::{}\n",
        properties.join(","),
        escape_data(message)
    )
}

/// Where an annotation goes: the span's lines (and columns on one line); line 1 of a binary
/// file, whose lines mean nothing (the message names the bytes).
fn place_of(paths: &RepoPaths, at: &super::Position) -> Place {
    if at.is_binary() {
        return Place {
            file: paths.shown(&at.path),
            line: Some(1),
            ..Place::default()
        };
    }
    let one_line = at.is_one_line();
    Place {
        file: paths.shown(&at.path),
        line: Some(at.line),
        end_line: Some(at.end_line),
        column: one_line.then_some(at.column),
        end_column: one_line.then_some(at.end_column),
    }
}

fn error_place(paths: &RepoPaths, error: &InputError) -> Option<Place> {
    if error.path.starts_with('<') {
        return None;
    }
    Some(Place {
        file: paths.shown(&error.path),
        line: error.line,
        column: error.line.and(error.column),
        ..Place::default()
    })
}

/// Render the report: an annotation per open finding and input error; fixed findings and
/// stale baseline entries as notices without a file (their positions are the revision's).
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Write the report to `out`, annotation by annotation.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for item in report.open() {
        let f = item.finding;
        let at = item.position();
        let mut message = f.message.clone();
        if let (Some(offset), Some(length)) = (at.byte_offset, at.byte_length) {
            let _ = write!(
                message,
                " (bytes {offset:#X}..{:#X} of the file)",
                offset + length
            );
        }
        for note in &f.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        out.write_all(
            annotation(
                command(f.severity),
                Some(&place_of(&report.paths, &at)),
                &format!("{} ({})", f.summary, f.rule),
                &message,
            )
            .as_bytes(),
        )?;
    }
    for error in report.outcome.errors() {
        out.write_all(
            annotation(
                "error",
                error_place(&report.paths, error).as_ref(),
                "baselint: input error",
                &error.message,
            )
            .as_bytes(),
        )?;
    }
    if let Some(comparison) = &report.comparison {
        for item in report.fixed() {
            let f = item.finding;
            let at = item.position();
            out.write_all(
                annotation(
                    "notice",
                    None,
                    &format!(
                        "Fixed since {}: {} ({})",
                        comparison.revision, f.summary, f.rule
                    ),
                    &format!(
                        "{} (was at {})",
                        f.message,
                        at.path_line(&report.paths.shown(&at.path))
                    ),
                )
                .as_bytes(),
            )?;
        }
    }
    if let Some(baseline) = report.baseline.as_ref().filter(|b| !b.unmatched.is_empty()) {
        let lines: Vec<String> = baseline
            .unmatched
            .iter()
            .map(|e| format!("{} in {} [{}]", e.rule, e.path, e.fingerprint))
            .collect();
        out.write_all(
            annotation(
                "notice",
                None,
                &format!("baselint: stale entries in {}", baseline.path),
                &format!(
                    "{} no finding any more; rewrite the file with --write-baseline:\n{}",
                    if lines.len() == 1 {
                        "1 entry matches".to_string()
                    } else {
                        format!("{} entries match", lines.len())
                    },
                    lines.join("\n")
                ),
            )
            .as_bytes(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_only_on_one_line_spans() {
        let paths = RepoPaths::default();
        let at = |end_line| super::super::Position {
            path: "a.json".into(),
            line: 3,
            column: 5,
            end_line,
            end_column: 9,
            ..Default::default()
        };
        let one = annotation("error", Some(&place_of(&paths, &at(3))), "t", "m");
        assert_eq!(
            one,
            "::error file=a.json,line=3,endLine=3,col=5,endColumn=9,title=t::m\n"
        );
        let many = annotation("error", Some(&place_of(&paths, &at(4))), "t", "m");
        assert_eq!(many, "::error file=a.json,line=3,endLine=4,title=t::m\n");
    }
}
