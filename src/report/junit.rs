//! `--format junit`: JUnit XML for CI dashboards. One test case per rule x policy checked
//! (`classname` = rule id, `name` = policy name, `file` = the policy's file); an open finding
//! is a `<failure>`, an excepted one makes its case `<skipped>`, and each input error is a
//! test case of class `input`, named by its position, with an `<error>`.

use std::fmt::Write as _;
use std::io::{self, Write};

use foldhash::{HashMap, HashMapExt, HashSet};

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

/// A rule's findings about one policy (by identity: its id, else its name): what one test
/// case holds. Groups are kept in the order of their first finding.
struct Group<'r> {
    rule: &'r str,
    /// The policy's identity ("" for findings about no policy).
    identity: &'r str,
    first: &'r Item<'r>,
    failures: Vec<&'r Item<'r>>,
    excepted: Vec<&'r Item<'r>>,
}

impl Group<'_> {
    fn is_failure(&self) -> bool {
        !self.failures.is_empty()
    }

    fn is_skipped(&self) -> bool {
        self.failures.is_empty() && !self.excepted.is_empty()
    }
}

/// The reported findings (fixed ones are not test results) grouped by rule and policy, with
/// an index by (rule id, policy identity).
fn groups<'r>(report: &'r Report<'r>) -> (Vec<Group<'r>>, HashMap<(&'r str, &'r str), usize>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut index = HashMap::new();
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
            groups.push(Group {
                rule: f.rule.as_str(),
                identity,
                first: item,
                failures: Vec::new(),
                excepted: Vec::new(),
            });
            groups.len() - 1
        });
        if item.is_open() {
            groups[slot].failures.push(item);
        } else {
            groups[slot].excepted.push(item);
        }
    }
    (groups, index)
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

/// A test case's opening tag up to its end: `classname`, `name` and `file` come escaped.
fn write_case_head(out: &mut dyn Write, classname: &str, name_and_file: &str) -> io::Result<()> {
    write!(
        out,
        "    <testcase classname=\"{classname}\"{name_and_file}"
    )
}

/// The ` name="..." file="..."` attributes of a test case, escaped.
fn name_and_file(name: &str, file: &str) -> String {
    format!(
        " name=\"{}\" file=\"{}\"",
        escape_attribute(name),
        escape_attribute(file)
    )
}

/// The rest of a test case from its opening tag's end: what it holds, if anything.
fn write_case_body(
    out: &mut dyn Write,
    report: &Report,
    group: Option<&Group>,
    error: Option<&InputError>,
) -> io::Result<()> {
    let (failures, excepted) = group.map_or((&[][..], &[][..]), |g| {
        (g.failures.as_slice(), g.excepted.as_slice())
    });
    if failures.is_empty() && excepted.is_empty() && error.is_none() {
        return out.write_all(b"/>\n");
    }
    out.write_all(b">\n")?;
    for item in failures {
        let f = item.finding;
        writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            f.severity,
            escape_attribute(&format!("{}: {}", f.summary, f.message)),
            escape_text(&failure_body(report, item))
        )?;
    }
    if failures.is_empty()
        && let Some(item) = excepted.first()
    {
        let s = item.suppression.as_ref().expect("excepted items have one");
        let reason = match &s.id {
            Some(id) => format!("excepted by {id}: {}", s.justification),
            None => format!("excepted: {}", s.justification),
        };
        writeln!(
            out,
            "      <skipped message=\"{}\"/>",
            escape_attribute(&reason)
        )?;
    }
    if let Some(error) = error {
        let at = error_position(report, error);
        writeln!(
            out,
            "      <error type=\"input\" message=\"{}\">{}</error>",
            escape_attribute(&error.message),
            escape_text(&format!("{at}: {}", error.message))
        )?;
    }
    out.write_all(b"    </testcase>\n")
}

/// Render the report as JUnit XML.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Write the report as JUnit XML to `out`, case by case: a test case for every rule and
/// policy (120k on a tenant of 10k policies and twelve rules), none held rendered.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let model = &report.outcome.model;
    let rules = &report.outcome.rules;
    let errors = report.outcome.errors();
    let (groups, index) = groups(report);
    // A group whose rule ran and whose policy was read is held by that rule's first case
    // for the policy's identity; any other gets a case of its own after them.
    let identities: HashSet<&str> = model.policies.iter().map(Policy::identity).collect();
    let held_by_policy =
        |g: &Group| rules.iter().any(|r| r.id == g.rule) && identities.contains(g.identity);
    let own_cases: Vec<&Group> = groups.iter().filter(|g| !held_by_policy(g)).collect();
    let tests = rules.len() * model.policies.len() + own_cases.len() + errors.len();
    let failures = groups.iter().filter(|g| g.is_failure()).count();
    let skipped = groups.iter().filter(|g| g.is_skipped()).count();
    let errors_count = errors.len();
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors_count}\" skipped=\"{skipped}\""
    );
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(out, "<testsuites name=\"baselint\" {counts}>")?;
    writeln!(out, "  <testsuite name=\"baselint\" {counts}>")?;
    // Each policy's name and file, escaped once for all the rules' cases.
    let policy_attributes: Vec<String> = model
        .policies
        .iter()
        .map(|policy| {
            let file = &model.sources.get(policy.source).display_path;
            name_and_file(&policy.name, &report.paths.shown(file))
        })
        .collect();
    let mut held = vec![false; groups.len()];
    for rule in rules {
        let classname = escape_attribute(&rule.id);
        for (policy, attributes) in model.policies.iter().zip(&policy_attributes) {
            let group = index
                .get(&(rule.id.as_str(), policy.identity()))
                .filter(|&&g| !std::mem::replace(&mut held[g], true))
                .map(|&g| &groups[g]);
            write_case_head(out, &classname, attributes)?;
            write_case_body(out, report, group, None)?;
        }
    }
    for group in own_cases {
        let item = group.first;
        let name = item
            .finding
            .policy
            .as_ref()
            .map_or("(no policy)", |p| p.name.as_str());
        let file = report.paths.shown(&item.position().path);
        let classname = escape_attribute(group.rule);
        write_case_head(out, &classname, &name_and_file(name, &file))?;
        write_case_body(out, report, Some(group), None)?;
    }
    for error in errors {
        let attributes = name_and_file(
            &error_position(report, error),
            &report.paths.shown(&error.path),
        );
        write_case_head(out, "input", &attributes)?;
        write_case_body(out, report, None, Some(error))?;
    }
    if let Some(system_out) = system_out(report) {
        writeln!(
            out,
            "    <system-out>{}</system-out>",
            escape_text(&system_out)
        )?;
    }
    out.write_all(b"  </testsuite>\n</testsuites>\n")
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
