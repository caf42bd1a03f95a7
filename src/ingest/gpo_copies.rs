//! One GPO read more than once in a run: from a report (`Get-GPOReport`, one GPO or `-All`)
//! and from its own files (a backup folder, a GPO's folder in a copy of SYSVOL), or from
//! several backups taken at different times (GPMC adds a backup folder per GPO at every backup
//! into the same folder). Linted apart, the copies would report every finding again and meet
//! each other as GPOs of their own (a setting overridden by itself, Restricted Groups disputed
//! by its own preference items). They are made one GPO:
//!
//! * of several copies of one kind (read from files, or from reports), the newest is kept: the
//!   one whose version is ahead (each half's count of edits: `GPT.INI`'s `Version`, a backup's
//!   `MachineVersionNumber` and `UserVersionNumber`, a report's `VersionSysvol`), else the
//!   latest backup time (`bkupInfo.xml`) or report read time (`ReadTime`); the first read of
//!   those that tie. A SYSVOL folder, which says no time, is older than a dated copy of the
//!   same version;
//! * the copy read from files then takes, from the report's, what its files do not hold, as a
//!   backup's own `gpreport.xml` and raw files are ([`super::gpo_backup`]): a folder without a
//!   report of its own (SYSVOL, a backup without `gpreport.xml`) takes the report's identity,
//!   name, links, security filtering, WMI filter, status and principal names, its settings
//!   staying those of its files joined by the report's that no file holds
//!   ([`super::gpo_backup::report_only`]); a backup with its own report has all of that, and
//!   keeps its settings; it takes the other report's name, links, filtering and status only
//!   when that report was read after the backup was taken (its own report says where the GPO
//!   was linked then).
//!
//! Before that, GPO folders whose `GPT.INI` gives them a name another GUID's folder shares are
//! named by their GUID: that name is a console's default for a new GPO, not the GPO's.
//!
//! Copies are one GPO when they share a GUID and name one domain at most. Default Domain
//! Policy has the same GUID in every domain: then the copies of each domain are one GPO, and a
//! copy that names no domain (a SYSVOL folder) is left as it is.

use std::collections::{HashMap, HashSet};

use crate::model::{Model, Policy, PolicyKind};
use crate::source::Location;

/// Make the copies of each GPO one, in place: the GPO kept stays in the place of the copy read
/// from files (else of the report kept), the other copies are removed.
pub fn merge(model: &mut Model) {
    unname_shared_template_names(model);
    let mut by_guid: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, policy) in model.policies.iter().enumerate() {
        let Some(gpo) = policy
            .gpo
            .as_ref()
            .filter(|_| policy.kind == PolicyKind::Gpo)
        else {
            continue;
        };
        if !gpo.guid.is_empty() {
            by_guid
                .entry(gpo.guid.to_ascii_uppercase())
                .or_default()
                .push(index);
        }
    }
    let mut dropped: HashSet<usize> = HashSet::new();
    let gpos: Vec<Vec<usize>> = (by_guid.values())
        .flat_map(|indices| one_gpo_each(model, indices))
        .collect();
    for copies in gpos {
        let folder = newest(model, &copies, true);
        let report = newest(model, &copies, false);
        let Some(kept) = folder.or(report) else {
            continue;
        };
        let mut others: Vec<usize> = (copies.iter().copied()).filter(|&i| i != kept).collect();
        others.sort_unstable();
        // Where each copy names the GPO; a folder that takes its report's name is named by
        // the report from then on, so the other copy it lists is the folder itself.
        let where_named = |policy: &Policy| Location {
            file: policy.source,
            span: policy.name_span,
        };
        // A folder and a report of it, the report taken in by the folder: listed last.
        let merged = folder.zip(report);
        let mut locations: Vec<Location> = (others.iter())
            .filter(|&&i| merged.map(|(_, report)| report) != Some(i))
            .map(|&i| where_named(&model.policies[i]))
            .collect();
        if let Some((folder, report)) = merged {
            let before = where_named(&model.policies[folder]);
            let copy = model.policies[report].clone();
            let takes_name = take_report(&mut model.policies[folder], copy);
            locations.push(if takes_name {
                before
            } else {
                where_named(&model.policies[report])
            });
        }
        if let Some(gpo) = model.policies[kept].gpo.as_mut() {
            gpo.other_copies.extend(locations);
        }
        dropped.extend(others);
    }
    let mut index = 0;
    model.policies.retain(|_| {
        index += 1;
        !dropped.contains(&(index - 1))
    });
}

