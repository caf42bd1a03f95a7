//! Every built-in rule has fixtures that show it firing and staying silent, and the docs
//! `baselint explain` prints.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use baselint::{Options, check};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn builtin_ids() -> Vec<String> {
    let mut sources = baselint::source::Sources::default();
    let (rules, errors) =
        baselint::rules::load_all(&[], &mut sources, baselint::catalog::Catalog::builtin());
    assert!(errors.is_empty(), "built-in rules must load: {errors:?}");
    rules.into_iter().map(|r| r.id.to_string()).collect()
}

fn run_rule(rule: &str, dir: &Path) -> baselint::Outcome {
    let outcome = check(&Options {
        paths: vec![dir.to_path_buf()],
        select: vec![rule.to_string()],
        // Exception fixtures are written for this day.
        today: baselint::model::Date::parse("2026-11-25"),
        ..Options::default()
    });
    assert!(
        outcome.errors().is_empty(),
        "{}: unexpected input errors {:?}",
        dir.display(),
        outcome.errors()
    );
    outcome
}

#[test]
fn every_rule_fires_on_its_fires_fixture() {
    for id in builtin_ids() {
        let dir = fixtures().join(&id).join("fires");
        assert!(
            dir.is_dir(),
            "rule {id} has no fixture folder {}",
            dir.display()
        );
        let outcome = run_rule(&id, &dir);
        assert!(
            outcome.findings.iter().any(|f| f.rule == id),
            "rule {id} did not fire on {}",
            dir.display()
        );
        assert!(outcome.findings.iter().all(|f| f.rule == id));
    }
}

#[test]
fn every_rule_stays_silent_on_its_clean_fixture() {
    for id in builtin_ids() {
        let dir = fixtures().join(&id).join("clean");
        assert!(
            dir.is_dir(),
            "rule {id} has no fixture folder {}",
            dir.display()
        );
        let outcome = run_rule(&id, &dir);
        let fired: Vec<_> = outcome.findings.iter().map(|f| &f.message).collect();
        assert!(
            fired.is_empty(),
            "rule {id} fired on {}: {fired:#?}",
            dir.display()
        );
    }
}

/// Which policies a rule fires on, by name, in a fixture folder.
fn fired_policies(rule: &str, case: &str) -> Vec<String> {
    let outcome = run_rule(rule, &fixtures().join(rule).join(case));
    let mut names: Vec<String> = outcome
        .findings
        .iter()
        .filter_map(|f| f.policy.as_ref().map(|p| p.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn pku2u_entra_rule_fires_on_catalog_oma_uri_and_unknown_static_groups() {
    assert_eq!(
        fired_policies("pku2u-disabled-on-entra-joined", "fires"),
        [
            "PKU2U block (OMA-URI)",
            "PKU2U block (catalog)",
            "PKU2U block (static group)"
        ]
    );
}

#[test]
fn pku2u_hybrid_rule_fires_for_hybrid_groups_filters_and_enforced_links() {
    assert_eq!(
        fired_policies("pku2u-disabled-on-hybrid-joined", "fires"),
        [
            "DoD STIG - Computers (enforced)",
            "DoD Windows 10 STIG - Computer",
            "PKU2U block for hybrid",
            "PKU2U block, hybrid filter"
        ]
    );
}

#[test]
fn unknown_static_group_finding_says_the_join_types_are_unknown() {
    let rule = "pku2u-disabled-on-entra-joined";
    let outcome = run_rule(rule, &fixtures().join(rule).join("fires"));
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.policy.as_ref().unwrap().name == "PKU2U block (static group)")
        .unwrap();
    assert!(finding.message.contains("may reach"), "{}", finding.message);
    assert!(
        finding.notes.iter().any(|n| n.contains("static group")),
        "{:?}",
        finding.notes
    );
}

#[test]
fn rules_are_documented_and_codes_are_unique() {
    let mut sources = baselint::source::Sources::default();
    let (rules, _) =
        baselint::rules::load_all(&[], &mut sources, baselint::catalog::Catalog::builtin());
    let mut codes = HashSet::new();
    for rule in &rules {
        assert!(!rule.rationale.is_empty(), "{} has no rationale", rule.id);
        assert!(!rule.fix.is_empty(), "{} has no fix", rule.id);
        assert!(!rule.references.is_empty(), "{} has no references", rule.id);
        let code = rule.code.clone().expect("built-in rules have a code");
        assert!(codes.insert(code.clone()), "duplicate code {code}");
        let doc = baselint::rules::explain(rule);
        for heading in [
            "## Why",
            "## What it checks",
            "## How to fix",
            "## References",
        ] {
            assert!(
                doc.contains(heading),
                "{}: explain lacks {heading}",
                rule.id
            );
        }
    }
    assert!(rules.len() >= 4);
}

#[test]
fn exception_covers_the_finding_it_names_and_reports_it_as_excepted() {
    let dir = fixtures().join("exception-expired/clean");
    let outcome = check(&Options {
        paths: vec![dir],
        today: baselint::model::Date::parse("2026-11-25"),
        ..Options::default()
    });
    assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
    assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
    assert_eq!(outcome.excepted.len(), 1);
    let suppression = outcome.excepted[0].exception.as_ref().unwrap();
    assert_eq!(suppression.exception_id, "EXC-1");
    assert_eq!(outcome.audit.entries[0].days_left, Some(188));
}

#[test]
fn expired_exception_no_longer_suppresses() {
    let dir = fixtures().join("exception-expired/fires");
    let outcome = check(&Options {
        paths: vec![dir],
        today: baselint::model::Date::parse("2026-11-25"),
        ..Options::default()
    });
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["exception-expired", "pku2u-disabled-on-entra-joined"]
    );
}

#[test]
fn gpo_intune_conflict_says_which_channel_wins() {
    let without = run_rule(
        "gpo-intune-conflict",
        &fixtures().join("gpo-intune-conflict/fires"),
    );
    assert!(
        without.findings[0]
            .message
            .contains("documentation does not define which value wins"),
        "{}",
        without.findings[0].message
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpo-mdm-wins");
    let with = run_rule("gpo-intune-conflict", &dir);
    assert!(
        with.findings[0].message.contains(
            "the Intune value wins: ControlPolicyConflict/MDMWinsOverGP = 1 reaches these devices through \"Win - MDM wins over GP\""
        ),
        "{}",
        with.findings[0].message
    );
}

/// The human report of every rule on its `fires` fixture, as a reviewer sees it.
#[test]
fn every_rule_diagnostic_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for id in builtin_ids() {
        let dir = format!("tests/fixtures/rules/{id}/fires");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args([
                "check",
                &dir,
                "--select",
                &id,
                "--today",
                "2026-11-25",
                "--color",
                "never",
            ])
            .current_dir(root)
            .env("COLUMNS", "110")
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        insta::assert_snapshot!(format!("fires_{id}"), text);
    }
}

/// With `[baselines] missing = "note"`, a control no policy configures is a note at the control.
#[test]
fn missing_controls_are_reported_when_configured() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/baseline-missing");
    let outcome = run_rule("baseline-deviation", &dir);
    let missing: Vec<(&str, baselint::rules::Severity)> = outcome
        .findings
        .iter()
        .map(|f| (f.message.as_str(), f.severity))
        .collect();
    // Neither control of the baseline is configured: the folder has no policy.
    assert_eq!(missing.len(), 2, "{missing:#?}");
    for (message, severity) in &missing {
        assert!(message.contains("is configured by no policy"), "{message}");
        assert_eq!(*severity, baselint::rules::Severity::Note);
    }
    assert!(missing[0].0.contains("CW-NTLM-01") && missing[1].0.contains("CW-PKU2U-01"));
    assert!(
        missing[1].0.ends_with("reaches domain-joined devices"),
        "{}",
        missing[1].0
    );
}

