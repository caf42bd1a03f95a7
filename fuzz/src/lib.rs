//! Fuzz target bodies for baselint's parsers, one public function per target in
//! `fuzz_targets/`. Each decodes the bytes the way `baselint check` does, runs one reader, and
//! then checks what the rest of baselint relies on: every span the reader returns lies inside
//! the file and on character boundaries (diagnostics slice the file text with them).
//!
//! The replay test at the bottom runs every function over `corpus/<target>/` and
//! `artifacts/<target>/` on stable Rust, without libFuzzer: `cargo test` in this folder.

use std::path::{Path, PathBuf};

use baselint::catalog::Catalog;
use baselint::ingest::{self, Parsed, membership_rule};
use baselint::model::Model;
use baselint::source::{SourceFile, SourceId, Sources, Span};

/// Decode like `baselint check` (BOM and UTF-16 sniffing); undecodable input is not interesting.
fn decode(name: &str, data: &[u8]) -> Option<SourceFile> {
    SourceFile::decode(Path::new(name), data).ok()
}

fn check_span(text: &str, span: Span, what: &str) {
    let range = span.range();
    check_range(text, range.start, range.end, what);
}

fn check_range(text: &str, start: usize, end: usize, what: &str) {
    assert!(
        start <= end
            && end <= text.len()
            && text.is_char_boundary(start)
            && text.is_char_boundary(end),
        "{what} span {start}..{end} is not a valid range of the {}-byte text",
        text.len()
    );
}

/// Every span of what one file produced lies in that file (`file: Some(_)` spans point into
/// other files and are skipped).
fn check_parsed(file: &SourceFile, parsed: &Parsed) {
    let text = file.text();
    for policy in &parsed.policies {
        check_span(text, policy.span, "policy");
        check_span(text, policy.name_span, "policy name");
        for setting in policy.settings.iter().filter(|s| s.file.is_none()) {
            check_span(text, setting.span, "setting");
            check_span(text, setting.name_span, "setting name");
        }
        for assignment in policy.assignments.iter().filter(|a| a.file.is_none()) {
            check_span(text, assignment.span, "assignment");
            check_span(text, assignment.target_span, "assignment target");
            if let Some(filter) = &assignment.filter {
                check_span(text, filter.span, "assignment filter");
            }
        }
    }
    for group in &parsed.groups {
        check_span(text, group.span, "group");
        if let Some(span) = group.rule_span {
            check_span(text, span, "membership rule");
        }
    }
    for filter in &parsed.filters {
        check_span(text, filter.span, "filter");
    }
    for control in &parsed.controls {
        check_span(text, control.span, "control");
        if let Some(span) = control.expected_span {
            check_span(text, span, "control expectation");
        }
    }
    for exception in &parsed.exceptions {
        check_span(text, exception.span, "exception");
        if let Some(span) = exception.expires_span {
            check_span(text, span, "exception expiry");
        }
    }
    for entry in &parsed.checklist_entries {
        check_span(text, entry.span, "checklist entry");
    }
    // Input errors carry 1-based line/column computed from the text: computing them must not
    // panic either (done by the readers themselves).
}

fn read_with(name: &str, data: &[u8], read: impl Fn(SourceId, &SourceFile) -> Parsed) {
    if let Some(file) = decode(name, data) {
        let parsed = read(SourceId(0), &file);
        check_parsed(&file, &parsed);
    }
}

/// Intune / Entra Graph JSON (`ingest::intune::read_json`). When the typed fast path accepts the
/// input, its result must be the reference reader's, to the last span.
pub fn intune_json(data: &[u8]) {
    let catalog = Catalog::builtin();
    read_with("fuzz.json", data, |id, file| {
        ingest::intune::read_json(id, file, catalog)
    });
    if let Some(file) = decode("fuzz.json", data)
        && let Some(fast) = ingest::intune::read_json_typed(SourceId(0), &file, catalog)
    {
        let reference = ingest::intune::read_json_reference(SourceId(0), &file, catalog);
        assert_eq!(
            format!("{fast:?}"),
            format!("{reference:?}"),
            "the typed fast path and the reference reader disagree"
        );
        // The fast path hands its line starts to the file: they must be the text's.
        let fresh = decode("fuzz.json", data).expect("decoded once already");
        for line in 1..=fresh.line_count() {
            assert_eq!(file.line(line), fresh.line(line), "line {line}");
        }
        assert_same_positions(&file, &fresh);
    }
}

