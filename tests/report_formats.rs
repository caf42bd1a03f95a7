//! The CI-facing report formats on the example tenant: snapshots of SARIF, GitHub workflow
//! commands, Markdown and JUnit; SARIF validated against the official 2.1.0 schema; escaping
//! of annotations, Markdown cells and XML; `--output`.

mod common;
use common::{baselint, root, stdout};

use std::path::{Path, PathBuf};

use baselint::report::{self, Report, Suppression, github};
use serde_json::Value;

/// The example in one format; the exit code is 1 (the example has errors) whatever the format.
fn example(format: &str) -> String {
    // The example's exceptions are judged on a fixed day so the reports do not change.
    let output = baselint(
        &[
            "check",
            "examples/contoso",
            "--format",
            format,
            "--today",
            "2026-11-25",
        ],
        root(),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// The crate version changes with every release; snapshots should not.
fn without_version(text: &str) -> String {
    text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[version]\"",
    )
}

/// Validate a SARIF log against the OASIS schema shipped in `tests/`.
fn validate_sarif(log: &Value) {
    if let Err(e) = sarif_schema_errors(log) {
        panic!("SARIF does not validate:\n{e}\n{log:#}");
    }
}

fn sarif_schema_errors(log: &Value) -> Result<(), String> {
    let schema: Value =
        serde_json::from_str(include_str!("sarif-schema-2.1.0.json")).expect("schema is JSON");
    let mut compiler = boon::Compiler::new();
    let mut schemas = boon::Schemas::new();
    compiler
        .add_resource(report::sarif::SCHEMA_URI, schema)
        .expect("schema resource");
    let index = compiler
        .compile(report::sarif::SCHEMA_URI, &mut schemas)
        .expect("schema compiles");
    schemas.validate(log, index).map_err(|e| format!("{e:#}"))
}

#[test]
fn the_schema_check_rejects_invalid_sarif() {
    let valid: Value = serde_json::from_str(&example("sarif")).unwrap();
    let mut zero_line = valid.clone();
    zero_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(sarif_schema_errors(&zero_line).is_err());
    let mut bad_kind = valid.clone();
    bad_kind["runs"][0]["columnKind"] = "characters".into();
    assert!(sarif_schema_errors(&bad_kind).is_err());
    let mut unencoded = valid.clone();
    unencoded["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "a b|c.json".into();
    assert!(
        sarif_schema_errors(&unencoded).is_err(),
        "URIs must be encoded"
    );
    let mut bad_level = valid;
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(sarif_schema_errors(&bad_level).is_err());
}

#[test]
fn example_sarif_report() {
    let text = example("sarif");
    insta::assert_snapshot!(without_version(&text));
}

#[test]
fn example_sarif_validates_against_the_schema() {
    let log: Value = serde_json::from_str(&example("sarif")).expect("SARIF is JSON");
    validate_sarif(&log);
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("examples/contoso/") && !uri.contains(' '),
            "{uri}"
        );
        assert_eq!(
            result["partialFingerprints"]["baselint/v1"]
                .as_str()
                .unwrap()
                .len(),
            16
        );
    }
    let pku2u = rules
        .iter()
        .find(|r| r["id"] == "pku2u-disabled-on-entra-joined")
        .unwrap();
    let tags: Vec<&str> = pku2u["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"security"), "{tags:?}");
    assert!(tags.contains(&"external/stig/WN11-SO-000185"), "{tags:?}");
    assert!(tags.contains(&"external/cis/2.3.11.3"), "{tags:?}");
}

#[test]
fn input_errors_are_tool_execution_notifications() {
    let output = baselint(
        &["check", "tests/fixtures/intune", "--format", "sarif"],
        root(),
    );
    assert_eq!(output.status.code(), Some(2));
    let log: Value = serde_json::from_str(&stdout(&output)).unwrap();
    validate_sarif(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert!(!notifications.is_empty());
    let truncated = notifications
        .iter()
        .find(|n| {
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("bad_truncated.json"))
        })
        .expect("the truncated file is reported");
    assert_eq!(truncated["level"], "error");
    assert!(
        truncated["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()
    );
}

/// A report whose findings are new, excepted and fixed, built through the library.
#[test]
fn suppressed_new_and_fixed_results_validate() {
    let current = baselint::check(&baselint::Options {
        paths: vec![PathBuf::from("examples/contoso")],
        today: baselint::model::Date::parse("2026-11-25"),
        ..Default::default()
    });
    let previous = baselint::check(&baselint::Options {
        paths: vec![PathBuf::from(
            "tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires",
        )],
        ..Default::default()
    });
    let mut report = Report::new(&current);
    report.compare(&previous, "HEAD~1", "0123abcd", true);
    report.items[0].suppression = Some(Suppression {
        id: Some("EXC-0042".into()),
        justification: "PKU2U is required between Entra-joined PCs".into(),
        location: Some(current.findings[0].primary.location),
    });
    let log: Value = serde_json::from_str(&report::sarif::render(&report)).unwrap();
    validate_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["suppressions"][0]["kind"], "external");
    assert_eq!(results[0]["suppressions"][0]["status"], "accepted");
    assert_eq!(
        results[0]["suppressions"][0]["justification"],
        "EXC-0042: PKU2U is required between Entra-joined PCs"
    );
    assert!(results[1]["suppressions"].is_null());
    assert_eq!(results[1]["baselineState"], "new");
    let fixed: Vec<&Value> = results
        .iter()
        .filter(|r| r["baselineState"] == "absent")
        .collect();
    assert_eq!(fixed.len(), previous.findings.len());
    for r in fixed {
        assert_eq!(r["kind"], "pass");
        assert_eq!(r["level"], "none");
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("Fixed since HEAD~1: ")
        );
    }
    let markdown = report::markdown::render(&report);
    let excepted = format!(
        "<summary>Excepted findings ({})</summary>",
        1 + current.excepted.len()
    );
    assert!(markdown.contains(&excepted), "{markdown}");
    assert!(
        markdown.contains("| `EXC-0042` | PKU2U is required"),
        "{markdown}"
    );
    assert!(markdown.contains("### Fixed since `HEAD~1`"), "{markdown}");
    let style = report::human::Style {
        color: false,
        width: 110,
    };
    let human = report::human::render(&report, style);
    assert!(
        human.contains("note: covered by exception EXC-0042: PKU2U is required"),
        "{human}"
    );
    assert!(human.contains("✓ fixed["), "{human}");
    let json: Value = serde_json::from_str(&report::json::render(&report)).unwrap();
    assert_eq!(json["excepted"][0]["suppression"]["exception"], "EXC-0042");
    assert_eq!(json["summary"]["findings"], current.findings.len() - 1);
    assert_eq!(report.counts().total(), current.findings.len() - 1);
}