/// A copy of a rule's `fires` fixture in a fresh folder, to add files to.
fn fires_copy(rule: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baselint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(fixtures().join(rule).join("fires")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// PowerShell's `ConvertTo-Json` writes `<` and `>` as `\u003c` and `\u003e`: the finding
/// still points at the group's `accessgroup` element, escapes and all, and nothing else.
#[test]
fn restricted_groups_element_span_follows_unicode_escapes() {
    let rule = "restricted-groups-beside-local-groups";
    let dir = fires_copy(rule, "escaped-restricted-groups");
    let path = dir.join("restricted-groups.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let escaped = text
        .replace("\"<", "\"\\u003c")
        .replace("\\n  <", "\\n  \\u003c");
    let escaped = escaped
        .replace(">\\n", "\\u003e\\n")
        .replace("\\n    <", "\\n    \\u003c");
    let escaped = escaped.replace("</accessgroup>", "\\u003c/accessgroup\\u003e");
    assert!(escaped.contains("\\u003caccessgroup"), "{escaped}");
    std::fs::write(&path, escaped).unwrap();
    let outcome = run_rule(rule, &dir);
    let [finding] = &outcome.findings[..] else {
        panic!("{:#?}", outcome.findings);
    };
    let element = text_at(&outcome, finding.primary.location);
    assert!(
        element.starts_with(r#"\u003caccessgroup desc=\"S-1-5-32-544\"\u003e"#)
            && element.ends_with(r"\u003c/accessgroup\u003e"),
        "{element}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One GPO setting against many Intune policies is one finding, whatever their number: it
/// labels and names the first few, counts the rest, and keeps its fingerprint as more come.
#[test]
fn gpo_intune_conflict_is_one_finding_per_gpo_setting() {
    let dir = fires_copy("gpo-intune-conflict", "channel-grouped");
    let policy = std::fs::read_to_string(dir.join("intune.json")).unwrap();
    let add = |n: usize| {
        let text = policy
            .replace("\"id\": \"p1\"", &format!("\"id\": \"p-extra-{n}\""))
            .replace("\"Win - NTLM\"", &format!("\"Win - NTLM {n}\""));
        std::fs::write(dir.join(format!("extra-{n}.json")), text).unwrap();
    };
    let three = "3 (Send LM and NTLMv2 responses only)";
    let one = run_rule("gpo-intune-conflict", &dir);
    assert_eq!(one.findings.len(), 1);
    let single = format!("but Intune policy \"Win - NTLM\" sets it to {three}, and both may reach");
    assert!(
        one.findings[0].message.contains(&single),
        "{}",
        one.findings[0].message
    );
    (1..=6).for_each(add);
    let seven = run_rule("gpo-intune-conflict", &dir);
    assert_eq!(seven.findings.len(), 1, "{:#?}", seven.findings);
    let finding = &seven.findings[0];
    let listed = format!(
        "but 7 Intune policies set it otherwise (to {three} in \"Win - NTLM 1\", \
         \"Win - NTLM 2\", \"Win - NTLM 3\", \"Win - NTLM 4\", \"Win - NTLM 5\" and 2 more), \
         and they may reach hybrid-joined devices"
    );
    assert!(finding.message.contains(&listed), "{}", finding.message);
    assert_eq!(finding.related.len(), 5);
    assert_eq!(finding.fingerprint, one.findings[0].fingerprint);
    assert_eq!(finding.policy, one.findings[0].policy);
    assert_eq!(
        finding.primary.location.span,
        one.findings[0].primary.location.span
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A GPO setting overridden by several GPOs on its OU chain is one finding at the loser.
#[test]
fn gpo_setting_overridden_is_one_finding_per_overridden_setting() {
    let dir = fires_copy("gpo-setting-overridden", "override-grouped");
    let winner = std::fs::read_to_string(dir.join("workstations.xml")).unwrap();
    let one = run_rule("gpo-setting-overridden", &dir);
    assert_eq!(one.findings.len(), 1);
    for n in 1..=2 {
        let text = winner
            .replace("{22222222-", &format!("{{3333333{n}-"))
            .replace(
                "Workstation hardening",
                &format!("Workstation hardening {n}"),
            );
        std::fs::write(dir.join(format!("more-{n}.xml")), text).unwrap();
    }
    let three = run_rule("gpo-setting-overridden", &dir);
    assert_eq!(three.findings.len(), 1, "{:#?}", three.findings);
    let finding = &three.findings[0];
    assert_eq!(finding.policy.as_ref().unwrap().name, "Domain baseline");
    // Found first through the first file read; the others are counted in.
    let five = "5 (Send LM and NTLMv2 responses only. Refuse LM and NTLM)";
    let headline = format!(
        "GPO \"Domain baseline\" sets Network security: LAN Manager authentication level to \
         3 (Send LM and NTLMv2 responses only), but GPO \"Workstation hardening 1\" sets it to \
         {five} and wins because it is linked closer to the computers; 2 more GPOs linked on its \
         OU chain set it otherwise (to {five} in \"Workstation hardening 2\", \
         \"Workstation hardening\")"
    );
    assert_eq!(finding.message, headline);
    assert_eq!(finding.related.len(), 3);
    assert_eq!(finding.fingerprint, one.findings[0].fingerprint);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bytes a location points at, read from the file on disk.
fn text_at(outcome: &baselint::Outcome, location: baselint::source::Location) -> String {
    let path = &outcome.model.sources.get(location.file).path;
    let bytes = std::fs::read(path).unwrap();
    let file = baselint::source::SourceFile::decode(path, &bytes).unwrap();
    file.slice(location.span).to_string()
}

/// A STIG rule that asks for several registry values requires every one, whichever way a
/// policy writes them. WN11-CC-000050 wants both hardened UNC paths: `gpo-report.xml` writes the
/// registry values (NETLOGON right, its flags in another order with one more; SYSVOL without
/// integrity), `gpo-admx-report.xml` the ADMX list box (NETLOGON without integrity), and
/// `intune-hardened-paths.json` the Settings Catalog list (SYSVOL without integrity). The
/// GPO also turns WN11-CC-000210's SmartScreen on but at level Warn. Each finding points at the
/// wrong value and at the value the rule asks for (for SYSVOL, the rule's second). WN11-CC-000206
/// lists alternatives; the GPO sets its first value to an allowed one and nothing is said about
/// the others.
#[test]
fn stig_rules_with_several_values_require_each_one() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stig-several-values");
    let outcome = run_rule("baseline-deviation", &dir);
    let found: Vec<(&str, String, String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let file = &outcome.model.sources.get(f.primary.location.file).path;
            (
                f.controls[0].as_str(),
                file.file_name().unwrap().to_string_lossy().into_owned(),
                text_at(&outcome, f.primary.location),
                text_at(&outcome, f.related[0].location),
            )
        })
        .collect();
    let both = "RequireMutualAuthentication=1, RequireIntegrity=1";
    let own = |id, file: &str, set: &str, expected: &str| {
        (id, file.to_string(), set.to_string(), expected.to_string())
    };
    assert_eq!(
        found,
        [
            own(
                "WN11-CC-000050",
                "gpo-admx-report.xml",
                "RequireMutualAuthentication=1",
                both
            ),
            own(
                "WN11-CC-000050",
                "gpo-report.xml",
                "RequireMutualAuthentication=1",
                both
            ),
            own("WN11-CC-000210", "gpo-report.xml", "Warn", "Block"),
            own(
                "WN11-CC-000050",
                "intune-hardened-paths.json",
                "\"RequireMutualAuthentication=1,RequirePrivacy=1\"",
                both
            ),
        ]
    );
    let settings = finding_settings(&outcome);
    let hardened =
        "hklm\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths\\\\\\*\\";
    assert_eq!(settings[0], format!("{hardened}netlogon"));
    assert_eq!(settings[1], format!("{hardened}sysvol"));
    assert_eq!(settings[3], format!("{hardened}sysvol"));
    // The expected SYSVOL value is the rule's second `Value:` line, not the NETLOGON one.
    let sysvol = &outcome.findings[1];
    let xccdf = outcome.model.sources.get(sysvol.related[0].location.file);
    let text = std::fs::read_to_string(&xccdf.path).unwrap();
    let before = &text[..sysvol.related[0].location.span.start as usize];
    assert!(
        before
            .trim_end_matches("Value: ")
            .ends_with("Value Name: \\\\*\\SYSVOL\nValue Type: REG_SZ\n"),
        "{}",
        &before[before.len() - 80..]
    );
    let netlogon = &outcome.findings[0];
    let before = &text[..netlogon.related[0].location.span.start as usize];
    assert!(
        before
            .trim_end_matches("Value: ")
            .ends_with("Value Name: \\\\*\\NETLOGON\nValue Type: REG_SZ\n")
    );
    let fingerprints: HashSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(fingerprints.len(), 4);
}

/// A further value no policy sets is its own "configured nowhere" note, naming the setting and
/// pointing at its value in the rule; the rule's first value keeps its own note's fingerprint.
#[test]
fn each_missing_value_of_a_stig_rule_is_its_own_note() {
    let dir = std::env::temp_dir().join(format!("baselint-several-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stig-several-values");
    for name in ["baselint.toml", "win11-v2r6-several-values-xccdf.xml"] {
        std::fs::copy(source.join(name), dir.join(name)).unwrap();
    }
    // A GPO that sets nothing the rules ask for.
    let report = std::fs::read_to_string(source.join("gpo-report.xml")).unwrap();
    let start = report.find("<ExtensionData>").unwrap();
    let end = report.find("</ExtensionData>").unwrap() + "</ExtensionData>".len();
    std::fs::write(
        dir.join("gpo-report.xml"),
        format!("{}{}", &report[..start], &report[end..]),
    )
    .unwrap();
    let outcome = run_rule("baseline-deviation", &dir);
    let notes: Vec<(&str, String)> = outcome
        .findings
        .iter()
        .map(|f| (f.message.as_str(), text_at(&outcome, f.primary.location)))
        .collect();
    // Four values required (two per rule), and 000206's first value.
    assert_eq!(notes.len(), 5, "{notes:#?}");
    let sysvol = notes
        .iter()
        .find(|(m, _)| m.contains("sysvol"))
        .expect("a note about SYSVOL");
    assert!(
        sysvol
            .0
            .starts_with("Microsoft_Windows_11_STIG V2R6 WN11-CC-000050 (V-253362)"),
        "{}",
        sysvol.0
    );
    assert!(sysvol.0.contains("setting hklm\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths\\\\\\*\\sysvol,"), "{}", sysvol.0);
    assert_eq!(
        sysvol.1,
        "RequireMutualAuthentication=1, RequireIntegrity=1"
    );
    // SmartScreen's switch and level share a catalog title: the key tells them apart.
    let level = r"setting Configure Windows Defender SmartScreen (SmartScreen/PreventOverrideForFilesInShell) (HKLM\SOFTWARE\Policies\Microsoft\Windows\System\ShellSmartScreenLevel),";
    assert!(notes.iter().any(|(m, _)| m.contains(level)), "{notes:#?}");
    let fingerprints: std::collections::HashSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(fingerprints.len(), 5);
    let netlogon = outcome
        .findings
        .iter()
        .find(|f| {
            f.setting
                .as_deref()
                .is_some_and(|k| k.ends_with("\\netlogon"))
        })
        .expect("a note about NETLOGON");
    assert_eq!(
        netlogon.fingerprint,
        baselint::finding::fingerprint(&["baseline-deviation", "WN11-CC-000050", "missing"])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The human report of the several-values STIG fixture, as a reviewer sees it.
#[test]
fn stig_several_values_diagnostic_snapshot() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baselint"))
        .args([
            "check",
            "tests/fixtures/stig-several-values",
            "--select",
            "baseline-deviation",
            "--color",
            "never",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("COLUMNS", "110")
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
}

/// Defender ASR rules are one setting per rule whichever way they are written: the Settings
/// Catalog's per-rule choice (`..._blockexecutionofpotentiallyobfuscatedscripts_warn`) and the
/// GPO's ASR list box entry (`5beb7efe-…` = `2`) both read as the registry value
/// `…\ASR\Rules\5beb7efe-…` that CIS and the baseline name, in the registry's data (6 Warn, 2
/// Audit). The lsass rule, in Block mode in both, is no finding.
#[test]
fn asr_rules_from_intune_and_gpo_are_checked_as_registry_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asr-rules");
    let outcome = run_rule("baseline-deviation", &dir);
    let found: Vec<(String, String, String, &str)> = outcome
        .findings
        .iter()
        .map(|f| {
            let file = &outcome.model.sources.get(f.primary.location.file).path;
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                text_at(&outcome, f.primary.location),
                f.primary.message.clone(),
                f.controls[0].as_str(),
            )
        })
        .collect();
    let obfuscated = "device_vendor_msft_policy_config_defender_attacksurfacereductionrules_blockexecutionofpotentiallyobfuscatedscripts_warn";
    assert_eq!(
        found,
        [
            (
                "gpo-report.xml".to_string(),
                "2".to_string(),
                "set to 2 (Audit) here".to_string(),
                "CASR-OBFUSCATED"
            ),
            (
                "intune-asr.json".to_string(),
                format!("\"{obfuscated}\""),
                "set to 6 (Warn) here".to_string(),
                "CASR-OBFUSCATED"
            ),
        ]
    );
    for finding in &outcome.findings {
        assert_eq!(
            finding.setting.as_deref(),
            Some(
                r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules\5beb7efe-fd9a-4556-801d-275e5ffc04cc"
            )
        );
    }
}

/// Defender's remediation action per threat alert level is one setting per level whichever way
/// it is written: the Settings Catalog's per-level choice (`..._lowseveritythreats_block`) and a
/// custom OMA-URI's `<level>=<action>` pair (`4=6`, the finding at its `6`) both read as the
/// registry value `...\ThreatSeverityDefaultAction\<level id>` that the Defender STIG names, in
/// its data (10 Block, 6 Allow). The levels set to quarantine or remove are no deviation, and the two policies
/// disagree on the two levels they set differently.
#[test]
fn threat_default_actions_from_intune_are_checked_as_registry_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/threat-actions");
    let key =
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Threats\ThreatSeverityDefaultAction";
    assert_eq!(
        deviation_rows(&dir),
        [
            (
                "intune-oma-uri.json".to_string(),
                "CDEF-THREAT-HIGH".to_string(),
                "6".to_string()
            ),
            (
                "intune-settings-catalog.json".to_string(),
                "CDEF-THREAT-LOW".to_string(),
                "\"device_vendor_msft_policy_config_defender_threatseveritydefaultaction_lowseveritythreats_block\"".to_string()
            ),
        ]
    );
    let conflicts = run_rule("conflicting-setting-values", &dir);
    let mut settings = finding_settings(&conflicts);
    settings.sort_unstable();
    assert_eq!(settings, [format!("{key}\\1"), format!("{key}\\4")]);
}

/// The setting key of each finding, in report order.
fn finding_settings(outcome: &baselint::Outcome) -> Vec<&str> {
    outcome
        .findings
        .iter()
        .map(|f| f.setting.as_deref().unwrap())
        .collect()
}

/// (file name, the bytes the finding points at, its message, its first control) of each finding.
fn located_findings(outcome: &baselint::Outcome) -> Vec<(String, String, String, String)> {
    outcome
        .findings
        .iter()
        .map(|f| {
            let file = &outcome.model.sources.get(f.primary.location.file).path;
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                text_at(outcome, f.primary.location),
                f.primary.message.clone(),
                f.controls.first().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

/// The baseline deviations in a fixture folder as (file, control, offending text), sorted.
fn deviation_rows(dir: &Path) -> Vec<(String, String, String)> {
    let deviations = run_rule("baseline-deviation", dir);
    let mut rows: Vec<(String, String, String)> = located_findings(&deviations)
        .into_iter()
        .map(|(file, text, _, control)| (file, control, text))
        .collect();
    rows.sort();
    rows
}

/// The GPO-Intune conflicts in a fixture folder as (setting key's last part, the GPO's offending
/// text), sorted, and the outcome they come from.
fn channel_rows(dir: &Path) -> (Vec<(String, String)>, baselint::Outcome) {
    let conflicts = run_rule("gpo-intune-conflict", dir);
    let mut rows: Vec<(String, String)> = located_findings(&conflicts)
        .into_iter()
        .zip(&conflicts.findings)
        .map(|((_, text, ..), f)| {
            let key = f.setting.as_deref().unwrap_or_default();
            (key.rsplit('\\').next().unwrap_or(key).to_string(), text)
        })
        .collect();
    rows.sort();
    (rows, conflicts)
}

/// `Defender/AllowRealtimeMonitoring` and `Experience/AllowWindowsConsumerFeatures` (1 =
/// allowed) are the settings the STIG checks as `DisableRealtimeMonitoring` and
/// `DisableWindowsConsumerFeatures` (1 = off): a native CSP choice and a custom OMA-URI are
/// checked as that registry data, and compared with the ADMX twin's policy.
#[test]
fn allow_policies_are_checked_as_the_disable_values_they_invert() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inverted-csp");
    let option = |id: &str| format!("\"device_vendor_msft_policy_config_{id}\"");
    let deviations = run_rule("baseline-deviation", &dir);
    assert_eq!(
        located_findings(&deviations),
        [
            (
                "intune-admx.json".to_string(),
                option("admx_microsoftdefenderantivirus_realtimeprotection_disablebehaviormonitoring_0"),
                "set to 1 (Disabled) here".to_string(),
                "WNDF-AV-000022".to_string()
            ),
            (
                "intune-native.json".to_string(),
                option("defender_allowrealtimemonitoring_0"),
                "set to 1 (AllowRealtimeMonitoring = 0: Not allowed. Turns off the real-time monitoring service.) here".to_string(),
                "WNDF-AV-000021".to_string()
            ),
            (
                "intune-native.json".to_string(),
                option("experience_allowwindowsconsumerfeatures_1"),
                "set to 0 (AllowWindowsConsumerFeatures = 1: Allowed.) here".to_string(),
                "WN11-CC-000197".to_string()
            ),
        ]
    );
    let conflicts = run_rule("conflicting-setting-values", &dir);
    let settings = finding_settings(&conflicts);
    assert_eq!(
        settings,
        [
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Real-Time Protection\DisableBehaviorMonitoring",
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CloudContent\DisableWindowsConsumerFeatures",
        ]
    );
    let (file, text, message, _) = &located_findings(&conflicts)[1];
    assert_eq!(
        (file.as_str(), text.as_str(), message.as_str()),
        (
            "intune-oma-uri.json",
            "0",
            "set to 1 (AllowWindowsConsumerFeatures = 0: Not allowed.) here"
        )
    );
}

/// (rule, policy file, the text the assignment label points at, its message) of each finding
/// of the two PKU2U rules on `dir`.
fn pku2u_reach(dir: &Path, unassigned: Option<baselint::model::JoinTypeSet>) -> Vec<[String; 4]> {
    let outcome = check(&Options {
        paths: vec![dir.to_path_buf()],
        select: vec![
            "pku2u-disabled-on-entra-joined".into(),
            "pku2u-disabled-on-hybrid-joined".into(),
        ],
        unassigned,
        ..Options::default()
    });
    assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
    outcome
        .findings
        .iter()
        .map(|f| {
            let label = &f.related[0];
            let file = &outcome.model.sources.get(label.location.file).path;
            [
                f.rule.to_string(),
                file.file_name().unwrap().to_string_lossy().into_owned(),
                text_at(&outcome, label.location),
                label.message.clone(),
            ]
        })
        .collect()
}

/// A policy not assigned yet (no include, or a GPO with no link) reaches no device, unless a
/// review before deployment asks to check it as reaching some (`--unassigned`, `[inventory]
/// unassigned`); an assigned policy keeps its own reach.
#[test]
fn unassigned_policies_are_checked_as_reaching_what_the_review_assumes() {
    use baselint::model::{JoinType, JoinTypeSet};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unassigned");
    assert_eq!(pku2u_reach(&dir, None), Vec::<[String; 4]>::new());
    let entra = "not assigned yet: checked as reaching Entra-joined devices (`unassigned`)";
    let finding = |rule: &str, file: &str, name: &str, message: &str| {
        [rule, file, name, message].map(str::to_string)
    };
    assert_eq!(
        pku2u_reach(&dir, Some(JoinTypeSet::of(&[JoinType::Entra]))),
        [
            finding(
                "pku2u-disabled-on-entra-joined",
                "intune-exclusion-only.json",
                "\"PKU2U block (an exclusion only)\"",
                entra
            ),
            finding(
                "pku2u-disabled-on-entra-joined",
                "intune-unassigned.json",
                "\"PKU2U block (not assigned yet)\"",
                entra
            ),
        ]
    );
    // A GPO reaches hybrid-joined and domain-joined devices at most, Intune no domain-only one.
    let hybrid = pku2u_reach(
        &dir,
        Some(JoinTypeSet::of(&[JoinType::Hybrid, JoinType::Domain])),
    );
    assert_eq!(
        hybrid[0],
        finding(
            "pku2u-disabled-on-hybrid-joined",
            "gpo-unlinked.xml",
            "DoD STIG - not linked",
            "not assigned yet: checked as reaching hybrid-joined or domain-joined devices (`unassigned`)"
        )
    );
    let files: Vec<&str> = hybrid.iter().map(|f| f[1].as_str()).collect();
    assert_eq!(
        files,
        [
            "gpo-unlinked.xml",
            "intune-exclusion-only.json",
            "intune-unassigned.json"
        ]
    );
    assert!(
        hybrid[1][3].contains("reaching hybrid-joined devices"),
        "{:?}",
        hybrid[1]
    );

    // The same from the config file.
    let copy = std::env::temp_dir().join(format!("baselint-unassigned-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
    }
    let config = std::fs::read_to_string(copy.join("baselint.toml")).unwrap();
    let config = config.replace(
        "[inventory.groups]",
        "[inventory]\nunassigned = [\"entra\"]\n\n[inventory.groups]",
    );
    std::fs::write(copy.join("baselint.toml"), config).unwrap();
    let from_config = pku2u_reach(&copy, None);
    assert_eq!(from_config.len(), 2, "{from_config:?}");
    // The command line wins over the config.
    assert_eq!(
        pku2u_reach(&copy, Some(JoinTypeSet::EMPTY)),
        Vec::<[String; 4]>::new()
    );
    std::fs::remove_dir_all(&copy).unwrap();
}

/// The ADMX policy *Configure Windows Defender SmartScreen* writes its level to
/// `ShellSmartScreenLevel`, which the native SmartScreen CSP owns in the catalog: a GPO report's
/// dropdown and the Settings Catalog's ADMX choice are kept under that registry value, where
/// WN11-CC-000210 checks `Block`.
#[test]
fn admx_elements_writing_another_records_value_are_checked_there() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/same-registry-data");
    let deviations = run_rule("baseline-deviation", &dir);
    assert_eq!(
        located_findings(&deviations),
        [(
            "gpo-admx-smartscreen.xml".to_string(),
            "Warn".to_string(),
            "set to \"Warn\" (Warn) here".to_string(),
            "WN11-CC-000210".to_string()
        )]
    );
    let level = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\System\ShellSmartScreenLevel";
    assert_eq!(deviations.findings[0].setting.as_deref(), Some(level));
    let conflicts = run_rule("gpo-intune-conflict", &dir);
    assert_eq!(conflicts.findings.len(), 1);
    assert_eq!(conflicts.findings[0].setting.as_deref(), Some(level));
}

/// GptTmpl.inf writes "locked until an administrator unlocks" as LockoutDuration = -1: it meets
/// a baseline's lower bound, which 5 minutes does not.
#[test]
fn a_lockout_until_unlocked_meets_a_baseline_minimum() {
    let dir = std::env::temp_dir().join(format!("baselint-lockout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (folder, minutes) in [("forever", "-1"), ("short", "5")] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        let template = format!(
            "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nLockoutBadCount = 3\r\nLockoutDuration = {minutes}\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"
        );
        std::fs::write(dir.join(folder).join("GptTmpl.inf"), template).unwrap();
    }
    std::fs::write(
        dir.join("baseline.toml"),
        "[baseline]\nname = \"lockout\"\n\n[[control]]\nid = \"lockout-duration\"\ntitle = \"Lockout duration\"\nkind = \"account_policy\"\nsetting = \"system_access:lockoutduration\"\nexpected = { at_least = 15 }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("baselint.toml"),
        "[baselines]\nuse = [\"baseline.toml\"]\n",
    )
    .unwrap();
    let outcome = check(&Options {
        paths: vec![dir.clone()],
        select: vec!["baseline-deviation".into()],
        // Loose templates are linked nowhere: check them as reaching every device.
        unassigned: Some(baselint::model::ALL_JOIN_TYPES),
        ..Options::default()
    });
    assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
    let found: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let file = &outcome.model.sources.get(f.primary.location.file).path;
            let folder = file.parent().unwrap().file_name().unwrap();
            (
                folder.to_string_lossy().into_owned(),
                text_at(&outcome, f.primary.location),
            )
        })
        .collect();
    assert_eq!(found, [("short".to_string(), "5".to_string())]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// ADMX lists of plain entries (device IDs, setup classes to block) are one setting: the list.
/// CIS 18.9.7.1.x checks that it holds given entries (HardeningKitty `RegistryList` rows), in
/// any case, a class GUID with or without braces; lists holding the same entries in another
/// order or case do not conflict, and a shorter list does.
#[test]
fn numbered_lists_are_checked_for_their_entries_and_compared_as_sets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/numbered-list");
    let deviations = run_rule("baseline-deviation", &dir);
    let squeezed = |text: &str| text.split_whitespace().collect::<String>();
    let mut found: Vec<(String, String, String)> = located_findings(&deviations)
        .into_iter()
        .map(|(file, text, _, control)| (file, control, squeezed(&text)))
        .collect();
    found.sort();
    // The GPO report's list box lacks Thunderbolt; the Intune policy blocks one SBP-2 class of
    // the four (`{d48179be-…}`, in braces, meets 18.9.7.1.5.1's bare GUID).
    let gpo_list =
        r"<q1:Value><q1:Element><q1:Data>PCI\CC_0C0010</q1:Data></q1:Element></q1:Value>";
    let intune_list = squeezed(
        r##"[{"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
        "settingValueTemplateReference": null, "value": "{d48179be-ec20-11d1-b6b8-00c04fa372a7}"}]"##,
    );
    let intune = "intune-device-installation.json";
    let oma_payload = squeezed(
        r#""<enabled/><data id=\"DeviceInstall_Classes_Deny_Retroactive\" value=\"true\"/><data id=\"DeviceInstall_Classes_Deny_List\" value=\"1&#xF000;{d48179be-ec20-11d1-b6b8-00c04fa372a7}&#xF000;2&#xF000;{7ebefbc0-3200-11d2-b4c2-00a0C9697d07}&#xF000;3&#xF000;{c06ff265-ae09-48f0-812c-16753d7cba83}\"/>""#,
    );
    let expected = [
        (
            "gpo-device-installation.xml",
            "18.9.7.1.2",
            gpo_list.to_string(),
        ),
        (intune, "18.9.7.1.5.2", intune_list.clone()),
        (intune, "18.9.7.1.5.3", intune_list.clone()),
        (intune, "18.9.7.1.5.4", intune_list),
        // The custom OMA-URI profile's ADMX payload lists three classes of four.
        (
            "intune-oma-device-installation.json",
            "18.9.7.1.5.4",
            oma_payload.to_string(),
        ),
    ]
    .map(|(f, c, t)| (f.to_string(), c.to_string(), t));
    assert_eq!(found, expected);
    let ids =
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceIDs\*";
    assert!(
        deviations
            .findings
            .iter()
            .any(|f| f.setting.as_deref() == Some(ids))
    );
    // Conflicts: the Thunderbolt-only device IDs against each of the three longer lists, which
    // hold the same entries in another order and case (one as a custom OMA-URI payload) and do
    // not conflict with each other; the payload's three setup classes against the Settings
    // Catalog policy's one.
    let conflicts = run_rule("conflicting-setting-values", &dir);
    let mut pairs: Vec<(String, &str, bool)> = located_findings(&conflicts)
        .into_iter()
        .zip(&conflicts.findings)
        .map(|((file, ..), f)| {
            let setting = f.setting.as_deref().unwrap_or_default();
            let list = setting.rsplit('\\').nth(1).unwrap_or_default();
            (file, list, f.message.contains("Thunderbolt only"))
        })
        .collect();
    pairs.sort();
    let expected = [
        (
            "intune-device-ids-thunderbolt-only.json",
            "DenyDeviceIDs",
            true,
        ),
        ("intune-device-installation.json", "DenyDeviceIDs", true),
        (
            "intune-oma-device-installation.json",
            "DenyDeviceClasses",
            false,
        ),
        ("intune-oma-device-installation.json", "DenyDeviceIDs", true),
    ]
    .map(|(file, list, thunderbolt)| (file.to_string(), list, thunderbolt));
    assert_eq!(pairs, expected);
}

/// Windows LAPS is a CSP of its own: its Settings Catalog, OMA-URI and GPO report forms are the
/// LAPS values CIS 18.9.25.x checks under Group Policy's key (the CSP keeps them under another
/// root by the same names). A GPO report sets them through elements of policies the catalog has
/// no record of ("Password Settings" › "Password Length"), known by their display names. A GPO
/// and an Intune policy that disagree conflict, and the finding says the CSP wins.
#[test]
fn windows_laps_settings_are_checked_as_their_group_policy_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/laps");
    let found = deviation_rows(&dir);
    let option = |id: &str| format!("\"device_vendor_msft_laps_policies_{id}\"");
    let intune = "intune-laps.json";
    let expected = [
        (intune, "18.9.25.5", "12".to_string()),
        (intune, "18.9.25.6", "45".to_string()),
        (intune, "18.9.25.7", "0".to_string()),
        (intune, "18.9.25.8", option("postauthenticationactions_1")),
    ]
    .map(|(f, c, t)| (f.to_string(), c.to_string(), t));
    assert_eq!(found, expected);

    let laps = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\LAPS\";
    let conflicts = run_rule("conflicting-setting-values", &dir);
    let keys: Vec<&str> = conflicts
        .findings
        .iter()
        .filter_map(|f| f.setting.as_deref()?.strip_prefix(laps))
        .collect();
    assert_eq!(keys, ["PasswordLength"], "the OMA-URI's 20 against 12");

    let (conflicting, channel) = channel_rows(&dir);
    let files: Vec<String> = located_findings(&channel)
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(files.iter().all(|f| f == "gpo-laps.xml"), "{files:?}");
    let expected = [
        ("AutomaticAccountManagementRandomizeName", "Enabled"),
        ("BackupDirectory", "Active Directory"),
        ("PasswordAgeDays", "30"),
        ("PasswordLength", "15"),
        (
            "PostAuthenticationActions",
            "Reset the password and reboot the device",
        ),
        ("PostAuthenticationResetDelay", "8"),
    ]
    .map(|(k, t)| (k.to_string(), t.to_string()));
    assert_eq!(conflicting, expected);
    assert!(
        channel
            .findings
            .iter()
            .all(|f| f.message.contains("the Intune value wins")),
        "Windows LAPS documents that the CSP wins"
    );
}

/// Settings the catalog knew only by their CSP name now meet the registry values baselines
/// check: native policies whose value is their Group Policy twin's registry data under another
/// name (`EnableInsecureGuestLogons` is `AllowInsecureGuestAuth`), the SMB policies of 24H2, and
/// the `_v2` definition of the machine inactivity limit. A GPO report's Enabled / Disabled of the
/// same Group Policy names is that data too.
#[test]
fn csp_names_of_registry_values_are_checked_as_those_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csp-twins");
    let deviations = run_rule("baseline-deviation", &dir);
    let mut found: Vec<(String, String, String)> = located_findings(&deviations)
        .into_iter()
        .map(|(file, text, _, control)| (file, control, text))
        .collect();
    found.sort();
    let option = |id: &str| format!("\"device_vendor_msft_policy_config_{id}\"");
    let intune = "intune-smb-installer.json";
    // The report's SMB dialect dropdown and rate limiter delay are known by their display names
    // under policies the catalog has no record of (the value is the element's).
    let gpo = "gpo-smb-installer.xml";
    let expected = [
        (gpo, "10717", "500".to_string()),
        (gpo, "10725", "SMB 2.1.0".to_string()),
        (gpo, "11003", "Enabled".to_string()),
        (intune, "10208", "1800".to_string()),
        (
            intune,
            "10651",
            option("lanmanworkstation_enableinsecureguestlogons_1"),
        ),
        (
            intune,
            "10725",
            option("lanmanworkstation_minsmb2dialect_528"),
        ),
        (
            intune,
            "11003",
            option("applicationmanagement_msialwaysinstallwithelevatedprivileges_1"),
        ),
    ]
    .map(|(f, c, t)| (f.to_string(), c.to_string(), t));
    assert_eq!(found, expected);
    // The GPO disables insecure guest logons where the Intune policy enables them, and sets a
    // shorter rate limiter delay; both set the same minimum dialects.
    let conflicts = run_rule("gpo-intune-conflict", &dir);
    let guest =
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation\AllowInsecureGuestAuth";
    let settings: Vec<Option<&str>> = conflicts
        .findings
        .iter()
        .map(|f| f.setting.as_deref())
        .collect();
    let delay =
        r"HKLM\SOFTWARE\Policies\Microsoft\Windows\LanmanServer\InvalidAuthenticationDelayTimeInMs";
    assert_eq!(settings, [Some(guest), Some(delay)]);
}

/// BitLocker's CSP (not in the Policy CSP table) is the Group Policy of VolumeEncryption.admx:
/// a Settings Catalog policy and a GPO report's dropdowns (known by their display names) are the
/// FVE registry values CIS 18.10.9.2.x and the STIG check. TPM only, no PIN, deviates; the GPO
/// requires the PIN and conflicts with it; its cleared check box is EnableBDEWithNoTPM = 0.
#[test]
fn bitlocker_startup_authentication_is_checked_as_its_fve_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bitlocker");
    let option = |id: &str| {
        format!("\"device_vendor_msft_bitlocker_systemdrivesrequirestartupauthentication_{id}\"")
    };
    let deviations = run_rule("baseline-deviation", &dir);
    let found: Vec<(String, String, String)> = located_findings(&deviations)
        .into_iter()
        .map(|(file, text, _, control)| (file, control, text))
        .collect();
    let intune = "intune-bitlocker-tpm-only.json".to_string();
    assert_eq!(
        found,
        [
            (
                intune.clone(),
                "18.10.9.2.15".to_string(),
                option("configuretpmusagedropdown_name_1")
            ),
            (
                intune,
                "18.10.9.2.16".to_string(),
                option("configurepinusagedropdown_name_0")
            ),
        ]
    );
    let conflicts = run_rule("gpo-intune-conflict", &dir);
    let fve = r"HKLM\SOFTWARE\Policies\Microsoft\FVE\";
    let mut conflicting: Vec<(String, String)> = located_findings(&conflicts)
        .into_iter()
        .zip(&conflicts.findings)
        .map(|((_, text, ..), f)| {
            let key = f.setting.as_deref().unwrap_or("");
            (key.strip_prefix(fve).unwrap_or(key).to_string(), text)
        })
        .collect();
    conflicting.sort();
    assert_eq!(
        conflicting,
        [
            ("UseTPM".to_string(), "Do not allow TPM".to_string()),
            (
                "UseTPMPIN".to_string(),
                "Require startup PIN with TPM".to_string()
            ),
        ]
    );
    let outcome = check(&Options {
        paths: vec![dir.join("gpo-bitlocker-startup-pin.xml")],
        ..Options::default()
    });
    let no_tpm = outcome.model.policies[0]
        .settings
        .iter()
        .find(|s| s.key.ends_with(r"FVE\EnableBDEWithNoTPM"))
        .expect("the check box is the EnableBDEWithNoTPM setting");
    assert_eq!(no_tpm.value, baselint::model::Value::Int(0));
}

/// The BitLocker CSP's recovery options and deny-write-access policies are the FVE values CIS
/// 18.10.9.2.3-10 and 18.10.9.3.14 check: a Settings Catalog policy's choices, and a GPO report's
/// check boxes and dropdowns known by their display names. Deny write access writes under
/// `SYSTEM\CurrentControlSet\Policies`, where CIS looks. The report's two recovery dropdowns
/// without a label of their own stay unmapped rather than guessed (its "Allow 256-bit recovery
/// key" would deviate from 18.10.9.2.6).
#[test]
fn bitlocker_recovery_options_are_checked_as_their_fve_values() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bitlocker-recovery");
    let found = deviation_rows(&dir);
    let option = |id: &str| format!("\"device_vendor_msft_bitlocker_{id}\"");
    let intune = "intune-bitlocker-recovery.json";
    let recovery = |id: &str| option(&format!("systemdrivesrecoveryoptions_{id}"));
    let expected = [
        (
            "gpo-bitlocker-recovery.xml",
            "18.10.9.2.9",
            "Store recovery passwords only".to_string(),
        ),
        (
            intune,
            "18.10.9.2.10",
            recovery("osrequireactivedirectorybackup_name_0"),
        ),
        (intune, "18.10.9.2.4", recovery("osallowdra_name_1")),
        (
            intune,
            "18.10.9.2.6",
            recovery("osrecoverykeyusagedropdown_name_2"),
        ),
        (
            intune,
            "18.10.9.3.14",
            option("removabledrivesrequireencryption_0"),
        ),
    ]
    .map(|(f, c, t)| (f.to_string(), c.to_string(), t));
    assert_eq!(found, expected);

    let (conflicting, conflicts) = channel_rows(&dir);
    let expected = [
        (
            "OSActiveDirectoryInfoToStore",
            "Store recovery passwords only",
        ),
        ("OSManageDRA", "Disabled"),
        ("OSRequireActiveDirectoryBackup", "Enabled"),
        ("RDVDenyWriteAccess", "Enabled"),
    ]
    .map(|(k, t)| (k.to_string(), t.to_string()));
    assert_eq!(conflicting, expected);
    let write = conflicts.findings.iter().find_map(|f| {
        f.setting
            .as_deref()
            .filter(|k| k.ends_with("RDVDenyWriteAccess"))
    });
    assert_eq!(
        write,
        Some(r"HKLM\SYSTEM\CurrentControlSet\Policies\Microsoft\FVE\RDVDenyWriteAccess")
    );
}

/// Local users and groups: each item of the collection configures the local groups it names,
/// and Intune reports a conflict over one group's membership. Two policies that replace the
/// members of the local Administrators with different members conflict, over the members; a
/// policy that adds a member to Administrators does not ("the Replace action wins. This is
/// not considered a conflict", Microsoft's documentation), nor does one for Remote Desktop
/// Users, although all their items set settings of the same definition ids.
#[test]
fn local_group_items_conflict_only_when_two_replace_one_group() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-groups");
    let outcome = run_rule("conflicting-setting-values", &dir);
    let found: Vec<(&str, &str)> = outcome
        .findings
        .iter()
        .map(|f| {
            let setting = f.setting.as_deref().unwrap();
            let suffix = setting.rsplit("_accessgroup_").next().unwrap();
            (suffix, f.primary.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [("users[administrators]", "set to [\"WLapsAdmin\"] here")]
    );
    let finding = &outcome.findings[0];
    assert!(
        finding
            .message
            .contains("_accessgroup_users[administrators] to [\"WLapsAdmin\"]")
            && finding
                .message
                .contains("\"Local Administrators - LAPS account and helpdesk\" sets it to"),
        "{}",
        finding.message
    );
}

/// An Update of a local group that a Replace of the same group undoes where both reach: the
/// support desk added to Administrators is never added where either Replace applies (neither
/// lists it), and removing the helpdesk never happens where the Replace that lists it applies
/// (the Replace that does not list it removes it anyway: nothing to report). The finding points
/// at the Update's action and names the Replace's members.
#[test]
fn local_group_updates_that_a_replace_undoes_are_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-groups");
    let outcome = run_rule("local-group-update-overridden", &dir);
    let found: Vec<(&str, &str)> = outcome
        .findings
        .iter()
        .map(|f| {
            let policy = f.policy.as_ref().unwrap().name.as_str();
            (policy, f.related[0].message.as_str())
        })
        .collect();
    let replaced_by = |name: &str, members: &str| {
        format!(
            "\"Local Administrators - {name}\" replaces the members of Administrators with {members} here"
        )
    };
    let with_helpdesk = replaced_by(
        "LAPS account and helpdesk",
        r#"["WLapsAdmin", "AzureAD\\helpdesk@contoso.com"]"#,
    );
    let laps_only = replaced_by("LAPS account only", r#"["WLapsAdmin"]"#);
    let support = "Local Administrators - add the support desk";
    let helpdesk = "Local Administrators - remove the helpdesk";
    assert_eq!(
        found,
        [
            (support, laps_only.as_str()),
            (support, with_helpdesk.as_str()),
            (helpdesk, with_helpdesk.as_str()),
        ]
    );
    let messages: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        messages[0].contains(
            r#"adds AzureAD\support@contoso.com to the local group Administrators, but "Local Administrators - LAPS account only" replaces that group's members"#
        ) && messages[0].ends_with(r"AzureAD\support@contoso.com is never added; both are assigned to All devices"),
        "{}",
        messages[0]
    );
    assert!(
        messages[2].contains(r"AzureAD\helpdesk@contoso.com is never removed"),
        "{}",
        messages[2]
    );
    // Each points at its Update's action.
    let action = "device_vendor_msft_policy_config_localusersandgroups_configure_groupconfiguration_accessgroup_action";
    let pointed: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| text_at(&outcome, f.primary.location))
        .collect();
    assert_eq!(
        pointed,
        [
            format!("\"{action}_add_update\""),
            format!("\"{action}_add_update\""),
            format!("\"{action}_remove_update\""),
        ]
    );
}

/// Both items in one policy: its Replace of Administrators wins over its own Update, so the
/// member the Replace does not list is never added (the one it lists is no loss).
#[test]
fn a_local_group_update_undone_by_its_own_policy_is_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-groups-one-policy");
    let outcome = run_rule("local-group-update-overridden", &dir);
    let messages: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(
        messages[0].ends_with(
            r#""Local Administrators - LAPS and tier 2" adds AzureAD\tier2@contoso.com to the local group Administrators, but also replaces that group's members, and a Replace wins over an Update: AzureAD\tier2@contoso.com is never added"#
        ),
        "{}",
        messages[0]
    );
    let related: Vec<&str> = outcome.findings[0]
        .related
        .iter()
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(
        related,
        [r#"the same policy replaces the members of Administrators with ["WLapsAdmin"] here"#]
    );
}

/// Local group membership written as OMA-URI XML (`LocalUsersAndGroups/Configure`) is read
/// as the Settings Catalog's items of that CSP: its Replace of Administrators (by SID) undoes a
/// Settings Catalog Update of Administrators and conflicts with a Settings Catalog Replace of
/// it, while its Update of Remote Desktop Users meets the same Update without a finding. The
/// findings point into the XML, at the member as written there.
#[test]
fn local_group_xml_in_an_oma_uri_profile_compares_with_settings_catalog_items() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-groups-oma-uri");
    let outcome = check(&Options {
        paths: vec![dir],
        select: vec![
            "conflicting-setting-values".to_string(),
            "local-group-update-overridden".to_string(),
        ],
        ..Options::default()
    });
    assert!(outcome.errors().is_empty(), "{:?}", outcome.errors());
    let oma = "Local groups (OMA-URI)";
    let found: Vec<(&str, &str)> = outcome
        .findings
        .iter()
        .map(|f| (&*f.rule, f.policy.as_ref().unwrap().name.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "local-group-update-overridden",
                "Local Administrators - add the support desk"
            ),
            (
                "local-group-update-overridden",
                "Local Administrators - add the support desk"
            ),
            ("conflicting-setting-values", oma),
        ]
    );
    let replaced_by_xml = outcome.findings[..2]
        .iter()
        .flat_map(|f| f.related.first())
        .find(|label| label.message.starts_with(&format!("\"{oma}\"")))
        .expect("a finding names the OMA-URI Replace");
    assert_eq!(text_at(&outcome, replaced_by_xml.location), "WLapsAdmin");
    assert_eq!(
        text_at(&outcome, outcome.findings[2].primary.location),
        "WLapsAdmin"
    );
}

