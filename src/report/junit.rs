//! `--format junit`: JUnit XML for CI dashboards. One test case per rule x policy checked
//! (`classname` = rule id, `name` = policy name, `file` = the policy's file); an open finding
//! is a `<failure>`, an excepted one makes its case `<skipped>`, and each input error is a
//! test case of class `input`, named by its position, with an `<error>`.

use std::fmt::Write;

use foldhash::{HashMap, HashMapExt};

use super::{Item, Report};
use crate::model::{InputError, Policy};

/// Escape an attribute value. Characters XML 1.0 cannot carry (most C0 controls) become
/// U+FFFD; line breaks and tabs become character references so that parsers keep them.
pub fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => push_text_char(&mut out, c),
        }
    }
    out
}

/// Escape element text: markup characters and characters XML 1.0 cannot carry; CR is
/// dropped (parsers normalise line ends anyway).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => {}
            '\n' | '\t' => out.push(c),
            c => push_text_char(&mut out, c),
        }
    }
    out
}

fn push_text_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c if is_xml_char(c) => out.push(c),
        _ => out.push('\u{FFFD}'),
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// One test case and what it holds.
struct Case<'r> {
    classname: String,
    name: String,
    file: String,
    failures: Vec<&'r Item<'r>>,
    excepted: Vec<&'r Item<'r>>,
    error: Option<&'r InputError>,
}

fn policy_cases<'r>(report: &'r Report<'r>) -> Vec<Case<'r>> {
    let model = &report.outcome.model;
    let mut cases = Vec::new();
    // By rule id and policy identity: the key that ties a finding to a policy.
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for rule in &report.outcome.rules {
        for policy in &model.policies {
            index
                .entry((rule.id.as_str(), policy.identity()))
                .or_insert(cases.len());
            cases.push(policy_case(report, &rule.id, policy));
        }
    }
    for item in report
        .items
        .iter()
        .filter(|i| i.state != super::State::Fixed)
    {
        let f = item.finding;
        let identity = f
            .policy
            .as_ref()
            .map(|p| p.id.as_deref().unwrap_or(&p.name))
            .unwrap_or_default();
        let slot = *index.entry((f.rule.as_str(), identity)).or_insert_with(|| {
            cases.push(Case {
                classname: f.rule.to_string(),
                name: f
                    .policy
                    .as_ref()
                    .map_or("(no policy)".into(), |p| p.name.clone()),
                file: report.paths.shown(&item.position().path),
                failures: Vec::new(),
                excepted: Vec::new(),
                error: None,
            });
            cases.len() - 1
        });
        if item.is_open() {
            cases[slot].failures.push(item);
        } else {
            cases[slot].excepted.push(item);
        }
    }
    cases
}

fn policy_case<'r>(report: &'r Report<'r>, rule: &str, policy: &Policy) -> Case<'r> {
    let file = &report.outcome.model.sources.get(policy.source).display_path;
    Case {
        classname: rule.to_string(),
        name: policy.name.clone(),
        file: report.paths.shown(file),
        failures: Vec::new(),
        excepted: Vec::new(),
        error: None,
    }
}

fn error_cases<'r>(report: &'r Report<'r>) -> Vec<Case<'r>> {
    report
        .outcome
        .errors()
        .iter()
        .map(|error| Case {
            classname: "input".to_string(),
            name: error_position(report, error),
            file: report.paths.shown(&error.path),
            failures: Vec::new(),
            excepted: Vec::new(),
            error: Some(error),
        })
        .collect()
}

/// `path:line:col` of an input error, as far as it is known (also the test case's name, so
/// that several errors in one file stay distinct).
fn error_position(report: &Report, error: &InputError) -> String {
    let path = report.paths.shown(&error.path);
    match (error.line, error.column) {
        (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
        (Some(l), None) => format!("{path}:{l}"),
        _ => path,
    }
}

fn failure_body(report: &Report, item: &Item) -> String {
    let f = item.finding;
    let at = item.position();
    let mut body = format!(
        "{}: {}[{}]: {}\n",
        at.path_line_column(&report.paths.shown(&at.path)),
        f.severity,
        f.rule,
        f.message
    );
    for label in &f.related {
        let at = super::position(item.sources, label.location);
        let _ = writeln!(
            body,
            "{}: {}",
            at.path_line_column(&report.paths.shown(&at.path)),
            label.message
        );
    }
    for note in &f.notes {
        let _ = writeln!(body, "note: {note}");
    }
    if !f.help.is_empty() {
        let _ = writeln!(body, "help: {}", f.help);
    }
    let _ = writeln!(body, "fingerprint: {}", f.fingerprint);
    body
}

fn write_case(out: &mut String, report: &Report, case: &Case) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
        escape_attribute(&case.classname),
        escape_attribute(&case.name),
        escape_attribute(&case.file)
    );
    if case.failures.is_empty() && case.excepted.is_empty() && case.error.is_none() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    for item in &case.failures {
        let f = item.finding;
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            f.severity,
            escape_attribute(&format!("{}: {}", f.summary, f.message)),
            escape_text(&failure_body(report, item))
        );
    }
    if case.failures.is_empty()
        && let Some(item) = case.excepted.first()
    {
        let s = item.suppression.as_ref().expect("excepted items have one");
        let reason = match &s.id {
            Some(id) => format!("excepted by {id}: {}", s.justification),
            None => format!("excepted: {}", s.justification),
        };
        let _ = writeln!(
            out,
            "      <skipped message=\"{}\"/>",
            escape_attribute(&reason)
        );
    }
    if let Some(error) = case.error {
        let at = error_position(report, error);
        let _ = writeln!(
            out,
            "      <error type=\"input\" message=\"{}\">{}</error>",
            escape_attribute(&error.message),
            escape_text(&format!("{at}: {}", error.message))
        );
    }
    out.push_str("    </testcase>\n");
}

/// Render the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut cases = policy_cases(report);
    cases.extend(error_cases(report));
    let failures = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let errors = cases.iter().filter(|c| c.error.is_some()).count();
    let skipped = cases
        .iter()
        .filter(|c| c.failures.is_empty() && !c.excepted.is_empty())
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"baselint\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"baselint\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
        cases.len()
    );
    for case in &cases {
        write_case(&mut out, report, case);
    }
    if let Some(system_out) = system_out(report) {
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            escape_text(&system_out)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Fixed findings and stale baseline entries: facts for the log, not test results.
fn system_out(report: &Report) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(comparison) = &report.comparison {
        for item in report.fixed() {
            let at = item.position();
            lines.push(format!(
                "fixed since {}: {}[{}] in {}: {}",
                comparison.revision,
                item.finding.severity,
                item.finding.rule,
                at.path_line(&report.paths.shown(&at.path)),
                item.finding.message
            ));
        }
    }
    if let Some(baseline) = &report.baseline {
        for entry in &baseline.unmatched {
            lines.push(format!(
                "{}: entry {} ({} in {}) matches no finding any more",
                baseline.path, entry.fingerprint, entry.rule, entry.path
            ));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(
            escape_attribute("a<b>&\"c\"'d'\n\t\u{1}\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;c&quot;'d'&#10;&#9;\u{FFFD}\u{FFFD}"
        );
        assert_eq!(escape_text("a\"\r\nb<\u{0}"), "a\"\nb&lt;\u{FFFD}");
    }
}
