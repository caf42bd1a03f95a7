//! Every STIG / CIS input in the shared corpus loads: XCCDF benchmarks (with a per-file count
//! of machine-checkable rules and, for Windows 11, the registry rules missed), STIG Viewer
//! checklists, HardeningKitty finding lists. Skipped when `../shared/corpus` is absent.

use std::path::{Path, PathBuf};

use baselint::catalog::Catalog;
use baselint::ingest::{Parsed, checklist, finding_list, xccdf};
use baselint::model::{ControlKind, Expectation, Framework, Value};
use baselint::source::{SourceFile, SourceId};

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    root.is_dir().then_some(root)
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, ext, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        {
            out.push(path);
        }
    }
}

fn decode(path: &Path) -> SourceFile {
    let bytes = std::fs::read(path).unwrap();
    SourceFile::decode(path, &bytes).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn xccdf_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(&root.join("stig-xccdf"), "xml", &mut out);
    out
}

/// A rule whose check text names a registry value (the goal: all of them machine-checkable).
fn registry_based(control: &baselint::model::Control) -> bool {
    matches!(control.kind, ControlKind::RegistryValue)
}

#[test]
fn every_corpus_xccdf_loads_and_reports_machine_checkable_rules() {
    let Some(root) = corpus() else {
        println!("skipping: ../shared/corpus not found");
        return;
    };
    let paths = xccdf_files(&root);
    assert!(paths.len() >= 8, "expected the 8 corpus XCCDF files");
    println!("file: rules / machine-checkable (registry checkable/registry, other kinds)");
    for path in &paths {
        let file = decode(path);
        let parsed = xccdf::read(SourceId(0), &file, Catalog::builtin());
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            parsed.errors
        );
        assert!(!parsed.controls.is_empty(), "{}: no rules", path.display());
        report(&name(path), &parsed);
        for control in &parsed.controls {
            assert_eq!(control.framework, Framework::Stig);
            assert!(
                file.slice(control.span).starts_with("<Rule"),
                "{}",
                control.id
            );
            if let Some(span) = control.expected_span {
                assert!(!file.slice(span).trim().is_empty(), "{}", control.id);
            }
        }
    }
}

fn report(file: &str, parsed: &Parsed) {
    let controls = &parsed.controls;
    let checkable = controls.iter().filter(|c| c.expected.is_some()).count();
    let registry: Vec<_> = controls.iter().filter(|c| registry_based(c)).collect();
    let registry_ok = registry.iter().filter(|c| c.expected.is_some()).count();
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for c in controls
        .iter()
        .filter(|c| !registry_based(c) && c.expected.is_some())
    {
        let kind = format!("{:?}", c.kind);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
    }
    println!(
        "{file}: {} rules / {checkable} machine-checkable (registry {registry_ok}/{}, {kinds:?})",
        controls.len(),
        registry.len()
    );
    for c in registry.iter().filter(|c| c.expected.is_none()) {
        println!(
            "    registry rule without expectation: {} {}",
            c.id, c.title
        );
    }
}

#[test]
fn windows_11_stig_registry_rules_are_machine_checkable() {
    let Some(root) = corpus() else {
        return;
    };
    let path = xccdf_files(&root)
        .into_iter()
        .find(|p| name(p).contains("Windows_11_STIG"))
        .expect("Windows 11 STIG in the corpus");
    let file = decode(&path);
    let parsed = xccdf::read(SourceId(0), &file, Catalog::builtin());
    let missed: Vec<String> = parsed
        .controls
        .iter()
        .filter(|c| registry_based(c) && c.expected.is_none())
        .map(|c| format!("{} ({})", c.id, c.title))
        .collect();
    println!("Windows 11 registry rules without an expectation: {missed:#?}");
    assert!(missed.is_empty(), "{missed:#?}");

    let pku2u = parsed
        .controls
        .iter()
        .find(|c| c.id == "WN11-SO-000185")
        .expect("WN11-SO-000185");
    let key = &Catalog::builtin()
        .resolve("pku2u_allow_online_id")
        .unwrap()
        .key;
    assert_eq!(pku2u.key.as_deref(), Some(key.as_str()));
    assert_eq!(
        pku2u.expected,
        Some(Expectation::OneOf(vec![Value::Int(0)]))
    );
    let span = pku2u.expected_span.unwrap();
    assert_eq!(file.slice(span), "0");
    let line_start = file.text()[..span.start as usize].rfind('\n').unwrap() + 1;
    assert_eq!(&file.text()[line_start..span.end as usize], "Value: 0");
    assert!(pku2u.aliases.iter().any(|a| a == "V-253459"));
    assert!(
        parsed.controls[0]
            .baseline
            .starts_with("Microsoft_Windows_11_STIG V2R")
    );
}

