//! Output formats: one module each. Reporters know nothing of parsers or rules beyond
//! [`crate::finding::Finding`], input errors and the source text.
//!
//! Every format renders a [`Report`]: the run's [`Outcome`] seen through what it is compared
//! with. Without a comparison a report shows every finding; `--since REV` keeps the findings
//! whose fingerprint the revision did not have (and, with `--show-fixed`, adds those that
//! disappeared), and a baseline file of known findings suppresses the ones it lists.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
mod pretty;
pub mod sarif;

use std::collections::{HashMap, HashSet};

use crate::Outcome;
use crate::finding::Finding;
use crate::history::{Baseline, BaselineEntry};
use crate::rules::{Rule, Severity};
use crate::source::{Location, Sources, Span};

/// Where the tool's documentation lives (SARIF `informationUri`, report footers).
pub const INFORMATION_URI: &str = "https://github.com/baselint/baselint";

/// The output formats of `baselint check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with the offending bytes underlined (miette).
    Human,
    /// The documented JSON schema (`version` 1).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request's files.
    Github,
    /// A compact Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// JUnit XML: one test case per rule and policy, for CI dashboards.
    Junit,
}

/// A resolved position: display path and 1-based line/column; the end column is exclusive.
/// In a binary file (Registry.pol) the line and column are those of the listing baselint
/// shows, and `byte_offset`/`byte_length` say which bytes of the file itself are meant.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_length: Option<usize>,
}

impl Position {
    /// True when the span starts and ends on the same line.
    pub fn is_one_line(&self) -> bool {
        self.line == self.end_line
    }

    /// True for a position in a binary file (its line and column are the listing's).
    pub fn is_binary(&self) -> bool {
        self.byte_offset.is_some()
    }

    /// `path:line` for a text file, `path@0x1A4` (the byte offset) for a binary one.
    pub fn path_line(&self, path: &str) -> String {
        match self.byte_offset {
            Some(offset) => format!("{path}@0x{offset:X}"),
            None => format!("{path}:{}", self.line),
        }
    }

    /// `path:line:column` for a text file, `path@0x1A4` for a binary one.
    pub fn path_line_column(&self, path: &str) -> String {
        match self.byte_offset {
            Some(offset) => format!("{path}@0x{offset:X}"),
            None => format!("{path}:{}:{}", self.line, self.column),
        }
    }
}

/// Resolve a location to lines and columns (and, in a binary file, to its bytes).
pub fn position(sources: &Sources, location: Location) -> Position {
    let file = sources.get(location.file);
    let (line, column) = file.line_col(location.span.start as usize);
    let (end_line, end_column) = file.line_col(location.span.end as usize);
    let bytes = file.file_bytes(location.span);
    Position {
        path: file.display_path.clone(),
        line,
        column,
        end_line,
        end_column,
        byte_offset: bytes.map(|b| b.start as usize),
        byte_length: bytes.map(Span::len),
    }
}

/// Where a finding stands against what the run is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No comparison: a finding of the run.
    Current,
    /// Not in the revision given to `--since`, nor in the baseline file.
    New,
    /// In the revision given to `--since`, gone from the working tree (`--show-fixed`).
    Fixed,
}

/// An approved exception that covers a finding: the finding is listed as excepted, not
/// counted against `--fail-on` (SARIF `suppressions`, kind `external`).
#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    /// The exception's id (`EXC-0042`), when it has one.
    pub id: Option<String>,
    /// Why the deviation is accepted.
    pub justification: String,
    /// Where the exception is written, in the run's sources.
    pub location: Option<Location>,
}

impl From<&crate::finding::Suppression> for Suppression {
    fn from(exception: &crate::finding::Suppression) -> Suppression {
        Suppression {
            id: Some(exception.exception_id.clone()),
            justification: exception.justification.clone(),
            location: Some(exception.location),
        }
    }
}

/// One finding as a report shows it.
#[derive(Clone, Debug)]
pub struct Item<'a> {
    /// The finding itself.
    pub finding: &'a Finding,
    /// The sources the finding's locations point into (the revision's for fixed findings).
    pub sources: &'a Sources,
    /// New, fixed, or neither.
    pub state: State,
    /// Set for findings covered by an exception (from [`Finding::exception`]).
    pub suppression: Option<Suppression>,
}

