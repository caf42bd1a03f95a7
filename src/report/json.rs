//! `--format json`: a documented, stable schema (see README, "JSON output").
//!
//! Fields added by pull-request mode appear only when it is used: `since` (with `--since`),
//! `fixed` (with `--show-fixed`), `baseline` (with `--baseline-file`), and `excepted` when a
//! finding is covered by an exception.

use serde::Serialize;

use super::pretty::{at_depth, write_list};
use super::{Item, Position, Report, position};
use crate::Outcome;
use crate::history::BaselineEntry;

/// Bump when a field changes meaning or disappears; adding fields keeps the version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    code: Option<&'a str>,
    severity: &'static str,
    summary: &'a str,
    message: String,
    fingerprint: &'a str,
    #[serde(flatten)]
    position: Position,
    policy: Option<JsonPolicy<'a>>,
    setting: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    notes: &'a [String],
    help: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<JsonSuppression<'a>>,
}

#[derive(Serialize)]
struct JsonPolicy<'a> {
    name: &'a str,
    id: Option<&'a str>,
    source: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    exception: Option<&'a str>,
    justification: &'a str,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    /// Where the error is in a binary file (Registry.pol), whose line and column are those of
    /// the listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSince<'a> {
    revision: &'a str,
    commit: &'a str,
    /// Findings shown: not in the revision.
    new: usize,
    /// Findings not shown: in the revision too.
    unchanged: usize,
    /// Findings of the revision that are gone.
    fixed: usize,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    path: &'a str,
    suppressed: usize,
    /// Entries that match no finding any more.
    unmatched: &'a [&'a BaselineEntry],
}

/// Counts for dashboards and gates.
#[derive(Serialize, Default)]
pub struct Summary {
    pub files: usize,
    pub policies: usize,
    pub settings: usize,
    pub groups: usize,
    /// Findings shown (after `--since` and baseline filtering; excepted ones not included).
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub input_errors: usize,
}

/// Counts of what was read and found.
pub fn summary(report: &Report) -> Summary {
    let outcome = report.outcome;
    let counts = report.counts();
    let model = &outcome.model;
    Summary {
        files: input_file_count(outcome),
        policies: model.policies.len(),
        settings: model.policies.iter().map(|p| p.settings.len()).sum(),
        groups: model.groups.len(),
        findings: counts.total(),
        errors: counts.errors,
        warnings: counts.warnings,
        notes: counts.notes,
        input_errors: outcome.errors().len(),
    }
}

/// Input files read (sources minus the config and rule files).
pub fn input_file_count(outcome: &Outcome) -> usize {
    let rule_files = crate::rules::builtin_files().len();
    let extra_rule_files = outcome.rules.iter().filter(|r| !r.builtin).count();
    let config = usize::from(outcome.config.source.is_some());
    outcome
        .model
        .sources
        .len()
        .saturating_sub(rule_files + extra_rule_files + config)
}

fn finding<'a>(item: &Item<'a>) -> JsonFinding<'a> {
    let f = item.finding;
    JsonFinding {
        rule: &f.rule,
        code: f.code.as_deref(),
        severity: f.severity.name(),
        summary: &f.summary,
        message: format!("{}: {}", f.summary, f.message),
        fingerprint: &f.fingerprint,
        position: position(item.sources, f.primary.location),
        policy: f.policy.as_ref().map(|p| JsonPolicy {
            name: &p.name,
            id: p.id.as_deref(),
            source: p.source,
        }),
        setting: f.setting.as_deref(),
        related: f
            .related
            .iter()
            .map(|l| JsonRelated {
                message: &l.message,
                position: position(item.sources, l.location),
            })
            .collect(),
        notes: &f.notes,
        help: &f.help,
        suppression: None,
    }
}

fn excepted<'i>(item: &'i Item) -> JsonFinding<'i> {
    let mut json = finding(item);
    json.suppression = item.suppression.as_ref().map(|s| JsonSuppression {
        exception: s.id.as_deref(),
        justification: &s.justification,
    });
    json
}

/// Render the whole report as pretty JSON.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Write the report as pretty JSON to `out` as it is serialised (a report of tens of
/// thousands of findings is never held in memory as one string).
///
/// The bytes are those of `serde_json::to_writer_pretty` on the whole report (two-space
/// indentation, fields in this order): the top level is written here, each value is
/// serialised at its depth (`pretty::at_depth`), and the finding lists are rendered on all
/// cores.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let counts = report.counts();
    write!(
        out,
        "{{\n  \"version\": {SCHEMA_VERSION},\n  \"findings\": "
    )?;
    write_findings(out, &report.open().collect::<Vec<_>>(), false)?;
    let errors: Vec<JsonError> = report
        .outcome
        .errors()
        .iter()
        .map(|e| JsonError {
            path: &e.path,
            line: e.line,
            column: e.column,
            byte_offset: e.location.and_then(|at| {
                let file = report.outcome.model.sources.get(at.file);
                file.file_bytes(at.span).map(|bytes| bytes.start as usize)
            }),
            message: &e.message,
        })
        .collect();
    write_field(out, "errors", &errors)?;
    write_field(out, "summary", &summary(report))?;
    if let Some(c) = &report.comparison {
        let since = JsonSince {
            revision: &c.revision,
            commit: &c.commit,
            new: counts.total(),
            unchanged: c.unchanged,
            fixed: c.fixed,
        };
        write_field(out, "since", &since)?;
        if c.show_fixed {
            out.write_all(b",\n  \"fixed\": ")?;
            write_findings(out, &report.fixed().collect::<Vec<_>>(), false)?;
        }
    }
    if let Some(b) = &report.baseline {
        let baseline = JsonBaseline {
            path: &b.path,
            suppressed: b.suppressed,
            unmatched: &b.unmatched,
        };
        write_field(out, "baseline", &baseline)?;
    }
    let excepted: Vec<&Item> = report.excepted().collect();
    if !excepted.is_empty() {
        out.write_all(b",\n  \"excepted\": ")?;
        write_findings(out, &excepted, true)?;
    }
    out.write_all(b"\n}\n")
}

/// `,` and a field of the report object.
fn write_field(
    out: &mut dyn std::io::Write,
    name: &str,
    value: &impl Serialize,
) -> std::io::Result<()> {
    write!(out, ",\n  \"{name}\": ")?;
    out.write_all(at_depth(value, 1)?.bytes())
}

/// A list of findings, a field of the report object: rendered on all cores, in order.
fn write_findings(
    out: &mut dyn std::io::Write,
    items: &[&Item],
    excepted: bool,
) -> std::io::Result<()> {
    write_list(out, items, 1, |item| {
        let json = if excepted {
            self::excepted(item)
        } else {
            finding(item)
        };
        at_depth(&json, 2)
    })
}