/// The rules whose check asks for several registry values, all of them, are exactly those
/// whose text says so ("registry values do not exist", then values with only their labels or
/// "And" between): each further value is a requirement with its own key, expectation and span.
/// Rules listing alternatives or conditions keep their first value only.
#[test]
fn corpus_rules_that_require_several_values_require_them_all() {
    let Some(root) = corpus() else {
        println!("skipping: ../shared/corpus not found");
        return;
    };
    let mut found: Vec<String> = Vec::new();
    for path in xccdf_files(&root) {
        let file = decode(&path);
        let parsed = xccdf::read(SourceId(0), &file, Catalog::builtin());
        for control in parsed.controls.iter().filter(|c| !c.also.is_empty()) {
            let values: Vec<String> = control
                .also
                .iter()
                .map(|r| {
                    let written = file.slice(r.expected_span.expect("a span"));
                    format!("{} = {written}", r.key)
                })
                .collect();
            found.push(format!(
                "{} {}: {}",
                name(&path),
                control.id,
                values.join("; ")
            ));
            for requirement in &control.also {
                assert!(requirement.expected.is_some(), "{}", control.id);
                assert_ne!(
                    control.key.as_ref(),
                    Some(&requirement.key),
                    "{}",
                    control.id
                );
            }
        }
    }
    found.sort();
    let ids: Vec<&str> = found
        .iter()
        .map(|f| f.split(' ').nth(1).unwrap().trim_end_matches(':'))
        .collect();
    println!("{found:#?}");
    assert_eq!(
        ids,
        [
            "WN10-CC-000050",
            "WN10-CC-000210",
            "WN10-CC-000328",
            "WN10-CC-000050",
            "WN10-CC-000210",
            "WN11-CC-000050",
            "WN11-CC-000210",
            "WN19-CC-000080",
            "WN22-CC-000080",
            "WN25-CC-000080",
        ],
        "{found:#?}"
    );
}

#[test]
fn every_corpus_checklist_loads() {
    let Some(root) = corpus() else {
        return;
    };
    let mut paths = Vec::new();
    files(&root.join("stig-checklist"), "ckl", &mut paths);
    files(&root.join("stig-checklist"), "cklb", &mut paths);
    assert_eq!(paths.len(), 4, "{paths:?}");
    for path in &paths {
        let file = decode(path);
        let parsed = match path.extension().unwrap().to_str().unwrap() {
            "cklb" => checklist::read_cklb(SourceId(0), &file),
            _ => checklist::read_ckl(SourceId(0), &file),
        };
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            parsed.errors
        );
        assert!(!parsed.checklist_entries.is_empty(), "{}", path.display());
        let overrides = parsed
            .checklist_entries
            .iter()
            .filter(|e| e.severity_override.is_some())
            .count();
        println!(
            "{}: {} entries ({overrides} severity overrides), STIG {}",
            name(path),
            parsed.checklist_entries.len(),
            parsed.checklist_entries[0].stig
        );
        for entry in &parsed.checklist_entries {
            let text = file.slice(entry.span);
            assert!(
                text.starts_with("<VULN>") || text.starts_with('{'),
                "{}",
                entry.vuln_id
            );
        }
    }
    let win10 = paths.iter().find(|p| name(p) == "win10.ckl").unwrap();
    let parsed = checklist::read_ckl(SourceId(0), &decode(win10));
    let pku2u = parsed
        .checklist_entries
        .iter()
        .find(|e| e.vuln_id == "V-220935")
        .expect("V-220935 PKU2U");
    assert_eq!(pku2u.rule_version.as_deref(), Some("WN10-SO-000185"));
    assert_eq!(parsed.checklist_entries.len(), 285);
}

