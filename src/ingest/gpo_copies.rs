//! One GPO read twice in a run: from a report (`Get-GPOReport`, one GPO or `-All`) and from
//! its own files (a backup folder, a GPO's folder in a copy of SYSVOL). Linted apart, the two
//! copies would report every finding twice and meet each other as two GPOs (a setting
//! overridden by itself, Restricted Groups disputed by its own preference items). They are made
//! one GPO, as a backup's own `gpreport.xml` and raw files are ([`super::gpo_backup`]):
//!
//! * a folder without a report of its own (SYSVOL, a backup without `gpreport.xml`) takes the
//!   report's identity, name, links, security filtering, WMI filter, status and principal
//!   names, which its files do not hold; its settings stay those of its files, joined by the
//!   report's settings that no file holds ([`super::gpo_backup::report_only`]);
//! * a backup with its own report has all of that already: the other report's copy is
//!   dropped.
//!
//! Copies are matched by GUID, and by domain where both name one. A GUID is merged only when
//! the run has exactly one copy of each kind: Default Domain Policy has the same GUID in every
//! domain, and a SYSVOL folder names none, so several reports of one GUID are left as they are.

use std::collections::{HashMap, HashSet};

use crate::model::{Model, Policy, PolicyKind};

/// Merge each GPO read from its files with the one report copy of it, in place (the merged
/// GPO keeps the folder's place in the model; the report's copy is removed).
pub fn merge(model: &mut Model) {
    let mut copies: HashMap<String, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (index, policy) in model.policies.iter().enumerate() {
        let Some(gpo) = policy
            .gpo
            .as_ref()
            .filter(|_| policy.kind == PolicyKind::Gpo)
        else {
            continue;
        };
        if gpo.guid.is_empty() {
            continue;
        }
        let (folders, reports) = copies.entry(gpo.guid.to_ascii_uppercase()).or_default();
        if gpo.from_files {
            folders.push(index);
        } else {
            reports.push(index);
        }
    }
    let mut merged: HashSet<usize> = HashSet::new();
    for (folders, reports) in copies.values() {
        let ([folder], [report]) = (folders.as_slice(), reports.as_slice()) else {
            continue;
        };
        if !same_domain(&model.policies[*folder], &model.policies[*report]) {
            continue;
        }
        let copy = model.policies[*report].clone();
        take_report(&mut model.policies[*folder], copy);
        merged.insert(*report);
    }
    let mut index = 0;
    model.policies.retain(|_| {
        index += 1;
        !merged.contains(&(index - 1))
    });
}

/// The domains the two copies name agree, or one names none.
fn same_domain(a: &Policy, b: &Policy) -> bool {
    let domain = |p: &Policy| p.gpo.as_ref().and_then(|g| g.domain.clone());
    match (domain(a), domain(b)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        _ => true,
    }
}