impl Item<'_> {
    /// Reported as a problem: neither fixed nor excepted.
    pub fn is_open(&self) -> bool {
        self.state != State::Fixed && self.suppression.is_none()
    }

    /// Covered by an exception (and not fixed).
    pub fn is_excepted(&self) -> bool {
        self.state != State::Fixed && self.suppression.is_some()
    }

    /// The finding's primary position.
    pub fn position(&self) -> Position {
        position(self.sources, self.finding.primary.location)
    }
}

/// What `--since REV` compared the working tree with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// The revision as the user wrote it (`HEAD~1`, `origin/main`).
    pub revision: String,
    /// The commit it resolved to.
    pub commit: String,
    /// Findings of the working tree that the revision had too (not shown).
    pub unchanged: usize,
    /// Findings of the revision that are gone.
    pub fixed: usize,
    /// Whether the fixed findings are listed (`--show-fixed`).
    pub show_fixed: bool,
}

/// What a baseline file of known findings did.
#[derive(Clone, Debug)]
pub struct BaselineUse<'a> {
    /// The file, as given on the command line.
    pub path: String,
    /// Findings it suppressed.
    pub suppressed: usize,
    /// Its entries that match no finding any more (fixed, or the file is stale).
    pub unmatched: Vec<&'a BaselineEntry>,
}

/// Counts of shown findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Counts {
    /// Findings of every severity.
    pub fn total(self) -> usize {
        self.errors + self.warnings + self.notes
    }
}

/// Everything a report shows.
#[derive(Debug)]
pub struct Report<'a> {
    /// The run of the working tree.
    pub outcome: &'a Outcome,
    /// Findings of the working tree in the run's order, then fixed ones.
    pub items: Vec<Item<'a>>,
    /// The rules that ran, then any rule only a fixed finding refers to.
    pub rules: Vec<&'a Rule>,
    /// Set by [`Report::compare`] (`--since`).
    pub comparison: Option<Comparison>,
    /// Set by [`Report::apply_baseline`] (`--baseline-file`).
    pub baseline: Option<BaselineUse<'a>>,
    /// How display paths become repository-relative paths.
    pub paths: RepoPaths,
}

impl<'a> Report<'a> {
    /// A report of every finding of the run: the open ones, then the excepted ones.
    pub fn new(outcome: &'a Outcome) -> Report<'a> {
        Report {
            outcome,
            items: outcome
                .findings
                .iter()
                .chain(&outcome.excepted)
                .map(|finding| Item {
                    finding,
                    sources: &outcome.model.sources,
                    state: State::Current,
                    suppression: finding.exception.as_deref().map(Suppression::from),
                })
                .collect(),
            rules: outcome.rules.iter().collect(),
            comparison: None,
            baseline: None,
            paths: RepoPaths::default(),
        }
    }

    /// Report paths relative to the repository root (see [`RepoPaths`]).
    pub fn with_paths(mut self, paths: RepoPaths) -> Report<'a> {
        self.paths = paths;
        self
    }

    /// Drop the findings listed in a baseline file (a grouped finding stays when it gained a
    /// member the file's entry lacks) and record its entries that match nothing.
    pub fn apply_baseline(&mut self, path: &str, baseline: &'a Baseline) {
        let known: HashMap<&str, &BaselineEntry> = baseline
            .findings
            .iter()
            .map(|entry| (entry.fingerprint.as_str(), entry))
            .collect();
        let before = self.items.len();
        self.items.retain(|item| {
            item.state == State::Fixed
                || !known
                    .get(item.fingerprint())
                    .is_some_and(|entry| entry.accepts(item.finding))
        });
        let current = self.current_fingerprints();
        self.mark_new();
        self.baseline = Some(BaselineUse {
            path: path.to_string(),
            suppressed: before - self.items.len(),
            unmatched: baseline
                .findings
                .iter()
                .filter(|e| !current.contains(e.fingerprint.as_str()))
                .collect(),
        });
    }

