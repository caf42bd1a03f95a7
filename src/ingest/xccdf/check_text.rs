//! Facts in a STIG rule's check text (`check-content`, decoded): registry values, user rights,
//! audit subcategories, account policies and services.
//!
//! Everything here works on plain text and returns ranges into it; `xccdf.rs` maps the ranges
//! to file spans and the names to catalog keys. The phrasings handled are those of the DISA
//! Windows STIGs (formats.md 5.1), checked against every corpus benchmark:
//!
//! * the registry block: `Registry Hive:` / `Registry Path:` (or `Registry Paths:` with one path
//!   a line, or the misspelt `RegistryPath\...`) / `Value Name:` / `Value Type:` or `Type:` /
//!   `Value:` or `Value data:`, several values under one path, `Value Data:` on the name line;
//! * the Defender style: a key line `HKLM\Software\...` then
//!   `If the value "Name" is REG_DWORD = 1, this is not a finding.` and
//!   `If the value "Name" does not exist, this is not a finding.`;
//! * values: `0`, `0x00000000 (0)`, `1 or 2`, `1, 3, or 8`, notes in parentheses
//!   (`(Enabled with UEFI lock)`), `- Off` descriptions, one alternative a line,
//!   `(or greater)`, `or less`, `(or less, excluding 0)`, `(or less, but not 0)`,
//!   `(or if the Value Name does not exist)`, REG_SZ and REG_MULTI_SZ text, an empty `Value:`
//!   followed by the text itself (the logon banner), `not configured` / `does not exist`.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::model::{Expectation, Pattern, Value};

/// A registry hive named by a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hive {
    Hklm,
    Hkcu,
}

impl Hive {
    /// `HKLM` / `HKCU`.
    pub fn prefix(self) -> &'static str {
        match self {
            Hive::Hklm => "HKLM",
            Hive::Hkcu => "HKCU",
        }
    }

    fn parse(text: &str) -> Option<Hive> {
        let upper = text.trim().trim_end_matches('\\').to_ascii_uppercase();
        match upper.as_str() {
            "HKEY_LOCAL_MACHINE" | "HKLM" | "HKLM:" => Some(Hive::Hklm),
            "HKEY_CURRENT_USER" | "HKCU" | "HKCU:" => Some(Hive::Hkcu),
            _ => None,
        }
    }
}

/// One registry value a check asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistryFact {
    pub hive: Hive,
    /// Key path without hive and without leading or trailing `\`.
    pub path: String,
    pub name: String,
    /// `REG_DWORD`, `REG_SZ`... as written, where given.
    pub value_type: Option<String>,
    /// The value text as written (first line for multi-line text).
    pub raw_value: String,
    /// None when the value text is not something a machine can compare (`See message title
    /// above`, an organisation-defined value).
    pub expected: Option<Expectation>,
    /// Where the value text is in the check text (the value name when there is none).
    pub range: Range<usize>,
}

impl RegistryFact {
    /// `HKLM\<path>\<name>`.
    pub fn full_path(&self) -> String {
        format!("{}\\{}\\{}", self.hive.prefix(), self.path, self.name)
    }
}

/// Every registry value the check text names, in order (the first is the requirement; later
/// ones are further values, alternatives or NA conditions).
pub fn registry_facts(text: &str) -> Vec<RegistryFact> {
    let block = block_facts(text);
    if block.is_empty() {
        defender_facts(text)
    } else {
        block
    }
}

/// The registry values a check requires, all of them: the first value, and the values after it
/// when the check asks for every one ("If the following registry values do not exist or are not
/// configured as specified") and nothing but their labels or a bare "And" stands between them
/// (WN11-CC-000050's NETLOGON and SYSVOL paths, WN11-CC-000210's SmartScreen switch and level).
/// Values after any other words are alternatives or conditions ("v1607 LTSB:", "When BitLocker
/// network unlock is used:", "If ... exists, requirement is NA"), as is every value after the
/// first when the check speaks of one value, so they are left out.
pub fn required_facts(text: &str) -> Vec<RegistryFact> {
    let mut facts = registry_facts(text);
    let together = match facts.first() {
        Some(first) if asks_for_every_value(&text[..first.range.start]) => {
            1 + facts
                .windows(2)
                .take_while(|pair| only_labels_between(text, &pair[0], &pair[1]))
                .count()
        }
        _ => 1,
    };
    // A value named twice is one value written for two cases (a release, a network unlock).
    let distinct = facts[..together.min(facts.len())]
        .iter()
        .enumerate()
        .take_while(|(i, fact)| {
            !facts[..*i]
                .iter()
                .any(|earlier| earlier.full_path().eq_ignore_ascii_case(&fact.full_path()))
        })
        .count();
    facts.truncate(distinct);
    facts
}

/// Does the text before the first value say that every value it lists is required?
fn asks_for_every_value(intro: &str) -> bool {
    static EVERY: OnceLock<Regex> = OnceLock::new();
    let every = regex(&EVERY, r"(?i)\bregistry values\s+(?:do not|don't)\s+exist");
    every.is_match(intro) && !intro.to_ascii_lowercase().contains("one of the following")
}

/// Is the text between two values nothing but registry labels (`Registry Hive:`, `Value Name:`,
/// `Value Type:`...), blank lines and a bare "And"?
fn only_labels_between(text: &str, before: &RegistryFact, after: &RegistryFact) -> bool {
    let Some(gap) = text.get(before.range.end..after.range.start) else {
        return false;
    };
    const LABELS: [&str; 7] = [
        "Registry Hive",
        "Registry Path",
        "RegistryPath",
        "Value Name",
        "Value Type",
        "Type",
        "Value",
    ];
    gap.lines().all(|line| {
        let line = line.trim();
        line.is_empty()
            || line.eq_ignore_ascii_case("and")
            || LABELS
                .iter()
                .any(|label| after_label(line, label).is_some())
            || misspelt_path(line).is_some()
    })
}

/// A line of the check text with its offset.
#[derive(Clone, Copy, Debug)]
struct Line<'t> {
    start: usize,
    text: &'t str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for piece in text.split('\n') {
        out.push(Line {
            start,
            text: piece.strip_suffix('\r').unwrap_or(piece),
        });
        start += piece.len() + 1;
    }
    out
}

/// Offset of `part` (a sub-slice of `text`) in `text`.
fn offset_in(text: &str, part: &str) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// The rest of a line after `label` and a colon (`Value Name:  X` -> `X`), case-insensitive.
fn after_label<'t>(line: &'t str, label: &str) -> Option<&'t str> {
    let t = line.trim_start();
    let head = t.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    let rest = t[label.len()..].trim_start();
    rest.strip_prefix(':').map(str::trim)
}

