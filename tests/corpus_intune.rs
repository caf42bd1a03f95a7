//! Every real Intune / Entra JSON export in the shared corpus loads without input errors, and
//! the two known PKU2U policies resolve to the catalog's PKU2U key with value 0 (Block).

use std::path::{Path, PathBuf};

use baselint::catalog::Catalog;
use baselint::ingest::Parsed;
use baselint::ingest::intune::read_json;
use baselint::model::Value;
use baselint::source::{SourceFile, SourceId};

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    root.is_dir().then_some(root)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(path);
        }
    }
}

fn load(path: &Path) -> (SourceFile, Parsed) {
    let bytes = std::fs::read(path).unwrap();
    let file =
        SourceFile::decode(path, &bytes).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let parsed = read_json(SourceId(0), &file, Catalog::builtin());
    (file, parsed)
}

#[test]
fn every_corpus_json_loads_without_input_errors() {
    let Some(root) = corpus() else {
        println!("skipping: ../shared/corpus not found");
        return;
    };
    let mut files = Vec::new();
    for kind in ["intune-json", "entra-groups"] {
        json_files(&root.join(kind), &mut files);
    }
    assert!(!files.is_empty(), "no JSON files under {}", root.display());
    let (mut policies, mut settings, mut groups, mut filters) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let (file, parsed) = load(path);
        let count: usize = parsed.policies.iter().map(|p| p.settings.len()).sum();
        println!(
            "{}: {} policies, {} settings, {} groups, {} filters",
            path.strip_prefix(&root).unwrap().display(),
            parsed.policies.len(),
            count,
            parsed.groups.len(),
            parsed.filters.len()
        );
        assert_spans_slice_their_text(&file, &parsed);
        for e in &parsed.errors {
            failures.push(format!(
                "{}:{:?}:{:?}: {}",
                e.path, e.line, e.column, e.message
            ));
        }
        policies += parsed.policies.len();
        settings += count;
        groups += parsed.groups.len();
        filters += parsed.filters.len();
    }
    println!(
        "{} files, {policies} policies, {settings} settings, {groups} groups, {filters} filters",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "input errors:\n{}",
        failures.join("\n")
    );
}

/// Names and choice options are plain identifiers, so the span of each (quotes included, even
/// inside the double-encoded file) must contain it; groups' rule spans must be non-empty.
fn assert_spans_slice_their_text(file: &SourceFile, parsed: &Parsed) {
    let plain = |s: &str| !s.contains(['\\', '"', '\'', '/']);
    for policy in &parsed.policies {
        // An intent companion (`{"settings": [...]}`) is named after its file: its name span is the
        // `settings` key.
        let name = file.slice(policy.name_span);
        assert!(
            name.contains(&policy.name) || !plain(&policy.name) || name.contains("settings"),
            "{name}"
        );
        for setting in &policy.settings {
            let (name, value) = (file.slice(setting.name_span), file.slice(setting.span));
            assert!(!value.is_empty(), "{}: empty span", setting.key);
            assert!(
                !plain(&setting.raw_name) || name.contains(setting.raw_name.as_str()),
                "{}: {name}",
                setting.key
            );
            if let Value::Choice(option) = &setting.value {
                assert!(value.contains(option.as_str()), "{}: {value}", setting.key);
            }
            if let Value::Int(i) = &setting.value
                && value.trim_matches(['"', '\\']).parse::<i64>().is_ok()
            {
                assert_eq!(value.trim_matches(['"', '\\']).parse::<i64>().unwrap(), *i);
            }
        }
    }
    for group in &parsed.groups {
        assert!(file.slice(group.span).contains(&group.name) || !plain(&group.name));
        if let Some(span) = group.rule_span {
            assert!(!file.slice(span).is_empty(), "{}", group.name);
        }
    }
}

#[test]
fn known_pku2u_policies_block_pku2u() {
    let Some(root) = corpus() else {
        println!("skipping: ../shared/corpus not found");
        return;
    };
    let catalog = Catalog::builtin();
    let pku2u = &catalog.resolve("pku2u_allow_online_id").unwrap().key;
    for relative in [
        "intune-json/microsoft__Intune-ACSC-Windows-Hardening-Guidelines/policies/ACSC Windows Hardening Guidelines.json",
        "intune-json/ennnbeee__CES2026-IntuneCD/Backup/Settings Catalog/POC_WIN_D_CO_SBL_CIS_MS_DeviceSecurity_mdm.json",
    ] {
        let (file, parsed) = load(&root.join(relative));
        assert!(parsed.errors.is_empty(), "{relative}: {:?}", parsed.errors);
        let setting = parsed
            .policies
            .iter()
            .flat_map(|p| &p.settings)
            .find(|s| &s.key == pku2u)
            .unwrap_or_else(|| panic!("{relative}: no PKU2U setting"));
        assert_eq!(setting.value, Value::Int(0), "{relative}");
        assert_eq!(
            file.slice(setting.span),
            "\"device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests_0\"",
            "{relative}"
        );
        assert_eq!(
            file.slice(setting.name_span),
            "\"device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests\"",
            "{relative}"
        );
    }
}