    /// Keep only the findings whose fingerprint `previous` (the lint of `revision`) did not
    /// have, or that stand for a fact it did not have (a policy added to a grouped finding,
    /// [`Finding::members`]); with `show_fixed`, add the findings of `previous` that are gone.
    pub fn compare(
        &mut self,
        previous: &'a Outcome,
        revision: &str,
        commit: &str,
        show_fixed: bool,
    ) {
        let old: HashSet<&str> = previous
            .findings
            .iter()
            .chain(&previous.excepted)
            .map(|f| f.fingerprint.as_str())
            .collect();
        let old_members: HashSet<u64> = previous
            .findings
            .iter()
            .chain(&previous.excepted)
            .flat_map(|f| f.members.iter().copied())
            .collect();
        let now = self.current_fingerprints();
        let before = self.items.len();
        self.items.retain(|item| {
            !old.contains(item.fingerprint())
                || item
                    .finding
                    .members
                    .iter()
                    .any(|m| !old_members.contains(m))
        });
        self.mark_new();
        let fixed: Vec<&'a Finding> = previous
            .findings
            .iter()
            .filter(|f| !now.contains(f.fingerprint.as_str()))
            .collect();
        self.comparison = Some(Comparison {
            revision: revision.to_string(),
            commit: commit.to_string(),
            unchanged: before - self.items.len(),
            fixed: fixed.len(),
            show_fixed,
        });
        if show_fixed {
            self.add_fixed(previous, fixed);
        }
    }

    /// Fingerprints of the working tree's findings, excepted ones included.
    fn current_fingerprints(&self) -> HashSet<&'a str> {
        self.outcome
            .findings
            .iter()
            .chain(&self.outcome.excepted)
            .map(|f| f.fingerprint.as_str())
            .collect()
    }

    fn mark_new(&mut self) {
        for item in &mut self.items {
            if item.state == State::Current {
                item.state = State::New;
            }
        }
    }

    fn add_fixed(&mut self, previous: &'a Outcome, fixed: Vec<&'a Finding>) {
        for finding in fixed {
            if !self.rules.iter().any(|r| r.id == finding.rule)
                && let Some(rule) = previous.rules.iter().find(|r| r.id == finding.rule)
            {
                self.rules.push(rule);
            }
            self.items.push(Item {
                finding,
                sources: &previous.model.sources,
                state: State::Fixed,
                suppression: None,
            });
        }
    }

    /// Findings reported as problems (neither fixed nor excepted).
    pub fn open(&self) -> impl Iterator<Item = &Item<'a>> {
        self.items.iter().filter(|i| i.is_open())
    }

    /// Findings covered by an exception.
    pub fn excepted(&self) -> impl Iterator<Item = &Item<'a>> {
        self.items.iter().filter(|i| i.is_excepted())
    }

    /// Findings of the revision that are gone (`--show-fixed`).
    pub fn fixed(&self) -> impl Iterator<Item = &Item<'a>> {
        self.items.iter().filter(|i| i.state == State::Fixed)
    }

    /// Open findings by severity.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for item in self.open() {
            match item.finding.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Note => counts.notes += 1,
            }
        }
        counts
    }

    /// True when an open finding is at or above `threshold`: the gate of `--fail-on`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.open().any(|i| i.finding.severity >= threshold)
    }

    /// The index of a rule in [`Report::rules`].
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

impl Item<'_> {
    fn fingerprint(&self) -> &str {
        &self.finding.fingerprint
    }
}

/// Render a report in one of the machine formats, or the human one with `style`.
pub fn render(format: Format, report: &Report, style: human::Style) -> String {
    written(|out| write(format, report, style, out))
}

/// What `write` writes, as a string: the `render` of every format (all write UTF-8).
fn written(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("reports are UTF-8")
}

/// Write a report to `out`, streamed as it is rendered.
pub fn write(
    format: Format,
    report: &Report,
    style: human::Style,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(report, style, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Junit => junit::write(report, out),
        Format::Github => github::write(report, out),
        Format::Markdown => markdown::write(report, out),
    }
}

/// Render `items` on all cores, `chunk` of them at a time, and hand each rendering to `write`
/// in order (the streamed reports: tens of thousands of findings are never held rendered).
fn write_in_order<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    render: impl Fn(&T) -> R + Sync,
    mut write: impl FnMut(R) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    for chunk in items.chunks(chunk) {
        let rendered: Vec<R> = chunk.par_iter().map(&render).collect();
        for item in rendered {
            write(item)?;
        }
    }
    Ok(())
}

/// Turns display paths (relative to the working directory) into paths relative to the
/// repository root, which code scanning and workflow annotations require.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoPaths {
    /// The working directory relative to the root, `/`-separated, empty or ending in `/`
    /// (what `git rev-parse --show-prefix` prints).
    prefix: String,
}