/// GPO folders named by their `GPT.INI` (`displayName`) under a name that another GUID's
/// folder shares are named by their GUID instead: a domain's GPO names are unique, so a shared
/// name is the default GPMC wrote when each was created, in the language of its console
/// ("New Group Policy Object" is recognised when read; "Neues Gruppenrichtlinienobjekt" and
/// the others are not).
fn unname_shared_template_names(model: &mut Model) {
    let named_by_template = |policy: &Policy| {
        let gpo = policy.gpo.as_ref();
        gpo.is_some_and(|g| g.from_files && !policy.assignments_exported)
            && policy.id.as_deref() != Some(policy.name.as_str())
            && model_file_name(model, policy).eq_ignore_ascii_case("gpt.ini")
    };
    let mut guids_by_name: HashMap<String, HashSet<&str>> = HashMap::new();
    for policy in model.policies.iter().filter(|p| named_by_template(p)) {
        let guid = policy.gpo.as_ref().map_or("", |g| g.guid.as_str());
        (guids_by_name.entry(policy.name.to_lowercase()).or_default()).insert(guid);
    }
    let shared: Vec<usize> = (model.policies.iter().enumerate())
        .filter(|(_, p)| named_by_template(p))
        .filter(|(_, p)| guids_by_name[&p.name.to_lowercase()].len() > 1)
        .map(|(i, _)| i)
        .collect();
    for i in shared {
        let policy = &mut model.policies[i];
        if let Some(guid) = policy.id.clone() {
            policy.name = guid;
            policy.name_span = crate::source::Span::default();
        }
    }
}