/// Restricted Groups and local user group membership in one policy (the Settings Catalog's
/// simple setting beside its items): one finding, at the group's element in the Restricted
/// Groups value, naming the same policy and no assignment.
#[test]
fn restricted_groups_beside_local_groups_in_one_policy_is_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local-groups-one-policy");
    let outcome = run_rule("restricted-groups-beside-local-groups", &dir);
    assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
    let finding = &outcome.findings[0];
    assert!(
        finding.message.ends_with(
            r#""Local Administrators - LAPS and tier 2" sets Restricted Groups (RestrictedGroups/ConfigureGroupMembership), and also configures local user group membership (LocalUsersAndGroups, the local group Administrators): Windows does not support both on one device, and which members a group ends with is unpredictable"#
        ),
        "{}",
        finding.message
    );
    // The Settings Catalog's simple setting, through the typed reader: the group's element.
    assert_eq!(
        text_at(&outcome, finding.primary.location),
        r#"<accessgroup desc=\"S-1-5-32-544\"><member name=\"WLapsAdmin\"/></accessgroup>"#
    );
    let related: Vec<&str> = finding.related.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        related,
        ["the same policy configures the members of the local group Administrators here"]
    );
}

/// Firewall rules: each rule is a node of its own (a unique identifier Intune gives it), so
/// rules of two policies are two rules, even under one name with other ports.
#[test]
fn firewall_rules_of_two_policies_do_not_conflict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/firewall-rules");
    let outcome = run_rule("conflicting-setting-values", &dir);
    assert_eq!(outcome.model.policies.len(), 3);
    let keys: Vec<&str> = outcome.model.policies[0]
        .settings
        .iter()
        .map(|s| &*s.key)
        .collect();
    assert!(
        keys.iter().all(|k| k.contains("[block chrome internet #")),
        "{keys:?}"
    );
    assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
}