impl RepoPaths {
    /// Paths for a working directory at `prefix` below the root (`""` at the root).
    pub fn new(prefix: &str) -> RepoPaths {
        let mut prefix = prefix.trim().replace('\\', "/");
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        RepoPaths { prefix }
    }

    /// The repository-relative form of a display path, or `None` for a path outside the
    /// repository (absolute, or climbing above the root).
    pub fn relative(&self, display: &str) -> Option<String> {
        if is_absolute(display) {
            return None;
        }
        normalize(&format!("{}{display}", self.prefix))
    }

    /// The repository-relative path where there is one, else the display path.
    pub fn shown(&self, display: &str) -> String {
        self.relative(display)
            .unwrap_or_else(|| display.to_string())
    }
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}

/// Resolve `.` and `..` lexically; `None` when `..` climbs above the start.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Framework ids a rule's references name: STIG rule versions (`WN11-SO-000185`), group and
/// rule ids (`V-253459`, `SV-253459r...`), CCIs, and CIS recommendation numbers.
pub fn framework_ids(rule: &Rule) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    for reference in &rule.references {
        if reference.starts_with("http://") || reference.starts_with("https://") {
            continue;
        }
        for segment in reference.split([';', ',']) {
            collect_stig_ids(segment, &mut ids);
            collect_cis_ids(segment, &mut ids);
        }
    }
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    ids
}

