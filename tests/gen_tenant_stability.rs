//! The synthetic tenant of `examples/gen_tenant` is stable as the catalog changes: generated
//! from the built-in catalog and from the same catalog minus a few records (the other way round:
//! a catalog that gains them), the tenants differ only where a policy, GPO or STIG rule picked
//! one of those records. Benchmarks of two versions of baselint, whose catalogs differ, then
//! run on nearly the same tenant.

#[allow(dead_code)] // the test uses only part of the generator
#[path = "../examples/gen_tenant/mod.rs"]
mod generator;

use std::collections::{BTreeMap, BTreeSet};

use baselint::catalog::{Catalog, SettingDef};
use serde_json::Value;

use generator::{Params, Sink};

type Files = BTreeMap<String, Vec<u8>>;

struct MemorySink(Files);

impl Sink for MemorySink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        self.0.insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

fn tenant(catalog: &Catalog) -> Files {
    tenant_with(catalog, false)
}

fn tenant_with(catalog: &Catalog, catalog_list: bool) -> Files {
    let params = Params {
        policies: 200,
        seed: 42,
        gpo: true,
        gpo_all_in_one: false,
        catalog_list,
        stig: true,
        stig_rules: 300,
    };
    let mut sink = MemorySink(Files::new());
    generator::generate_with(&params, catalog, &mut sink).expect("the generator runs");
    sink.0
}

/// `--catalog-list` writes the Settings Catalog policies as one Graph list response: the same
/// policies, in the same order, as the files of a tenant generated without it; every other
/// file is the same.
#[test]
fn the_catalog_list_holds_the_policies_of_the_per_file_tenant() {
    let catalog = Catalog::builtin();
    let (per_file, listed) = (tenant_with(catalog, false), tenant_with(catalog, true));
    let list: Value = serde_json::from_slice(&listed["intune/configurationPolicies.json"]).unwrap();
    let items = list["value"].as_array().expect("a list response");
    let catalog_policy = |policy: &Value| {
        policy["@odata.type"] == "#microsoft.graph.deviceManagementConfigurationPolicy"
    };
    // Files are keyed by path, named by policy: back to policy order by the number that ends
    // each name.
    let mut files: Vec<(&String, Value)> = per_file
        .iter()
        .filter(|(path, _)| path.starts_with("intune/"))
        .map(|(path, bytes)| (path, serde_json::from_slice(bytes).unwrap()))
        .collect();
    files.sort_by_key(|(path, _)| path.rsplit(" - ").next().map(str::to_string));
    let from_files: Vec<&Value> = (files.iter().map(|(_, policy)| policy))
        .filter(|policy| catalog_policy(policy))
        .collect();
    assert!(from_files.len() > 150, "{} policies", from_files.len());
    assert_eq!(items.iter().collect::<Vec<_>>(), from_files);
    for (path, bytes) in &per_file {
        let listed_file = listed.get(path);
        let is_catalog_file =
            path.starts_with("intune/") && catalog_policy(&serde_json::from_slice(bytes).unwrap());
        assert_eq!(listed_file.is_none(), is_catalog_file, "{path}");
        if let Some(listed_bytes) = listed_file {
            assert_eq!(listed_bytes, bytes, "{path}");
        }
    }
}

/// A record the Intune settings pool can draw: a top-level Settings Catalog definition.
fn definition_id(def: &SettingDef) -> Option<&str> {
    let id = def.definition_id.as_deref()?;
    (def.parent.is_none() && id != generator::intune::PKU2U_DEFINITION).then_some(id)
}

/// Every 600th Settings Catalog definition of the catalog (six of about 3,600).
fn records_to_remove(catalog: &Catalog) -> BTreeSet<String> {
    catalog
        .settings()
        .iter()
        .filter_map(definition_id)
        .step_by(600)
        .map(str::to_string)
        .collect()
}

fn without(catalog: &Catalog, removed: &BTreeSet<String>) -> Catalog {
    let kept = catalog
        .settings()
        .iter()
        .filter(|def| definition_id(def).is_none_or(|id| !removed.contains(id)))
        .cloned()
        .collect();
    Catalog::from_settings(kept)
}

/// A Settings Catalog policy's settings as (definition id, value), in order.
fn settings(policy: &Value) -> Vec<(String, Value)> {
    let Some(settings) = policy["settings"].as_array() else {
        return Vec::new();
    };
    settings
        .iter()
        .map(|setting| {
            let instance = &setting["settingInstance"];
            let id = instance["settingDefinitionId"].as_str().expect("an id");
            let value = match &instance["choiceSettingValue"] {
                Value::Null => instance["simpleSettingValue"]["value"].clone(),
                choice => choice["value"].clone(),
            };
            (id.to_string(), value)
        })
        .collect()
}

fn text(path: &str, files: &Files) -> String {
    let bytes = &files[path];
    if path.starts_with("gpo/") {
        // UTF-16LE with a byte order mark.
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        return String::from_utf16(&units).expect("UTF-16");
    }
    String::from_utf8(bytes.clone()).expect("UTF-8")
}