/// Defender's exclusion lists are merged by Intune across the policies that reach a device
/// (Microsoft's antivirus policy documentation, "Policy merge for settings"): two policies with
/// other path exclusions do not conflict, while their opposite archive scanning settings do.
#[test]
fn merged_defender_exclusions_do_not_conflict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/defender-exclusions");
    let outcome = run_rule("conflicting-setting-values", &dir);
    let settings = finding_settings(&outcome);
    assert_eq!(
        settings,
        [r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Scan\DisableArchiveScanning"]
    );
}

/// An assignment to a group that no export holds, beside a groups export that is one page of a
/// longer list, says the group may be on a page that was not exported; without such a page, not.
#[test]
fn unknown_groups_point_at_a_groups_export_missing_its_pages() {
    let note_of = |dir: &Path| {
        let outcome = run_rule("assignment-to-unknown-group", dir);
        assert!(!outcome.findings.is_empty(), "{}", dir.display());
        outcome.findings[0]
            .notes
            .iter()
            .find(|note| note.contains("is one page of a longer list"))
            .cloned()
    };
    let paged = note_of(&fixtures().join("export-incomplete/fires")).expect("the note");
    assert!(paged.starts_with("the groups export "), "{paged}");
    assert!(
        paged.contains("export-incomplete/fires/groups.json"),
        "{paged}"
    );
    assert_eq!(
        note_of(&fixtures().join("assignment-to-unknown-group/fires")),
        None
    );
}