/// State of the registry block parser: the hive and paths persist across value names.
#[derive(Default)]
struct BlockState {
    hive: Option<Hive>,
    paths: Vec<String>,
    name: Option<(String, Range<usize>)>,
    value_type: Option<String>,
}

fn block_facts(text: &str) -> Vec<RegistryFact> {
    let lines = lines(text);
    let mut state = BlockState::default();
    let mut facts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        i = block_line(text, &lines, i, &mut state, &mut facts);
    }
    facts
}

/// Handle line `i`; returns the next line to look at.
fn block_line(
    text: &str,
    lines: &[Line<'_>],
    i: usize,
    state: &mut BlockState,
    facts: &mut Vec<RegistryFact>,
) -> usize {
    let line = lines[i].text;
    if let Some(rest) = after_label(line, "Registry Hive") {
        state.hive = Hive::parse(rest);
        state.name = None;
    } else if let Some(rest) =
        after_label(line, "Registry Paths").or_else(|| after_label(line, "Registry Path"))
    {
        return registry_paths(lines, i, rest, state);
    } else if let Some(rest) = misspelt_path(line) {
        state.paths = vec![clean_path(rest)];
    } else if let Some(rest) = after_label(line, "Value Name") {
        return value_name(text, lines, i, rest, state, facts);
    } else if let Some(rest) = after_label(line, "Value Type").or_else(|| after_label(line, "Type"))
    {
        state.value_type = Some(rest.to_string());
    } else if let Some(rest) =
        after_label(line, "Value data").or_else(|| after_label(line, "Value"))
    {
        return value_line(text, lines, i, rest, state, facts);
    }
    i + 1
}

/// `RegistryPath\SOFTWARE\...` (no colon, seen in WN11-CC-000007).
fn misspelt_path(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let head = t.get(..12)?;
    head.eq_ignore_ascii_case("RegistryPath")
        .then(|| t[12..].trim_start_matches(':').trim())
        .filter(|rest| rest.starts_with('\\'))
}

fn clean_path(path: &str) -> String {
    path.trim().trim_matches('\\').trim().to_string()
}

/// `Registry Path: \X\` or `Registry Paths:` followed by one path a line.
fn registry_paths(lines: &[Line<'_>], i: usize, rest: &str, state: &mut BlockState) -> usize {
    state.name = None;
    if !rest.is_empty() {
        state.paths = vec![clean_path(rest)];
        return i + 1;
    }
    let mut paths = Vec::new();
    let mut j = i + 1;
    while let Some(line) = lines.get(j) {
        let t = line.text.trim();
        if t.is_empty() || !t.contains('\\') || t.contains(':') {
            break;
        }
        paths.push(clean_path(t));
        j += 1;
    }
    state.paths = paths;
    j
}

/// `Value Name: X`, possibly with `Value Data: Y` on the same line.
fn value_name(
    text: &str,
    lines: &[Line<'_>],
    i: usize,
    rest: &str,
    state: &mut BlockState,
    facts: &mut Vec<RegistryFact>,
) -> usize {
    let (name, inline_value) = match find_ignore_case(rest, "Value Data:") {
        Some(at) => (rest[..at].trim(), Some(rest[at + 11..].trim())),
        None => (rest, None),
    };
    let start = offset_in(text, name);
    state.name = Some((name.to_string(), start..start + name.len()));
    state.value_type = None;
    match inline_value {
        Some(value) => value_line(text, lines, i, value, state, facts),
        None => i + 1,
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

/// `Value: X` (with continuation lines): completes a fact when hive, path and name are known.
fn value_line(
    text: &str,
    lines: &[Line<'_>],
    i: usize,
    rest: &str,
    state: &mut BlockState,
    facts: &mut Vec<RegistryFact>,
) -> usize {
    let banner = is_banner_marker(rest);
    let (value_text, range, next) = if banner {
        banner_text(text, lines, i + 1)
    } else {
        value_text(text, lines, i, rest)
    };
    let (Some(hive), Some(path), Some((name, name_range))) =
        (state.hive, state.paths.first(), state.name.clone())
    else {
        return next;
    };
    let value_type = state.value_type.clone();
    let expected = if banner && !value_text.is_empty() {
        Pattern::new(&text_pattern(&value_text))
            .ok()
            .map(Expectation::Matches)
    } else if rest.to_ascii_lowercase().contains("title") {
        title_pattern(&lines[i + 1..])
    } else {
        parse_value(&value_text, value_type.as_deref())
    };
    facts.push(RegistryFact {
        hive,
        path: path.clone(),
        name,
        value_type,
        raw_value: value_text.lines().next().unwrap_or("").trim().to_string(),
        expected,
        range: if range.is_empty() { name_range } else { range },
    });
    next
}

/// An empty `Value:` or `Value: See message text below`: the value is the text that follows.
fn is_banner_marker(rest: &str) -> bool {
    rest.is_empty() || rest.eq_ignore_ascii_case("See message text below")
}

/// `Value: See message title above` / `Refer to message title options below`: the titles are
/// the quoted strings of the next paragraph that has any (`"DoD Notice and Consent Banner", "US
/// Department of Defense Warning Statement" or a site-defined equivalent`). The STIG lets
/// automated tools search for those titles only; a site-defined title needs a manual review
/// (an exception in baselint).
fn title_pattern(lines: &[Line<'_>]) -> Option<Expectation> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let quoted = regex(&QUOTED, r#""([^"]+)""#);
    let titles: Vec<String> = lines
        .iter()
        .map(|l| {
            quoted
                .captures_iter(l.text)
                .map(|c| regex::escape(c[1].trim()))
                .collect::<Vec<_>>()
        })
        .find(|found| !found.is_empty())?;
    Pattern::new(&format!(r"(?i)^\s*(?:{})\s*$", titles.join("|")))
        .ok()
        .map(Expectation::Matches)
}

/// The value text starting at `rest` on line `i`, with alternatives on the following lines (one
/// number a line).
fn value_text(
    text: &str,
    lines: &[Line<'_>],
    i: usize,
    rest: &str,
) -> (String, Range<usize>, usize) {
    let start = offset_in(text, rest);
    let mut end = start + rest.len();
    let mut j = i + 1;
    while let Some(line) = lines.get(j) {
        let t = line.text.trim();
        if !starts_with_number(t) {
            break;
        }
        end = line.start + line.text.trim_end().len();
        j += 1;
    }
    (text[start..end].to_string(), start..end, j)
}

/// A value written after an empty `Value:` line: the following paragraphs up to the next
/// registry block or the end.
fn banner_text(text: &str, lines: &[Line<'_>], from: usize) -> (String, Range<usize>, usize) {
    let mut first = None;
    let mut last = None;
    let mut j = from;
    while let Some(line) = lines.get(j) {
        let t = line.text.trim();
        if after_label(t, "Registry Hive").is_some() || after_label(t, "Value Name").is_some() {
            break;
        }
        if !t.is_empty() {
            first.get_or_insert(line.start + (line.text.len() - line.text.trim_start().len()));
            last = Some(line.start + line.text.trim_end().len());
        }
        j += 1;
    }
    match (first, last) {
        (Some(a), Some(b)) => (text[a..b].to_string(), a..b, j),
        _ => (String::new(), 0..0, j),
    }
}

fn starts_with_number(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// A regular expression matching `text` with any whitespace (or the commas GptTmpl.inf writes
/// for line breaks) between its words.
fn text_pattern(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(regex::escape).collect();
    format!(r"^[\s,]*{}[\s,]*$", words.join(r"[\s,]+"))
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid built-in regex"))
}

/// Turn a value text into an expectation; None when it is not machine-comparable.
pub fn parse_value(raw: &str, value_type: Option<&str>) -> Option<Expectation> {
    let text = raw.trim();
    let lower = text.to_ascii_lowercase();
    if text.is_empty() || is_placeholder(&lower) {
        return None;
    }
    if matches!(
        lower.trim_end_matches('.'),
        "not configured" | "does not exist" | "(not configured)"
    ) {
        return Some(Expectation::Absent);
    }
    let absent_ok = lower.contains("does not exist") || lower.contains("not configured");
    let string_type = value_type.is_some_and(|t| t.to_ascii_uppercase().contains("SZ"));
    let expectation = if starts_with_number(text) {
        numeric_expectation(text, &lower, string_type)?
    } else {
        string_expectation(text, value_type)
    };
    Some(with_absent(expectation, absent_ok))
}

/// Texts that stand for an organisation-defined or described value.
fn is_placeholder(lower: &str) -> bool {
    lower.starts_with("see ")
        || lower.starts_with("refer to")
        || lower.contains("organization")
        || lower.contains("site-defined")
        || lower.contains("site defined")
}

fn with_absent(expectation: Expectation, absent_ok: bool) -> Expectation {
    match expectation {
        Expectation::OneOf(mut values) if absent_ok => {
            values.push(Value::NotConfigured);
            Expectation::OneOf(values)
        }
        other => other,
    }
}

/// `0x00000384 (900) (or less, excluding "0")` and friends.
fn numeric_expectation(text: &str, lower: &str, string_type: bool) -> Option<Expectation> {
    let numbers = numbers(text);
    let first = *numbers.first()?;
    let not_zero = lower.contains("excluding 0")
        || lower.contains("excluding \"0\"")
        || lower.contains("but not 0")
        || lower.contains("not \"0\"");
    if lower.contains("or greater") || lower.contains("or more") || lower.contains("or higher") {
        return Some(Expectation::AtLeast(first));
    }
    if lower.contains("or less") || lower.contains("or fewer") || lower.contains("or lower") {
        return Some(if not_zero {
            Expectation::Between(1, first)
        } else {
            Expectation::AtMost(first)
        });
    }
    let value = |n: i64| {
        if string_type {
            Value::Str(n.to_string())
        } else {
            Value::Int(n)
        }
    };
    Some(Expectation::OneOf(numbers.into_iter().map(value).collect()))
}

/// The numbers of a value text in order, without notes: `0x00000001 (1) (Enabled with UEFI
/// lock), or 0x00000002 (2)` -> [1, 2]; `2 (or 3)` -> [2, 3]. A hexadecimal number followed by
/// its decimal in parentheses counts once, as the decimal.
pub fn numbers(text: &str) -> Vec<i64> {
    static OR_N: OnceLock<Regex> = OnceLock::new();
    static NOTE: OnceLock<Regex> = OnceLock::new();
    static HEX: OnceLock<Regex> = OnceLock::new();
    let text = regex(&OR_N, r"(?i)\(\s*or\s+(\d+)\s*\)").replace_all(text, " or $1 ");
    let text = regex(&NOTE, r"\(([^()]*[^()\d\s][^()]*)\)").replace_all(&text, " ");
    let hex = regex(&HEX, r"^(?i)0x([0-9a-f]+)(?:\s*\(\s*(\d+)\s*\))?");
    let bytes = text.as_bytes();
    let mut out: Vec<i64> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.');
        if !boundary || !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let (n, len) = match hex.captures(&text[i..]) {
            Some(c) => match c.get(2) {
                Some(decimal) => (decimal.as_str().parse().ok(), c[0].len()),
                None => (i64::from_str_radix(&c[1], 16).ok(), c[0].len()),
            },
            None => {
                let len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                let after = bytes.get(i + len);
                let whole = after.is_none_or(|b| !(b.is_ascii_alphabetic() || *b == b'.'));
                (text[i..i + len].parse().ok().filter(|_| whole), len)
            }
        };
        if let Some(n) = n.filter(|n| !out.contains(n)) {
            out.push(n);
        }
        i += len;
    }
    out
}

/// REG_SZ / REG_MULTI_SZ text: `Block`, `O:BAG:BAD:(A;;RC;;;BA)`, `NistP384 NistP256`.
fn string_expectation(text: &str, value_type: Option<&str>) -> Expectation {
    let first = text.lines().next().unwrap_or("").trim();
    let first = first
        .split(" (or if")
        .next()
        .unwrap_or(first)
        .trim()
        .trim_matches('"');
    let multi = value_type.is_some_and(|t| t.eq_ignore_ascii_case("REG_MULTI_SZ"));
    if multi {
        let items = first
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(|s| Value::Str(s.to_string()))
            .collect();
        Expectation::OneOf(vec![Value::List(items)])
    } else {
        Expectation::flags_in(first)
            .unwrap_or_else(|| Expectation::OneOf(vec![Value::Str(first.to_string())]))
    }
}

/// The Defender STIG style: a key line, then sentences about each value.
fn defender_facts(text: &str) -> Vec<RegistryFact> {
    static KEY: OnceLock<Regex> = OnceLock::new();
    static VALUE: OnceLock<Regex> = OnceLock::new();
    let key = regex(
        &KEY,
        r"(?im)^\s*(HKLM|HKEY_LOCAL_MACHINE|HKCU|HKEY_CURRENT_USER):?\\([^\r\n]+?)\\?\s*$",
    );
    let value = regex(
        &VALUE,
        r#"(?i)the value "([^"]+)"\s+(?:is\s+((?:REG_[A-Z_]+\s*=\s*[^,]+?)(?:,?\s*or\s+REG_[A-Z_]+\s*=\s*[^,]+?)*)|(does not exist)),\s*this is not a finding"#,
    );
    let keys: Vec<(usize, Hive, String)> = key
        .captures_iter(text)
        .filter_map(|c| {
            let hive = Hive::parse(&c[1])?;
            Some((c.get(0)?.start(), hive, clean_path(&c[2])))
        })
        .collect();
    let mut facts: Vec<RegistryFact> = Vec::new();
    for caps in value.captures_iter(text) {
        let at = caps.get(0).map_or(0, |m| m.start());
        let Some((_, hive, path)) = keys.iter().rev().find(|(start, ..)| *start < at) else {
            continue;
        };
        merge_defender_fact(&mut facts, *hive, path, &caps);
    }
    unnamed_absent(text, &mut facts);
    facts
}

/// `If the value does not exist, this is not a finding.` after a named value's criteria: that
/// value may also be absent.
fn unnamed_absent(text: &str, facts: &mut [RegistryFact]) {
    static UNNAMED: OnceLock<Regex> = OnceLock::new();
    let unnamed = regex(
        &UNNAMED,
        r"(?i)if the value does not exist, this is not a finding",
    );
    for m in unnamed.find_iter(text) {
        let previous = facts
            .iter_mut()
            .filter(|f| f.range.end <= m.start())
            .max_by_key(|f| f.range.end);
        if let Some(fact) = previous {
            fact.expected = Some(add_absent(fact.expected.take()));
        }
    }
}

/// Add or extend the fact for one value name: `is REG_DWORD = 1` gives values, `does not exist`
/// allows absence.
fn merge_defender_fact(
    facts: &mut Vec<RegistryFact>,
    hive: Hive,
    path: &str,
    caps: &regex::Captures<'_>,
) {
    static TYPED: OnceLock<Regex> = OnceLock::new();
    let typed = regex(&TYPED, r"(?i)(REG_[A-Z_]+)\s*=\s*([^,]+)");
    let name = &caps[1];
    let sentence = caps.get(0).map_or(0..0, |m| m.range());
    let index = match facts.iter().position(|f| f.name == name && f.path == path) {
        Some(i) => i,
        None => {
            facts.push(RegistryFact {
                hive,
                path: path.to_string(),
                name: name.to_string(),
                value_type: None,
                raw_value: caps[0].to_string(),
                expected: None,
                range: sentence,
            });
            facts.len() - 1
        }
    };
    let fact = &mut facts[index];
    let Some(clause) = caps.get(2) else {
        fact.expected = Some(add_absent(fact.expected.take()));
        return;
    };
    let mut values = Vec::new();
    for typed in typed.captures_iter(clause.as_str()) {
        let value_type = typed[1].to_ascii_uppercase();
        let string_type = value_type.contains("SZ");
        if let Some(Expectation::OneOf(vs)) = numeric_expectation(&typed[2], "", string_type) {
            values.extend(vs);
        }
        fact.value_type = Some(value_type);
    }
    fact.raw_value = clause.as_str().to_string();
    fact.range = clause.range();
    fact.expected = Some(merge_values(fact.expected.take(), values));
}

fn add_absent(expected: Option<Expectation>) -> Expectation {
    match expected {
        Some(Expectation::OneOf(mut vs)) => {
            vs.push(Value::NotConfigured);
            Expectation::OneOf(vs)
        }
        _ => Expectation::Absent,
    }
}

fn merge_values(expected: Option<Expectation>, values: Vec<Value>) -> Expectation {
    match expected {
        Some(Expectation::Absent) => {
            let mut values = values;
            values.push(Value::NotConfigured);
            Expectation::OneOf(values)
        }
        Some(Expectation::OneOf(mut vs)) => {
            vs.extend(values);
            Expectation::OneOf(vs)
        }
        _ => Expectation::OneOf(values),
    }
}

/// What a user-right rule asks of the right's members.
#[derive(Clone, Debug, PartialEq)]
pub enum RightRule {
    /// No one may hold the right.
    Nobody,
    /// Only these may hold it (a subset is fine).
    Only(Vec<String>),
    /// These must hold it: `all` on every system, `domain` in addition on domain systems.
    Includes {
        all: Vec<String>,
        domain: Vec<String>,
    },
}

/// A user-right check: the right's name as the check writes it, and the rule.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRight {
    pub right: String,
    pub rule: RightRule,
    /// Where the principals (or the sentence) are in the check text.
    pub range: Range<usize>,
}

/// The user right a check is about and what it asks, where the text says.
pub fn user_right(title: &str, text: &str) -> Option<UserRight> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static TITLE: OnceLock<Regex> = OnceLock::new();
    if !(text.contains("User Rights Assignment") || title.contains("user right")) {
        return None;
    }
    let quoted = regex(&QUOTED, r#"(?i)the "([^"]+)"\s+(?:user\s+)?right"#);
    let titled = regex(&TITLE, r#"(?i)^the "?(.+?)"? user right"#);
    let right = quoted
        .captures(text)
        .or_else(|| titled.captures(title))
        .map(|c| c[1].trim().to_string())?;
    let lower = text.to_ascii_lowercase();
    let lines = lines(text);
    if let Some(at) = lower.find("other than the following") {
        let (items, range) = list_after(&lines, at);
        return Some(UserRight {
            right,
            rule: RightRule::Only(items),
            range,
        });
    }
    if let Some(at) = lower.find("are not defined for") {
        return Some(includes(&lines, at, right));
    }
    let granted = lower
        .find("are granted")
        .filter(|_| lower.contains("if any groups or accounts"))?;
    let sentence = line_range(&lines, granted);
    Some(UserRight {
        right,
        rule: RightRule::Nobody,
        range: sentence,
    })
}

/// The range of the line holding offset `at`.
fn line_range(lines: &[Line<'_>], at: usize) -> Range<usize> {
    let line = lines
        .iter()
        .rev()
        .find(|l| l.start <= at)
        .copied()
        .unwrap_or(Line { start: 0, text: "" });
    line.start..line.start + line.text.len()
}

/// Index of the line after the one holding offset `at`.
fn next_line(lines: &[Line<'_>], at: usize) -> usize {
    lines
        .iter()
        .rposition(|l| l.start <= at)
        .map_or(0, |i| i + 1)
}

/// A principal list item: a short line, not a sentence.
fn is_item(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.len() <= 64
        && !t.ends_with('.')
        && !t.ends_with(':')
        && !t.to_ascii_lowercase().contains("this is a finding")
        && !t.starts_with("If ")
}

/// The items listed after the sentence at `at`, up to the first blank line after them.
fn list_after(lines: &[Line<'_>], at: usize) -> (Vec<String>, Range<usize>) {
    let mut items = Vec::new();
    let mut range: Option<Range<usize>> = None;
    for line in &lines[next_line(lines, at)..] {
        if line.text.trim().is_empty() {
            if items.is_empty() {
                continue;
            }
            break;
        }
        if !is_item(line.text) {
            break;
        }
        items.push(principal(line.text));
        let end = line.start + line.text.trim_end().len();
        range = Some(range.map_or(line.start..end, |r| r.start..end));
    }
    (items, range.unwrap_or_else(|| line_range(lines, at)))
}

/// `Domain Systems Only:` / `All Systems:` sections of a deny right.
fn includes(lines: &[Line<'_>], at: usize, right: String) -> UserRight {
    let mut all = Vec::new();
    let mut domain = Vec::new();
    let mut in_domain = false;
    let mut range: Option<Range<usize>> = None;
    for line in &lines[next_line(lines, at)..] {
        let t = line.text.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("domain systems only") {
            in_domain = true;
        } else if lower.starts_with("all systems") {
            in_domain = false;
        } else if is_item(t) {
            let list = if in_domain { &mut domain } else { &mut all };
            list.push(principal(t));
        } else {
            continue;
        }
        let end = line.start + line.text.trim_end().len();
        range = Some(range.map_or(line.start..end, |r| r.start..end));
    }
    UserRight {
        right,
        rule: RightRule::Includes { all, domain },
        range: range.unwrap_or_else(|| line_range(lines, at)),
    }
}

/// `Enterprise Admins group` -> `Enterprise Admins`; `Local account (see Note below)` ->
/// `Local account`; well-known names become their SIDs (see [`well_known_sid`]).
pub fn principal(item: &str) -> String {
    let mut name = item.trim().trim_start_matches(['-', '•', '*']).trim();
    if let Some(at) = name.find(" (") {
        name = name[..at].trim();
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(" group") && !lower.ends_with("window manager group") {
        name = name[..name.len() - 6].trim();
    }
    well_known_sid(name).map_or_else(|| name.to_string(), str::to_string)
}

/// The SID of a well-known principal name (`Administrators`, `BUILTIN\Guests`,
/// `NT AUTHORITY\Local Service`, `Local account`), as policies write them in GptTmpl.inf and
/// Intune user-rights settings (without the leading `*`).
pub fn well_known_sid(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let bare = lower
        .strip_prefix("builtin\\")
        .or_else(|| lower.strip_prefix("nt authority\\"))
        .unwrap_or(&lower);
    WELL_KNOWN
        .iter()
        .find(|(n, _)| *n == bare)
        .map(|(_, sid)| *sid)
}

/// Well-known principals (lower-case name, SID).
const WELL_KNOWN: &[(&str, &str)] = &[
    ("administrators", "S-1-5-32-544"),
    ("users", "S-1-5-32-545"),
    ("guests", "S-1-5-32-546"),
    ("power users", "S-1-5-32-547"),
    ("account operators", "S-1-5-32-548"),
    ("server operators", "S-1-5-32-549"),
    ("print operators", "S-1-5-32-550"),
    ("backup operators", "S-1-5-32-551"),
    ("remote desktop users", "S-1-5-32-555"),
    ("network configuration operators", "S-1-5-32-556"),
    ("performance monitor users", "S-1-5-32-558"),
    ("performance log users", "S-1-5-32-559"),
    ("event log readers", "S-1-5-32-573"),
    ("hyper-v administrators", "S-1-5-32-578"),
    ("iis_iusrs", "S-1-5-32-568"),
    ("everyone", "S-1-1-0"),
    ("creator owner", "S-1-3-0"),
    ("network", "S-1-5-2"),
    ("batch", "S-1-5-3"),
    ("interactive", "S-1-5-4"),
    ("service", "S-1-5-6"),
    ("anonymous logon", "S-1-5-7"),
    ("authenticated users", "S-1-5-11"),
    ("system", "S-1-5-18"),
    ("local system", "S-1-5-18"),
    ("local service", "S-1-5-19"),
    ("network service", "S-1-5-20"),
    ("local account", "S-1-5-113"),
    (
        "local account and member of administrators group",
        "S-1-5-114",
    ),
    ("nt virtual machine\\virtual machines", "S-1-5-83-0"),
    ("window manager\\window manager group", "S-1-5-90-0"),
    ("all application packages", "S-1-15-2-1"),
    ("nobody", "S-1-0-0"),
    ("null sid", "S-1-0-0"),
    // A service SID: S-1-5-80 and the SHA-1 of the upper-cased service name (CIS 2.2.35).
    (
        "nt service\\wdiservicehost",
        "S-1-5-80-3139157870-2983391045-3678747466-658725712-1809340420",
    ),
];

/// An advanced audit policy check: subcategory and the flags it must include.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditCheck {
    pub subcategory: String,
    pub success: bool,
    pub failure: bool,
    pub range: Range<usize>,
}

impl AuditCheck {
    /// The audit setting values (0 none, 1 success, 2 failure, 3 both) that include the flags.
    pub fn expectation(&self) -> Expectation {
        let values = match (self.success, self.failure) {
            (true, true) => vec![3],
            (true, false) => vec![1, 3],
            _ => vec![2, 3],
        };
        Expectation::OneOf(values.into_iter().map(Value::Int).collect())
    }
}

/// `Account Logon >> Credential Validation - Failure` or
/// `If "Audit Registry" is not set to "Failure"`.
pub fn audit(text: &str) -> Option<AuditCheck> {
    static ARROW: OnceLock<Regex> = OnceLock::new();
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    let arrow = regex(
        &ARROW,
        r"(?m)>>[ \t]*([^>\r\n]+?)[ \t]+-[ \t]+(Success|Failure)[ \t]*$",
    );
    let quoted = regex(
        &QUOTED,
        r#""Audit ([^"]+)" is not set to "(Success|Failure)""#,
    );
    let quoted_start = |caps: &regex::Captures<'_>| caps.get(0).map(|m| m.start());
    let mut check: Option<AuditCheck> = None;
    for caps in arrow.captures_iter(text).chain(quoted.captures_iter(text)) {
        let all = caps.get(0)?;
        let start = if all.as_str().starts_with('"') {
            quoted_start(&caps)?
        } else {
            caps.get(1)?.start()
        };
        let whole = start..all.end();
        let sub = caps[1].trim().to_string();
        let c = check.get_or_insert_with(|| AuditCheck {
            subcategory: sub.clone(),
            success: false,
            failure: false,
            range: whole.clone(),
        });
        if !c.subcategory.eq_ignore_ascii_case(&sub) {
            continue;
        }
        match &caps[2] {
            "Success" => c.success = true,
            _ => c.failure = true,
        }
        c.range = c.range.start.min(whole.start)..c.range.end.max(whole.end);
    }
    check
}

/// A `[System Access]` value (account policy, guest account status...) check.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyCheck {
    /// The policy name as the check writes it (`Minimum password length`).
    pub name: String,
    pub expected: Option<Expectation>,
    pub range: Range<usize>,
}

/// `If the value for "Minimum password length," is less than "14" characters, this is a
/// finding.` and the other phrasings of the account policy checks.
pub fn policy(text: &str) -> Option<PolicyCheck> {
    static SENTENCE: OnceLock<Regex> = OnceLock::new();
    let sentence = regex(
        &SENTENCE,
        r#"(?i)"([^"]+?),?"\s+(?:value\s+)?is\s+(less than|greater than|not set to|"0" or more than)\s+"([^"]+)"([^\r\n]*)"#,
    );
    let caps = sentence.captures(text)?;
    let name = caps[1].trim().to_string();
    let tail = caps[4].to_ascii_lowercase();
    let rest = text[caps.get(3)?.end()..].to_ascii_lowercase();
    let n: Option<i64> = caps[3].trim().parse().ok();
    let expected = match (caps[2].to_ascii_lowercase().as_str(), n) {
        // "less than 15 minutes (excluding 0)": the editor's 0 for the lockout duration is
        // "until an administrator unlocks it", -1 in the exports, which meets any lower bound
        // (`controls::comparable`). For other policies "excluding" is not read.
        ("less than", Some(n))
            if tail.contains("excluding")
                && name.eq_ignore_ascii_case("account lockout duration") =>
        {
            Some(Expectation::AtLeast(n))
        }
        ("less than", Some(_)) if tail.contains("excluding") => None,
        ("less than", Some(n)) => Some(Expectation::AtLeast(n)),
        ("greater than", Some(n)) if rest.contains("set to \"0\"") => {
            Some(Expectation::Between(1, n))
        }
        ("greater than", Some(n)) => Some(Expectation::AtMost(n)),
        ("\"0\" or more than", Some(n)) => Some(Expectation::Between(1, n)),
        ("not set to", _) => match caps[3].to_ascii_lowercase().as_str() {
            "enabled" => Some(Expectation::OneOf(vec![Value::Int(1)])),
            "disabled" => Some(Expectation::OneOf(vec![Value::Int(0)])),
            _ => None,
        },
        _ => None,
    };
    Some(PolicyCheck {
        name,
        expected,
        range: caps.get(0)?.range(),
    })
}

/// A service the check wants disabled (`Locate the "Secondary Logon" service` ... `"Startup
/// Type" is not "Disabled"`): its display name and where the requirement is.
pub fn disabled_service(text: &str) -> Option<(String, Range<usize>)> {
    static LOCATE: OnceLock<Regex> = OnceLock::new();
    static STARTUP: OnceLock<Regex> = OnceLock::new();
    let locate = regex(&LOCATE, r#"(?i)locate the "([^"]+)" service"#);
    let startup = regex(&STARTUP, r#"(?i)"Startup Type" is not "Disabled""#);
    let name = locate.captures(text)?[1].to_string();
    let at = startup.find(text)?;
    Some((name, at.range()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> RegistryFact {
        let facts = registry_facts(text);
        assert!(!facts.is_empty(), "no fact in {text:?}");
        facts.into_iter().next().unwrap()
    }

    fn ints(values: &[i64]) -> Option<Expectation> {
        Some(Expectation::OneOf(
            values.iter().map(|&i| Value::Int(i)).collect(),
        ))
    }

    fn required_names(text: &str) -> Vec<String> {
        required_facts(text).into_iter().map(|f| f.name).collect()
    }

    const HARDENED_PATHS: &str = "If the following registry values do not exist or are not configured as specified, this is a finding.\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\NetworkProvider\\HardenedPaths\\\n\nValue Name: \\\\*\\NETLOGON\nValue Type: REG_SZ\nValue: RequireMutualAuthentication=1, RequireIntegrity=1\n\nValue Name: \\\\*\\SYSVOL\nValue Type: REG_SZ\nValue: RequireMutualAuthentication=1, RequireIntegrity=1\n\nAdditional entries would not be a finding.";

    const SMARTSCREEN: &str = "If the following registry values do not exist or are not configured as specified, this is a finding:\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\System\\\n\nValue Name: EnableSmartScreen\n\nValue Type: REG_DWORD\nValue: 0x00000001 (1)\n\nAnd\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\System\\\n\nValue Name: ShellSmartScreenLevel\n\nValue Type: REG_SZ\nValue: Block";

    #[test]
    fn every_value_of_a_check_that_asks_for_all_is_required() {
        assert_eq!(
            required_names(HARDENED_PATHS),
            ["\\\\*\\NETLOGON", "\\\\*\\SYSVOL"]
        );
        let flags = Some(Expectation::Flags(vec![
            "RequireMutualAuthentication=1".into(),
            "RequireIntegrity=1".into(),
        ]));
        assert!(
            required_facts(HARDENED_PATHS)
                .iter()
                .all(|f| f.expected == flags)
        );
        let facts = required_facts(SMARTSCREEN);
        assert_eq!(
            facts.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["EnableSmartScreen", "ShellSmartScreenLevel"]
        );
        assert_eq!(&SMARTSCREEN[facts[1].range.clone()], "Block");
        assert_eq!(
            facts[1].expected,
            Some(Expectation::OneOf(vec![Value::Str("Block".into())]))
        );
    }

    #[test]
    fn alternatives_and_conditions_are_not_required() {
        // Win10's SmartScreen rule: the pair, then the values of older releases.
        let releases = format!(
            "{SMARTSCREEN}\n\nv1607 LTSB:\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\System\\\n\nValue Name: EnableSmartScreen\n\nValue Type: REG_DWORD\nValue: 0x00000001 (1)"
        );
        assert_eq!(
            required_names(&releases),
            ["EnableSmartScreen", "ShellSmartScreenLevel"]
        );
        // One value asked for; the second decides whether the rule applies at all.
        let condition = "If the following registry value does not exist or is not configured as specified, this is a finding:\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\AppPrivacy\\\n\nValue Name: LetAppsActivateWithVoiceAboveLock\n\nType: REG_DWORD\nValue: 0x00000002 (2)\n\nIf the following registry value exists and is configured as specified, requirement is NA:\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\Windows\\AppPrivacy\\\n\nValue Name: LetAppsActivateWithVoice\n\nType: REG_DWORD\nValue: 0x00000002 (2)";
        assert_eq!(
            required_names(condition),
            ["LetAppsActivateWithVoiceAboveLock"]
        );
        // "One of the following" values: either will do.
        let either = HARDENED_PATHS.replace("If the following", "If one of the following");
        assert_eq!(required_names(&either), ["\\\\*\\NETLOGON"]);
        // The same value twice is one value for two cases.
        let twice = HARDENED_PATHS.replace("SYSVOL", "NETLOGON");
        assert_eq!(required_names(&twice), ["\\\\*\\NETLOGON"]);
        // Any other words between two values end the values required.
        let worded = HARDENED_PATHS.replace(
            "\n\nValue Name: \\\\*\\SYSVOL",
            "\n\nWhen BitLocker network unlock is used:\n\nValue Name: \\\\*\\SYSVOL",
        );
        assert_eq!(required_names(&worded), ["\\\\*\\NETLOGON"]);
    }

    #[test]
    fn pku2u_block_gives_path_name_and_value_range() {
        let text = "If the following registry value does not exist or is not configured as specified, this is a finding:\n\nRegistry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SYSTEM\\CurrentControlSet\\Control\\LSA\\pku2u\\\n\nValue Name: AllowOnlineID\n\nValue Type: REG_DWORD\nValue: 0";
        let fact = one(text);
        assert_eq!(fact.hive, Hive::Hklm);
        assert_eq!(
            fact.full_path(),
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\LSA\\pku2u\\AllowOnlineID"
        );
        assert_eq!(fact.value_type.as_deref(), Some("REG_DWORD"));
        assert_eq!(fact.expected, ints(&[0]));
        assert_eq!(&text[fact.range.clone()], "0");
    }

    #[test]
    fn value_phrasings() {
        let dword = Some("REG_DWORD");
        let cases: Vec<(&str, Option<Expectation>)> = vec![
            ("0x00000000 (0)", ints(&[0])),
            ("0x20080000 (537395200)", ints(&[537_395_200])),
            ("0x7ffffff8 (2147483640)", ints(&[2_147_483_640])),
            ("1 or 2", ints(&[1, 2])),
            ("1, 3, or 8 ", ints(&[1, 3, 8])),
            (
                "0x00000001 (1) (Enabled with UEFI lock), or 0x00000002 (2) (Enabled without lock)",
                ints(&[1, 2]),
            ),
            (
                "1 (Secure Boot only) or 3 (Secure Boot and DMA Protection)",
                ints(&[1, 3]),
            ),
            (
                "0x00000000 (0) - No peering (HTTP Only)\n0x00000001 (1) - LAN",
                ints(&[0, 1]),
            ),
            ("2 (Prompt for consent on the secure desktop)", ints(&[2])),
            (
                "0x00008000 (32768) (or greater)",
                Some(Expectation::AtLeast(32768)),
            ),
            ("0x00000006 (6) or greater", Some(Expectation::AtLeast(6))),
            ("10 (or less)", Some(Expectation::AtMost(10))),
            (
                "0x00000384 (900) (or less, excluding \"0\" which is effectively disabled)",
                Some(Expectation::Between(1, 900)),
            ),
            (
                "0x0000001e (30) (or less, but not 0)",
                Some(Expectation::Between(1, 30)),
            ),
            (
                "0x0000001e (30)  (or less, excluding 0)",
                Some(Expectation::Between(1, 30)),
            ),
            (
                "0 (or if the Value Name does not exist)",
                Some(Expectation::OneOf(vec![
                    Value::Int(0),
                    Value::NotConfigured,
                ])),
            ),
            ("not configured", Some(Expectation::Absent)),
            ("See message title above", None),
            ("Organization's Tenant GUID", None),
        ];
        for (text, expected) in cases.clone() {
            assert_eq!(parse_value(text, dword), expected, "{text}");
        }
    }

    #[test]
    fn string_values_keep_their_text() {
        let sz = Some("REG_SZ");
        let one = |s: &str| Some(Expectation::OneOf(vec![Value::Str(s.into())]));
        assert_eq!(
            parse_value("O:BAG:BAD:(A;;RC;;;BA)", sz),
            one("O:BAG:BAD:(A;;RC;;;BA)")
        );
        assert_eq!(parse_value("Block", sz), one("Block"));
        assert_eq!(
            parse_value("1 (Lock Workstation) or 2 (Force Logoff)", sz),
            Some(Expectation::OneOf(vec![
                Value::Str("1".into()),
                Value::Str("2".into())
            ]))
        );
        assert_eq!(
            parse_value("10 (or less)", sz),
            Some(Expectation::AtMost(10))
        );
        assert_eq!(
            parse_value("NistP384 NistP256", Some("REG_MULTI_SZ")),
            Some(Expectation::OneOf(vec![Value::List(vec![
                Value::Str("NistP384".into()),
                Value::Str("NistP256".into())
            ])]))
        );
    }

    #[test]
    fn several_values_paths_and_inline_data() {
        let text = "Registry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\Policies\\Microsoft\\FVE\\\n\nValue Name: UseTPMPIN\nType: REG_DWORD\nValue: 0x00000001 (1)\n\nValue Name: UseTPMKeyPIN\nType: REG_DWORD\nValue: 0x00000001 (1)";
        let facts = registry_facts(text);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[1].name, "UseTPMKeyPIN");
        let paths = "Registry Hive: HKEY_LOCAL_MACHINE\nRegistry Paths: \n\\SOFTWARE\\Classes\\batfile\\shell\\runasuser\\\n\\SOFTWARE\\Classes\\cmdfile\\shell\\runasuser\\\n\nValue Name: SuppressionPolicy\n\nType: REG_DWORD\nValue: 0x00001000 (4096)";
        let fact = one(paths);
        assert_eq!(fact.path, "SOFTWARE\\Classes\\batfile\\shell\\runasuser");
        assert_eq!(fact.expected, ints(&[4096]));
        let camera = "Registry Hive: HKEY_LOCAL_MACHINE\nRegistryPath\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\CapabilityAccessManager\\ConsentStore\\webcam\n\nValue Name: Value        Value Data: Deny\n";
        let fact = one(camera);
        assert_eq!(fact.name, "Value");
        assert_eq!(
            fact.expected,
            Some(Expectation::OneOf(vec![Value::Str("Deny".into())]))
        );
        assert_eq!(&camera[fact.range.clone()], "Deny");
    }

    #[test]
    fn banner_text_becomes_a_whitespace_tolerant_pattern() {
        let text = "Registry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\SOFTWARE\\X\\\n\nValue Name: LegalNoticeText\n\nValue Type: REG_SZ\nValue: \nYou are accessing a U.S. Government (USG) system.\n\n-At any time, yes.";
        let fact = one(text);
        let Some(Expectation::Matches(re)) = &fact.expected else {
            panic!("{:?}", fact.expected)
        };
        assert!(
            re.is_match("You are accessing a U.S. Government (USG) system.,,-At any time, yes.")
        );
        assert!(!re.is_match("Welcome"));
        assert!(text[fact.range.clone()].starts_with("You are accessing"));
    }

    #[test]
    fn defender_style_sentences() {
        let text = "Procedure: Use the Windows Registry Editor to navigate to the following key:\nHKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Spynet\n\nCriteria: If the value \"SpynetReporting\" is REG_DWORD = 1, or REG_DWORD = 2, this is not a finding.\nIf the value \"ScheduleDay\" is REG_DWORD = 0x8, this is a finding.";
        let fact = one(text);
        assert_eq!(
            fact.path,
            "Software\\Policies\\Microsoft\\Windows Defender\\Spynet"
        );
        assert_eq!(fact.expected, ints(&[1, 2]));
        assert_eq!(&text[fact.range.clone()], "REG_DWORD = 1, or REG_DWORD = 2");
        let absent = "HKLM\\Software\\Policies\\Microsoft\\Windows Defender\n\nCriteria: If the value \"DisableRoutinelyTakingAction\" is REG_DWORD = 0, this is not a finding.\n\nIf the value does not exist, this is not a finding.\nIf the value \"DisableAntiSpyware\" does not exist, this is not a finding.";
        let facts = registry_facts(absent);
        assert_eq!(facts[1].expected, Some(Expectation::Absent));
        let asr = "HKLM\\Software\\Policies\\Microsoft\\Windows Defender\\Threats\nCriteria: If the value \"5\" is REG_SZ = 2 (or 3), this is not a finding.";
        assert_eq!(
            one(asr).expected,
            Some(Expectation::OneOf(vec![
                Value::Str("2".into()),
                Value::Str("3".into())
            ]))
        );
    }

    #[test]
    fn user_rights_lists() {
        let only = "Navigate to ... User Rights Assignment.\n\nIf any groups or accounts other than the following are granted the \"Access this computer from the network\" user right, this is a finding:\n\nAdministrators\nRemote Desktop Users\n\nIf a domain application account requires this, this would not be a finding.";
        let right = user_right(
            "The \"Access this computer from the network\" user right must ...",
            only,
        )
        .unwrap();
        assert_eq!(right.right, "Access this computer from the network");
        assert_eq!(
            right.rule,
            RightRule::Only(vec!["S-1-5-32-544".into(), "S-1-5-32-555".into()])
        );
        assert_eq!(&only[right.range], "Administrators\nRemote Desktop Users");
        let deny = "User Rights Assignment.\n\nIf the following groups or accounts are not defined for the \"Deny access to this computer from the network\" right, this is a finding:\n\nDomain Systems Only:\nEnterprise Admins group\nDomain Admins group\nLocal account (see Note below)\n\nAll Systems:\nGuests group\n\nPrivileged Access Workstations (PAWs) are exempt.\n\nNote: \"Local account\" is a built-in security group.";
        let right = user_right("", deny).unwrap();
        assert_eq!(
            right.rule,
            RightRule::Includes {
                all: vec!["S-1-5-32-546".into()],
                domain: vec![
                    "Enterprise Admins".into(),
                    "Domain Admins".into(),
                    "S-1-5-113".into()
                ],
            }
        );
        let none = "User Rights Assignment.\n\nIf any groups or accounts are granted the \"Create a token object\" user right, this is a finding.";
        assert_eq!(user_right("", none).unwrap().rule, RightRule::Nobody);
    }

    #[test]
    fn audit_and_policy_sentences() {
        let audit_text = "AuditPol settings with the following. If the system does not audit the following, this is a finding:\n\nAccount Logon >> Credential Validation - Failure";
        let check = audit(audit_text).unwrap();
        assert_eq!(check.subcategory, "Credential Validation");
        assert_eq!(check.expectation(), ints(&[2, 3]).unwrap());
        let quoted = "Advanced Audit Policy Configuration >> ... >> Audit Registry. \n\nIf \"Audit Registry\" is not set to \"Success\", this is a finding.";
        assert_eq!(audit(quoted).unwrap().expectation(), ints(&[1, 3]).unwrap());
        let cases = [
            (
                "If the value for the \"Minimum password length,\" is less than \"14\" characters, this is a finding.",
                Some(Expectation::AtLeast(14)),
            ),
            (
                "If the value for the \"Maximum password age\" is greater than \"60\" days, this is a finding. If the value is set to \"0\" (never expires), this is a finding.",
                Some(Expectation::Between(1, 60)),
            ),
            (
                "If the \"Account lockout threshold\" is \"0\" or more than \"3\" attempts, this is a finding.",
                Some(Expectation::Between(1, 3)),
            ),
            (
                "If the value for \"Store password using reversible encryption\" is not set to \"Disabled\", this is a finding.",
                ints(&[0]),
            ),
            (
                "If the \"Account lockout duration\" is less than \"15\" minutes (excluding \"0\"), this is a finding.",
                Some(Expectation::AtLeast(15)),
            ),
        ];
        for (text, expected) in cases.clone() {
            assert_eq!(policy(text).unwrap().expected, expected, "{text}");
        }
        assert_eq!(policy(cases[0].0).unwrap().name, "Minimum password length");
    }

    #[test]
    fn services_to_disable() {
        let text = "Locate the \"Secondary Logon\" service.\n\nIf the \"Startup Type\" is not \"Disabled\" or the \"Status\" is \"Running\", this is a finding.";
        assert_eq!(disabled_service(text).unwrap().0, "Secondary Logon");
    }
}