#[test]
fn example_github_annotations() {
    insta::assert_snapshot!(example("github"));
}

#[test]
fn example_markdown_summary() {
    insta::assert_snapshot!(example("markdown"));
}

#[test]
fn example_junit_report() {
    insta::assert_snapshot!(example("junit"));
}

#[test]
fn github_escaping_follows_the_runner() {
    assert_eq!(
        github::escape_data("100% done\r\nnext"),
        "100%25 done%0D%0Anext"
    );
    assert_eq!(github::escape_data("a:b,c"), "a:b,c");
    assert_eq!(github::escape_property("C:\\x,y%\n"), "C%3A\\x%2Cy%25%0A");
    let place = github::Place {
        file: "dir/a, b.json".into(),
        line: Some(3),
        end_line: Some(3),
        column: Some(5),
        end_column: Some(9),
    };
    assert_eq!(
        github::annotation("warning", Some(&place), "t: x", "50%\nmore"),
        "::warning file=dir/a%2C b.json,line=3,endLine=3,col=5,endColumn=9,title=t%3A x::50%25%0Amore\n"
    );
    assert_eq!(
        github::annotation("notice", None, "t", "m"),
        "::notice title=t::m\n"
    );
}

#[test]
fn github_annotations_give_columns_only_on_one_line_spans_of_text_files() {
    for line in example("github").lines() {
        let properties = line.split("::").nth(1).unwrap();
        let value = |name: &str| {
            properties
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
        };
        if properties.contains(".pol,") {
            // A binary file: line 1 (GitHub wants a line), the bytes named in the message.
            assert_eq!(value("line"), Some("1"), "{line}");
            assert!(
                value("endLine").is_none() && value("col").is_none(),
                "{line}"
            );
            assert!(line.contains("(bytes 0x"), "{line}");
            continue;
        }
        let (start, end) = (value("line").unwrap(), value("endLine").unwrap());
        assert_eq!(value("col").is_some(), start == end, "{line}");
        assert_eq!(value("endColumn").is_some(), start == end, "{line}");
    }
}

/// A scratch folder under the target directory, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report_formats-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A PKU2U finding in a policy whose name needs escaping in every format.
fn awkward_policy(dir: &Path) -> &'static str {
    let fires = root().join("tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires");
    let name = "Win11 | <PKU2U> & \"friends\"\nline two";
    let policy = std::fs::read_to_string(fires.join("sc.json"))
        .unwrap()
        .replace(
            "\"PKU2U block (catalog)\"",
            &serde_json::to_string(name).unwrap(),
        );
    std::fs::write(dir.join("policy.json"), policy).unwrap();
    std::fs::copy(fires.join("groups.json"), dir.join("groups.json")).unwrap();
    name
}