/// A GPO's Restricted Groups against Intune's local group changes on hybrid-joined devices: an
/// Update adding a member the GPO's list lacks, a removal of a member it holds (written by
/// name, which the GPO report gives a SID for), a Replace with another list (a local group
/// item, a Restricted Groups OMA-URI document) and a Replace without the group the GPO adds
/// ("This group is a member of") each flip the group's members. The finding points at the
/// GPO's entry, names the principals as the GPO report does, and labels the Intune change.
#[test]
fn gpo_restricted_groups_and_intune_local_groups_disagreeing_are_reported() {
    let rule = "local-group-set-by-gpo-and-intune";
    let outcome = run_rule(rule, &fixtures().join(rule).join("fires"));
    let mut found: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let (_, consequence) = f.message.rsplit_once(": ").unwrap();
            (f.related[0].message.clone(), consequence.to_string())
        })
        .collect();
    found.sort();
    let replaced = "AzureAD\\device-admins@contoso.com added by Intune and removed again by Group Policy; CONTOSO\\Workstation Admins removed by Intune and added again by Group Policy";
    let mut expected = [
        (
            r#"Intune policy "Local Administrators - add the service desk" adds AzureAD\servicedesk@contoso.com to that group here"#,
            r"AzureAD\servicedesk@contoso.com added by Intune and removed again by Group Policy",
        ),
        (
            r#"Intune policy "Local Administrators - remove workstation admins" removes CONTOSO\Workstation Admins from that group here"#,
            r"CONTOSO\Workstation Admins removed by Intune and added again by Group Policy",
        ),
        (
            r#"Intune policy "Local Administrators - Domain Admins and the Entra admins" replaces that group's members with ["CONTOSO\\Domain Admins", "AzureAD\\device-admins@contoso.com"] here"#,
            replaced,
        ),
        (
            r#"Intune policy "Restricted Groups - Domain Admins and the Entra admins (OMA-URI)" replaces that group's members with ["CONTOSO\\Domain Admins", "AzureAD\\device-admins@contoso.com"] here"#,
            replaced,
        ),
        (
            r#"Intune policy "Restricted Groups - Domain Admins and the Entra admins (OMA-URI)" replaces that group's members with ["AzureAD\\support@contoso.com"] here"#,
            r"CONTOSO\Helpdesk removed by Intune and added again by Group Policy",
        ),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    expected.sort();
    assert_eq!(found, expected);
    for finding in &outcome.findings {
        assert!(
            finding
                .message
                .contains("both may reach hybrid-joined devices"),
            "{}",
            finding.message
        );
        let gpo_entry = text_at(&outcome, finding.primary.location);
        if finding.message.contains("Remote Desktop Users") {
            assert!(finding.message.contains(
                r#"GPO "Workstations - Local Administrators" adds CONTOSO\Helpdesk to the local group Remote Desktop Users (Restricted Groups, "This group is a member of")"#
            ));
            assert!(gpo_entry.starts_with("<q1:Memberof>"), "{gpo_entry}");
        } else {
            assert!(
                finding.message.contains(
                    r#"GPO "Workstations - Local Administrators" sets the members of the local group Administrators to ["CONTOSO\\Workstation Admins", "CONTOSO\\Domain Admins"] (Restricted Groups)"#
                ),
                "{}",
                finding.message
            );
            assert!(
                gpo_entry.starts_with("<q1:Member>") && gpo_entry.ends_with("</q1:Member>"),
                "{gpo_entry}"
            );
        }
        // The item's member list, or the group's element in the Restricted Groups document.
        let changed = text_at(&outcome, finding.related[0].location);
        assert!(
            changed.starts_with('[')
                || (changed.starts_with("<accessgroup desc=")
                    && changed.ends_with("</accessgroup>")),
            "{changed}"
        );
    }
}