/// `file` gives the lines and columns of `expected` (the same text, indexed anew): its line
/// count, and the line and column of offsets spread over the text.
fn assert_same_positions(file: &SourceFile, expected: &SourceFile) {
    assert_eq!(file.line_count(), expected.line_count(), "line count");
    let step = 1 + expected.len() / 512;
    for offset in (0..=expected.len()).step_by(step).chain([expected.len()]) {
        assert_eq!(
            file.line_col(offset),
            expected.line_col(offset),
            "offset {offset}"
        );
    }
}

/// A Graph list of policies read window by window (`ingest::intune::read_json_windowed`, how
/// list files of 16 MB and more are read), in windows from 16 bytes to half the input (the
/// first byte picks their size): when it accepts, the input read whole by the typed reader
/// gives the same policies, spans and line index.
pub fn streamed_list(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let window = (usize::from(selector) * body.len() / 512).max(16);
    let dir = fuzz_dir("streamed_list");
    std::fs::create_dir_all(&dir).expect("create the fuzz folder");
    let path = dir.join("list.json");
    std::fs::write(&path, body).expect("write the fuzz input");
    let Some((streamed, file)) = ingest::intune::read_json_windowed(&path, window) else {
        return;
    };
    let whole = decode("list.json", body).expect("a list read in windows is UTF-8");
    let read = ingest::intune::read_json_typed(SourceId(0), &whole, Catalog::builtin())
        .expect("the typed reader reads whole what it reads in windows");
    assert_eq!(
        format!("{:?}", streamed.policies),
        format!("{:?}", read.policies),
        "read in windows and whole, the policies differ"
    );
    assert_same_positions(&file, &whole);
}

/// The fast path's JSON cursor: it accepts exactly what serde_json accepts, save unpaired
/// surrogate escapes (which the reference reader rejects), up to its lower nesting bound
/// (where it may only decline).
pub fn json_cursor(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cursor = ingest::intune::json_cursor_accepts(text);
    let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        && !ingest::intune::has_unpaired_surrogate(text);
    let deep = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count() > 100;
    assert!(
        cursor == serde || (deep && serde && !cursor),
        "the JSON cursor says {cursor}, serde_json {serde}"
    );
}

/// Entra dynamic membership rules and Intune assignment filter rules.
pub fn membership_rule(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match membership_rule::parse(text) {
        Ok(expr) => {
            let (start, end) = expr.span();
            check_range(text, start, end, "rule expression");
            for (start, end) in membership_rule::trust_type_spans(&expr) {
                check_range(text, start, end, "deviceTrustType comparison");
            }
            membership_rule::analyse(&expr, membership_rule::Dialect::GroupRule);
            membership_rule::analyse(&expr, membership_rule::Dialect::AssignmentFilter);
        }
        Err(e) => check_range(text, e.offset, e.offset.saturating_add(e.len), "rule error"),
    }
}

/// `Get-GPOReport -ReportType Xml`.
pub fn gpo_report(data: &[u8]) {
    let catalog = Catalog::builtin();
    read_with("gpreport.xml", data, |id, file| {
        ingest::gpo_report::read(id, file, catalog)
    });
}

/// `GptTmpl.inf` security templates.
pub fn security_template(data: &[u8]) {
    let catalog = Catalog::builtin();
    read_with("GptTmpl.inf", data, |id, file| {
        ingest::security_template::read(id, file, None, catalog)
    });
}

/// `Registry.pol` (binary): the reader renders a listing as a source; spans point into it.
pub fn registry_pol(data: &[u8]) {
    let catalog = Catalog::builtin();
    let mut model = Model::default();
    ingest::registry_pol::load(
        Path::new("GPO/Machine/Registry.pol"),
        data,
        None,
        &mut model,
        catalog,
    );
    check_model(&model, |_| data.len() as u64);
}

/// XCCDF benchmarks (DISA STIG).
pub fn xccdf(data: &[u8]) {
    let catalog = Catalog::builtin();
    read_with("stig-xccdf.xml", data, |id, file| {
        ingest::xccdf::read(id, file, catalog)
    });
}

/// STIG Viewer 2 checklists (`.ckl`, XML).
pub fn ckl(data: &[u8]) {
    read_with("host.ckl", data, ingest::checklist::read_ckl);
}

/// STIG Viewer 3 checklists (`.cklb`, JSON).
pub fn cklb(data: &[u8]) {
    read_with("host.cklb", data, ingest::checklist::read_cklb);
}

/// baselint's baseline TOML.
pub fn baseline_toml(data: &[u8]) {
    let catalog = Catalog::builtin();
    read_with("baseline.toml", data, |id, file| {
        ingest::baseline::read(id, file, catalog)
    });
}

