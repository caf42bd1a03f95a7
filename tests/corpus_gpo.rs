//! Every GPO report and backup of the shared corpus (`../shared/corpus/gpo-report`,
//! `../shared/corpus/gpo-backup`) loads with no input error; prints the settings read per file
//! or backup and the agreement between each backup's gpreport.xml and its raw files; checks the
//! NSA and DISA Windows 10 computer GPOs set AllowOnlineID = 0 in both gpreport.xml and
//! GptTmpl.inf, at the right lines of the UTF-16 files, and that each backup's version is its
//! report's. Skipped (with a message) when the corpus is absent.

use std::path::{Path, PathBuf};

use baselint::catalog::Catalog;
use baselint::ingest::{self, Unit, gpo_backup};
use baselint::model::{Model, Policy, Value};

const CORPUS: &str = "../shared/corpus";
const NSA: &str = "gpo-backup/nsacyber__Windows-Secure-Host-Baseline/Windows/Group Policy Objects/Computer/{A2A38432-E322-437F-9975-B7CC7F16F4AA}";
const DISA: &str = "gpo-backup/simeononsecurity__Standalone-Windows-STIG-Script/Files/GPOs/DoD/Windows/DoD - Windows 10 - Computer - Ansible Fixes/{DCA57422-099D-4D9E-AC02-4913007A6302}";
const MANIFEST_FOLDER: &str = "gpo-backup/troennes__private-secure-windows/GPOs";

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if root.join("gpo-backup").is_dir() {
        Some(root)
    } else {
        println!("skipped: {} is absent", root.display());
        None
    }
}