/// Group Policy Preferences' local group items (a GPO backup's Groups.xml) against Intune's
/// local group changes on hybrid-joined devices (the fixture's README has the table): a
/// removal Intune undoes, an addition an Intune Replace drops, an Update deleting every
/// member against an Intune addition, and an addition with item-level targeting against an
/// Intune removal (saying so, and pointing at the filters) are reported; additions on both
/// sides, a profile for Entra-joined devices only, a disabled item and one applied once are
/// not. Each finding points at the item's members in Groups.xml and names them as the backup's
/// report does.
#[test]
fn gpp_local_group_items_and_intune_local_groups_disagreeing_are_reported() {
    let rule = "local-group-set-by-gpo-and-intune";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpp-local-groups");
    let outcome = run_rule(rule, &dir);
    let mut found: Vec<(String, String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let (_, consequence) = f.message.rsplit_once(": ").unwrap();
            let path = &outcome.model.sources.get(f.primary.location.file).path;
            assert!(
                path.ends_with("Machine/Preferences/Groups/Groups.xml"),
                "{path:?}"
            );
            let members = text_at(&outcome, f.primary.location);
            assert!(members.starts_with("<Member name=") && members.ends_with("/>"));
            (
                f.primary.message.clone(),
                f.related[0].message.clone(),
                consequence.to_string(),
            )
        })
        .collect();
    found.sort();
    let mut expected = [
        (
            r"a Local Users and Groups preference item adds CONTOSO\Workstation Admins to Administrators here",
            r#"Intune policy "Local Administrators - Entra admins only (OMA-URI)" replaces that group's members with ["AzureAD\\device-admins@contoso.com"] here"#,
            r"CONTOSO\Workstation Admins removed by Intune and added again by Group Policy",
        ),
        (
            r"a Local Users and Groups preference item removes CONTOSO\Old admins from Administrators here",
            r#"Intune policy "Local groups - Entra admins and support (OMA-URI)" adds AzureAD\device-admins@contoso.com, CONTOSO\Old admins to that group here"#,
            r"CONTOSO\Old admins added by Intune and removed again by Group Policy",
        ),
        (
            r"a Local Users and Groups preference item adds CONTOSO\Lab operators to Power Users here",
            r#"Intune policy "Local groups - Entra admins and support (OMA-URI)" removes CONTOSO\Lab operators from that group here"#,
            r"CONTOSO\Lab operators removed by Intune and added again by Group Policy",
        ),
        (
            r"a Local Users and Groups preference item sets the members of Remote Desktop Users here",
            r#"Intune policy "Local groups - Entra admins and support (OMA-URI)" adds AzureAD\support@contoso.com to that group here"#,
            r"AzureAD\support@contoso.com added by Intune and removed again by Group Policy",
        ),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    expected.sort();
    assert_eq!(found, expected);
    for finding in &outcome.findings {
        let targeted = finding.message.contains("Power Users");
        assert_eq!(
            finding
                .message
                .contains("Local Users and Groups, where the item's item-level targeting matches)"),
            targeted,
            "{}",
            finding.message
        );
        let filters = (finding.related.iter())
            .find(|l| l.message.contains("item-level targeting"))
            .map(|l| text_at(&outcome, l.location));
        assert_eq!(filters.is_some(), targeted);
        if let Some(filters) = filters {
            assert!(
                filters.starts_with("<Filters><FilterGroup ") && filters.ends_with("</Filters>")
            );
        }
    }
    let replace = outcome
        .findings
        .iter()
        .find(|f| f.message.contains("Remote Desktop Users"))
        .unwrap();
    assert!(
        replace.message.contains(
            r#"GPO "Workstations - Local groups (preferences)" sets the members of the local group Remote Desktop Users to ["CONTOSO\\Field engineers"] (Group Policy Preferences, Local Users and Groups)"#
        ),
        "{}",
        replace.message
    );
}

