//! The binary end to end: the README's example, output formats, exit codes, bad input.

mod common;
use common::{baselint, copy_dir, root, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example's exceptions are judged on this day, so the reports do not change with the date.
const TODAY: &str = "2026-11-25";

#[test]
fn example_human_report() {
    // The README's first command, on a fixed day: exception expiry notes count days from today.
    let output = baselint(&["check", "examples/contoso", "--today", TODAY], root());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn example_json_report() {
    let output = baselint(
        &[
            "check",
            "examples/contoso",
            "--format",
            "json",
            "--today",
            TODAY,
        ],
        root(),
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let report: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(report["version"], 1);
    insta::assert_snapshot!(text);
}

#[test]
fn example_fires_every_builtin_rule() {
    let output = baselint(
        &[
            "check",
            "examples/contoso",
            "--format",
            "json",
            "--today",
            TODAY,
        ],
        root(),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let mut rules: Vec<&str> = ["findings", "excepted"]
        .iter()
        .flat_map(|list| report[list].as_array().unwrap())
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    rules.sort();
    rules.dedup();
    let listed = stdout(&baselint(&["rules"], root()));
    let mut builtin: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    builtin.sort();
    assert_eq!(rules, builtin);
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    // EXC-0042 covers the NTLM deviation of "Win11 - NTLM hardening"; EXC-0060, expiring,
    // still covers the overridden legacy GPO setting.
    let excepted: Vec<(&str, &str)> = report["excepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["policy"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        excepted,
        [
            ("gpo-setting-overridden", "Domain - Legacy baseline"),
            ("baseline-deviation", "Win11 - NTLM hardening")
        ]
    );
}

/// The text at (line, column)..(end_line, end_column) of the file as it is on disk (for a
/// binary Registry.pol, of the listing of its entries that diagnostics point into).
fn text_at(path: &Path, f: &serde_json::Value) -> String {
    let bytes = std::fs::read(path).unwrap();
    let is_pol = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pol"));
    let file = if is_pol {
        let mut model = baselint::model::Model::default();
        let catalog = baselint::catalog::Catalog::builtin();
        let hive = baselint::ingest::registry_pol::Hive::from_path(path);
        let read = baselint::ingest::registry_pol::read(path, &bytes, hive, &mut model, catalog);
        model.sources.get(read.source).clone()
    } else {
        baselint::source::SourceFile::decode(path, &bytes).unwrap()
    };
    let lines: Vec<&str> = file.text().split_inclusive('\n').collect();
    let offset = |line: u64, column: u64| -> usize {
        let before: usize = lines[..line as usize - 1].iter().map(|l| l.len()).sum();
        let in_line: usize = lines[line as usize - 1]
            .chars()
            .take(column as usize - 1)
            .map(char::len_utf8)
            .sum();
        before + in_line
    };
    let start = offset(f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
    let end = offset(
        f["end_line"].as_u64().unwrap(),
        f["end_column"].as_u64().unwrap(),
    );
    file.text()[start..end].to_string()
}

#[test]
fn every_reported_position_points_at_the_offending_bytes() {
    let output = baselint(
        &[
            "check",
            "examples/contoso",
            "--format",
            "json",
            "--today",
            TODAY,
        ],
        root(),
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let mut binary = 0;
    for f in report["findings"].as_array().unwrap() {
        let path = root().join(f["path"].as_str().unwrap());
        let text = text_at(&path, f);
        if let Some(offset) = f["byte_offset"].as_u64() {
            // A binary file's finding also names the bytes of the file: here REG_DWORD data,
            // the number its listing shows.
            let bytes = std::fs::read(&path).unwrap();
            let length = f["byte_length"].as_u64().unwrap();
            let data = &bytes[offset as usize..(offset + length) as usize];
            let dword = u32::from_le_bytes(data.try_into().unwrap());
            assert_eq!(dword.to_string(), text, "{f}");
            binary += 1;
        } else {
            assert!(f.get("byte_length").is_none(), "{f}");
        }
        let pku2u_option = "\"device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests_0\"";
        match f["rule"].as_str().unwrap() {
            // A Settings Catalog option, an OMA-URI integer, or GptTmpl.inf data.
            "pku2u-disabled-on-entra-joined" | "pku2u-disabled-on-hybrid-joined" => {
                assert!(text == pku2u_option || text == "0", "{text}")
            }
            "conflicting-setting-values" => assert!(
                text.ends_with("lanmanagerauthenticationlevel_5\""),
                "{text}"
            ),
            // LmCompatibilityLevel in GptTmpl.inf; LAPS BackupDirectory in Registry.pol.
            "gpo-intune-conflict" => assert!(["5", "1"].contains(&text.as_str()), "{text}"),
            "gpo-setting-overridden" => assert_eq!(text, "3"),
            "baseline-deviation" => {
                let laps_ad = "\"device_vendor_msft_laps_policies_backupdirectory_2\"";
                let expected = ["0", "3", "1", pku2u_option, laps_ad];
                assert!(expected.contains(&text.as_str()), "{text}")
            }
            // The `Value:` of the STIG's check text.
            "baseline-contradicts-join-type" => assert_eq!(text, "0"),
            "exception-expired" => assert_eq!(text, "\"2026-09-30\""),
            "exception-expiring" => assert_eq!(text, "\"2026-12-15\""),
            "exception-incomplete" => {
                assert!(
                    text.starts_with("[[exception]]\nid = \"EXC-0051\""),
                    "{text}"
                )
            }
            "exception-unused" => assert!(
                text.starts_with("[[exception]]\nid = \"EXC-0013\""),
                "{text}"
            ),
            "assignment-to-unknown-group" => {
                assert_eq!(text, "\"0d1e2f3a-4444-4b5c-9d6e-7f8a9b0c1d66\"")
            }
            // The Settings Catalog option; the Registry.pol entry's data (its listing).
            "laps-ad-backup-on-entra-joined" => {
                assert_eq!(
                    text,
                    "\"device_vendor_msft_laps_policies_backupdirectory_2\""
                )
            }
            "laps-entra-backup-on-domain-joined" => assert_eq!(text, "1"),
            "bitlocker-rotation-skips-hybrid-joined" => assert_eq!(
                text,
                "\"device_vendor_msft_bitlocker_configurerecoverypasswordrotation_1\""
            ),
            // The Update's action.
            "local-group-update-overridden" => assert_eq!(
                text,
                "\"device_vendor_msft_policy_config_localusersandgroups_configure_groupconfiguration_accessgroup_action_add_update\""
            ),
            // The Restricted Groups XML's element for the group, its escapes as written.
            "restricted-groups-beside-local-groups" => assert_eq!(
                text,
                r#"<accessgroup desc=\"S-1-5-32-544\">\n    <member name=\"Administrator\"/>\n    <member name=\"CONTOSO\\Workstation Admins\"/>\n  </accessgroup>"#
            ),
            // The GPO's Restricted Groups member list, in the UTF-16 GptTmpl.inf.
            "local-group-set-by-gpo-and-intune" => assert_eq!(
                text,
                "*S-1-5-21-1004336348-1177238915-682003330-512,*S-1-5-21-1004336348-1177238915-682003330-1131"
            ),
            // The value as the UTF-16 GptTmpl.inf writes it, quoted.
            "cached-logons-disabled-on-hybrid-joined" => assert_eq!(text, "\"0\""),
            // The preference item's member, in the backup's Groups.xml.
            "local-group-set-by-restricted-groups-and-preferences" => assert_eq!(
                text,
                r#"<Member name="CONTOSO\Helpdesk" action="ADD" sid="S-1-5-21-1004336348-1177238915-682003330-1140"/>"#
            ),
            // The automatic logon password, in the SYSVOL folder's Registry.xml (the file's
            // bytes: only reports mask them).
            "autologon-password-in-gpo" => assert_eq!(text, "Welcome2015!"),
            // The stored password's encrypted bytes, in the backup's Groups.xml.
            "gpp-password-stored" => {
                assert_eq!(text, "Qm8Wn3Zx5Cv1Bk7Lp2Hs9Df4Gj6Ta0Ye3Ru8Io5Pw1")
            }
            // The next page's link the filters export names.
            "export-incomplete" => assert!(
                text.starts_with(
                    "\"https://graph.microsoft.com/beta/deviceManagement/assignmentFilters?"
                ),
                "{text}"
            ),
            other => panic!("unexpected rule {other}"),
        }
        for related in f["related"].as_array().unwrap() {
            let text = text_at(&root().join(related["path"].as_str().unwrap()), related);
            assert!(!text.is_empty(), "empty related span {related}");
            if related["message"]
                .as_str()
                .unwrap()
                .starts_with("membership rule")
            {
                // The group's rule as written ("All corporate" admits any Windows device).
                let rule = text.trim_start_matches('(');
                assert!(rule.starts_with("device.device"), "{text}");
            }
        }
    }
    assert_eq!(binary, 3, "the Registry.pol findings of the example");
}

#[test]
fn fail_on_controls_the_exit_code() {
    let dir = root().join("examples/contoso");
    let code = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--today", TODAY]);
        baselint(&args, &dir).status.code()
    };
    assert_eq!(code(&["check", "--fail-on", "never"]), Some(0));
    assert_eq!(code(&["check", "--fail-on", "error"]), Some(1));
    assert_eq!(
        code(&[
            "check",
            "--select",
            "assignment-to-unknown-group",
            "--fail-on",
            "error"
        ]),
        Some(0)
    );
    assert_eq!(code(&["check", "--select", "no-such-rule"]), Some(2));
}

#[test]
fn explain_prints_the_rule_docs() {
    let output = baselint(&["explain", "pku2u-disabled-on-entra-joined"], root());
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
    let by_code = baselint(&["explain", "bl001"], root());
    assert_eq!(stdout(&by_code), stdout(&output));
    assert_eq!(
        baselint(&["explain", "nope"], root()).status.code(),
        Some(2)
    );
}

#[test]
fn rules_lists_every_builtin_rule() {
    let output = baselint(&["rules"], root());
    insta::assert_snapshot!(stdout(&output));
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baselint-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_inputs_are_positioned_errors_and_other_files_are_still_linted() {
    let dir = temp_dir("bad");
    let good = std::fs::read_to_string(
        root().join("tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires/sc.json"),
    )
    .unwrap();
    std::fs::write(dir.join("good.json"), &good).unwrap();
    std::fs::write(
        dir.join("groups.json"),
        std::fs::read(
            root().join("tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires/groups.json"),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("truncated.json"), &good[..good.len() / 2]).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("{\"a\":".encode_utf16().flat_map(u16::to_le_bytes));
    utf16.extend([0x00, 0xD8, b'1', 0x00]);
    std::fs::write(dir.join("bad-utf16.json"), utf16).unwrap();
    std::fs::write(
        dir.join("broken-rule-group.json"),
        "{\"value\": [{\"id\": \"g-x\", \"displayName\": \"X\", \"groupTypes\": [\"DynamicMembership\"],\n  \"membershipRule\": \"(device.deviceTrustType -eq \\\"AzureAD\\\"\", \"membershipRuleProcessingState\": \"On\"}]}\n",
    )
    .unwrap();
    // A Registry.pol whose first entry's key has no terminating NUL (byte 10 on).
    std::fs::write(dir.join("damaged.pol"), b"PReg\x01\x00\x00\x00[\x00x").unwrap();
    let output = baselint(&["check", ".", "--format", "json"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    // Only the binary file's error names a byte offset (of the file, not of its listing).
    let binary: Vec<&serde_json::Value> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("byte_offset").is_some())
        .collect();
    assert_eq!(binary.len(), 1, "{binary:#?}");
    assert_eq!(binary[0]["path"], "damaged.pol");
    assert_eq!(binary[0]["byte_offset"], 10);
    assert!(
        binary[0]["message"]
            .as_str()
            .unwrap()
            .contains("damaged at byte offset 10 ")
    );
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{}: {}",
                e["path"].as_str().unwrap(),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(
        errors[0].starts_with("bad-utf16.json:1:6: cannot decode file"),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with(
            "broken-rule-group.json:2:22: membership rule of group \"X\" does not parse: unclosed `(`"
        )),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("truncated.json:")),
        "{errors:#?}"
    );
    // The good file next to them is still linted.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "pku2u-disabled-on-entra-joined")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn broken_user_rule_file_is_a_positioned_error() {
    let dir = temp_dir("rules");
    std::fs::write(
        dir.join("mine.toml"),
        "id = \"my-rule\"\nseverity = \"error\"\nsummary = \"s\"\nrationale = \"r\"\nfix = \"f\"\n[check.forbid]\nsetting = \"HKLM\\\\Nope\"\njoin_types = [\"entra\"]\n",
    )
    .unwrap();
    let output = baselint(&["rules", "--rules", dir.to_str().unwrap()], root());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("mine.toml:7:11: invalid rule file: unknown setting"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn walked_json_that_is_no_export_is_skipped_but_named_files_are_errors() {
    let dir = temp_dir("foreign");
    std::fs::write(
        dir.join("package.json"),
        "{\"name\": \"x\", \"version\": \"1.0.0\"}\n",
    )
    .unwrap();
    std::fs::write(dir.join("broken.json"), "{\"name\": ").unwrap();
    let walked = baselint(&["check", ".", "--format", "json"], &dir);
    let report: serde_json::Value = serde_json::from_str(&stdout(&walked)).unwrap();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], "broken.json");
    std::fs::remove_file(dir.join("broken.json")).unwrap();
    // A folder of nothing baselint reads is an input error: a gate over it must not pass.
    let nothing = baselint(&["check", ".", "--format", "json"], &dir);
    assert_eq!(nothing.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&nothing)).unwrap();
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("nothing to lint: no file here"),
        "{message}"
    );
    // Beside an export, the foreign JSON is skipped without a word.
    std::fs::write(
        dir.join("policy.json"),
        r##"{"@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy", "name": "Empty", "settings": []}"##,
    )
    .unwrap();
    assert_eq!(baselint(&["check", "."], &dir).status.code(), Some(0));
    assert_eq!(
        baselint(&["check", "package.json"], &dir).status.code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exceptions_audit_in_every_format() {
    for format in ["human", "json", "csv", "markdown"] {
        let output = baselint(
            &[
                "exceptions",
                "examples/contoso",
                "--today",
                TODAY,
                "--format",
                format,
            ],
            root(),
        );
        // EXC-0007 has expired and EXC-0051 is incomplete.
        assert_eq!(output.status.code(), Some(1), "{format}");
        insta::assert_snapshot!(format!("exceptions_audit_{format}"), stdout(&output));
    }
}

/// Without an exceptions file in the config there is nothing to audit: the command says so
/// before reading the inputs (a broken input file gives no error), and shows the config's own
/// errors.
#[test]
fn exceptions_without_an_exceptions_file_stop_before_reading_the_inputs() {
    let dir = temp_dir("no-exceptions");
    std::fs::write(dir.join("broken.json"), "{ \"displayName\": ").unwrap();
    std::fs::write(dir.join("baselint.toml"), "[inventory]\n").unwrap();
    let output = baselint(&["exceptions", "."], &dir);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(errors.contains("no exceptions file"), "{errors}");
    assert!(!errors.contains("broken.json"), "{errors}");
    std::fs::write(dir.join("baselint.toml"), "[exceptions\n").unwrap();
    let errors = stderr(&baselint(&["exceptions", "."], &dir));
    assert!(errors.contains("invalid baselint.toml"), "{errors}");
    assert!(errors.contains("no exceptions file"), "{errors}");
}

#[test]
fn exceptions_audit_json_follows_the_documented_schema() {
    let output = baselint(
        &[
            "exceptions",
            "examples/contoso",
            "--today",
            TODAY,
            "--format",
            "json",
        ],
        root(),
    );
    let audit: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(audit["version"], 1);
    let statuses: Vec<(&str, &str)> = audit["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("EXC-0042", "valid"),
            ("EXC-0007", "expired"),
            ("EXC-0013", "unused"),
            ("EXC-0060", "expiring"),
            ("EXC-0051", "incomplete")
        ]
    );
    let valid = &audit["exceptions"][0];
    assert_eq!(valid["days_left"], 126);
    assert_eq!(valid["covers"].as_array().unwrap().len(), 1);
    assert!(valid["line"].as_u64().unwrap() > 0);
    // The hybrid workstation's STIG checklist documents V-253459 as not applicable.
    let documented = &audit["checklist"][0];
    assert_eq!(documented["vuln_id"], "V-253459");
    assert_eq!(documented["status"], "not_applicable");
    assert!(!documented["related"].as_array().unwrap().is_empty());
}

/// A GPO whose folder holds no links (SYSVOL) is not called unlinked: nothing is known of them.
#[test]
fn inspect_tells_unknown_links_from_none() {
    let dir = "tests/fixtures/rules/gpp-password-stored/fires";
    let text = stdout(&baselint(&["inspect", dir], root()));
    let block = |name: &str| {
        let start = text.find(name).unwrap_or_else(|| panic!("{name}: {text}"));
        text[start..].split("\n\n").next().unwrap().to_string()
    };
    let sysvol = block("{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D} [gpo]");
    assert!(
        sysvol.ends_with("  assignments and links not in the export"),
        "{sysvol}"
    );
    let unlinked = block("Old - Scan drive (unlinked) [gpo]");
    assert!(
        unlinked.ends_with("  not assigned / not linked"),
        "{unlinked}"
    );
    let output = baselint(&["inspect", dir, "--format", "json"], root());
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let exported: Vec<(&str, bool)> = (view["policies"].as_array().unwrap().iter())
        .map(|p| {
            let exported = p["assignments_exported"].as_bool().unwrap();
            (p["name"].as_str().unwrap(), exported)
        })
        .collect();
    let sysvol = ("{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}", false);
    assert!(exported.contains(&sysvol), "{exported:?}");
    assert!(
        exported.contains(&("Old - Scan drive (unlinked)", true)),
        "{exported:?}"
    );
}

/// The human report names the policies that reach no device, which the rules about devices
/// skip, and says why; checked as if assigned (`--unassigned`), they reach some, and the note
/// goes.
#[test]
fn human_report_notes_the_policies_that_reach_no_device() {
    let dir = "tests/fixtures/rules/gpp-password-stored/fires";
    let note = |extra: &[&str]| {
        let mut args = vec!["check", dir, "--color", "never"];
        args.extend(extra);
        let text = stdout(&baselint(&args, root()));
        (text.lines())
            .skip_while(|l| !l.starts_with("note: "))
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let unreached = note(&[]);
    assert!(
        unreached.starts_with("note: 2 policies reach no device (1 of them because"),
        "{unreached}"
    );
    assert!(
        unreached.contains(r#""Old - Scan drive (unlinked)""#),
        "{unreached}"
    );
    assert!(
        unreached.contains("{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}"),
        "{unreached}"
    );
    assert_eq!(note(&["--unassigned", "all"]), "");
}

/// A run that read GPOs more than once says so at the end of the human and Markdown reports
/// (each GPO is linted once); a run that did not, does not.
#[test]
fn reports_note_the_gpos_read_more_than_once() {
    let note = "2 GPOs were read more than once (2 other copies:";
    for format in ["human", "markdown"] {
        let args = ["check", "tests/fixtures/gpo-copies", "--format", format];
        let text = stdout(&baselint(&args, root()))
            .replace('\n', " ")
            .replace("   ", " ");
        assert!(text.contains(note), "{format}: {text}");
        let example = stdout(&baselint(
            &["check", "examples/contoso", "--format", format],
            root(),
        ));
        assert!(!example.contains("read more than once"), "{format}");
    }
}

/// A GPO read more than once is inspected once, listing where else the run read it.
#[test]
fn inspect_lists_the_other_copies_of_a_gpo() {
    let dir = "tests/fixtures/gpo-copies";
    let text = stdout(&baselint(&["inspect", dir], root())).replace('\\', "/");
    let also: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("also read from"))
        .collect();
    assert_eq!(also.len(), 2, "{text}");
    assert!(also[1].contains("sysvol/Policies/{1E2F3A4B-5C6D-4E7F-8A9B-0C1D2E3F4A51}/GPT.INI:1:1"));
    let output = baselint(&["inspect", dir, "--format", "json"], root());
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let copies = &view["policies"][1]["other_copies"];
    assert_eq!(copies.as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(copies[0]["line"], 1);
    // What decided which copy is linted: the report's read time, the SYSVOL folder's version.
    let legacy = &view["policies"][1];
    assert_eq!(
        legacy["exported_at"], "2026-11-20T07:58:12.4810000Z",
        "{view}"
    );
    assert_eq!(legacy["version"]["computer"], 4, "{view}");
    assert_eq!(legacy["version"]["user"], 4, "{view}");
}

#[test]
fn inspect_shows_policies_settings_and_links() {
    let output = baselint(&["inspect", "examples/contoso", "--format", "json"], root());
    assert_eq!(output.status.code(), Some(0));
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let policies = view["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 14);
    let gpo = policies
        .iter()
        .find(|p| p["name"] == "CIS L1 - Workstations")
        .unwrap();
    assert_eq!(gpo["kind"], "gpo");
    assert_eq!(
        gpo["assignments"][0]["target"],
        "link to contoso.com/Workstations"
    );
    assert!(gpo["settings"].as_array().unwrap().iter().any(|s| {
        s["key"] == "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\pku2u\\AllowOnlineID"
            && s["value"] == "0 (Block)"
            && s["path"].as_str().unwrap().ends_with("GptTmpl.inf")
    }));
    assert_eq!(view["controls"], 2 + 7);
    // The filters export is the first page of its list.
    let incomplete = view["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert_eq!(
        incomplete[0]["path"],
        "examples/contoso/entra/assignmentFilters.json"
    );
    assert_eq!(
        incomplete[0]["what"],
        "one page of a Graph list: 1 object, more not exported"
    );
    let text = baselint(&["inspect", "examples/contoso/gpo"], root());
    insta::assert_snapshot!(stdout(&text));
}

/// `--unassigned` reaches every command that reads a tenant: `inspect` shows the assumed
/// assignment, `check` reports what it reaches, and a join type it does not know is refused.
#[test]
fn unassigned_policies_are_checked_as_the_command_line_says() {
    let dir = "tests/fixtures/unassigned";
    let output = baselint(
        &["inspect", dir, "--unassigned", "entra", "--format", "json"],
        root(),
    );
    assert_eq!(output.status.code(), Some(0));
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let unassigned = view["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "PKU2U block (not assigned yet)")
        .unwrap();
    assert_eq!(
        unassigned["assignments"][0]["target"],
        "nothing yet: checked as if assigned to Entra-joined devices (unassigned)"
    );
    let clean = baselint(&["check", dir], root());
    assert_eq!(clean.status.code(), Some(0));
    let found = baselint(&["check", dir, "--unassigned", "all"], root());
    assert_eq!(found.status.code(), Some(1));
    let refused = baselint(&["check", dir, "--unassigned", "entra,cloud"], root());
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("unknown join type `cloud`"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn import_stig_writes_a_baseline_that_loads() {
    let output = baselint(
        &[
            "import",
            "stig",
            "examples/contoso/baselines/U_MS_Windows_11_STIG_V2R6_excerpt-xccdf.xml",
        ],
        root(),
    );
    assert_eq!(output.status.code(), Some(0));
    let toml = stdout(&output);
    insta::assert_snapshot!(toml);
    let dir = temp_dir("import");
    std::fs::write(dir.join("stig.toml"), &toml).unwrap();
    std::fs::write(
        dir.join("baselint.toml"),
        "[baselines]\nuse = [\"stig.toml\"]\n",
    )
    .unwrap();
    let inspected = baselint(&["inspect", ".", "--format", "json"], &dir);
    let view: serde_json::Value = serde_json::from_str(&stdout(&inspected)).unwrap();
    assert_eq!(view["errors"].as_array().unwrap().len(), 0, "{view}");
    assert_eq!(view["controls"], 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fixture GPO is security-filtered to "CONTOSO\GPO - Hybrid Workstations" and linked to
/// contoso.com/Clients/Hybrid; what the inventory says of that AD group decides its reach.
#[test]
fn gpo_security_filtering_uses_the_declared_join_types_of_ad_groups() {
    let dir = temp_dir("filtering");
    copy_dir(
        &root().join("tests/fixtures/gpo/backup"),
        &dir.join("backup"),
    );
    let run = |group_types: &str| {
        std::fs::write(
            dir.join("baselint.toml"),
            format!(
                "[inventory.ous]\n\"contoso.com/Clients/Hybrid\" = [\"hybrid\"]\n\
                 [inventory.groups]\n\"GPO - Hybrid Workstations\" = {group_types}\n"
            ),
        )
        .unwrap();
        let output = baselint(
            &[
                "check",
                ".",
                "--select",
                "pku2u-disabled-on-hybrid-joined",
                "--format",
                "json",
            ],
            &dir,
        );
        serde_json::from_str::<serde_json::Value>(&stdout(&output)).unwrap()
    };
    let hybrid = run("[\"hybrid\"]");
    let findings = hybrid["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{hybrid}");
    let notes = findings[0]["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .all(|n| !n.as_str().unwrap().contains("security filtering")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("WMI filter")),
        "{notes:?}"
    );
    let domain = run("[\"domain\"]");
    assert_eq!(domain["findings"].as_array().unwrap().len(), 0, "{domain}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// IntuneManagement exports an intent and its `_Settings.json` companion: read once.
#[test]
fn intent_and_its_settings_companion_are_one_policy() {
    let dir = temp_dir("intent");
    let setting = r##"{"@odata.type": "#microsoft.graph.deviceManagementBooleanSettingInstance", "id": "s1",
        "definitionId": "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallEnabled", "valueJson": "true"}"##;
    std::fs::write(
        dir.join("Win - Firewall.json"),
        format!(
            r###"{{"@odata.type": "#microsoft.graph.deviceManagementIntent", "id": "i-1", "displayName": "Win - Firewall",
                "templateId": "t-1", "settings": [{setting}], "assignments": []}}"###
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("Win - Firewall_Settings.json"),
        format!(r#"{{"settings": [{setting}]}}"#),
    )
    .unwrap();
    // Read after the companion, which the model drops: what is noted about it still names it.
    std::fs::write(
        dir.join("Win - Hardening.json"),
        r##"{"@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy", "id": "p-h",
            "name": "Win - Hardening", "settingCount": 2}"##,
    )
    .unwrap();
    let output = baselint(&["inspect", ".", "--format", "json"], &dir);
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let policies = view["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2, "{view}");
    assert_eq!(policies[0]["id"], "i-1");
    assert_eq!(
        view["incomplete"][0]["what"],
        "policy \"Win - Hardening\": 0 of its 2 settings"
    );
    let check = baselint(&["check", ".", "--format", "json"], &dir);
    let report: serde_json::Value = serde_json::from_str(&stdout(&check)).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "export-incomplete", "{report}");
    assert_eq!(finding["policy"]["name"], "Win - Hardening");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Files are read on all cores and merged in walk order: the report is byte-identical whatever
/// the number of threads.
#[test]
fn output_does_not_depend_on_the_thread_count() {
    let run = |threads: &[&str], env: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args([
                "check",
                "examples/contoso",
                "--format",
                "json",
                "--today",
                TODAY,
            ])
            .args(threads)
            .current_dir(root())
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let with_env = |n: &str| stdout(&run(&[], &[("RAYON_NUM_THREADS", n)]));
    let one = with_env("1");
    assert!(one.contains("\"findings\""));
    assert_eq!(one, with_env("4"));
    assert_eq!(one, with_env("7"));
    // `--threads` sizes the pool (over RAYON_NUM_THREADS), with the same output.
    let flag = run(
        &["--threads", "3"],
        &[("RAYON_NUM_THREADS", "1"), ("BASELINT_TIMINGS", "1")],
    );
    assert_eq!(stdout(&flag), one);
    let stderr = String::from_utf8_lossy(&flag.stderr);
    assert!(stderr.contains("baselint: timing: threads 3"), "{stderr}");
    let zero = baselint(&["check", "examples/contoso", "--threads", "0"], root());
    assert_eq!(zero.status.code(), Some(2));
}

/// A walk never follows a link out of the linted folder, and a link back to a parent cannot
/// make it loop.
#[cfg(unix)]
#[test]
fn walks_stay_inside_the_root_and_do_not_loop() {
    let dir = temp_dir("links");
    let outside = temp_dir("links-outside");
    let policy = root().join("tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires/sc.json");
    std::fs::create_dir_all(dir.join("inside")).unwrap();
    std::fs::copy(&policy, dir.join("inside/policy.json")).unwrap();
    std::fs::copy(&policy, outside.join("secret.json")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("inside/elsewhere")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("inside/loop")).unwrap();
    std::os::unix::fs::symlink(dir.join("inside/policy.json"), dir.join("alias.json")).unwrap();
    let output = baselint(&["inspect", ".", "--format", "json"], &dir);
    assert_eq!(output.status.code(), Some(0));
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let mut paths: Vec<&str> = view["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    paths.sort();
    // The link to a file inside the root is read; nothing from outside; no endless loop.
    assert_eq!(paths, ["alias.json", "inside/policy.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

/// Oversized files are refused before they are read (the test file is sparse: no disk used).
#[test]
fn oversized_files_are_input_errors() {
    let dir = temp_dir("huge");
    let file = std::fs::File::create(dir.join("huge.json")).unwrap();
    file.set_len(baselint::ingest::MAX_FILE_SIZE + 1).unwrap();
    // Closed before the run: Windows would keep it from being removed.
    drop(file);
    let output = baselint(&["check", ".", "--format", "json"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("over the 512 MiB limit"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A STIG benchmark found by a walk is reference material; it applies when `[baselines] use`
/// names it.
#[test]
fn walked_benchmarks_apply_only_when_selected() {
    let dir = temp_dir("reference");
    std::fs::copy(
        root().join("examples/contoso/baselines/U_MS_Windows_11_STIG_V2R6_excerpt-xccdf.xml"),
        dir.join("stig.xml"),
    )
    .unwrap();
    let controls = |dir: &Path| {
        let output = baselint(&["inspect", ".", "--format", "json"], dir);
        let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        view["controls"].as_u64().unwrap()
    };
    assert_eq!(controls(&dir), 0);
    std::fs::write(
        dir.join("baselint.toml"),
        "[baselines]\nuse = [\"stig.xml\"]\n",
    )
    .unwrap();
    assert_eq!(controls(&dir), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `BASELINT_TIMINGS` prints each phase and each rule to stderr, and changes nothing else.
#[test]
fn timings_go_to_stderr_only_when_asked_for() {
    let args = [
        "check",
        "examples/contoso",
        "--today",
        TODAY,
        "--format",
        "json",
    ];
    let run = |timings: &str| {
        Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args(args)
            .current_dir(root())
            .env("BASELINT_TIMINGS", timings)
            .output()
            .expect("baselint runs")
    };
    // Empty is off, as unset is.
    let (plain, timed) = (run(""), run("1"));
    assert_eq!(timed.status.code(), plain.status.code());
    assert_eq!(stdout(&timed), stdout(&plain));
    let timings = common::stderr(&timed);
    for phase in [
        "catalog, config, walk",
        "read, parse",
        "scope",
        "checks",
        "report",
    ] {
        let line = format!("baselint: timing: {phase:<14}");
        assert!(timings.contains(&line), "no {phase:?} in:\n{timings}");
    }
    assert!(
        timings.contains("baselint: timing: pku2u-disabled-on-entra-joined"),
        "no rule in:\n{timings}"
    );
    // Where the system tells (Linux), each phase also gives the memory in use and its peak.
    if cfg!(target_os = "linux") {
        let report = timings
            .lines()
            .find(|line| line.starts_with("baselint: timing: report"))
            .expect("a report line");
        let megabytes = |after: &str| -> u64 {
            let rest = &report[report.find(after).expect(after) + after.len()..];
            rest.split_whitespace().next().unwrap().parse().unwrap()
        };
        assert!(
            megabytes(" rss ") > 0 && megabytes(" peak ") >= megabytes(" rss "),
            "{report}"
        );
        // And the cores it kept busy on average: a number, none below zero.
        let read = timings
            .lines()
            .find(|line| line.starts_with("baselint: timing: read, parse"))
            .expect("a parse line");
        let cores = &read[read.find(" cores ").expect("cores") + 7..];
        let cores: f64 = cores.trim().parse().expect("a number of cores");
        assert!(cores >= 0.0, "{read}");
    }
    assert!(!common::stderr(&plain).contains("timing"));
}

/// `--select` evaluates the selected rules, plus those an exception may cover: the exception
/// audit does not change with the selection, and the other rules cost nothing.
#[test]
fn select_skips_rules_no_exception_can_cover() {
    let dir = temp_dir("select-skips");
    copy_dir(&root().join("examples/contoso"), &dir);
    // Keep the two exceptions that name a rule (a control may be on any rule's finding).
    let exceptions = std::fs::read_to_string(dir.join("exceptions.toml")).unwrap();
    let by_rule: Vec<&str> = exceptions
        .split("[[exception]]")
        .filter(|e| e.contains("\nrules = "))
        .collect();
    assert_eq!(by_rule.len(), 2, "{exceptions}");
    std::fs::write(
        dir.join("exceptions.toml"),
        format!("[[exception]]{}", by_rule.join("[[exception]]")),
    )
    .unwrap();
    let run = |select: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args(["check", ".", "--today", TODAY, "--format", "json"])
            .args(["--select", select])
            .current_dir(&dir)
            .env("BASELINT_TIMINGS", "1")
            .output()
            .expect("baselint runs");
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        (report, common::stderr(&output))
    };
    let of_rule = |report: &serde_json::Value, rule: &str| -> Vec<serde_json::Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    };
    let (all, _) = run("ALL");
    // EXC-0060 covers a finding of a rule that is not selected: it is not unused (EXC-0013
    // matches nothing in the example, selected or not).
    let (report, timings) = run("exception-unused");
    let unused = of_rule(&report, "exception-unused");
    assert_eq!(unused, of_rule(&all, "exception-unused"));
    assert_eq!(unused.len(), 1, "{report}");
    assert!(unused[0]["message"].as_str().unwrap().contains("EXC-0013"));
    let ran = |rule: &str| timings.contains(&format!("baselint: timing: {rule} "));
    assert!(ran("conflicting-setting-values") && ran("gpo-setting-overridden"));
    assert!(!ran("gpo-intune-conflict"), "{timings}");
    assert!(!ran("pku2u-disabled-on-entra-joined"), "{timings}");
    // The selected rule's findings are those of a full run.
    let (selected, _) = run("pku2u-disabled-on-entra-joined");
    let pku2u = of_rule(&all, "pku2u-disabled-on-entra-joined");
    assert!(!pku2u.is_empty());
    assert_eq!(of_rule(&selected, "pku2u-disabled-on-entra-joined"), pku2u);
    std::fs::remove_dir_all(&dir).unwrap();
}
