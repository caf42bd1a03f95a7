//! Hostile input, end to end: size and nesting limits, XML entities, `.gitignore` in walks,
//! and a lint that never writes to the tree it reads. Every limit is an input error (exit 2)
//! naming the file and, where there is one, the position; the other files are still linted.

mod common;
use common::{baselint, copy_dir, root, stderr, stdout};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh folder for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("baselint-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, relative: &str, content: impl AsRef<[u8]>) {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An Intune policy with findings: proof that a good file beside a refused one is linted.
fn good_policy() -> String {
    std::fs::read_to_string(root().join("examples/contoso/intune/Win11 - NTLM hardening.json"))
        .unwrap()
}

/// One input error of the JSON report.
#[derive(Debug)]
struct InputError {
    path: String,
    line: Option<u64>,
    column: Option<u64>,
    message: String,
}

/// What `check --format json` said.
struct Report {
    code: Option<i32>,
    errors: Vec<InputError>,
    /// The files findings point at: files that were linted.
    finding_paths: BTreeSet<String>,
}

/// `check --format json` over `args`.
fn check_json(args: &[&str], dir: &Path) -> Report {
    let mut all = vec!["check", "--format", "json"];
    all.extend(args);
    let output = baselint(&all, dir);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    let errors = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| InputError {
            path: e["path"].as_str().unwrap().to_string(),
            line: e["line"].as_u64(),
            column: e["column"].as_u64(),
            message: e["message"].as_str().unwrap().to_string(),
        })
        .collect();
    let finding_paths = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    Report {
        code: output.status.code(),
        errors,
        finding_paths,
    }
}

/// The one error about `path`, positioned.
fn error_about<'e>(errors: &'e [InputError], path: &str) -> &'e InputError {
    let about: Vec<&InputError> = errors.iter().filter(|e| e.path == path).collect();
    assert_eq!(about.len(), 1, "{errors:#?}");
    about[0]
}

// ---- file size ----

/// A valid policy padded with spaces to `size` bytes.
fn padded_policy(size: usize) -> String {
    let mut text = good_policy();
    text.push_str(&" ".repeat(size - text.len()));
    text
}

#[test]
fn files_over_the_size_limit_are_refused_and_the_others_linted() {
    let dir = TempDir::new("size");
    dir.write("big.json", padded_policy(2 << 20));
    dir.write("good.json", good_policy());
    let report = check_json(&[".", "--max-file-size", "1M"], dir.path());
    assert_eq!(report.code, Some(2));
    let error = error_about(&report.errors, "big.json");
    assert_eq!(
        error.message,
        "file is 2 MiB, over the 1 MiB limit: not read (raise the limit with --max-file-size \
         or `[limits] max-file-size` in baselint.toml)"
    );
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.finding_paths, BTreeSet::from(["good.json".into()]));

    let report = check_json(&[".", "--max-file-size", "3MiB"], dir.path());
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.finding_paths.contains("big.json"));
}

/// `inspect` and `exceptions` read the same inputs as `check`, with the same limit and walk.
#[test]
fn inspect_and_exceptions_take_the_size_limit_and_no_ignore() {
    let dir = TempDir::new("size-other-commands");
    dir.write("big.json", padded_policy(2 << 20));
    dir.write("exceptions.toml", "");
    dir.write(
        "baselint.toml",
        "[exceptions]\nfile = \"exceptions.toml\"\n",
    );
    dir.write(".gitignore", "ignored/\n");
    dir.write("ignored/policy.json", good_policy());
    for command in ["inspect", "exceptions"] {
        let limited = baselint(&[command, ".", "--max-file-size", "1M"], dir.path());
        assert_eq!(limited.status.code(), Some(2), "{command}");
        assert!(
            stderr(&limited).contains("over the 1 MiB limit")
                || stdout(&limited).contains("over the 1 MiB limit"),
            "{command}: {}",
            stderr(&limited)
        );
        let default = baselint(&[command, "."], dir.path());
        assert_ne!(
            default.status.code(),
            Some(2),
            "{command}: {}",
            stderr(&default)
        );
    }
    let policies = |args: &[&str]| -> usize {
        let output = baselint(
            &[&["inspect", ".", "--format", "json"][..], args].concat(),
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        json["policies"].as_array().unwrap().len()
    };
    assert_eq!(policies(&[]), 1);
    assert_eq!(policies(&["--no-ignore"]), 2);
}

/// A device reports no size: reading stops at the limit instead of never ending.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_device_is_read_up_to_the_limit_only() {
    let dir = TempDir::new("size-device");
    let report = check_json(&["/dev/zero", "--max-file-size", "1K"], dir.path());
    assert_eq!(report.code, Some(2));
    let error = error_about(&report.errors, "/dev/zero");
    assert_eq!(
        error.message,
        "file is over the 1 KiB limit: not read (raise the limit with --max-file-size \
         or `[limits] max-file-size` in baselint.toml)"
    );
}