/// The GPO units under a corpus folder: backup folders and report/template/pol files (the NSA
/// repository's `policy.json` descriptors are not GPO exports and are left out).
fn gpo_units(root: &Path) -> Vec<Unit> {
    let (units, errors) = ingest::collect_files(&[root.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    units
        .into_iter()
        .filter(|u| match u {
            Unit::GpoFolder(..) => true,
            Unit::File(p) | Unit::Found(p) => !p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json")),
        })
        .collect()
}

fn unit_path(unit: &Unit) -> &Path {
    match unit {
        Unit::File(p) | Unit::Found(p) | Unit::GpoFolder(p, _) => p,
    }
}

fn load(unit: &Unit) -> Model {
    let mut model = Model::default();
    ingest::load(std::slice::from_ref(unit), &mut model, Catalog::builtin());
    model
}

#[test]
fn every_gpo_report_and_backup_loads_without_input_errors() {
    let Some(root) = corpus() else { return };
    let mut units = gpo_units(&root.join("gpo-backup"));
    units.extend(gpo_units(&root.join("gpo-report")));
    let backups = units
        .iter()
        .filter(|u| matches!(u, Unit::GpoFolder(..)))
        .count();
    assert_eq!(backups, 11, "backup folders found");
    let mut total = 0;
    for unit in &units {
        let model = load(unit);
        assert!(
            model.errors.is_empty(),
            "{}: {:#?}",
            unit_path(unit).display(),
            model.errors
        );
        let shown = unit_path(unit)
            .strip_prefix(&root)
            .unwrap_or(unit_path(unit));
        for policy in &model.policies {
            println!(
                "{:>4} settings  {}  ({})",
                policy.settings.len(),
                policy.name,
                shown.display()
            );
            total += policy.settings.len();
        }
    }
    println!(
        "{total} settings from {} units ({backups} backups)",
        units.len()
    );
}

#[test]
fn backups_agree_with_their_reports() {
    let Some(root) = corpus() else { return };
    let catalog = Catalog::builtin();
    for unit in gpo_units(&root.join("gpo-backup")) {
        let Unit::GpoFolder(dir, _) = unit else {
            continue;
        };
        let (agreement, errors) =
            gpo_backup::agreement(&dir, catalog).expect("every corpus backup has a gpreport.xml");
        assert!(errors.is_empty(), "{errors:?}");
        let name = dir
            .strip_prefix(&root)
            .unwrap_or(&dir)
            .display()
            .to_string();
        println!(
            "{name}\n    matched {} of {} compared; differ {}; only in report {}; only in raw {}; not comparable {}",
            agreement.matched,
            agreement.compared(),
            agreement.differ.len(),
            agreement.only_in_report.len(),
            agreement.only_in_raw.len(),
            agreement.not_comparable,
        );
        for (key, report, raw) in agreement.differ.iter().take(3) {
            println!("    differ: {key}: report {report}, raw {raw}");
        }
        for key in agreement.only_in_report.iter().take(3) {
            println!("    only in report: {key}");
        }
        for key in agreement.only_in_raw.iter().take(3) {
            println!("    only in raw: {key}");
        }
        assert!(
            agreement.differ.is_empty(),
            "{name}: {:?}",
            agreement.differ
        );
        assert!(
            agreement.only_in_report.is_empty(),
            "{name}: {:?}",
            agreement.only_in_report
        );
    }
}

/// Every corpus backup says the version its report says: `Backup.xml`'s
/// `MachineVersionNumber` and `UserVersionNumber` (each half's directory and SYSVOL counts, 16
/// bits each) against the report's `VersionSysvol`, both as baselint reads them; the backup's
/// also against the numbers read here from `Backup.xml`'s text.
#[test]
fn backups_say_the_versions_of_their_reports() {
    let Some(root) = corpus() else { return };
    let version = |model: &Model| model.policies[0].gpo.as_ref().and_then(|g| g.version);
    let mut compared = 0;
    for unit in gpo_units(&root.join("gpo-backup")) {
        let Unit::GpoFolder(dir, _) = &unit else {
            continue;
        };
        let backup = version(&load(&unit)).expect("a backup says its version");
        let report = gpo_backup::find_ci(dir, &["gpreport.xml"]).unwrap();
        let reported = version(&load(&Unit::File(report))).expect("a report says its version");
        assert_eq!(backup, reported, "{}", dir.display());
        let text = std::fs::read(gpo_backup::find_ci(dir, &["Backup.xml"]).unwrap()).unwrap();
        let text = String::from_utf8_lossy(&text);
        let number = |name: &str| -> u32 {
            let start = text.find(&format!("<{name}><![CDATA[")).unwrap() + name.len() + 11;
            let digits = &text[start..];
            digits[..digits.find(']').unwrap()].parse().unwrap()
        };
        let low = |n: u32| (n & 0xffff) as u16;
        assert_eq!(backup.computer, low(number("MachineVersionNumber")));
        assert_eq!(backup.user, low(number("UserVersionNumber")));
        compared += 1;
    }
    assert_eq!(compared, 11);
}

/// The PKU2U setting of a backup from the given file, with the 1-based line of its value.
fn pku2u_in(policy: &Policy, model: &Model, file_name: &str) -> (Value, usize, String) {
    let key = &Catalog::builtin()
        .resolve("pku2u_allow_online_id")
        .unwrap()
        .key;
    let setting = policy
        .settings
        .iter()
        .find(|s| {
            &s.key == key
                && model
                    .sources
                    .get(policy.value_location(s).file)
                    .path
                    .ends_with(file_name)
        })
        .unwrap_or_else(|| panic!("{}: no PKU2U setting from {file_name}", policy.name));
    let location = policy.value_location(setting);
    let file = model.sources.get(location.file);
    let (line, _) = file.line_col(location.span.start as usize);
    (setting.value.clone(), line, file.path.display().to_string())
}

/// The 1-based line of the first line containing `needle` in a UTF-16LE file, read
/// independently of baselint.
fn line_in_utf16_file(path: &Path, needle: &str) -> usize {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..2],
        &[0xFF, 0xFE],
        "{} has no UTF-16LE BOM",
        path.display()
    );
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {}", path.display()));
    let before = &text[..at];
    // Lines end at LF, CRLF or a lone CR.
    let mut line = 1;
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            line += 1;
        }
    }
    line
}

#[test]
fn nsa_and_disa_computer_gpos_disable_pku2u_in_report_and_template() {
    let Some(root) = corpus() else { return };
    for backup in [NSA, DISA] {
        let dir = root.join(backup);
        let model = load(&Unit::GpoFolder(dir.clone(), None));
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let policy = &model.policies[0];

        // The raw GptTmpl.inf: the backup's own setting.
        let (value, line, path) = pku2u_in(policy, &model, "GptTmpl.inf");
        assert_eq!(value, Value::Int(0));
        let expected = line_in_utf16_file(Path::new(&path), r"Lsa\pku2u\AllowOnlineID=4,0");
        assert_eq!(line, expected, "{path}");
        println!(
            "{}: GptTmpl.inf line {line}: AllowOnlineID = 0",
            policy.name
        );

        // gpreport.xml read on its own.
        let report = gpo_backup::find_ci(&dir, &["gpreport.xml"]).unwrap();
        let model = load(&Unit::File(report.clone()));
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let (value, line, _) = pku2u_in(&model.policies[0], &model, "gpreport.xml");
        assert_eq!(value, Value::Int(0));
        let key_line = line_in_utf16_file(&report, r"Lsa\pku2u\AllowOnlineID</");
        assert_eq!(
            line,
            key_line + 1,
            "the SettingNumber follows the KeyName line"
        );
        println!(
            "{}: gpreport.xml line {line}: AllowOnlineID = 0",
            model.policies[0].name
        );
    }
}

