//! `baselint exceptions`: the exceptions audit in human, JSON, CSV and Markdown form.

use serde::Serialize;

use crate::Outcome;
use crate::exceptions::AuditEntry;
use crate::model::{ChecklistStatus, Expiry};
use crate::report::position;
use crate::source::Location;

/// Output formats of the audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Human,
    Json,
    Csv,
    Markdown,
}

#[derive(Serialize)]
struct Row {
    id: String,
    status: &'static str,
    days_left: Option<i64>,
    owner: Option<String>,
    expires: Option<String>,
    controls: Vec<String>,
    rules: Vec<String>,
    covers: Vec<String>,
    missing: Vec<&'static str>,
    justification: Option<String>,
    ticket: Option<String>,
    path: String,
    line: usize,
}

#[derive(Serialize)]
struct ChecklistRow {
    asset: String,
    vuln_id: String,
    rule_version: Option<String>,
    status: &'static str,
    comments: String,
    related: Vec<String>,
    path: String,
    line: usize,
}

#[derive(Serialize)]
struct AuditJson {
    version: u32,
    today: Option<String>,
    exceptions: Vec<Row>,
    checklist: Vec<ChecklistRow>,
}

fn row(outcome: &Outcome, entry: &AuditEntry) -> Row {
    let e = &outcome.model.exceptions[entry.index];
    let pos = position(
        &outcome.model.sources,
        Location {
            file: e.source,
            span: e.span,
        },
    );
    Row {
        id: e.id.clone(),
        status: entry.status.name(),
        days_left: entry.days_left,
        owner: e.owner.clone(),
        expires: match e.expires {
            Expiry::On(d) => Some(d.to_string()),
            Expiry::Never => Some("never".to_string()),
            Expiry::Missing => None,
        },
        controls: e.controls.clone(),
        rules: e.rules.clone(),
        covers: entry.covers.clone(),
        missing: entry.missing.clone(),
        justification: e.justification.clone(),
        ticket: e.ticket.clone(),
        path: pos.path,
        line: pos.line,
    }
}

fn checklist_rows(outcome: &Outcome) -> Vec<ChecklistRow> {
    outcome
        .audit
        .checklist
        .iter()
        .map(|doc| {
            let entry = &outcome.model.checklist_entries[doc.index];
            let pos = position(
                &outcome.model.sources,
                Location {
                    file: entry.source,
                    span: entry.span,
                },
            );
            ChecklistRow {
                asset: entry.asset.clone(),
                vuln_id: entry.vuln_id.clone(),
                rule_version: entry.rule_version.clone(),
                status: match entry.status {
                    ChecklistStatus::NotApplicable => "not_applicable",
                    ChecklistStatus::NotAFinding => "not_a_finding",
                    ChecklistStatus::Open => "open",
                    ChecklistStatus::NotReviewed => "not_reviewed",
                },
                comments: entry.comments.trim().to_string(),
                related: doc.related.clone(),
                path: pos.path,
                line: pos.line,
            }
        })
        .collect()
}

fn rows(outcome: &Outcome) -> Vec<Row> {
    let mut rows: Vec<Row> = outcome
        .audit
        .entries
        .iter()
        .map(|e| row(outcome, e))
        .collect();
    rows.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    rows
}

/// Render the audit.
pub fn render(outcome: &Outcome, format: AuditFormat) -> String {
    match format {
        AuditFormat::Human => human(outcome),
        AuditFormat::Json => json(outcome),
        AuditFormat::Csv => csv(outcome),
        AuditFormat::Markdown => markdown(outcome),
    }
}

fn json(outcome: &Outcome) -> String {
    let report = AuditJson {
        version: 1,
        today: outcome.audit.today.map(|d| d.to_string()),
        exceptions: rows(outcome),
        checklist: checklist_rows(outcome),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("serialises");
    text.push('\n');
    text
}

fn days(row: &Row) -> String {
    match row.days_left {
        Some(d) if d < 0 => format!("expired {} day(s) ago", -d),
        Some(d) => format!("{d} day(s) left"),
        None if row.expires.as_deref() == Some("never") => "does not expire".to_string(),
        None => "no expiry".to_string(),
    }
}

fn human(outcome: &Outcome) -> String {
    let mut out = String::new();
    if let Some(today) = outcome.audit.today {
        out.push_str(&format!("Exceptions audit on {today}\n\n"));
    }
    for r in rows(outcome) {
        out.push_str(&format!(
            "{:<11} {}  {}  ({}:{})\n",
            r.status.to_uppercase(),
            r.id,
            days(&r),
            r.path,
            r.line
        ));
        let covers: Vec<String> = r.controls.iter().chain(&r.rules).cloned().collect();
        out.push_str(&format!(
            "            covers {}; owner {}; {} finding(s) matched\n",
            covers.join(", "),
            r.owner.as_deref().unwrap_or("(none)"),
            r.covers.len()
        ));
        if !r.missing.is_empty() {
            out.push_str(&format!("            missing: {}\n", r.missing.join(", ")));
        }
    }
    for c in checklist_rows(outcome) {
        out.push_str(&format!(
            "DOCUMENTED  {} {} on {}: {} ({}:{})\n            {}\n",
            c.vuln_id,
            c.rule_version.as_deref().unwrap_or(""),
            c.asset,
            c.status,
            c.path,
            c.line,
            c.comments.lines().next().unwrap_or("")
        ));
    }
    let count = |s: &str| {
        outcome
            .audit
            .entries
            .iter()
            .filter(|e| e.status.name() == s)
            .count()
    };
    out.push_str(&format!(
        "\n{} exception(s): {} valid, {} expiring, {} expired, {} unused, {} incomplete; {} finding(s) excepted\n",
        outcome.audit.entries.len(),
        count("valid"),
        count("expiring"),
        count("expired"),
        count("unused"),
        count("incomplete"),
        outcome.excepted.len()
    ));
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(outcome: &Outcome) -> String {
    let mut out =
        String::from("id,status,days_left,owner,expires,controls,rules,covers,path,line\n");
    for r in rows(outcome) {
        let fields = [
            r.id.clone(),
            r.status.to_string(),
            r.days_left.map(|d| d.to_string()).unwrap_or_default(),
            r.owner.clone().unwrap_or_default(),
            r.expires.clone().unwrap_or_default(),
            r.controls.join(";"),
            r.rules.join(";"),
            r.covers.join(";"),
            r.path.clone(),
            r.line.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn markdown(outcome: &Outcome) -> String {
    let mut out = String::from("## Exceptions audit\n\n");
    if let Some(today) = outcome.audit.today {
        out.push_str(&format!("As of {today}.\n\n"));
    }
    out.push_str("| Exception | Status | Expiry | Owner | Covers | Findings | Where |\n|---|---|---|---|---|---|---|\n");
    for r in rows(outcome) {
        let covers: Vec<String> = r.controls.iter().chain(&r.rules).cloned().collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | `{}:{}` |\n",
            md_cell(&r.id),
            r.status,
            md_cell(&days(&r)),
            md_cell(r.owner.as_deref().unwrap_or("")),
            md_cell(&covers.join(", ")),
            r.covers.len(),
            md_cell(&r.path),
            r.line
        ));
    }
    let checklist = checklist_rows(outcome);
    if !checklist.is_empty() {
        out.push_str("\n### Documented in STIG checklists\n\n| Vuln | Asset | Status | Comment |\n|---|---|---|---|\n");
        for c in checklist {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                md_cell(&c.vuln_id),
                md_cell(&c.asset),
                c.status,
                md_cell(&c.comments)
            ));
        }
    }
    out
}