#[test]
fn junit_is_well_formed_and_round_trips_names() {
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;

    let dir = scratch("junit");
    let name = awkward_policy(&dir);
    let output = baselint(&["check", ".", "--format", "junit"], &dir);
    assert_eq!(output.status.code(), Some(1));
    let xml = stdout(&output);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut names) = (0, 0, Vec::new());
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}")) {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testcase" => {
                    cases += 1;
                    let attr = e.try_get_attribute("name").unwrap().unwrap();
                    names.push(
                        attr.normalized_value(XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned(),
                    );
                }
                "failure" => failures += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    let rules = baselint(&["rules"], &dir);
    let rule_count = stdout(&rules).lines().count();
    assert_eq!(
        cases, rule_count,
        "one test case per rule for the one policy"
    );
    assert_eq!(failures, 1);
    assert!(names.iter().all(|n| n == name), "{names:?}");
}

/// The counts a JUnit report announces before its cases (`tests`, `failures`, `errors`,
/// `skipped`), and those its cases give.
fn junit_counts(xml: &str) -> ([usize; 4], [usize; 4]) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut announced = None;
    let mut counted = [0; 4];
    // What the open test case holds: failure, error, skipped.
    let mut holds = [false; 3];
    let tally = |holds: &mut [bool; 3], counted: &mut [usize; 4]| {
        counted[0] += 1;
        counted[1] += usize::from(holds[0]);
        counted[2] += usize::from(holds[1]);
        counted[3] += usize::from(holds[2] && !holds[0]);
        *holds = [false; 3];
    };
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}"));
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "testsuite" => {
                    let count = |name: &str| -> usize {
                        let attr = e.try_get_attribute(name).unwrap().unwrap();
                        attr.value.parse().unwrap()
                    };
                    announced = Some(["tests", "failures", "errors", "skipped"].map(count));
                }
                "failure" => holds[0] = true,
                "error" => holds[1] = true,
                "skipped" => holds[2] = true,
                "testcase" if matches!(event, Event::Empty(_)) => tally(&mut holds, &mut counted),
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "testcase" => tally(&mut holds, &mut counted),
            Event::Eof => break,
            _ => {}
        }
    }
    (announced.expect("a testsuite element"), counted)
}

#[test]
fn junit_announces_the_counts_its_cases_give() {
    // The example has failures, excepted findings and findings about no policy (exceptions);
    // the fixtures have input errors too.
    let example = example("junit");
    let (announced, counted) = junit_counts(&example);
    assert_eq!(announced, counted);
    assert!(counted[1] > 0 && counted[3] > 0, "{counted:?}");
    let output = baselint(&["check", "tests/fixtures", "--format", "junit"], root());
    let (announced, counted) = junit_counts(&stdout(&output));
    assert_eq!(announced, counted);
    assert!(counted[1] > 0 && counted[2] > 0, "{counted:?}");
}

#[test]
fn junit_input_errors_are_error_elements() {
    let output = baselint(
        &["check", "tests/fixtures/intune", "--format", "junit"],
        root(),
    );
    assert_eq!(output.status.code(), Some(2));
    let xml = stdout(&output);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut errors = 0;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}")) {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "error" => errors += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert!(errors > 0, "{xml}");
}

#[test]
fn markdown_cells_escape_pipes_and_newlines() {
    let dir = scratch("markdown");
    awkward_policy(&dir);
    let markdown = stdout(&baselint(&["check", ".", "--format", "markdown"], &dir));
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| error |"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert!(
        row.contains("| Win11 \\| &lt;PKU2U&gt; &amp; \"friends\"<br>line two |"),
        "{row}"
    );
    let unescaped_pipes = row
        .match_indices('|')
        .filter(|(i, _)| !row[..*i].ends_with('\\'));
    assert_eq!(unescaped_pipes.count(), 7, "six cells: {row}");
}

#[test]
fn output_file_gets_the_report_and_stderr_the_human_one() {
    let dir = scratch("output");
    let file = dir.join("baselint.sarif");
    let output = baselint(
        &[
            "check",
            "examples/contoso",
            "--format",
            "sarif",
            "--output",
            file.to_str().unwrap(),
        ],
        root(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("error[pku2u-disabled-on-entra-joined]"),
        "{stderr}"
    );
    let summary = stderr.lines().last().unwrap();
    assert!(summary.contains(" findings ("), "{stderr}");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
}