#[test]
fn manifest_folder_is_walked_into_its_backups() {
    let Some(root) = corpus() else { return };
    let (units, errors) = ingest::collect_files(&[root.join(MANIFEST_FOLDER)]);
    assert!(errors.is_empty());
    let backups: Vec<&Path> = units
        .iter()
        .filter_map(|u| match u {
            Unit::GpoFolder(p, _) => Some(p.as_path()),
            Unit::File(_) | Unit::Found(_) => None,
        })
        .collect();
    assert_eq!(backups.len(), 5, "{backups:?}");
    let mut model = Model::default();
    ingest::load(&units, &mut model, Catalog::builtin());
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    let gpos = model.policies.iter().filter(|p| p.gpo.is_some()).count();
    assert_eq!(gpos, 5);
}

/// Bad GPO inputs read through the loader (as `baselint check` does) give positioned errors.
#[test]
fn bad_gpo_inputs_through_the_loader_are_positioned_errors() {
    let dir = std::env::temp_dir().join(format!("baselint-bad-gpo-{}", std::process::id()));
    let machine = dir.join("GPO").join("Machine");
    std::fs::create_dir_all(&machine).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpo");
    let good_pol = std::fs::read(fixtures.join(
        "backup/{7A1B2C3D-0000-4000-8000-000000000001}/domainsysvol/gpo/Machine/registry.pol",
    ))
    .unwrap();
    // A wrong header and a truncated entry.
    let mut wrong = good_pol.clone();
    wrong[..4].copy_from_slice(b"PRex");
    std::fs::write(machine.join("registry.pol"), &wrong).unwrap();
    std::fs::write(dir.join("truncated.pol"), &good_pol[..good_pol.len() - 3]).unwrap();
    // A template with a malformed line, UTF-16LE with BOM.
    let inf = "[Unicode]\r\nUnicode=yes\r\n[Registry Values]\r\nMACHINE\\A\\B=4,notanumber\r\nMACHINE\\A\\C=4,1\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(inf.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("GptTmpl.inf"), bytes).unwrap();
    // A truncated report.
    let report = std::fs::read_to_string(fixtures.join("report-all.xml")).unwrap();
    std::fs::write(dir.join("gpreport.xml"), &report[..report.len() / 2]).unwrap();

    let (units, errors) = ingest::collect_files(std::slice::from_ref(&dir));
    assert!(errors.is_empty());
    let mut model = Model::default();
    ingest::load(&units, &mut model, Catalog::builtin());
    std::fs::remove_dir_all(&dir).unwrap();

    let error_for = |name: &str| {
        model
            .errors
            .iter()
            .find(|e| e.path.ends_with(name))
            .unwrap_or_else(|| panic!("no error for {name}: {:#?}", model.errors))
    };
    let header = error_for("registry.pol");
    assert!(
        header.message.contains("byte offset 0"),
        "{}",
        header.message
    );
    assert_eq!(header.line, Some(2));
    let truncated = error_for("truncated.pol");
    assert!(
        truncated.message.contains("byte offset"),
        "{}",
        truncated.message
    );
    assert!(truncated.line.is_some());
    let inf = error_for("GptTmpl.inf");
    assert_eq!((inf.line, inf.column), (Some(4), Some(15)));
    let xml = error_for("gpreport.xml");
    assert!(xml.line.is_some() && xml.message.contains("XML"), "{xml:?}");
    assert_eq!(model.errors.len(), 4, "{:#?}", model.errors);
    // What was before the damage still loaded.
    assert!(
        model
            .policies
            .iter()
            .any(|p| p.settings.iter().any(|s| s.key == r"hklm\a\c"))
    );
}