#[test]
fn every_corpus_finding_list_loads() {
    let Some(root) = corpus() else {
        return;
    };
    let mut paths = Vec::new();
    files(&root.join("finding-lists"), "csv", &mut paths);
    assert_eq!(paths.len(), 8, "{paths:?}");
    for path in &paths {
        let file = decode(path);
        let parsed = finding_list::read(SourceId(0), &file, Catalog::builtin());
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            parsed.errors
        );
        let checkable = parsed
            .controls
            .iter()
            .filter(|c| c.expected.is_some())
            .count();
        println!(
            "{}: {:?}, {} rows / {checkable} machine-checkable",
            name(path),
            parsed.controls[0].framework,
            parsed.controls.len()
        );
    }
    let cis = paths
        .iter()
        .find(|p| name(p) == "finding_list_cis_microsoft_windows_11_enterprise_23h2_machine.csv")
        .unwrap();
    let file = decode(cis);
    let parsed = finding_list::read(SourceId(0), &file, Catalog::builtin());
    assert!(
        parsed
            .controls
            .iter()
            .all(|c| c.framework == Framework::Cis)
    );
    let pku2u = parsed.controls.iter().find(|c| c.id == "2.3.11.3").unwrap();
    let key = &Catalog::builtin()
        .resolve("pku2u_allow_online_id")
        .unwrap()
        .key;
    assert_eq!(pku2u.key.as_deref(), Some(key.as_str()));
    assert_eq!(
        pku2u.expected,
        Some(Expectation::OneOf(vec![Value::Int(0)]))
    );
    assert_eq!(file.slice(pku2u.expected_span.unwrap()), "0");
    let dod = paths.iter().find(|p| name(p).contains("_dod_")).unwrap();
    let parsed = finding_list::read(SourceId(0), &decode(dod), Catalog::builtin());
    assert!(
        parsed
            .controls
            .iter()
            .all(|c| c.framework == Framework::Stig)
    );
}

// --- Fixtures (tests/fixtures/stig, tests/fixtures/exceptions; see ATTRIBUTION.md) -------------

fn fixture(path: &str) -> SourceFile {
    decode(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
}

fn read_xccdf(path: &str) -> (SourceFile, Parsed) {
    let file = fixture(path);
    let parsed = xccdf::read(SourceId(0), &file, Catalog::builtin());
    (file, parsed)
}

/// One line per control: what a reviewer checks in the snapshot.
fn summary(file: &SourceFile, parsed: &Parsed) -> String {
    let mut out = String::new();
    for c in &parsed.controls {
        let expected_text = c
            .expected_span
            .map(|s| {
                file.slice(s)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .map(|t| t.chars().take(60).collect::<String>())
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {:?} [{}] {:?}\n  key: {}\n  expected: {:?}\n  applies_to: {:?}\n  text: {expected_text:?}\n",
            c.id,
            c.kind,
            c.severity.as_deref().unwrap_or("-"),
            c.aliases,
            c.key.as_deref().unwrap_or("-"),
            c.expected,
            c.applies_to,
        ));
    }
    out
}

#[test]
fn xccdf_excerpt_controls_snapshot() {
    let (file, parsed) = read_xccdf("stig/win11-v2r6-excerpt-xccdf.xml");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.controls.len(), 11);
    insta::with_settings!({ snapshot_path => "fixtures/stig/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("win11_excerpt_controls", summary(&file, &parsed));
    });
}

#[test]
fn xccdf_12_excerpt_reads_like_the_11_one() {
    let (_, v11) = read_xccdf("stig/win11-v2r6-excerpt-xccdf.xml");
    let (_, v12) = read_xccdf("stig/win11-v2r6-excerpt-xccdf12.xml");
    assert!(v12.errors.is_empty(), "{:?}", v12.errors);
    assert_eq!(v12.controls.len(), v11.controls.len());
    for (a, b) in v11.controls.iter().zip(&v12.controls) {
        assert_eq!(
            (&a.id, &a.key, &a.expected, &a.aliases),
            (&b.id, &b.key, &b.expected, &b.aliases)
        );
    }
    assert_eq!(v12.controls[0].baseline, "Microsoft_Windows_11_STIG V2R6");
}