/// Restricted Groups against preference local group items: an addition the list lacks (GPOs
/// linked on one OU chain), a Replace without the group "This group is a member of" adds, and a
/// targeted removal of a member the same GPO's list keeps are reported, each at the item's
/// member and naming where both apply; an addition the list holds, a removal of a member it
/// lacks, an item on an OU the Restricted Groups GPO does not reach, and a GPO linked nowhere
/// are not (the clean fixture).
#[test]
fn restricted_groups_and_preference_items_disagreeing_are_reported() {
    let rule = "local-group-set-by-restricted-groups-and-preferences";
    let outcome = run_rule(rule, &fixtures().join(rule).join("fires"));
    let mut found: Vec<(String, String, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let member = text_at(&outcome, f.primary.location);
            assert!(member.starts_with("<q2:Member name="), "{member}");
            let (head, consequence) = f.message.rsplit_once(": ").unwrap();
            let place = if head.contains("wherever the GPO applies") {
                "the same GPO".to_string()
            } else {
                let (_, ou) = head.split_once("on the computers of OU ").unwrap();
                ou.split(',').next().unwrap().to_string()
            };
            (f.primary.message.clone(), place, consequence.to_string())
        })
        .collect();
    found.sort();
    let mut expected = [
        (
            r"a Local Users and Groups preference item adds CONTOSO\Service desk to Administrators here",
            "contoso.com/Computers/Hybrid",
            r"CONTOSO\Service desk added by the preference item and removed again by Restricted Groups",
        ),
        (
            r"a Local Users and Groups preference item removes CONTOSO\Kiosk operators from Power Users here",
            "the same GPO",
            r"CONTOSO\Kiosk operators removed by the preference item and added again by Restricted Groups",
        ),
        (
            r"a Local Users and Groups preference item sets the members of Remote Desktop Users here",
            "contoso.com/Computers/Hybrid",
            r"CONTOSO\Helpdesk removed by the preference item and added again by Restricted Groups",
        ),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    expected.sort();
    assert_eq!(found, expected);
    // The targeted removal says so and points at its filters.
    let targeted = (outcome.findings.iter())
        .find(|f| f.message.contains("Kiosk operators"))
        .unwrap();
    assert!(
        targeted
            .message
            .contains("where the item's item-level targeting matches")
    );
    let filters = text_at(&outcome, targeted.related[1].location);
    assert!(
        filters.starts_with("<q2:Filters><q2:FilterComputer "),
        "{filters}"
    );
}