/// Checks one Intune policy; true when its settings changed.
fn compare_policy(path: &str, before: &Files, after: &Files, removed: &BTreeSet<String>) -> bool {
    let old: Value = serde_json::from_slice(&before[path]).expect("JSON");
    let new: Value = serde_json::from_slice(&after[path]).expect("JSON");
    for field in ["@odata.type", "id", "name", "displayName", "assignments"] {
        assert_eq!(old[field], new[field], "{path}: {field} changed");
    }
    let old_settings = settings(&old);
    let kept: Vec<(String, Value)> = old_settings
        .iter()
        .filter(|(id, _)| !removed.contains(id))
        .cloned()
        .collect();
    if kept.len() == old_settings.len() {
        assert!(
            before[path] == after[path],
            "{path} changed without a removed record"
        );
        return false;
    }
    // The picks that remain keep their values and order; as many others replace the removed.
    let new_settings = settings(&new);
    assert_eq!(
        new_settings.len(),
        old_settings.len(),
        "{path}: setting count"
    );
    assert!(
        new_settings.starts_with(&kept),
        "{path}: the settings that remain changed"
    );
    true
}

/// A GPO report's settings blocks, and the report without its `Computer` element.
fn gpo_parts(report: &str) -> (Vec<String>, String) {
    let start = report.find("<Computer>").expect("a Computer element");
    let end = report.find("</Computer>").expect("a Computer element");
    let outside = format!("{}{}", &report[..start], &report[end..]);
    let mut blocks = Vec::new();
    let mut block = String::new();
    for line in report[start..end].lines().map(str::trim) {
        let opens = [
            "<q1:SecurityOptions>",
            "<q2:Policy>",
            "<q2:RegistrySetting>",
        ];
        if opens.contains(&line) {
            block.clear();
        }
        block.push_str(line);
        let closes = [
            "</q1:SecurityOptions>",
            "</q2:Policy>",
            "</q2:RegistrySetting>",
        ];
        if closes.contains(&line) {
            blocks.push(std::mem::take(&mut block));
        }
    }
    (blocks, outside)
}

/// Checks one GPO report; returns how many of its settings changed.
fn compare_gpo(path: &str, before: &Files, after: &Files) -> usize {
    let (old_blocks, old_outside) = gpo_parts(&text(path, before));
    let (new_blocks, new_outside) = gpo_parts(&text(path, after));
    assert!(
        old_outside == new_outside,
        "{path} changed outside its settings"
    );
    assert_eq!(old_blocks.len(), new_blocks.len(), "{path}: setting count");
    let common = |blocks: &[String], other: &[String]| -> Vec<String> {
        blocks
            .iter()
            .filter(|b| other.contains(b))
            .cloned()
            .collect()
    };
    assert_eq!(
        common(&old_blocks, &new_blocks),
        common(&new_blocks, &old_blocks),
        "{path}: the settings that remain changed order"
    );
    old_blocks
        .iter()
        .filter(|b| !new_blocks.contains(b))
        .count()
}

/// The STIG's rule groups (one line each) in `before` and not `after`, and the other way.
fn stig_changes(before: &Files, after: &Files) -> usize {
    let groups = |files: &Files| -> BTreeSet<String> {
        text(generator::stig::PATH, files)
            .lines()
            .filter(|line| line.starts_with("<Group"))
            .map(str::to_string)
            .collect()
    };
    groups(before).symmetric_difference(&groups(after)).count()
}

#[test]
fn removing_catalog_records_changes_only_what_picked_them() {
    let full = Catalog::builtin();
    let removed = records_to_remove(full);
    assert!(removed.len() >= 5, "too few records removed: {removed:?}");
    let smaller = without(full, &removed);
    assert_eq!(smaller.len(), full.len() - removed.len());

    let before = tenant(full);
    let after = tenant(&smaller);
    let names = |files: &Files| files.keys().cloned().collect::<BTreeSet<String>>();
    let only_one: Vec<String> = names(&before)
        .symmetric_difference(&names(&after))
        .cloned()
        .collect();
    assert!(
        only_one.is_empty(),
        "{} files are in one tenant only, such as {:?}",
        only_one.len(),
        only_one.first()
    );
    for path in [
        "entra/groups.json",
        "entra/assignmentFilters.json",
        "baselint.toml",
    ] {
        assert!(before[path] == after[path], "{path} changed");
    }

    let policies: Vec<&String> = before.keys().filter(|p| p.starts_with("intune/")).collect();
    let changed = policies
        .iter()
        .filter(|path| compare_policy(path, &before, &after, &removed))
        .count();
    // Each policy picks 5 to 200 (about 35 on average) of about 3,600 definitions: six records
    // removed change about 6 % of the policies.
    assert!(
        changed > 0 && changed * 5 <= policies.len(),
        "{changed} of {} policies changed",
        policies.len()
    );

    let gpos: Vec<&String> = before.keys().filter(|p| p.starts_with("gpo/")).collect();
    let gpo_settings_changed: usize = gpos
        .iter()
        .map(|path| compare_gpo(path, &before, &after))
        .sum();
    assert!(
        gpo_settings_changed <= removed.len(),
        "{gpo_settings_changed} GPO settings changed"
    );

    // A removed record's rule leaves, another comes in; either's number may move one other.
    let stig_changed = stig_changes(&before, &after);
    assert!(
        stig_changed <= 3 * removed.len(),
        "{stig_changed} STIG rules changed"
    );
}
