//! `--format json`: a documented, stable schema (see README, "JSON output").
//!
//! Fields added by pull-request mode appear only when it is used: `since` (with `--since`),
//! `fixed` (with `--show-fixed`), `baseline` (with `--baseline-file`), and `excepted` when a
//! finding is covered by an exception.

use serde::Serialize;

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
            source: &p.source,
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
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Write the report as pretty JSON to `out` as it is serialised (a report of tens of
/// thousands of findings is never held in memory as one string).
///
/// The bytes are those of `serde_json::to_writer_pretty` on the whole report (two-space
/// indentation, fields in this order): the top level is written here, each value is
/// serialised at its depth by [`at_depth`], and the finding lists are rendered on all cores.
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

/// A list of findings (items of the report object's lists, depth 2), rendered on all cores
/// a chunk at a time and written in order.
fn write_findings(
    out: &mut dyn std::io::Write,
    items: &[&Item],
    excepted: bool,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    /// Enough findings to keep every core busy, few enough to stay small in memory.
    const CHUNK: usize = 1024;
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (n, chunk) in items.chunks(CHUNK).enumerate() {
        let rendered: Vec<std::io::Result<Rendered>> = chunk
            .par_iter()
            .map(|item| {
                let json = if excepted {
                    self::excepted(item)
                } else {
                    finding(item)
                };
                at_depth(&json, 2)
            })
            .collect();
        for (i, text) in rendered.into_iter().enumerate() {
            let separator: &[u8] = if n == 0 && i == 0 {
                b"\n    "
            } else {
                b",\n    "
            };
            out.write_all(separator)?;
            out.write_all(text?.bytes())?;
        }
    }
    out.write_all(b"\n  ]")
}

/// A value as pretty JSON at `depth` (1 or 2) of a document: its inner lines indented two
/// spaces per level, its first line not. Serialised inside as many one-element arrays, whose
/// brackets are then cut off: serde_json indents it exactly as in place.
fn at_depth(value: &impl Serialize, depth: usize) -> std::io::Result<Rendered> {
    struct Wrapped<'v, V>(&'v V, usize);
    impl<V: Serialize> Serialize for Wrapped<'_, V> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self.1 {
                0 => self.0.serialize(serializer),
                depth => [Wrapped(self.0, depth - 1)].serialize(serializer),
            }
        }
    }
    let mut text = Vec::with_capacity(2048);
    serde_json::to_writer_pretty(&mut text, &Wrapped(value, depth))?;
    // `[\n  `, `[\n    `... before the value; `\n]`, `\n  ]`... after it.
    let start = (1..=depth).map(|level| 2 + 2 * level).sum();
    let end = text.len() - (0..depth).map(|level| 2 + 2 * level).sum::<usize>();
    Ok(Rendered { text, start, end })
}

/// Serialised text and the part of it that is the value.
struct Rendered {
    text: Vec<u8>,
    start: usize,
    end: usize,
}

impl Rendered {
    fn bytes(&self) -> &[u8] {
        &self.text[self.start..self.end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pretty(value: &serde_json::Value) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }

    fn rendered(value: &serde_json::Value, depth: usize) -> String {
        String::from_utf8(at_depth(value, depth).unwrap().bytes().to_vec()).unwrap()
    }

    /// `at_depth` gives the bytes serde_json writes for a value in place, at both depths the
    /// report uses, for every kind of value (nested, empty, escaped).
    #[test]
    fn values_at_depth_are_what_serde_json_writes_in_place() {
        let values = [
            json!({"rule": "x", "line": 3, "related": [{"message": "m\nn", "line": 1}],
                   "notes": [], "policy": {"name": "é \"q\"", "id": null}, "empty": {}}),
            json!([]),
            json!({}),
            json!("text"),
            json!([1, [2, []], {"a": {"b": []}}]),
        ];
        for value in &values {
            let field = pretty(&json!({ "k": value }));
            assert_eq!(field, format!("{{\n  \"k\": {}\n}}", rendered(value, 1)));
            let listed = pretty(&json!({ "k": [value, value] }));
            let item = rendered(value, 2);
            assert_eq!(
                listed,
                format!("{{\n  \"k\": [\n    {item},\n    {item}\n  ]\n}}")
            );
        }
    }
}