/// `exceptions.toml`.
pub fn exceptions_toml(data: &[u8]) {
    read_with("exceptions.toml", data, ingest::exceptions::read);
}

/// `baselint.toml`.
pub fn config_toml(data: &[u8]) {
    if let Some(file) = decode("baselint.toml", data) {
        let (_config, errors) = baselint::config::parse(SourceId(0), &file);
        drop(errors);
    }
}

/// Rule files. The rule schema (`rules::schema`) is private: the only public path is
/// `rules::load_all`, which reads `*.toml` from folders, so the input is written to a
/// per-process temporary folder first (slower: it also loads the built-in rules each time).
pub fn rule_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = Sources::default();
    let (_rule, errors) = baselint::rules::load_text(
        "fuzz.toml",
        text.to_string(),
        &mut sources,
        Catalog::builtin(),
    );
    for error in &errors {
        if let Some(location) = &error.location {
            check_span(text, location.span, "rule error");
        }
    }
}

/// The files of a GPO backup folder, in the order the `gpo_backup` target's input lists them
/// (separated by [`BACKUP_SEPARATOR`]; an empty part leaves the file out).
pub const BACKUP_FILES: [&str; 11] = [
    "Backup.xml",
    "bkupInfo.xml",
    "gpreport.xml",
    "DomainSysvol/GPO/Machine/registry.pol",
    "DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf",
    "DomainSysvol/GPO/Machine/microsoft/windows nt/Audit/audit.csv",
    "DomainSysvol/GPO/Machine/Preferences/Registry/Registry.xml",
    "DomainSysvol/GPO/User/registry.pol",
    "DomainSysvol/GPO/Machine/Preferences/Groups/Groups.xml",
    // A template folder's metadata (read beside a backup's, or alone), and a preference file
    // searched for stored passwords only.
    "GPT.INI",
    "DomainSysvol/GPO/User/Preferences/Drives/Drives.xml",
];

/// Between two files of the `gpo_backup` target's input (`fuzz/seed.sh` writes it the same).
pub const BACKUP_SEPARATOR: &[u8] = b"\n==> next file <==\n";

/// A GPO backup folder (`ingest::gpo_backup`): the input is split into the files of
/// [`BACKUP_FILES`], written to a per-process temporary folder, and read as `check` reads a
/// backup (the metadata, the report, the raw files and what ties them); then the comparison of
/// the report with the raw files. Every span must lie in the file it names, and every span of a
/// Registry.pol listing must name bytes of that file.
pub fn gpo_backup(data: &[u8]) {
    let dir = fuzz_dir("gpo-backup").join("{backup}");
    // Left from the previous input: its files must not mix with this one's.
    let _ = std::fs::remove_dir_all(&dir);
    for (name, part) in BACKUP_FILES.iter().zip(split(data, BACKUP_SEPARATOR)) {
        if part.is_empty() {
            continue;
        }
        let path = dir.join(name);
        let parent = path.parent().expect("a file in the backup folder");
        std::fs::create_dir_all(parent).expect("create the fuzz backup folder");
        std::fs::write(&path, part).expect("write a fuzz backup file");
    }
    let catalog = Catalog::builtin();
    let mut model = Model::default();
    // As `check` reads it: on a worker, into a model the merge takes in (ids moved).
    ingest::load(&[ingest::Unit::GpoFolder(dir.clone(), None)], &mut model, catalog);
    check_model(&model, |file| {
        std::fs::metadata(&file.path).map_or(0, |m| m.len())
    });
    if let Some((_agreement, errors)) = ingest::gpo_backup::agreement(&dir, catalog) {
        drop(errors);
    }
}

/// `data` cut at every `separator`.
fn split<'d>(data: &'d [u8], separator: &[u8]) -> Vec<&'d [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest
        .windows(separator.len())
        .position(|window| window == separator)
    {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len()..];
    }
    parts.push(rest);
    parts
}

/// Every span of a model lies in the file it names; a span of a binary file's listing also
/// names bytes of that file, within its size (`size_of` the listing's file).
fn check_model(model: &Model, size_of: impl Fn(&SourceFile) -> u64) {
    let check = |file: SourceId, span: Span, what: &str| {
        let source = model.sources.get(file);
        check_span(source.text(), span, what);
        if matches!(source.encoding, baselint::source::Encoding::BinaryListing) {
            let bytes = source.file_bytes(span).expect("a listing maps its spans");
            let size = size_of(source);
            assert!(
                u64::from(bytes.end) <= size,
                "{what}: {bytes:?} past the file"
            );
        }
    };
    for policy in &model.policies {
        check(policy.source, policy.span, "policy");
        check(policy.source, policy.name_span, "policy name");
        for setting in &policy.settings {
            let file = setting.file.unwrap_or(policy.source);
            check(file, setting.span, "setting");
            check(file, setting.name_span, "setting name");
        }
        for assignment in &policy.assignments {
            let file = assignment.file.unwrap_or(policy.source);
            check(file, assignment.span, "assignment");
            check(file, assignment.target_span, "assignment target");
        }
    }
    for error in &model.errors {
        if let Some(location) = error.location {
            check(location.file, location.span, "input error");
        }
    }
}

