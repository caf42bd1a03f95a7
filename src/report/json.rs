//! `--format json`: a documented, stable schema (see README, "JSON output").

use serde::Serialize;

use super::{Position, position};
use crate::Outcome;
use crate::finding::Finding;
use crate::rules::Severity;

/// Bump when a field changes meaning or disappears; adding fields keeps the version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: Summary,
}

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
struct JsonError<'a> {
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

/// Counts for dashboards and gates.
#[derive(Serialize, Default)]
pub struct Summary {
    pub files: usize,
    pub policies: usize,
    pub settings: usize,
    pub groups: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub input_errors: usize,
}

/// Counts of what was read and found.
pub fn summary(outcome: &Outcome) -> Summary {
    let count = |s: Severity| outcome.findings.iter().filter(|f| f.severity == s).count();
    let model = &outcome.model;
    Summary {
        files: input_file_count(outcome),
        policies: model.policies.len(),
        settings: model.policies.iter().map(|p| p.settings.len()).sum(),
        groups: model.groups.len(),
        findings: outcome.findings.len(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
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

fn finding<'a>(outcome: &'a Outcome, f: &'a Finding) -> JsonFinding<'a> {
    let sources = &outcome.model.sources;
    JsonFinding {
        rule: &f.rule,
        code: f.code.as_deref(),
        severity: f.severity.name(),
        summary: &f.summary,
        message: format!("{}: {}", f.summary, f.message),
        fingerprint: &f.fingerprint,
        position: position(sources, f.primary.location),
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
                position: position(sources, l.location),
            })
            .collect(),
        notes: &f.notes,
        help: &f.help,
    }
}

/// Render the whole outcome as pretty JSON.
pub fn render(outcome: &Outcome) -> String {
    let report = Report {
        version: SCHEMA_VERSION,
        findings: outcome
            .findings
            .iter()
            .map(|f| finding(outcome, f))
            .collect(),
        errors: outcome
            .errors()
            .iter()
            .map(|e| JsonError {
                path: &e.path,
                line: e.line,
                column: e.column,
                message: &e.message,
            })
            .collect(),
        summary: summary(outcome),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("report serialises");
    text.push('\n');
    text
}