#[test]
fn xccdf_without_a_benchmark_is_a_positioned_error() {
    let (_, parsed) = read_xccdf("stig/no-benchmark.xml");
    assert!(parsed.controls.is_empty());
    let err = &parsed.errors[0];
    assert_eq!((err.line, err.column), (Some(3), Some(1)));
    assert!(
        err.message
            .starts_with("not an XCCDF benchmark: expected a <Benchmark> root element"),
        "{}",
        err.message
    );
}

#[test]
fn check_text_with_no_parsable_value_keeps_the_control_without_expectation() {
    let (file, parsed) = read_xccdf("stig/unparsable-check.xml");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let site = &parsed.controls[0];
    assert_eq!(site.id, "EX-00-000001");
    assert_eq!(site.kind, ControlKind::RegistryValue);
    assert_eq!(
        site.key.as_deref(),
        Some("hklm\\software\\policies\\example\\sitevalue")
    );
    assert_eq!(site.expected, None);
    assert_eq!(
        file.slice(site.expected_span.unwrap()),
        "See the organization's documented value"
    );
    assert_eq!(
        parsed.controls[1].expected,
        Some(Expectation::OneOf(vec![Value::Int(1)]))
    );
    assert_eq!(parsed.controls[0].baseline, "Example_STIG V1R1");
}

#[test]
fn checklist_fixtures_load() {
    let ckl = fixture("stig/win10-v2r2-excerpt.ckl");
    let parsed = checklist::read_ckl(SourceId(0), &ckl);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.checklist_entries.len(), 3);
    assert_eq!(parsed.checklist_entries[0].stig, "Windows_10_STIG V2R2");
    let overrides = fixture("stig/rhel9-overrides-excerpt.ckl");
    let parsed = checklist::read_ckl(SourceId(0), &overrides);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let justified: Vec<_> = parsed
        .checklist_entries
        .iter()
        .filter(|e| e.severity_override.is_some() && e.severity_justification.is_some())
        .collect();
    assert_eq!(justified.len(), 3, "{:?}", parsed.checklist_entries);
    let cklb = fixture("stig/rhel8-one-of-each-status.cklb");
    let parsed = checklist::read_cklb(SourceId(0), &cklb);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let mut statuses: Vec<String> = parsed
        .checklist_entries
        .iter()
        .map(|e| format!("{:?}", e.status))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        ["NotAFinding", "NotApplicable", "NotReviewed", "Open"]
    );
}

#[test]
fn broken_ckl_is_a_positioned_error() {
    let file = fixture("stig/broken.ckl");
    let parsed = checklist::read_ckl(SourceId(0), &file);
    assert!(parsed.checklist_entries.is_empty());
    let err = &parsed.errors[0];
    assert!(err.message.contains("is not closed"), "{}", err.message);
    assert!(err.line.is_some() && err.column.is_some());
}

#[test]
fn finding_list_fixture_loads() {
    let file = fixture("stig/finding_list_cis_microsoft_windows_11_enterprise_23h2_excerpt.csv");
    let parsed = finding_list::read(SourceId(0), &file, Catalog::builtin());
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.controls.len(), 10);
    assert!(
        parsed
            .controls
            .iter()
            .all(|c| c.framework == Framework::Cis)
    );
    let rights = parsed.controls.iter().find(|c| c.id == "2.2.2").unwrap();
    assert_eq!(
        rights.expected,
        Some(Expectation::Principals(vec![
            "S-1-5-32-555".into(),
            "S-1-5-32-544".into()
        ]))
    );
}

#[test]
fn exceptions_fixture_loads_incomplete_ones_included() {
    let file = fixture("exceptions/exceptions.toml");
    let parsed = baselint::ingest::exceptions::read(SourceId(0), &file);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let ids: Vec<&str> = parsed.exceptions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["EXC-0042", "EXC-0050", "EXC-0051"]);
    assert_eq!(parsed.exceptions[2].owner, None);
    assert_eq!(
        parsed.exceptions[2].expires,
        baselint::model::Expiry::Missing
    );
}