/// `$TMPDIR/baselint-fuzz-<what>-<pid>`: one folder per fuzzing process and target.
fn fuzz_dir(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("baselint-fuzz-{what}-{}", std::process::id()))
}

/// The file names the `pipeline` target gives its input, chosen by the first byte.
const PIPELINE_NAMES: [&str; 8] = [
    "input.json",
    "input.xml",
    "GptTmpl.inf",
    "Registry.pol",
    "input.ckl",
    "input.cklb",
    "baselint.toml",
    "input.csv",
];

/// The whole pipeline: the input (after its first byte, which picks the file name) is written
/// to a per-process temporary folder, `baselint::check` runs every rule over it, and every
/// report format is rendered. `baselint.toml` is also the run's config file, so the config,
/// and what it names (baselines, exceptions, rule folders), goes through the same path. Bit 3
/// of the first byte checks unassigned policies as reaching every join type (`--unassigned
/// all`), so the rules also run on what a GPO without links or an unassigned policy sets.
pub fn pipeline(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let name = PIPELINE_NAMES[usize::from(selector) % PIPELINE_NAMES.len()];
    let dir = fuzz_dir("pipeline").join(name.replace('.', "-"));
    std::fs::create_dir_all(&dir).expect("create the fuzz folder");
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write the fuzz input");
    let config = if name == "baselint.toml" {
        path.clone()
    } else {
        let empty = dir.join("empty-baselint.toml");
        std::fs::write(&empty, "").expect("write an empty config");
        empty
    };
    let outcome = baselint::check(&baselint::Options {
        paths: vec![path],
        config: Some(config),
        select: vec!["ALL".to_string()],
        today: baselint::model::Date::parse("2026-11-25"),
        unassigned: (selector & 0x08 != 0).then_some(baselint::model::ALL_JOIN_TYPES),
        ..Default::default()
    });
    let report = baselint::report::Report::new(&outcome);
    let style = baselint::report::human::Style {
        color: true,
        width: 80,
    };
    for format in PIPELINE_FORMATS {
        let _ = baselint::report::render(format, &report, style);
    }
}

const PIPELINE_FORMATS: [baselint::report::Format; 6] = {
    use baselint::report::Format;
    [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Markdown,
        Format::Junit,
    ]
};

/// A fuzz target: bytes in, panics on a bug.
pub type Target = fn(&[u8]);

/// Every target by name, for the replay test.
pub const TARGETS: [(&str, Target); 16] = [
    ("intune_json", intune_json),
    ("json_cursor", json_cursor),
    ("membership_rule", membership_rule),
    ("gpo_report", gpo_report),
    ("security_template", security_template),
    ("registry_pol", registry_pol),
    ("xccdf", xccdf),
    ("ckl", ckl),
    ("cklb", cklb),
    ("baseline_toml", baseline_toml),
    ("exceptions_toml", exceptions_toml),
    ("rule_toml", rule_toml),
    ("config_toml", config_toml),
    ("pipeline", pipeline),
    ("gpo_backup", gpo_backup),
    ("streamed_list", streamed_list),
];

#[cfg(test)]
mod tests {
    use super::TARGETS;

    /// Run every target over its corpus and saved artifacts (stable Rust, no libFuzzer).
    /// `FUZZ_TARGET=name` restricts to one target; a panic names the input that caused it.
    #[test]
    fn replay_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let only = std::env::var("FUZZ_TARGET").ok();
        let mut inputs = 0;
        for (name, run) in TARGETS {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            for folder in ["corpus", "artifacts"] {
                let Ok(entries) = std::fs::read_dir(root.join(folder).join(name)) else {
                    continue;
                };
                let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
                paths.sort();
                for path in paths {
                    let data = std::fs::read(&path).expect("read an input");
                    eprintln!("{name}: {}", path.display());
                    run(&data);
                    inputs += 1;
                }
            }
        }
        eprintln!("replayed {inputs} inputs");
    }
}