/// The file name of a policy's source (`GPT.INI` for a template folder without a report).
fn model_file_name(model: &Model, policy: &Policy) -> String {
    let path = &model.sources.get(policy.source).path;
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The copies of one GUID that are one GPO each: all of them when they name one domain at most;
/// else those of each domain, a copy that names none being left out.
fn one_gpo_each(model: &Model, indices: &[usize]) -> Vec<Vec<usize>> {
    let domain = |i: &usize| {
        let gpo = model.policies[*i].gpo.as_ref();
        gpo.and_then(|g| g.domain.as_ref())
            .map(|d| d.to_ascii_lowercase())
    };
    let mut domains: Vec<String> = indices.iter().filter_map(domain).collect();
    domains.sort();
    domains.dedup();
    if domains.len() <= 1 {
        return vec![indices.to_vec()];
    }
    domains
        .into_iter()
        .map(|d| {
            (indices.iter().copied())
                .filter(|i| domain(i).as_ref() == Some(&d))
                .collect()
        })
        .collect()
}

/// The newest copy read from files (or from a report): the later version where two copies
/// say theirs and one is ahead (a SYSVOL folder says no time, but `GPT.INI` counts the GPO's
/// edits), else the latest export time; the first read of those that tie.
fn newest(model: &Model, copies: &[usize], from_files: bool) -> Option<usize> {
    let gpo = |i: usize| model.policies[i].gpo.as_ref();
    (copies.iter().copied())
        .filter(|&i| gpo(i).is_some_and(|g| g.from_files == from_files))
        .max_by(|&a, &b| {
            let version = |i: usize| gpo(i).and_then(|g| g.version);
            let time = |i: usize| gpo(i).and_then(|g| g.exported_at.as_deref());
            let by_version = version(a).zip(version(b)).and_then(|(a, b)| a.compare(b));
            by_version
                .unwrap_or_else(|| time(a).cmp(&time(b)))
                .then(b.cmp(&a))
        })
}

/// What a folder's GPO takes from the report's copy: all but the settings its files hold.
/// A folder read with its own report (its assignments exported) keeps its settings, and takes
/// the report's name, links, filtering and status only when the report is newer: a backup's
/// own report says where the GPO was linked when it was backed up. True when it took the
/// report's name.
fn take_report(folder: &mut Policy, mut report: Policy) -> bool {
    if folder.assignments_exported {
        if !exported_later(&report, folder) {
            return false;
        }
    } else {
        let only_in_report = (std::mem::take(&mut report.settings).into_iter())
            .filter(|s| super::gpo_backup::report_only(&s.key))
            .map(|mut s| {
                s.file.get_or_insert(report.source);
                s
            });
        folder.settings.extend(only_in_report);
    }
    take_reach(folder, report);
    true
}

/// True when `a` was exported after `b`, both saying when. Compared to the second: a report's
/// `ReadTime` has fractions and a zone (`2026-11-20T07:58:12.4810000Z`), a backup's
/// `BackupTime` neither (`2026-11-20T07:58:12`, the console's local time), and a backup's own
/// report is read in the same second it is taken.
fn exported_later(a: &Policy, b: &Policy) -> bool {
    let time = |p: &Policy| {
        let at = p.gpo.as_ref()?.exported_at.as_deref()?;
        Some(at.get(..19).unwrap_or(at).to_string())
    };
    matches!((time(a), time(b)), (Some(a), Some(b)) if a > b)
}

/// The folder's GPO takes the report's identity, name, links, filtering and status. Its
/// settings keep their own file whatever the policy's source becomes, and the time and version
/// they were saved at where the folder says them; the names of principals the report does not
/// give stay known from the folder's own report.
fn take_reach(folder: &mut Policy, report: Policy) {
    for setting in &mut folder.settings {
        setting.file.get_or_insert(folder.source);
    }
    folder.id = report.id;
    folder.name = report.name;
    folder.source = report.source;
    folder.span = report.span;
    folder.name_span = report.name_span;
    folder.assignments = report.assignments;
    folder.assignments_exported = report.assignments_exported;
    let own = folder.gpo.take();
    folder.gpo = report.gpo.map(|mut gpo| {
        gpo.from_files = true;
        if let Some(own) = own {
            gpo.exported_at = own.exported_at.or(gpo.exported_at.take());
            gpo.version = own.version.or(gpo.version);
            for (sid, name) in own.principals {
                if !gpo.principals.iter().any(|(known, _)| *known == sid) {
                    gpo.principals.push((sid, name));
                }
            }
        }
        gpo
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::model::{GpoInfo, Setting};
    use crate::testing::copy_dir;
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
        // The folder each took the report's name in is the other copy listed.
        let other_copy = |policy: &Policy| -> Vec<String> {
            let gpo = policy.gpo.as_ref().unwrap();
            (gpo.other_copies.iter())
                .map(|l| {
                    model
                        .sources
                        .get(l.file)
                        .path
                        .to_string_lossy()
                        .replace('\\', "/")
                })
                .collect()
        };
        assert!(
            other_copy(workstations)[0]
                .ends_with("{7A1B2C3D-0000-4000-8000-000000000001}/bkupInfo.xml")
        );
        assert!(
            other_copy(legacy)[0]
                .ends_with("sysvol/Policies/{1E2F3A4B-5C6D-4E7F-8A9B-0C1D2E3F4A51}/GPT.INI")
        );
        assert_eq!(
            (other_copy(workstations).len(), other_copy(legacy).len()),
            (1, 1)
        );
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
        let [other] = &policy.gpo.as_ref().unwrap().other_copies[..] else {
            panic!("{policy:?}");
        };
        let other = &model.sources.get(other.file).path;
        assert!(other.ends_with("Domain - Legacy baseline.xml"), "{other:?}");
    }

    /// A backup with its own report beside a report read after the backup was taken: the
    /// GPO's links, filtering and name are the newer report's (it was moved and renamed since),
    /// its settings still the backup's files'.
    #[test]
    fn a_backup_takes_the_links_of_a_newer_report_of_its_gpo() {
        let backup = Path::new(ROOT).join(
            "examples/contoso/gpo/Domain - Legacy baseline/{5B2C8D14-3E7F-4A1B-9C6D-2E8F0A4B7C21}",
        );
        let older =
            Path::new(ROOT).join("tests/fixtures/gpo-copies/reports/Domain - Legacy baseline.xml");
        let file = crate::source::SourceFile::decode(&older, &std::fs::read(&older).unwrap());
        let newer = (file.unwrap().text())
            .replace(
                "2026-11-20T07:58:12.4810000Z",
                "2026-12-01T09:00:00.0000000Z",
            )
            .replace(
                "<SOMPath>contoso.com</SOMPath>",
                "<SOMPath>contoso.com/Kiosks</SOMPath>",
            )
            .replace(
                "<Name>Domain - Legacy baseline</Name>",
                "<Name>Kiosks - Legacy baseline</Name>",
            )
            // Edited since, too: the settings linted are still the backup's, of version 3.
            .replace("<VersionSysvol>3</", "<VersionSysvol>4</");
        let dir =
            std::env::temp_dir().join(format!("baselint-newer-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let report = dir.join("Kiosks - Legacy baseline.xml");
        std::fs::write(&report, newer).unwrap();
        let model = read(&[report.clone(), backup.clone()]);
        std::fs::remove_dir_all(&dir).unwrap();
        let [policy] = &model.policies[..] else {
            panic!("{:?}", model.policies);
        };
        assert_eq!(policy.name, "Kiosks - Legacy baseline");
        assert_eq!(model.sources.get(policy.source).path, report);
        let links: Vec<&str> = (policy.assignments.iter())
            .filter_map(|a| match &a.target {
                crate::model::Target::GpoLink(link) => Some(link.som_path.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(links, ["contoso.com/Kiosks"]);
        let gpo = policy.gpo.as_ref().unwrap();
        assert!(gpo.from_files);
        assert_eq!(gpo.exported_at.as_deref(), Some("2026-11-20T07:58:12"));
        assert_eq!(gpo.version.map(|v| v.computer), Some(3));
        assert!(!gpo.principals.is_empty());
        // Every setting is still read from the backup, its spans in the backup's files.
        assert!(!policy.settings.is_empty());
        for setting in &policy.settings {
            let file = &model.sources.get(policy.value_location(setting).file).path;
            assert!(file.starts_with(&backup), "{file:?}");
        }
        // The other copy is the backup's own report, where it named the GPO before.
        let [other] = &gpo.other_copies[..] else {
            panic!("{gpo:?}");
        };
        let other_file = model.sources.get(other.file);
        assert!(other_file.path.starts_with(&backup));
        assert_eq!(other_file.slice(other.span), "Domain - Legacy baseline");
    }

    /// Sources holding one file (id 0), which the policies below name as theirs.
    fn one_source() -> crate::source::Sources {
        let mut sources = crate::source::Sources::default();
        sources.add(crate::source::SourceFile::from_text(
            Path::new("report.xml"),
            String::new(),
            crate::source::Encoding::Utf8,
        ));
        sources
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

    /// Backups of one GPO taken at different times into one folder (GPMC adds one at each
    /// backup): the latest is linted, whatever the order the walk reads them in.
    #[test]
    fn of_several_backups_of_a_gpo_the_latest_is_linted() {
        let fixture = Path::new(ROOT)
            .join("tests/fixtures/gpo/backup/{7A1B2C3D-0000-4000-8000-000000000001}");
        let root = std::env::temp_dir().join(format!("baselint-gpo-copies-{}", std::process::id()));
        let bkup_info = std::fs::read_to_string(fixture.join("bkupInfo.xml")).unwrap();
        for (folder, time) in [
            ("{B}", "2025-03-01T09:00:00"),
            ("{A}", "2025-01-15T17:30:00"),
            ("{C}", "2024-11-02T08:00:00"),
        ] {
            copy_dir(&fixture, &root.join(folder));
            let info = bkup_info.replace("2025-02-01T10:05:00", time);
            std::fs::write(root.join(folder).join("bkupInfo.xml"), info).unwrap();
        }
        let model = read(std::slice::from_ref(&root));
        std::fs::remove_dir_all(&root).unwrap();
        let [policy] = &model.policies[..] else {
            panic!(
                "{:?}",
                model.policies.iter().map(|p| &p.name).collect::<Vec<_>>()
            );
        };
        let gpo = policy.gpo.as_ref().unwrap();
        assert_eq!(gpo.exported_at.as_deref(), Some("2025-03-01T09:00:00"));
        let source = &model.sources.get(policy.source).path;
        assert!(source.parent().unwrap().ends_with("{B}"), "{source:?}");
        let others: Vec<&Path> = (gpo.other_copies.iter())
            .map(|l| model.sources.get(l.file).path.parent().unwrap())
            .collect();
        assert!(
            others.len() == 2 && others[0].ends_with("{A}") && others[1].ends_with("{C}"),
            "{others:?}"
        );
    }

    /// A SYSVOL folder (undated) and a backup of one GPO: the copy whose version is ahead is
    /// linted; at the same version, the dated backup.
    #[test]
    fn of_a_sysvol_folder_and_a_backup_the_later_version_is_linted() {
        use crate::model::GpoVersion;
        const GUID: &str = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
        let copy = |name: &str, time: Option<&str>, computer: u16, user: u16| {
            let mut policy = gpo(GUID, None, true);
            policy.name = name.to_string();
            let info = policy.gpo.as_mut().unwrap();
            info.exported_at = time.map(str::to_string);
            info.version = Some(GpoVersion { computer, user });
            policy
        };
        let kept = |sysvol: Policy, backup: Policy| {
            let mut model = Model {
                sources: one_source(),
                policies: vec![backup, sysvol],
                ..Model::default()
            };
            merge(&mut model);
            let names: Vec<String> = model.policies.iter().map(|p| p.name.clone()).collect();
            names
        };
        let backup = || copy("backup", Some("2025-01-15T17:30:00"), 7, 2);
        assert_eq!(kept(copy("sysvol", None, 9, 2), backup()), ["sysvol"]);
        assert_eq!(kept(copy("sysvol", None, 7, 3), backup()), ["sysvol"]);
        assert_eq!(kept(copy("sysvol", None, 7, 2), backup()), ["backup"]);
        assert_eq!(kept(copy("sysvol", None, 6, 2), backup()), ["backup"]);
        // Neither ahead in both halves: not one history, so the time decides.
        assert_eq!(kept(copy("sysvol", None, 9, 1), backup()), ["backup"]);
    }

    /// A `GPT.INI` name that two GPOs' folders share is the default of a console in another
    /// language, not a name: those GPOs are named by their GUID; a name of one is kept.
    #[test]
    fn a_template_name_two_gpos_share_is_no_name() {
        let fixture = Path::new(ROOT).join(
            "tests/fixtures/rules/gpp-password-stored/clean/sysvol/Policies/{3F8E6A2C-1B5D-4E70-9A4C-6D2B8E1F0A35}",
        );
        let root = std::env::temp_dir().join(format!("baselint-gpt-names-{}", std::process::id()));
        let folders = [
            (
                "{11111111-2222-4333-8444-555555555555}",
                "Neues Gruppenrichtlinienobjekt",
            ),
            (
                "{66666666-7777-4888-9999-AAAAAAAAAAAA}",
                "Clients - Drucker",
            ),
            (
                "{BBBBBBBB-CCCC-4DDD-8EEE-FFFFFFFFFFFF}",
                "neues gruppenrichtlinienobjekt",
            ),
        ];
        for (guid, name) in folders {
            copy_dir(&fixture, &root.join(guid));
            let ini = format!("[General]\r\nVersion=1\r\ndisplayName={name}\r\n");
            std::fs::write(root.join(guid).join("GPT.INI"), ini).unwrap();
        }
        let model = read(std::slice::from_ref(&root));
        std::fs::remove_dir_all(&root).unwrap();
        let names: Vec<(&str, &str)> = (model.policies.iter())
            .map(|p| {
                let written = model.sources.get(p.source).slice(p.name_span);
                (p.name.as_str(), written)
            })
            .collect();
        assert_eq!(
            names,
            [
                ("{11111111-2222-4333-8444-555555555555}", ""),
                ("Clients - Drucker", "Clients - Drucker"),
                ("{BBBBBBBB-CCCC-4DDD-8EEE-FFFFFFFFFFFF}", ""),
            ]
        );
    }

    /// Of two reports of one GPO, the one read last is kept (the first of two read at once).
    #[test]
    fn of_several_reports_of_a_gpo_the_latest_is_linted() {
        const GUID: &str = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
        let at = |time: Option<&str>, name: &str| {
            let mut policy = gpo(GUID, Some("contoso.com"), false);
            policy.name = name.to_string();
            policy.gpo.as_mut().unwrap().exported_at = time.map(str::to_string);
            policy
        };
        let mut model = Model {
            sources: one_source(),
            policies: vec![
                at(Some("2024-09-30T12:56:05.2730983Z"), "older"),
                at(Some("2025-01-02T08:00:00.0000000Z"), "latest"),
                at(None, "undated"),
                at(Some("2025-01-02T08:00:00.0000000Z"), "as late, read after"),
            ],
            ..Model::default()
        };
        merge(&mut model);
        let names: Vec<&str> = model.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["latest"]);
        assert_eq!(
            model.policies[0].gpo.as_ref().unwrap().other_copies.len(),
            3
        );
    }

    /// Copies of other domains, and a GUID with two reports (Default Domain Policy's is the
    /// same in every domain, and a SYSVOL folder names none), are left as they are.
    #[test]
    fn only_one_report_of_the_same_domain_is_merged() {
        const DEFAULT_DOMAIN_POLICY: &str = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
        const OTHER: &str = "{6AC1786C-016F-11D2-945F-00C04FB984F9}";
        let mut model = Model {
            sources: one_source(),
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