/// What a folder's GPO takes from the report's copy: all but the settings its files hold.
/// A folder read with its own report (its assignments exported) takes nothing.
fn take_report(folder: &mut Policy, report: Policy) {
    if folder.assignments_exported {
        return;
    }
    // Settings keep their own file whatever the policy's source becomes.
    for setting in &mut folder.settings {
        setting.file.get_or_insert(folder.source);
    }
    let only_in_report = (report.settings.into_iter())
        .filter(|s| super::gpo_backup::report_only(&s.key))
        .map(|mut s| {
            s.file.get_or_insert(report.source);
            s
        });
    folder.settings.extend(only_in_report);
    folder.id = report.id;
    folder.name = report.name;
    folder.source = report.source;
    folder.span = report.span;
    folder.name_span = report.name_span;
    folder.assignments = report.assignments;
    folder.assignments_exported = report.assignments_exported;
    folder.gpo = report.gpo.map(|mut gpo| {
        gpo.from_files = true;
        gpo
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::model::{GpoInfo, Setting};
    use std::path::{Path, PathBuf};

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    /// The model of `paths` as `check` reads it, copies merged.
    fn read(paths: &[PathBuf]) -> Model {
        let (units, errors) = crate::ingest::collect_files(paths);
        assert!(errors.is_empty(), "{errors:?}");
        let mut model = Model::default();
        crate::ingest::load(&units, &mut model, Catalog::builtin());
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        merge(&mut model);
        model
    }

    fn file_name(model: &Model, policy: &Policy, setting: &Setting) -> String {
        let file = model.sources.get(policy.value_location(setting).file);
        file.path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// A SYSVOL folder and a backup without its report, each beside a report of the same GPO:
    /// one GPO each, named, linked and filtered as the report says, its settings read from its
    /// files (their spans in them) and, for what no file holds (a logon script), from the report.
    #[test]
    fn a_folder_takes_what_its_gpos_report_adds() {
        let model = read(&[Path::new(ROOT).join("tests/fixtures/gpo-copies")]);
        let names: Vec<&str> = model.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["Contoso Workstations & Kiosks", "Domain - Legacy baseline"]
        );
        let [workstations, legacy] = &model.policies[..] else {
            unreachable!()
        };
        for policy in [workstations, legacy] {
            assert!(policy.assignments_exported && !policy.assignments.is_empty());
            let report = model.sources.get(policy.source);
            assert!(report.path.parent().unwrap().ends_with("reports"));
            let written = report.slice(policy.name_span).replace("&amp;", "&");
            assert_eq!(written, policy.name);
            assert!(policy.gpo.as_ref().unwrap().from_files);
        }
        assert_eq!(workstations.gpo.as_ref().unwrap().security_filter.len(), 1);
        assert!(!legacy.gpo.as_ref().unwrap().principals.is_empty());
        let pku2u = Catalog::builtin()
            .resolve("pku2u_allow_online_id")
            .unwrap()
            .setting_key()
            .to_string();
        let files = |policy: &Policy, key: &str| -> Vec<String> {
            (policy.settings.iter())
                .filter(|s| *s.key == *key)
                .map(|s| file_name(&model, policy, s))
                .collect()
        };
        assert_eq!(files(workstations, &pku2u), ["GptTmpl.inf"]);
        assert_eq!(
            files(workstations, "gpo:computer/scripts/script/command"),
            ["Contoso Workstations.xml"]
        );
        assert_eq!(
            files(legacy, crate::ingest::gpp_passwords::KEY),
            ["Groups.xml"]
        );
        assert!(
            legacy
                .settings
                .iter()
                .all(|s| file_name(&model, legacy, s) != "Domain - Legacy baseline.xml"),
            "every setting of the legacy GPO is in its SYSVOL files"
        );
    }

    /// A backup with its own report is whole: another report of its GPO is dropped.
    #[test]
    fn a_backup_with_its_report_drops_another_report_of_its_gpo() {
        let backup = Path::new(ROOT).join(
            "examples/contoso/gpo/Domain - Legacy baseline/{5B2C8D14-3E7F-4A1B-9C6D-2E8F0A4B7C21}",
        );
        let report =
            Path::new(ROOT).join("tests/fixtures/gpo-copies/reports/Domain - Legacy baseline.xml");
        let model = read(&[report, backup.clone()]);
        let [policy] = &model.policies[..] else {
            panic!("{:?}", model.policies);
        };
        assert!(model.sources.get(policy.source).path.starts_with(&backup));
    }

    fn gpo(guid: &str, domain: Option<&str>, from_files: bool) -> Policy {
        Policy {
            id: Some(guid.to_string()),
            name: format!("{guid} {domain:?} {from_files}"),
            kind: PolicyKind::Gpo,
            source: crate::source::SourceId(0),
            span: Default::default(),
            name_span: Default::default(),
            settings: Vec::new(),
            assignments: Vec::new(),
            assignments_exported: !from_files,
            gpo: Some(Box::new(GpoInfo {
                guid: guid.to_string(),
                domain: domain.map(str::to_string),
                from_files,
                ..GpoInfo::default()
            })),
        }
    }

    /// Copies of other domains, and a GUID with two reports (Default Domain Policy's is the
    /// same in every domain, and a SYSVOL folder names none), are left as they are.
    #[test]
    fn only_one_report_of_the_same_domain_is_merged() {
        const DEFAULT_DOMAIN_POLICY: &str = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
        const OTHER: &str = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
        let mut model = Model {
            policies: vec![
                gpo(DEFAULT_DOMAIN_POLICY, None, true),
                gpo(DEFAULT_DOMAIN_POLICY, Some("contoso.com"), false),
                gpo(DEFAULT_DOMAIN_POLICY, Some("fabrikam.com"), false),
                gpo(OTHER, Some("contoso.com"), true),
                gpo(&OTHER.to_lowercase(), Some("FABRIKAM.com"), false),
            ],
            ..Model::default()
        };
        let names = |model: &Model| -> Vec<String> {
            model.policies.iter().map(|p| p.name.clone()).collect()
        };
        let before = names(&model);
        merge(&mut model);
        assert_eq!(names(&model), before);
        // The same domain in another case is the same domain.
        model.policies[4].gpo.as_mut().unwrap().domain = Some("CONTOSO.com".to_string());
        merge(&mut model);
        let after = names(&model);
        assert_eq!(after.len(), 4);
        assert_eq!(
            after[3], before[4],
            "the report's name, in the folder's place"
        );
    }
}