#[test]
fn exceptions_with_a_bad_date_or_join_type_are_positioned_errors() {
    let file = fixture("exceptions/bad-date.toml");
    let parsed = baselint::ingest::exceptions::read(SourceId(0), &file);
    let err = &parsed.errors[0];
    assert_eq!(
        err.message,
        "invalid date `2027-02-30` in `expires`: expected YYYY-MM-DD (a real calendar day) or \"never\""
    );
    assert_eq!((err.line, err.column), (Some(6), Some(11)));
    let file = fixture("exceptions/unknown-join-type.toml");
    let parsed = baselint::ingest::exceptions::read(SourceId(0), &file);
    assert!(
        parsed.errors[0]
            .message
            .starts_with("unknown join type `azuread`")
    );
    assert_eq!(
        (parsed.errors[0].line, parsed.errors[0].column),
        (Some(4), Some(34))
    );
}

#[test]
fn baseline_with_an_unknown_setting_is_a_positioned_error() {
    let file = fixture("stig/baseline-unknown-setting.toml");
    let parsed = baselint::ingest::baseline::read(SourceId(0), &file, Catalog::builtin());
    assert!(parsed.controls.is_empty());
    let err = &parsed.errors[0];
    assert!(
        err.message
            .starts_with("unknown setting `pku2u_allow_online_idd`"),
        "{}",
        err.message
    );
    assert_eq!((err.line, err.column), (Some(9), Some(11)));
}

/// Truncations and small mutations of a text: every parser must return (errors are fine) and
/// never panic.
fn variants(text: &str) -> Vec<String> {
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    let step = (boundaries.len() / 100).max(1);
    let mut out = Vec::new();
    for (n, &at) in boundaries.iter().step_by(step).enumerate() {
        out.push(text[..at].to_string());
        let next = boundaries.iter().find(|&&b| b > at).copied().unwrap_or(at);
        let insert = [
            "<", ">", "\"", "&", "\n", ",", "{", "]", "=", "'", "\u{0}", "é", "[[x]]\n",
        ][n % 13];
        out.push(format!("{}{insert}{}", &text[..at], &text[next..]));
        out.push(format!("{}{}", &text[..at], &text[next..]));
        out.push(format!("{}é€{}", &text[..at], &text[at..]));
    }
    out
}

#[test]
fn no_parser_panics_on_truncated_or_mutated_input() {
    type Reader = fn(&SourceFile) -> Parsed;
    let catalog = Catalog::builtin();
    let _ = catalog;
    let cases: [(&str, Reader); 8] = [
        ("stig/win11-v2r6-excerpt-xccdf.xml", |f| {
            xccdf::read(SourceId(0), f, Catalog::builtin())
        }),
        ("stig/unparsable-check.xml", |f| {
            xccdf::read(SourceId(0), f, Catalog::builtin())
        }),
        ("stig/win10-v2r2-excerpt.ckl", |f| {
            checklist::read_ckl(SourceId(0), f)
        }),
        ("stig/rhel8-one-of-each-status.cklb", |f| {
            checklist::read_cklb(SourceId(0), f)
        }),
        (
            "stig/finding_list_cis_microsoft_windows_11_enterprise_23h2_excerpt.csv",
            |f| finding_list::read(SourceId(0), f, Catalog::builtin()),
        ),
        ("stig/baseline-unknown-setting.toml", |f| {
            baselint::ingest::baseline::read(SourceId(0), f, Catalog::builtin())
        }),
        ("exceptions/exceptions.toml", |f| {
            baselint::ingest::exceptions::read(SourceId(0), f)
        }),
        ("exceptions/bad-date.toml", |f| {
            baselint::ingest::exceptions::read(SourceId(0), f)
        }),
    ];
    let shipped = include_str!("../baselines/entra-joined-adjustments.toml");
    let mut total = 0;
    for (path, reader) in cases {
        let original = fixture(path);
        for text in variants(original.text()) {
            let file =
                SourceFile::from_text(Path::new(path), text, baselint::source::Encoding::Utf8);
            let parsed = reader(&file);
            for err in &parsed.errors {
                assert!(err.line.is_some(), "{path}: unpositioned error {err:?}");
            }
            total += 1;
        }
    }
    for text in variants(shipped) {
        let file =
            SourceFile::from_text(Path::new("b.toml"), text, baselint::source::Encoding::Utf8);
        let _ = baselint::ingest::baseline::read(SourceId(0), &file, Catalog::builtin());
        total += 1;
    }
    assert!(total > 1000, "{total}");
}
