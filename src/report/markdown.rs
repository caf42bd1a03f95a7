//! `--format markdown`: a compact summary for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY`: counts by severity, a table of findings, input errors, fixed
//! findings, folded `<details>` blocks for excepted findings and stale baseline entries, and
//! notes on the GPOs read more than once and the policies that reach no device. Empty sections
//! are left out.

use std::fmt::Write;
use std::io;

use super::{Item, Report};

/// Escape text for a table cell: `|` would end the cell, a newline the row, and `<`/`&` could
/// start HTML.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell: a fence longer than any backtick run inside, `|` escaped
/// (GitHub splits cells before parsing code spans), line breaks as spaces.
pub fn code_cell(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let body = text.replace('|', "\\|").replace(['\r', '\n'], " ");
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn headline(report: &Report) -> String {
    let counts = report.counts();
    let since = report
        .comparison
        .as_ref()
        .map(|c| format!(" since `{}`", c.revision))
        .unwrap_or_default();
    let found = if report.comparison.is_some() {
        plural(counts.total(), "new finding")
    } else {
        plural(counts.total(), "finding")
    };
    let mut line = format!(
        "**{found}**{since}: {} · {} · {}",
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
        plural(counts.notes, "note"),
    );
    let mut extra = Vec::new();
    if let Some(c) = &report.comparison {
        extra.push(format!("{} unchanged", c.unchanged));
        extra.push(format!("{} fixed", c.fixed));
    }
    if let Some(b) = &report.baseline {
        extra.push(format!("{} suppressed by `{}`", b.suppressed, b.path));
    }
    let excepted = report.excepted().count();
    if excepted > 0 {
        extra.push(format!("{excepted} excepted"));
    }
    let input_errors = report.outcome.errors().len();
    if input_errors > 0 {
        extra.push(format!("**{}**", plural(input_errors, "input error")));
    }
    if !extra.is_empty() {
        let _ = write!(line, " ({})", extra.join(", "));
    }
    line.push('\n');
    line
}

fn where_cell(report: &Report, item: &Item) -> String {
    let at = item.position();
    code_cell(&at.path_line(&report.paths.shown(&at.path)))
}

fn finding_row(report: &Report, item: &Item) -> String {
    let f = item.finding;
    format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        f.severity,
        code_cell(&f.rule),
        cell(f.policy.as_ref().map_or("", |p| p.name.as_str())),
        code_cell(f.setting.as_deref().unwrap_or("")),
        where_cell(report, item),
        cell(&f.message),
    )
}

const FINDINGS_HEADER: &str =
    "| Severity | Rule | Policy | Setting | Where | Why |\n|---|---|---|---|---|---|\n";

/// The table of findings, errors first (the run's order within a severity), written row by
/// row; nothing when there are none.
fn write_findings_table<'a>(
    out: &mut dyn io::Write,
    report: &Report,
    items: impl Iterator<Item = &'a Item<'a>>,
    before: &str,
) -> io::Result<()> {
    let mut items: Vec<&Item> = items.collect();
    if items.is_empty() {
        return Ok(());
    }
    items.sort_by_key(|item| std::cmp::Reverse(item.finding.severity));
    out.write_all(before.as_bytes())?;
    out.write_all(FINDINGS_HEADER.as_bytes())?;
    for item in items {
        out.write_all(finding_row(report, item).as_bytes())?;
    }
    Ok(())
}

fn errors_section(report: &Report) -> String {
    let errors = report.outcome.errors();
    if errors.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n### Input errors\n\n| Where | Error |\n|---|---|\n");
    for e in errors {
        let at = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", report.paths.shown(&e.path)),
            (Some(l), None) => format!("{}:{l}", report.paths.shown(&e.path)),
            _ => report.paths.shown(&e.path),
        };
        let _ = writeln!(out, "| {} | {} |", code_cell(&at), cell(&e.message));
    }
    out
}

fn write_fixed_section(out: &mut dyn io::Write, report: &Report) -> io::Result<()> {
    let Some(comparison) = &report.comparison else {
        return Ok(());
    };
    let before = format!(
        "\n### Fixed since `{}`\n\nLocations are in `{}`.\n\n",
        comparison.revision, comparison.revision
    );
    write_findings_table(out, report, report.fixed(), &before)
}

fn excepted_section(report: &Report) -> String {
    let rows: String = report
        .excepted()
        .map(|item| {
            let f = item.finding;
            let s = item.suppression.as_ref().expect("excepted items have one");
            format!(
                "| {} | {} | {} | {} | {} |\n",
                code_cell(&f.rule),
                cell(f.policy.as_ref().map_or("", |p| p.name.as_str())),
                where_cell(report, item),
                code_cell(s.id.as_deref().unwrap_or("")),
                cell(&s.justification),
            )
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "\n<details>\n<summary>Excepted findings ({})</summary>\n\n| Rule | Policy | Where | Exception | Justification |\n|---|---|---|---|---|\n{rows}\n</details>\n",
        report.excepted().count()
    )
}

fn unmatched_section(report: &Report) -> String {
    let Some(baseline) = report.baseline.as_ref().filter(|b| !b.unmatched.is_empty()) else {
        return String::new();
    };
    let rows: String = baseline
        .unmatched
        .iter()
        .map(|e| {
            format!(
                "| {} | {} | {} | {} |\n",
                code_cell(&e.rule),
                code_cell(&e.path),
                code_cell(&e.fingerprint),
                cell(&e.message)
            )
        })
        .collect();
    format!(
        "\n<details>\n<summary>Entries of <code>{}</code> that match no finding any more ({})</summary>\n\n| Rule | Path | Fingerprint | Message |\n|---|---|---|---|\n{rows}\n</details>\n",
        cell(&baseline.path),
        baseline.unmatched.len()
    )
}

/// Render the report as Markdown.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Write the report as Markdown to `out`, the findings table row by row.
pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(b"## baselint\n\n")?;
    out.write_all(headline(report).as_bytes())?;
    write_findings_table(out, report, report.open(), "\n")?;
    out.write_all(errors_section(report).as_bytes())?;
    write_fixed_section(out, report)?;
    out.write_all(excepted_section(report).as_bytes())?;
    out.write_all(unmatched_section(report).as_bytes())?;
    for note in [super::copies_note(report), super::unreached_note(report)] {
        out.write_all(note_section(note).as_bytes())?;
    }
    Ok(())
}

/// A note of the report's end (GPOs read more than once, policies that reach no device), as a
/// quoted paragraph.
fn note_section(note: Option<String>) -> String {
    note.map(|text| format!("\n> **Note:** {}\n", cell(&text)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_newlines_and_html() {
        assert_eq!(cell("a|b\r\nc <d> & e"), "a\\|b<br>c &lt;d&gt; &amp; e");
        assert_eq!(code_cell("HKLM\\X|Y"), "`HKLM\\X\\|Y`");
        assert_eq!(code_cell("a`b"), "``a`b``");
        assert_eq!(code_cell("`a"), "`` `a ``");
        assert_eq!(code_cell("a\nb"), "`a b`");
        assert_eq!(code_cell(""), "");
    }
}