/// A password stored in a preference item is reported wherever the GPO is (an unlinked GPO's
/// mapped drive too: SYSVOL is readable whatever the links), naming the item, at the encrypted
/// bytes: in a GPO report, and in the preference files of a SYSVOL folder, the computer's and
/// the user's (a scheduled task, a mapped drive). An item whose `cpassword` is empty stores none
/// (the data source here, the clean fixture's items).
#[test]
fn stored_preference_passwords_are_reported_linked_or_not() {
    let rule = "gpp-password-stored";
    let outcome = run_rule(rule, &fixtures().join(rule).join("fires"));
    let mut found: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| (f.message.clone(), text_at(&outcome, f.primary.location)))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                r#"GPO "Old - Scan drive (unlinked)" stores the password of mapped drive "S:" in a Group Policy Preferences item: every domain user can read it in SYSVOL and decrypt it"#.to_string(),
                "Vb7Qw2Er9Ty4Ui1Op6As3Df8Gh5Jk0Lz2Xc7Vb4Nm9".to_string()
            ),
            (
                r#"GPO "Workstations - Local Administrator (2013)" stores the password of local user "Administrator" in a Group Policy Preferences item: every domain user can read it in SYSVOL and decrypt it"#.to_string(),
                "kH2m9Xq0PZ1rT6sV3wYc8nB5dF7gJ4aL0eQ2uI9oR1s".to_string()
            ),
            (
                r#"GPO "{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}" stores the password of mapped drive "H:" in a Group Policy Preferences item: every domain user can read it in SYSVOL and decrypt it"#.to_string(),
                "Mp5Rt2Wq9Xz4Cv7Bn1Hj6Kl3Gf8Ds0Ae5Uy2Ti9Ro4".to_string()
            ),
            (
                r#"GPO "{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}" stores the password of scheduled task "Nightly backup" in a Group Policy Preferences item: every domain user can read it in SYSVOL and decrypt it"#.to_string(),
                "Zr4Tq8Wm1Yx6Np3Hk9Lc2Vb7Js5Df0Ga4Eu8Io1Pw6".to_string()
            ),
        ]
    );
}

/// The backup's gpreport.xml reports the same preference items as its Groups.xml: the same
/// keys and members, so a report read alone is linted alike.
#[test]
fn gpp_local_groups_in_a_report_agree_with_groups_xml() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gpp-local-groups/gpo/{C4E1A7B2-5D3F-4A60-9B18-2F7E6D5C4B3A}");
    let (agreement, errors) =
        baselint::ingest::gpo_backup::agreement(&dir, baselint::catalog::Catalog::builtin())
            .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    // Administrators' additions and removals, Remote Desktop Users' members, Power Users'
    // additions and targeting.
    assert_eq!(agreement.matched, 5, "{agreement:?}");
    assert!(
        agreement.differ.is_empty()
            && agreement.only_in_report.is_empty()
            && agreement.only_in_raw.is_empty(),
        "{agreement:?}"
    );
}

/// A backup's stored passwords are read from its preference files, and the report's agree with
/// them item for item: the example's legacy baseline stores one, in Groups.xml.
#[test]
fn stored_passwords_of_a_backups_report_agree_with_its_preference_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "examples/contoso/gpo/Domain - Legacy baseline/{5B2C8D14-3E7F-4A1B-9C6D-2E8F0A4B7C21}",
    );
    let (agreement, errors) =
        baselint::ingest::gpo_backup::agreement(&dir, baselint::catalog::Catalog::builtin())
            .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        agreement.only_in_report.is_empty() && agreement.differ.is_empty(),
        "{agreement:?}"
    );
    let password = baselint::ingest::gpp_passwords::KEY.to_string();
    assert!(!agreement.only_in_raw.contains(&password), "{agreement:?}");
}

/// The human report never shows a stored password's bytes (they decrypt with a published
/// key): every quote of them is masked, one `*` a byte, columns unchanged.
#[test]
fn human_reports_mask_stored_passwords() {
    let dir = "tests/fixtures/rules/gpp-password-stored/fires";
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_baselint"))
        .args(["check", dir, "--color", "never"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let outcome = run_rule(
        "gpp-password-stored",
        &fixtures().join("gpp-password-stored/fires"),
    );
    assert_eq!(outcome.findings.len(), 4);
    for finding in &outcome.findings {
        let secret = text_at(&outcome, finding.primary.location);
        assert!(!text.contains(&secret), "{secret} shown:\n{text}");
        // A long line shows the span alone.
        let masked = format!("│ {}\n", "*".repeat(secret.len()));
        let quoted = format!("cpassword=\"{}\"", "*".repeat(secret.len()));
        assert!(
            text.contains(&masked) || text.contains(&quoted),
            "{secret} not masked:\n{text}"
        );
    }
}

/// User rights between a GPO and Intune on hybrid-joined devices: the GPO report names its
/// members by SID and name, so an Intune policy that writes `CONTOSO\Domain Admins` by name
/// agrees with the GPO's SID, and one that leaves the group out conflicts, its message naming
/// the principals as the report does.
#[test]
fn user_rights_compare_and_read_by_the_names_a_gpo_report_gives() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpo-user-rights-names");
    let outcome = run_rule("gpo-intune-conflict", &dir);
    let [finding] = &outcome.findings[..] else {
        panic!("{:#?}", outcome.findings);
    };
    assert!(
        finding.message.contains(
            r#"GPO "STIG - User Rights" sets Deny access to this computer from the network (SeDenyNetworkLogonRight) to ["CONTOSO\\Domain Admins", "BUILTIN\\Guests"] but Intune policy "Deny network logon (guests only)" sets it to ["BUILTIN\\Guests"]"#
        ),
        "{}",
        finding.message
    );
    assert!(!finding.message.contains("by name"), "{}", finding.message);
    // The bytes are the GPO's members as written, SIDs and names.
    let members = text_at(&outcome, finding.primary.location);
    assert!(members.starts_with("<q1:Member>") && members.contains("S-1-5-21-"));
}

/// A GPO read from a SYSVOL folder and from a report of the domain's GPOs is one GPO: its
/// findings come once, at the bytes of its files, and reach the devices the report's links say.
#[test]
fn a_gpo_read_from_sysvol_and_from_a_report_is_linted_once() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpo-copies");
    for rule in [
        "local-group-set-by-restricted-groups-and-preferences",
        "gpp-password-stored",
        "cached-logons-disabled-on-hybrid-joined",
    ] {
        let outcome = run_rule(rule, &dir);
        let [finding] = &outcome.findings[..] else {
            panic!("{rule}: {:#?}", outcome.findings);
        };
        let path = &outcome
            .model
            .sources
            .get(finding.primary.location.file)
            .path;
        assert!(
            (path.to_string_lossy().replace('\\', "/")).contains("sysvol/Policies/{1E2F3A4B"),
            "{rule}: {path:?}"
        );
    }
}

/// An automatic logon password a GPO writes is reported at its bytes (a preference registry
/// item naming the account, an entry of Registry.pol), and no output shows it: the model keeps
/// no copy, and the human report masks the file's bytes. A deleted value, a disabled item and an
/// automatic logon turned off are no finding (the clean fixture).
#[test]
fn autologon_passwords_are_reported_and_never_shown() {
    let rule = "autologon-password-in-gpo";
    let dir = fixtures().join(rule).join("fires");
    let outcome = run_rule(rule, &dir);
    // Registry.pol's spans point into the listing of its entries the reader renders.
    let shown_at = |location: baselint::source::Location| {
        let file = outcome.model.sources.get(location.file);
        match file.encoding {
            baselint::source::Encoding::BinaryListing => {
                file.text_unkept()[location.span.range()].to_string()
            }
            _ => text_at(&outcome, location),
        }
    };
    let mut found: Vec<(String, String)> = (outcome.findings.iter())
        .map(|f| (f.message.clone(), shown_at(f.primary.location)))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                r#"GPO "Kiosks - Automatic logon" writes the automatic logon password of "CONTOSO\kiosk" in clear text (Registry.xml): every domain user can read it in SYSVOL"#.to_string(),
                "Kiosk-2014!".to_string()
            ),
            (
                r#"GPO "{E2B9D4F1-6A3C-4B7E-8D05-1F9A3C6E2B84}" writes the automatic logon password in clear text (registry.pol): every domain user can read it in SYSVOL"#.to_string(),
                r#""Lab-Passw0rd""#.to_string()
            ),
        ]
    );
    let outputs = [
        vec!["check", "--format", "human"],
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["inspect"],
        vec!["inspect", "--format", "json"],
    ];
    for args in outputs {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args(&args)
            .arg(&dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("Kiosks - Automatic logon"),
            "{args:?}: {text}"
        );
        for password in ["Kiosk-2014!", "Lab-Passw0rd"] {
            assert!(
                !text.contains(password),
                "{args:?} shows {password}: {text}"
            );
        }
    }
}