#[test]
fn the_config_sets_the_size_limit_and_the_command_line_wins() {
    let dir = TempDir::new("size-config");
    dir.write("big.json", padded_policy(5000));
    dir.write("baselint.toml", "[limits]\nmax-file-size = \"4K\"\n");
    let report = check_json(&["big.json"], dir.path());
    assert_eq!(report.code, Some(2));
    let message = &error_about(&report.errors, "big.json").message;
    assert!(
        message.starts_with("file is 4.9 KiB, over the 4 KiB limit"),
        "{message}"
    );

    let report = check_json(&["big.json", "--max-file-size", "8K"], dir.path());
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.finding_paths, BTreeSet::from(["big.json".into()]));
}

#[test]
fn a_size_that_is_not_one_is_a_usage_error() {
    let dir = TempDir::new("size-usage");
    let output = baselint(&["check", ".", "--max-file-size", "1.5G"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`1.5G` is not a size"),
        "{}",
        stderr(&output)
    );
    dir.write("baselint.toml", "[limits]\nmax-file-size = \"huge\"\n");
    let report = check_json(&["."], dir.path());
    assert_eq!(report.code, Some(2));
    let error = error_about(&report.errors, "baselint.toml");
    assert_eq!((error.line, error.column), (Some(2), Some(17)));
    assert!(
        error.message.contains("`huge` is not a size"),
        "{}",
        error.message
    );
}

// ---- fuzz crash regressions ----

/// Fuzz crash (pipeline, crash-aa009ee4...): in a UTF-16LE file, a `0A` byte as the high half
/// of a code unit followed by an unpaired surrogate made the decode error's column computation
/// underflow (a panic with overflow checks, a wrapped column without).
#[test]
fn a_decode_error_after_a_line_feed_byte_out_of_step_is_positioned() {
    let dir = TempDir::new("utf16-step");
    dir.write(
        "GptTmpl.inf",
        [0xFF, 0xFE, 0x41, 0x00, 0x00, 0x0A, 0x00, 0xD8, 0x41, 0x00],
    );
    dir.write("good.json", good_policy());
    let report = check_json(&["GptTmpl.inf", "good.json"], dir.path());
    assert_eq!(report.code, Some(2));
    let error = error_about(&report.errors, "GptTmpl.inf");
    assert_eq!((error.line, error.column), (Some(2), Some(1)));
    assert!(
        error.message.starts_with("cannot decode file"),
        "{}",
        error.message
    );
    assert!(report.finding_paths.contains("good.json"));
}

// ---- nesting depth ----

/// `n` nested arrays, never closed.
fn deep_json(n: usize) -> String {
    "[".repeat(n)
}

/// Write `file` into a folder beside a good policy, run `check good.json` with `args`, and
/// return the first error about `file`; the process must exit 2 (not die of a stack
/// overflow) and the good policy must be linted.
fn nesting_error(file: &str, content: &str, args: &[&str]) -> InputError {
    let dir = TempDir::new(&format!("deep-{}", file.replace(['/', '.'], "-")));
    dir.write(file, content);
    dir.write("good.json", good_policy());
    let mut all = vec!["good.json"];
    all.extend(args);
    let mut report = check_json(&all, dir.path());
    assert_eq!(report.code, Some(2), "{:#?}", report.errors);
    assert!(
        report.finding_paths.contains("good.json"),
        "good.json is still linted"
    );
    let at = report.errors.iter().position(|e| e.path == file);
    report
        .errors
        .swap_remove(at.expect("an error about the file"))
}

#[test]
fn deeply_nested_json_is_a_positioned_error_in_every_json_reader() {
    let error = nesting_error("deep.json", &deep_json(100_000), &["deep.json"]);
    assert_eq!((error.line, error.column), (Some(1), Some(513)));
    assert_eq!(
        error.message,
        "invalid JSON: maximum nesting depth exceeded"
    );

    // A Settings Catalog policy (the shape the typed fast path reads) with a deep value: the
    // fast path declines at its own bound, and the reference reader reports the nesting.
    let policy = format!(
        r##"{{"@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy", "name": "Deep",
  "settings": [{{"settingInstance": {{"settingDefinitionId": "x", "extra": {}}}}}]}}"##,
        deep_json(100_000)
    );
    let error = nesting_error("policy.json", &policy, &["policy.json"]);
    assert_eq!(error.line, Some(2));
    assert_eq!(
        error.message,
        "invalid JSON: maximum nesting depth exceeded"
    );

    // A STIG Viewer 3 checklist.
    let cklb = format!("{{\"target_data\": {{}}, \"stigs\": {}", deep_json(100_000));
    let error = nesting_error("deep.cklb", &cklb, &["deep.cklb"]);
    assert_eq!(error.line, Some(1));
    assert!(error.message.contains("nesting depth"), "{}", error.message);

    // A file holding its JSON as one string (as some exports write it).
    let encoded = serde_json::to_string(&deep_json(100_000)).unwrap();
    let error = nesting_error("encoded.json", &encoded, &["encoded.json"]);
    assert_eq!(error.line, Some(1));
    assert!(error.message.contains("nesting depth"), "{}", error.message);

    // An endpoint-security setting's `valueJson` (JSON text inside JSON).
    let intent = serde_json::json!({
        "id": "i-1", "displayName": "Deep", "templateId": "t-1",
        "settings": [{
            "@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance",
            "definitionId": "deviceConfiguration--x_y",
            "valueJson": deep_json(100_000),
        }],
    });
    let error = nesting_error("intent.json", &intent.to_string(), &["intent.json"]);
    assert!(error.line.is_some());
    assert!(
        error.message.contains("recursion limit exceeded"),
        "{}",
        error.message
    );
}