fn collect_stig_ids(segment: &str, ids: &mut Vec<(&'static str, String)>) {
    static STIG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = STIG.get_or_init(|| {
        regex::Regex::new(
            r"\b(?:[A-Z][A-Z0-9]{1,15}-[A-Z]{2}-\d{6}|S?V-\d{4,}(?:r\d+_rule)?|CCI-\d{6})\b",
        )
        .expect("valid regex")
    });
    for m in re.find_iter(segment) {
        let framework = if m.as_str().starts_with("CCI-") {
            "cci"
        } else {
            "stig"
        };
        ids.push((framework, m.as_str().to_string()));
    }
}

fn collect_cis_ids(segment: &str, ids: &mut Vec<(&'static str, String)>) {
    static CIS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    if !segment.split_whitespace().any(|w| w == "CIS") {
        return;
    }
    let re = CIS
        .get_or_init(|| regex::Regex::new(r"(?:^|[\s(#])(\d+(?:\.\d+)+)\b").expect("valid regex"));
    for caps in re.captures_iter(segment) {
        ids.push(("cis", caps[1].to_string()));
    }
}

/// The note of the human and Markdown reports on the GPOs read more than once (a SYSVOL copy
/// beside their reports, backups taken week after week): each is linted once
/// (`ingest::gpo_copies`), and the other copies would otherwise be dropped without a word.
pub(super) fn copies_note(report: &Report) -> Option<String> {
    let copies: Vec<usize> = (report.outcome.model.policies.iter())
        .filter_map(|p| p.gpo.as_ref().map(|g| g.other_copies.len()))
        .filter(|&n| n > 0)
        .collect();
    let (gpos, others) = (copies.len(), copies.iter().sum::<usize>());
    if gpos == 0 {
        return None;
    }
    Some(format!(
        "{gpos} {} read more than once ({others} other {}: older backups or reports, or a \
         report read beside a GPO's folder); each is linted once, from its latest copy, with \
         the links its report gives. `baselint inspect` lists where each was read.",
        if gpos == 1 { "GPO was" } else { "GPOs were" },
        if others == 1 { "copy" } else { "copies" },
    ))
}

/// The note of the human and Markdown reports naming the policies that reach no device: not
/// assigned or linked, or read from an export without their assignments or links (a SYSVOL
/// folder). The rules about the devices a policy reaches skip them, which would otherwise go
/// unsaid.
pub(super) fn unreached_note(report: &Report) -> Option<String> {
    const NAMED: usize = 5;
    let policies = &report.outcome.model.policies;
    let unreached: Vec<&crate::model::Policy> =
        policies.iter().filter(|p| p.reaches_nothing()).collect();
    let n = unreached.len();
    if n == 0 {
        return None;
    }
    let unknown = unreached.iter().filter(|p| !p.assignments_exported).count();
    let mut names: Vec<String> = (unreached.iter().take(NAMED))
        .map(|p| format!("\"{}\"", p.name))
        .collect();
    if n > NAMED {
        names.push(format!("{} more", n - NAMED));
    }
    let (them, their) = if n == 1 {
        ("it", "its")
    } else {
        ("them", "their")
    };
    let why = match unknown {
        0 => "not assigned or linked".to_string(),
        u if u == n => format!("{their} assignments or links are not in the export"),
        u => format!("{u} of them because their assignments or links are not in the export"),
    };
    let unknown_of = |gpo: bool| {
        (unreached.iter())
            .any(|p| !p.assignments_exported && (p.kind == crate::model::PolicyKind::Gpo) == gpo)
    };
    let mut how = String::new();
    if unknown_of(true) {
        how.push_str("; a GPO folder gets its links from the GPO's report read beside it");
    }
    if unknown_of(false) {
        how.push_str(
            "; an Intune export needs the policies' assignments (Graph `$expand=assignments`)",
        );
    }
    let text = format!(
        "{n} {} no device ({why}), so the rules about the devices a policy reaches skip \
         {them}: {}. `--unassigned JOIN_TYPES` checks {them} as if assigned{how}.",
        if n == 1 {
            "policy reaches"
        } else {
            "policies reach"
        },
        names.join(", "),
    );
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports name a text file's position by line (and column), a binary file's by the byte
    /// offset in the file, whose lines mean nothing.
    #[test]
    fn positions_in_binary_files_are_named_by_byte_offset() {
        let text = Position {
            path: "a.json".into(),
            line: 3,
            column: 7,
            end_line: 3,
            end_column: 9,
            ..Position::default()
        };
        assert!(!text.is_binary());
        assert_eq!(text.path_line("a.json"), "a.json:3");
        assert_eq!(text.path_line_column("a.json"), "a.json:3:7");
        let binary = Position {
            byte_offset: Some(0xAA),
            byte_length: Some(4),
            ..text
        };
        assert!(binary.is_binary());
        assert_eq!(binary.path_line("x.pol"), "x.pol@0xAA");
        assert_eq!(binary.path_line_column("x.pol"), "x.pol@0xAA");
    }

    #[test]
    fn repository_relative_paths() {
        let at_root = RepoPaths::new("");
        assert_eq!(at_root.relative("a/b.json").as_deref(), Some("a/b.json"));
        assert_eq!(at_root.relative("./a/../b.json").as_deref(), Some("b.json"));
        assert_eq!(at_root.relative("../b.json"), None);
        assert_eq!(at_root.relative("/abs/b.json"), None);
        assert_eq!(at_root.relative("C:/abs/b.json"), None);
        let below = RepoPaths::new("sub/dir/\n");
        assert_eq!(below.relative("x.json").as_deref(), Some("sub/dir/x.json"));
        assert_eq!(below.relative("../x.json").as_deref(), Some("sub/x.json"));
        assert_eq!(below.relative("../../../x.json"), None);
        assert_eq!(
            RepoPaths::new("sub").relative("x").as_deref(),
            Some("sub/x")
        );
        assert_eq!(below.shown("/abs/b.json"), "/abs/b.json");
    }

    fn rule_with(references: &[&str]) -> Rule {
        let mut rule = crate::rules::load_all(
            &[],
            &mut Sources::default(),
            crate::catalog::Catalog::builtin(),
        )
        .0
        .remove(0);
        rule.references = references.iter().map(|r| r.to_string()).collect();
        rule
    }

    #[test]
    fn framework_ids_come_from_non_url_references() {
        let rule = rule_with(&[
            "https://learn.microsoft.com/x/WN11-SO-000001",
            "DISA Windows 11 STIG WN11-SO-000185 (V-253459); CIS Microsoft Windows 11 Enterprise 2.3.11.3",
            "SV-253459r958478_rule, CCI-000366",
            "CIS Benchmark v3.0.0 #18.9.4",
        ]);
        let ids: Vec<String> = framework_ids(&rule)
            .into_iter()
            .map(|(f, id)| format!("{f}/{id}"))
            .collect();
        assert_eq!(
            ids,
            [
                "stig/WN11-SO-000185",
                "stig/V-253459",
                "cis/2.3.11.3",
                "stig/SV-253459r958478_rule",
                "cci/CCI-000366",
                "cis/18.9.4",
            ]
        );
    }
}