#[test]
fn a_deeply_nested_baseline_file_is_refused() {
    let dir = TempDir::new("deep-baseline-file");
    dir.write("good.json", good_policy());
    // serde_json skips an unknown member without recursing: no stack to exhaust there.
    let known = format!(
        "{{\"version\": 1, \"findings\": [], \"x\": {}",
        deep_json(100_000)
    );
    dir.write("known.json", known);
    let output = baselint(
        &["check", "good.json", "--baseline-file", "known.json"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("known.json:1:100036: not a baselint baseline file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn deeply_nested_membership_rules_are_refused() {
    let rule = format!(
        "{}device.deviceTrustType -eq \"AzureAD\"",
        "(".repeat(10_000)
    );
    let groups = serde_json::json!({"value": [{
        "id": "9d2a3c4e-0b1f-4e55-8a66-7b8c9d0e1f20",
        "displayName": "Deep",
        "groupTypes": ["DynamicMembership"],
        "membershipRule": rule,
        "membershipRuleProcessingState": "On",
    }]});
    let error = nesting_error("groups.json", &groups.to_string(), &["groups.json"]);
    assert!(error.line.is_some() && error.column.is_some());
    assert!(
        error
            .message
            .contains("nesting too deep: more than 32 levels"),
        "{}",
        error.message
    );
}

#[test]
fn deeply_nested_xml_is_a_positioned_error_in_every_xml_reader() {
    let open = "<a>".repeat(100_000);
    let gpo = format!("<GPO xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\">{open}");
    let error = nesting_error("gpo.xml", &gpo, &["gpo.xml"]);
    assert_eq!(error.line, Some(1));
    assert_eq!(
        error.message,
        "malformed XML: elements are nested more than 256 deep"
    );

    let xccdf = format!("<Benchmark xmlns=\"http://checklists.nist.gov/xccdf/1.1\">{open}");
    let error = nesting_error("stig.xml", &xccdf, &["stig.xml"]);
    assert_eq!(error.message, "elements are nested more than 256 deep");

    let ckl = format!("<CHECKLIST>{open}");
    let error = nesting_error("review.ckl", &ckl, &["review.ckl"]);
    assert_eq!(error.message, "elements are nested more than 256 deep");
}

#[test]
fn deeply_nested_toml_is_a_positioned_error_in_every_toml_reader() {
    let deep = format!("a = {}\n", "[".repeat(100_000));
    for (file, args, what) in [
        ("deep.toml", vec!["--config", "deep.toml"], "baselint.toml"),
        ("rules/deep.toml", vec!["--rules", "rules"], "rule file"),
    ] {
        let error = nesting_error(file, &deep, &args);
        assert_eq!(error.line, Some(1), "{what}");
        assert!(
            error.message.contains(what) && error.message.contains("max recursion depth"),
            "{}",
            error.message
        );
    }
    let dir = TempDir::new("deep-toml-config");
    dir.write("good.json", good_policy());
    dir.write("deep-baseline.toml", &deep);
    dir.write("deep-exceptions.toml", &deep);
    dir.write(
        "baselint.toml",
        "[baselines]\nuse = [\"deep-baseline.toml\"]\n[exceptions]\nfile = \"deep-exceptions.toml\"\n",
    );
    let report = check_json(&["good.json"], dir.path());
    assert_eq!(report.code, Some(2));
    assert!(report.finding_paths.contains("good.json"));
    for (file, what) in [
        ("deep-baseline.toml", "baseline file"),
        ("deep-exceptions.toml", "exceptions file"),
    ] {
        let error = error_about(&report.errors, file);
        assert_eq!(error.line, Some(1));
        assert!(
            error.message.contains(what) && error.message.contains("max recursion depth"),
            "{}",
            error.message
        );
    }
}

// ---- XML entities ----

/// A DTD declaring "billion laughs" entities and an external entity pointing at a file whose
/// content must never appear anywhere.
fn hostile_doctype(root: &str, secret: &Path) -> String {
    let mut dtd = format!(
        "<!DOCTYPE {root} [\n  <!ENTITY xxe SYSTEM \"file://{}\">\n  <!ENTITY lol0 \"lol\">\n",
        secret.display()
    );
    for i in 1..10 {
        let previous = format!("&lol{};", i - 1);
        dtd.push_str(&format!("  <!ENTITY lol{i} \"{}\">\n", previous.repeat(10)));
    }
    dtd.push_str("]>\n");
    dtd
}

const SECRET: &str = "SECRET-MARKER-3f9c";

/// Insert the hostile DTD after the XML declaration and the entity references in place of
/// `text`.
fn with_entities(original: &str, root_name: &str, text: &str, secret: &Path) -> String {
    let declaration_end = original.find("?>").map_or(0, |i| i + 2);
    let (head, body) = original.split_at(declaration_end);
    assert!(body.contains(text), "{text}");
    let body = body.replacen(text, "&xxe;&lol9;", 1);
    format!("{head}\n{}{body}", hostile_doctype(root_name, secret))
}

#[test]
fn xml_entities_are_neither_expanded_nor_fetched() {
    let dir = TempDir::new("entities");
    dir.write("secret.txt", SECRET);
    let secret = dir.path().join("secret.txt");

    let gpo = "<?xml version=\"1.0\"?><GPO xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\">\
         <Identifier><Identifier xmlns=\"http://www.microsoft.com/GroupPolicy/Types\">{A}\
         </Identifier></Identifier><Name>NAME</Name></GPO>";
    dir.write("gpo.xml", with_entities(gpo, "GPO", "NAME", &secret));
    let output = baselint(&["inspect", "gpo.xml", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let view: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(view["policies"][0]["name"], "&xxe;&lol9;");

    let stig = std::fs::read_to_string(
        root().join("examples/contoso/baselines/U_MS_Windows_11_STIG_V2R6_excerpt-xccdf.xml"),
    )
    .unwrap();
    let title = "PKU2U authentication using online identities must be prevented.";
    dir.write(
        "stig.xml",
        with_entities(&stig, "Benchmark", title, &secret),
    );
    let output = baselint(&["import", "stig", "stig.xml"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("title = \"&xxe;&lol9;\""));

    let ckl = std::fs::read_to_string(
        root().join("examples/contoso/checklists/WS-HYB-0142 - Windows 11 STIG.ckl"),
    )
    .unwrap();
    dir.write(
        "review.ckl",
        with_entities(&ckl, "CHECKLIST", "WS-HYB-0142", &secret),
    );

    for args in [
        &[
            "check",
            "gpo.xml",
            "stig.xml",
            "review.ckl",
            "--format",
            "json",
        ][..],
        &[
            "inspect",
            "gpo.xml",
            "stig.xml",
            "review.ckl",
            "--format",
            "json",
        ],
    ] {
        let output = baselint(args, dir.path());
        let everything = format!("{}{}", stdout(&output), stderr(&output));
        assert!(!everything.contains(SECRET), "{everything}");
        assert!(!everything.contains("lollollol"), "an entity was expanded");
        assert!(
            everything.len() < 200_000,
            "{} bytes of output",
            everything.len()
        );
        assert!(!everything.contains("\"errors\": [\n    {"), "{everything}");
    }
}

// ---- .gitignore ----

/// Every candidate file holds broken JSON, so the errors name exactly the files linted.
fn linted_files(args: &[&str], dir: &Path) -> Vec<String> {
    let report = check_json(args, dir);
    let mut paths: Vec<String> = report.errors.into_iter().map(|e| e.path).collect();
    paths.sort();
    paths
}

fn broken_tree(dir: &TempDir, files: &[&str]) {
    for file in files {
        dir.write(file, "{");
    }
}

#[test]
fn walks_honour_gitignore_files_with_nesting_and_negation() {
    let dir = TempDir::new("gitignore");
    broken_tree(
        &dir,
        &[
            "a.json",
            "ignored.json",
            "scratch/x.json",
            "keep.xml",
            "drop.xml",
            "sub/ignored.json",
            "sub/a.json",
            "sub/deeper/scratch.json",
        ],
    );
    dir.write(".gitignore", "ignored.json\nscratch/\n*.xml\n!keep.xml\n");
    dir.write("sub/.gitignore", "!ignored.json\na.json\n");
    let all = linted_files(&[".", "--no-ignore"], dir.path());
    assert_eq!(all.len(), 8, "{all:?}");
    assert_eq!(
        linted_files(&["."], dir.path()),
        [
            "a.json",
            "keep.xml",
            "sub/deeper/scratch.json",
            "sub/ignored.json"
        ]
    );
    // Paths named on the command line are linted even when ignored.
    assert_eq!(
        linted_files(&["ignored.json", "scratch"], dir.path()),
        ["ignored.json", "scratch/x.json"]
    );
}

#[test]
fn in_a_repository_parent_gitignores_and_info_exclude_apply() {
    let dir = TempDir::new("gitignore-repo");
    let init = Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(dir.path())
        .status();
    if !init.is_ok_and(|s| s.success()) {
        eprintln!("git is not available: skipped");
        return;
    }
    broken_tree(
        &dir,
        &[
            "exports/a.json",
            "exports/scratch/x.json",
            "exports/local.json",
            "exports/sub/local.json",
        ],
    );
    dir.write(".gitignore", "/exports/scratch/\n");
    // Patterns with a slash are relative to the repository root.
    dir.write(".git/info/exclude", "local.json\n!exports/sub/local.json\n");
    assert_eq!(
        linted_files(&["exports"], dir.path()),
        ["exports/a.json", "exports/sub/local.json"]
    );
    assert_eq!(
        linted_files(&["exports", "--no-ignore"], dir.path()).len(),
        4
    );
}

/// A folder read as one GPO is read file by file, as a walk would: the files ignore files
/// exclude (one of its own, or a parent's, whole folders too) are not read, and `--no-ignore`
/// reads them.
#[test]
fn files_inside_a_gpo_folder_honour_gitignore_files() {
    const GPO: &str = "sysvol/Policies/{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}";
    let dir = TempDir::new("gitignore-gpo");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/gpp-password-stored/fires")
        .join(GPO);
    copy_dir(&fixture, &dir.path().join(GPO));
    // Broken files, so that the errors name what was read.
    dir.write(&format!("{GPO}/Machine/registry.pol"), "not a registry.pol");
    dir.write(
        &format!("{GPO}/Machine/Preferences/Groups/Groups.xml"),
        "<Groups",
    );
    let lint = |args: &[&str]| {
        let mut all = vec![".", "--select", "gpp-password-stored"];
        all.extend(args);
        let report = check_json(&all, dir.path());
        let files = |paths: &mut dyn Iterator<Item = String>| -> Vec<String> {
            let mut names: Vec<String> = paths
                .map(|p| p.rsplit('/').next().unwrap().to_string())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        let errors = files(&mut report.errors.into_iter().map(|e| e.path));
        let findings = files(&mut report.finding_paths.into_iter());
        (errors, findings)
    };
    let everything = (
        vec!["Groups.xml".to_string(), "registry.pol".to_string()],
        vec!["Drives.xml".to_string(), "ScheduledTasks.xml".to_string()],
    );
    assert_eq!(lint(&[]), everything);
    dir.write(".gitignore", "*.pol\n**/User/Preferences/\n");
    dir.write(&format!("{GPO}/.gitignore"), "Groups.xml\n");
    assert_eq!(lint(&[]), (vec![], vec!["ScheduledTasks.xml".to_string()]));
    dir.write(
        &format!("{GPO}/.gitignore"),
        "Groups.xml\nScheduledTasks/\n",
    );
    assert_eq!(lint(&[]), (vec![], vec![]));
    assert_eq!(lint(&["--no-ignore"]), everything);
    // A folder whose marker file is ignored is no GPO folder: its files are linted one by one
    // (and these, preference files alone, are no format baselint reads).
    dir.write(".gitignore", "GPT.INI\n");
    dir.write(&format!("{GPO}/.gitignore"), "");
    assert_eq!(lint(&[]).1, Vec::<String>::new());
}

// ---- nothing is written to the input tree ----

/// Every file and folder under `dir`: path, then size, modification time and content.
fn tree_state(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut state = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                pending.push(path.clone());
                Vec::new()
            };
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            state.insert(relative, (meta.len(), meta.modified().unwrap(), content));
        }
    }
    state
}

fn git(args: &[&str], dir: &Path) -> bool {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn no_command_writes_to_the_tree_it_reads() {
    let dir = TempDir::new("read-only");
    let tree = dir.path().join("contoso");
    copy_dir(&root().join("examples/contoso"), &tree);
    let in_repo = git(&["init", "-q", "."], &tree)
        && git(&["add", "."], &tree)
        && git(&["commit", "-q", "-m", "tree"], &tree);
    let before = tree_state(&tree);
    let mut runs: Vec<Vec<&str>> = ["human", "json", "sarif", "github", "markdown", "junit"]
        .iter()
        .map(|format| vec!["check", ".", "--format", format])
        .collect();
    runs.push(vec!["inspect", ".", "--format", "json"]);
    runs.push(vec!["exceptions", ".", "--format", "json"]);
    if in_repo {
        runs.push(vec!["check", ".", "--since", "HEAD", "--show-fixed"]);
    }
    for args in &runs {
        let output = baselint(args, &tree);
        assert!(
            matches!(output.status.code(), Some(0..=1)),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(tree_state(&tree) == before, "a run changed the tree");
}

// ---- paths named by baselint.toml ----

/// What an attacker's baselint.toml would like quoted in a public CI log.
const SECRET_FILE: &str = "token = \"SECRET-1234\"\n[[[broken\n";

/// A repository `repo/` (no .git: its folder is the root) beside a secret, whose config names
/// `names` for the exceptions file, a baseline and a rule folder.
fn tree_naming(dir: &TempDir, exceptions: &str, baseline: &str, rules: &str) {
    dir.write("secret.toml", SECRET_FILE);
    dir.write("repo/policy.json", good_policy());
    dir.write(
        "repo/baselint.toml",
        format!(
            "[exceptions]\nfile = \"{exceptions}\"\n[baselines]\nuse = [\"{baseline}\", \
             \"entra-joined-adjustments\"]\n[rules]\npaths = [\"{rules}\"]\n"
        ),
    );
}

/// The errors about a config path outside the repository.
fn outside_errors(report: &Report) -> Vec<&InputError> {
    report
        .errors
        .iter()
        .filter(|e| e.message.contains("is outside"))
        .collect()
}

#[test]
fn a_config_found_in_the_tree_names_no_file_outside_its_repository() {
    let dir = TempDir::new("config-outside");
    tree_naming(&dir, "../secret.toml", "../secret.toml", "..");
    let output = baselint(&["check", "repo", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        !stdout(&output).contains("SECRET-1234"),
        "{}",
        stdout(&output)
    );
    assert!(!stderr(&output).contains("SECRET-1234"));
    let report = check_json(&["repo"], dir.path());
    let outside = outside_errors(&report);
    assert_eq!(outside.len(), 3, "{:#?}", report.errors);
    // Each at the value that names the file, in baselint.toml.
    let mut positions: Vec<(Option<u64>, Option<u64>)> =
        outside.iter().map(|e| (e.line, e.column)).collect();
    positions.sort();
    assert_eq!(
        positions,
        [(Some(2), Some(8)), (Some(4), Some(8)), (Some(6), Some(10))]
    );
    assert!(outside.iter().all(|e| e.path == "repo/baselint.toml"));
    let secret = outside
        .iter()
        .find(|e| e.line == Some(2))
        .expect("the exceptions file");
    // The repository as the system resolves it, in the form a user writes (on Windows,
    // `C:\...`, not `\\?\C:\...`).
    let repository = std::fs::canonicalize(dir.path().join("repo")).unwrap();
    let repository = baselint::source::without_verbatim(&repository);
    assert!(!secret.message.contains(r"\\?\"), "{}", secret.message);
    assert!(
        secret.message.starts_with(&format!(
            "`../secret.toml` is outside {}: ",
            repository.display()
        )) && secret.message.contains("baselint-hostile-config-outside-")
            && secret.message.ends_with(
            "a baselint.toml found in the linted tree may name only files inside its repository \
             (pass a trusted config with --config to lift this)"
        ),
        "{}",
        secret.message
    );
    // The policy is linted all the same.
    assert!(report.finding_paths.contains("repo/policy.json"));

    // A config given on the command line is the caller's: its paths are read.
    let given = check_json(&["repo", "--config", "repo/baselint.toml"], dir.path());
    assert!(outside_errors(&given).is_empty(), "{:#?}", given.errors);
    assert!(given.errors.iter().any(|e| e.path == "repo/../secret.toml"));
}

#[test]
fn a_config_in_a_repository_names_files_anywhere_inside_it() {
    let dir = TempDir::new("config-repository");
    std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
    dir.write("repo/shared/exceptions.toml", "");
    dir.write("repo/shared/rules/.keep", "");
    dir.write("repo/tenant/policy.json", good_policy());
    dir.write(
        "repo/tenant/baselint.toml",
        "[exceptions]\nfile = \"../shared/exceptions.toml\"\n\
         [rules]\npaths = [\"../shared/rules\"]\n",
    );
    let report = check_json(&["repo/tenant"], dir.path());
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.finding_paths.contains("repo/tenant/policy.json"));
}

#[cfg(unix)]
#[test]
fn a_link_inside_the_repository_to_a_file_outside_is_outside() {
    let dir = TempDir::new("config-link");
    tree_naming(&dir, "link.toml", "entra-joined-adjustments", ".");
    std::os::unix::fs::symlink(
        dir.path().join("secret.toml"),
        dir.path().join("repo/link.toml"),
    )
    .unwrap();
    let report = check_json(&["repo"], dir.path());
    let outside = outside_errors(&report);
    assert_eq!(outside.len(), 1, "{:#?}", report.errors);
    assert!(outside[0].message.starts_with("`link.toml` is outside"));
    assert!(report.errors.iter().all(|e| !e.message.contains("SECRET")));
}

// ---- long lines in the human report ----

/// A Settings Catalog policy on one line, `padding` bytes of description between its name and
/// its PKU2U setting (disabled), unassigned.
fn one_line_policy(padding: usize) -> String {
    let pku2u = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests";
    serde_json::json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
        "id": "one-line",
        "name": "One line",
        "description": "x".repeat(padding),
        "settings": [{"settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": pku2u,
            "choiceSettingValue": {"value": format!("{pku2u}_0"), "children": []}
        }}]
    })
    .to_string()
}

/// A finding whose labels are 70,000 columns apart on one line (a minified export, as in the
/// ACSC hardening guidelines' policy) is shown label by label: drawn in one snippet, miette
/// placed the second label at the first one's column and panicked past column 65,535.
#[test]
fn labels_far_apart_on_one_line_are_shown_one_by_one() {
    let dir = TempDir::new("one-line");
    let text = one_line_policy(70_000);
    dir.write("policy.json", &text);
    let output = baselint(&["check", "--unassigned", "all", "policy.json"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let shown = stdout(&output);
    let value = text
        .find(&format!("{}_0", "allowpku2uauthenticationrequests"))
        .unwrap();
    let name = text.find("\"One line\"").unwrap();
    // The value's column counts from its opening quote, the name's is the name's own.
    let value_column = text[..value].rfind('"').unwrap() + 1;
    for column in [value_column, name + 1] {
        assert!(
            shown.contains(&format!("policy.json:1:{column}]")),
            "no snippet at column {column}:\n{}",
            &shown[..shown.len().min(3000)]
        );
    }
    assert!(shown.contains("not assigned yet"));
}
