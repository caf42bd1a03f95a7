//! Pull-request mode end to end, in temporary git repositories: `--since REV` reports only
//! what a change introduces, fingerprints survive reordering, reformatting and moving,
//! `--show-fixed` lists what disappeared, and baseline files round-trip.

mod common;
use common::{baselint, stdout};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/pku2u-disabled-on-entra-joined/fires")
}

fn git_available() -> bool {
    let found = Command::new("git").arg("--version").output().is_ok();
    if !found {
        eprintln!("git is not installed: skipping the pull-request mode tests");
    }
    found
}

/// A scratch git repository under the target directory.
struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn new(name: &str) -> Repo {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pr_mode-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=baselint tests",
                "-c",
                "user.email=tests@baselint.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.autocrlf=false",
            ])
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.dir.join(path)).unwrap();
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn baselint(&self, args: &[&str]) -> Output {
        self.baselint_in(".", args)
    }

    fn baselint_in(&self, sub: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args(args)
            .current_dir(self.dir.join(sub))
            .env("NO_COLOR", "1")
            .env("COLUMNS", "110")
            .output()
            .expect("baselint runs")
    }

    /// `check PATH --since HEAD --show-fixed --format json`, run from the folder `sub`.
    fn against_head(&self, sub: &str, path: &str) -> Output {
        let args = [
            "check",
            path,
            "--since",
            "HEAD",
            "--show-fixed",
            "--format",
            "json",
        ];
        self.baselint_in(sub, &args)
    }
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            stdout(output),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

/// A Settings Catalog policy with two settings: PKU2U disabled, then LAN Manager level 5;
/// assigned to the dynamic group of Entra-joined devices.
fn pku2u_policy() -> Value {
    let mut policy: Value = serde_json::from_str(&fixture("sc.json")).unwrap();
    let lm = serde_json::json!({
        "id": "1",
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_lanmanagerauthenticationlevel",
            "choiceSettingValue": {
                "value": "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_lanmanagerauthenticationlevel_5",
                "children": []
            }
        }
    });
    policy["settings"].as_array_mut().unwrap().push(lm);
    policy
}

/// First commit: groups and filters only. Second: the PKU2U policy.
fn two_commits(name: &str) -> Repo {
    let repo = Repo::new(name);
    repo.write("tenant/entra/groups.json", &fixture("groups.json"));
    repo.write("tenant/entra/filters.json", &fixture("filters.json"));
    repo.commit("groups");
    repo.write(
        "tenant/intune/pku2u.json",
        &serde_json::to_string_pretty(&pku2u_policy()).unwrap(),
    );
    repo.commit("disable PKU2U");
    repo
}

fn rules_of(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {report:#}"))
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn since_reports_exactly_the_new_finding() {
    if !git_available() {
        return;
    }
    let repo = two_commits("since");
    let everything = json(&repo.baselint(&["check", "tenant", "--format", "json"]));
    assert_eq!(rules_of(&everything, "findings").len(), 1);

    let output = repo.baselint(&["check", "tenant", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(
        rules_of(&report, "findings"),
        ["pku2u-disabled-on-entra-joined"]
    );
    let finding = &report["findings"][0];
    assert_eq!(finding["path"], "tenant/intune/pku2u.json");
    assert_eq!(finding["policy"]["name"], "PKU2U block (catalog)");
    assert_eq!(report["since"]["revision"], "HEAD~1");
    assert_eq!(report["since"]["new"], 1);
    assert_eq!(report["since"]["unchanged"], 0);
    assert_eq!(
        report["since"]["commit"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD~1"]).trim()
    );

    let unchanged = repo.baselint(&["check", "tenant", "--since", "HEAD", "--format", "json"]);
    assert_eq!(
        unchanged.status.code(),
        Some(0),
        "--fail-on applies to new findings only"
    );
    let unchanged = json(&unchanged);
    assert_eq!(rules_of(&unchanged, "findings").len(), 0);
    assert_eq!(unchanged["since"]["unchanged"], 1);
}

/// A revision from before the exports (an empty folder kept by `.gitkeep`) has nothing to
/// lint, which is no input error there: the working tree's findings are all new, and no
/// warning says the revision could not be read.
#[test]
fn a_revision_from_before_the_exports_is_read_without_errors() {
    if !git_available() {
        return;
    }
    let repo = Repo::new("before-exports");
    repo.write("tenant/.gitkeep", "");
    repo.commit("an empty tenant folder");
    repo.write("tenant/entra/groups.json", &fixture("groups.json"));
    repo.write(
        "tenant/intune/pku2u.json",
        &serde_json::to_string_pretty(&pku2u_policy()).unwrap(),
    );
    repo.commit("the first export");
    let output = repo.baselint(&["check", "tenant", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("input error"), "{stderr}");
    let report = json(&output);
    assert_eq!(
        rules_of(&report, "findings"),
        ["pku2u-disabled-on-entra-joined"]
    );
    assert_eq!(report["since"]["new"], 1);
    // The empty folder itself is an input error, in the working tree.
    repo.remove("tenant/entra/groups.json");
    repo.remove("tenant/intune/pku2u.json");
    let empty = repo.baselint(&["check", "tenant", "--format", "json"]);
    assert_eq!(empty.status.code(), Some(2));
}

#[test]
fn reordering_reformatting_and_moving_report_nothing_new() {
    if !git_available() {
        return;
    }
    let repo = two_commits("reorder");
    let mut policy = pku2u_policy();
    policy["settings"].as_array_mut().unwrap().reverse();
    // Keys in reverse order, one member per line with CRLF line ends.
    let members: Vec<String> = policy
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), v))
        .collect();
    let reformatted = format!("{{\r\n    {}\r\n}}\r\n", members.join(",\r\n    "));
    repo.remove("tenant/intune/pku2u.json");
    repo.write("tenant/intune/renamed/PKU2U policy.json", &reformatted);
    repo.commit("reorder, reformat and move");
    assert!(repo.git(&["show", "--stat", "HEAD"]).contains("renamed"));

    let output = repo.baselint(&["check", "tenant", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(rules_of(&report, "findings").len(), 0, "{report:#}");
    assert_eq!(report["since"]["unchanged"], 1);
    assert_eq!(report["since"]["fixed"], 0);
}

#[test]
fn show_fixed_lists_a_removed_finding_in_every_format() {
    if !git_available() {
        return;
    }
    let repo = two_commits("fixed");
    repo.remove("tenant/intune/pku2u.json");
    repo.commit("remove the policy");
    let run = |format: &str| {
        let output = repo.baselint(&[
            "check",
            "tenant",
            "--since",
            "HEAD~1",
            "--show-fixed",
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(0), "a fixed finding never fails");
        stdout(&output)
    };
    let report: Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(rules_of(&report, "findings").len(), 0);
    assert_eq!(
        rules_of(&report, "fixed"),
        ["pku2u-disabled-on-entra-joined"]
    );
    assert_eq!(report["fixed"][0]["path"], "tenant/intune/pku2u.json");
    assert_eq!(report["since"]["fixed"], 1);

    let human = run("human");
    assert!(
        human.contains("✓ fixed[pku2u-disabled-on-entra-joined]"),
        "{human}"
    );
    assert!(
        human.contains("was at tenant/intune/pku2u.json:"),
        "{human}"
    );
    assert!(human.contains(" in HEAD~1\n"), "{human}");
    assert!(human.contains("; 0 unchanged; 1 fixed"), "{human}");

    let github = run("github");
    assert!(
        github.starts_with("::notice title=Fixed since HEAD~1%3A PKU2U is disabled"),
        "{github}"
    );
    assert!(!github.contains("::error"), "{github}");

    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["baselineState"], "absent");
    assert_eq!(result["kind"], "pass");

    let markdown = run("markdown");
    assert!(markdown.contains("### Fixed since `HEAD~1`"), "{markdown}");
    assert!(
        markdown.contains("**0 new findings** since `HEAD~1`"),
        "{markdown}"
    );

    let junit = run("junit");
    assert!(
        junit.contains("<system-out>fixed since HEAD~1: error[pku2u-disabled-on-entra-joined]"),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");

    let without = repo.baselint(&["check", "tenant", "--since", "HEAD~1", "--format", "json"]);
    assert!(
        json(&without).get("fixed").is_none(),
        "fixed is listed only on request"
    );
}

/// A path given absolute is shown relative to the working directory for the revision too:
/// its files are read inside the revision's tree, which the process enters for that lint.
#[test]
fn fixed_findings_of_an_absolute_path_are_shown_relative() {
    if !git_available() {
        return;
    }
    let repo = two_commits("fixed-absolute");
    repo.remove("tenant/intune/pku2u.json");
    repo.commit("remove the policy");
    let tenant = repo.dir.join("tenant");
    let output = repo.baselint(&[
        "check",
        tenant.to_str().unwrap(),
        "--since",
        "HEAD~1",
        "--show-fixed",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(report["fixed"][0]["path"], "tenant/intune/pku2u.json");
    assert_eq!(report["since"]["fixed"], 1);
}

#[test]
fn the_revision_is_linted_with_its_own_config_at_the_same_place() {
    if !git_available() {
        return;
    }
    let repo = Repo::new("config");
    repo.write("tenant/entra/groups.json", &fixture("groups.json"));
    repo.write("tenant/intune/static.json", &fixture("static.json"));
    repo.write(
        "tenant/baselint.toml",
        "[rules]\nselect = [\"assignment-to-unknown-group\"]\n",
    );
    repo.commit("static group, PKU2U rules not selected");
    let since = |sub: &str, path: &str| {
        json(&repo.baselint_in(sub, &["check", path, "--since", "HEAD", "--format", "json"]))
    };
    let unchanged = since(".", "tenant");
    assert_eq!(rules_of(&unchanged, "findings").len(), 0);
    assert_eq!(unchanged["since"]["unchanged"], 0);

    repo.write("tenant/baselint.toml", "[rules]\nselect = [\"ALL\"]\n");
    let all = rules_of(
        &json(&repo.baselint(&["check", "tenant", "--format", "json"])),
        "findings",
    );
    assert!(
        all.contains(&"pku2u-disabled-on-entra-joined".to_string()),
        "{all:?}"
    );
    assert_eq!(
        rules_of(&since(".", "tenant"), "findings"),
        all,
        "the revision's config selected no PKU2U rule, the working tree's selects them all"
    );
    assert_eq!(rules_of(&since("tenant/intune", ".."), "findings"), all);
}

#[test]
fn paths_are_repository_relative_from_a_subdirectory() {
    if !git_available() {
        return;
    }
    let repo = two_commits("subdir");
    let output = repo.baselint_in(
        "tenant",
        &["check", ".", "--since", "HEAD~1", "--format", "sarif"],
    );
    assert_eq!(output.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "tenant/intune/pku2u.json"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let github = stdout(&repo.baselint_in("tenant", &["check", ".", "--format", "github"]));
    assert!(
        github.starts_with("::error file=tenant/intune/pku2u.json,line="),
        "{github}"
    );
}

#[test]
fn the_revision_honours_the_repository_ignore_files_as_the_working_tree_does() {
    if !git_available() {
        return;
    }
    // Tracked files that the repository's .gitignore or info/exclude match (force-added),
    // below the linted folder: the working-tree walk skips them, and so must the revision's.
    let repo = Repo::new("ignored");
    repo.write("tenant/entra/groups.json", &fixture("groups.json"));
    repo.write("tenant/entra/filters.json", &fixture("filters.json"));
    let policy = serde_json::to_string_pretty(&pku2u_policy()).unwrap();
    repo.write(".gitignore", "vendored/\n");
    repo.write("tenant/vendored/pku2u.json", &policy);
    repo.write(".git/info/exclude", "excluded/\n");
    repo.write("tenant/excluded/pku2u.json", &policy);
    repo.git(&["add", "-A", "-f"]);
    repo.git(&["commit", "-q", "-m", "ignored policies"]);

    let now = json(&repo.baselint(&["check", "tenant", "--format", "json"]));
    assert_eq!(rules_of(&now, "findings").len(), 0, "{now:#}");
    let output = repo.against_head(".", "tenant");
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["since"]["unchanged"], 0, "{report:#}");
    assert_eq!(report["since"]["fixed"], 0, "{report:#}");
    // From inside the linted folder too (the .gitignore is then a parent's).
    let inside = json(&repo.against_head("tenant", "."));
    assert_eq!(inside["since"]["fixed"], 0, "{inside:#}");
}

#[cfg(unix)]
#[test]
fn the_revision_has_the_symbolic_links_the_working_tree_walk_follows() {
    if !git_available() {
        return;
    }
    // The policy is reached only through a link (its own folder is hidden, so the walk skips
    // it): the working tree reports it, and an unchanged revision must report it too.
    let repo = Repo::new("links");
    repo.write("tenant/entra/groups.json", &fixture("groups.json"));
    repo.write(
        "tenant/.library/pku2u.json",
        &serde_json::to_string_pretty(&pku2u_policy()).unwrap(),
    );
    std::fs::create_dir_all(repo.dir.join("tenant/intune")).unwrap();
    std::os::unix::fs::symlink(
        "../.library/pku2u.json",
        repo.dir.join("tenant/intune/pku2u.json"),
    )
    .unwrap();
    // A link out of the repository is followed by neither walk.
    std::os::unix::fs::symlink("/etc/hostname", repo.dir.join("tenant/intune/out.json")).unwrap();
    repo.commit("a linked policy");

    let now = json(&repo.baselint(&["check", "tenant", "--format", "json"]));
    assert_eq!(
        rules_of(&now, "findings"),
        ["pku2u-disabled-on-entra-joined"]
    );
    let report = json(&repo.against_head(".", "tenant"));
    assert_eq!(report["since"]["new"], 0, "{report:#}");
    assert_eq!(report["since"]["unchanged"], 1, "{report:#}");
    assert_eq!(report["since"]["fixed"], 0, "{report:#}");
}

#[test]
fn since_leaves_the_working_tree_and_the_index_alone() {
    if !git_available() {
        return;
    }
    let repo = two_commits("untouched");
    repo.write("tenant/intune/draft.json", "{\"not\": \"committed\"}");
    repo.write(
        "tenant/entra/groups.json",
        &fixture("groups.json").replace("Entra PCs", "Entra"),
    );
    repo.git(&["add", "tenant/entra/groups.json"]);
    let status = repo.git(&["status", "--porcelain"]);
    let index = std::fs::read(repo.dir.join(".git/index")).unwrap();
    let output = repo.baselint(&["check", "tenant", "--since", "HEAD~1", "--show-fixed"]);
    assert!(output.status.code().is_some());
    assert_eq!(repo.git(&["status", "--porcelain"]), status);
    assert_eq!(std::fs::read(repo.dir.join(".git/index")).unwrap(), index);
    assert_eq!(
        std::fs::read_to_string(repo.dir.join("tenant/intune/draft.json")).unwrap(),
        "{\"not\": \"committed\"}"
    );
}

#[test]
fn unknown_revisions_and_missing_repositories_are_usage_errors() {
    if !git_available() {
        return;
    }
    let repo = two_commits("badrev");
    let output = repo.baselint(&["check", "tenant", "--since", "no-such-branch"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown revision `no-such-branch`"),
        "{stderr}"
    );
    let dashed = repo.baselint(&["check", "tenant", "--since=--output=x"]);
    assert_eq!(dashed.status.code(), Some(2));
    assert!(!repo.dir.join("x").exists());
    let needs_since = repo.baselint(&["check", "tenant", "--show-fixed"]);
    assert_eq!(needs_since.status.code(), Some(2));

    let outside = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pr_mode-no-repo");
    let _ = std::fs::remove_dir_all(&outside);
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".git"), "gitdir: /nonexistent\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baselint"))
        .args(["check", ".", "--since", "HEAD"])
        .current_dir(&outside)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn baseline_file_round_trip() {
    if !git_available() {
        return;
    }
    let repo = two_commits("baseline");
    let written = repo.baselint(&["check", "tenant", "--write-baseline", "known.json"]);
    assert_eq!(written.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&written.stderr).contains("wrote 1 finding to known.json"));
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.dir.join("known.json")).unwrap())
            .unwrap();
    assert_eq!(file["version"], 1);
    let entry = &file["findings"][0];
    assert_eq!(entry["rule"], "pku2u-disabled-on-entra-joined");
    assert_eq!(entry["path"], "tenant/intune/pku2u.json");
    assert_eq!(entry["fingerprint"].as_str().unwrap().len(), 16);
    assert!(
        entry["message"]
            .as_str()
            .unwrap()
            .starts_with("PKU2U is disabled")
    );

    let args = [
        "check",
        "tenant",
        "--baseline-file",
        "known.json",
        "--format",
        "json",
    ];
    let suppressed = repo.baselint(&args);
    assert_eq!(
        suppressed.status.code(),
        Some(0),
        "--fail-on applies after the baseline"
    );
    let report = json(&suppressed);
    assert_eq!(rules_of(&report, "findings").len(), 0);
    assert_eq!(report["baseline"]["suppressed"], 1);
    assert_eq!(report["baseline"]["unmatched"].as_array().unwrap().len(), 0);

    // A new finding is reported; the known one stays suppressed.
    repo.write("tenant/intune/oma.json", &fixture("oma.json"));
    let output = repo.baselint(&args);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert!(rules_of(&report, "findings").contains(&"pku2u-disabled-on-entra-joined".to_string()));
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(finding["path"], "tenant/intune/oma.json");
    }

    // The known finding is fixed: its entry no longer matches.
    repo.remove("tenant/intune/pku2u.json");
    repo.remove("tenant/intune/oma.json");
    let report = json(&repo.baselint(&args));
    assert_eq!(report["baseline"]["suppressed"], 0);
    let unmatched = &report["baseline"]["unmatched"];
    assert_eq!(unmatched[0]["fingerprint"], entry["fingerprint"]);
    let human = stdout(&repo.baselint(&["check", "tenant", "--baseline-file", "known.json"]));
    assert!(
        human.contains("note: 1 entry of known.json matches no finding any more"),
        "{human}"
    );
}

#[test]
fn broken_baseline_files_are_usage_errors() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pr_mode-broken-baseline");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("known.json"),
        "{\n  \"version\": 1,\n  \"findings\": [}\n",
    )
    .unwrap();
    std::fs::write(dir.join("newer.json"), "{\"version\": 9, \"findings\": []}").unwrap();
    let run = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_baselint"))
            .args(["check", ".", "--baseline-file", file])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    for (file, expected) in [
        ("known.json", "known.json:3:"),
        ("newer.json", "newer baselint"),
        ("missing.json", "cannot read baseline file missing.json"),
    ] {
        let output = run(file);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{file}: {stderr}");
    }
}

#[test]
fn write_baseline_refuses_on_input_errors() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pr_mode-refuse");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("broken.json"), "{\"@odata.type\": ").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_baselint"))
        .args(["check", ".", "--write-baseline", "known.json"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.join("known.json").exists());
    assert!(String::from_utf8_lossy(&output.stderr).contains("fix the input errors first"));
}

/// The `gpo-intune-conflict` fixture that fires: a GPO and one Intune policy in conflict.
fn grouped_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/gpo-intune-conflict/fires")
}

const GROUPED_FILES: [&str; 4] = ["gpo.xml", "groups.json", "intune.json", "baselint.toml"];

/// The fixture's Intune policy under another id and name (`p{n}`, "Win - NTLM {n}"): one more
/// policy for the GPO setting's grouped finding.
fn another_intune_policy(n: usize) -> String {
    std::fs::read_to_string(grouped_fixture().join("intune.json"))
        .unwrap()
        .replace("\"id\": \"p1\"", &format!("\"id\": \"p{n}\""))
        .replace("\"Win - NTLM\"", &format!("\"Win - NTLM {n}\""))
}

/// A grouped finding (one GPO setting against several Intune policies) keeps its fingerprint
/// as policies join it, but `--since` reports it when it gains one the revision did not have.
#[test]
fn since_reports_a_grouped_finding_that_gains_a_policy() {
    if !git_available() {
        return;
    }
    let repo = Repo::new("since-grouped");
    for name in GROUPED_FILES {
        let text = std::fs::read_to_string(grouped_fixture().join(name)).unwrap();
        repo.write(name, &text);
    }
    repo.commit("a GPO and an Intune policy in conflict");
    let check = |args: &[&str]| {
        let mut all = vec!["check", ".", "--format", "json"];
        all.extend(args);
        json(&repo.baselint(&all))
    };
    let before = check(&[]);
    assert_eq!(rules_of(&before, "findings"), ["gpo-intune-conflict"]);
    assert_eq!(rules_of(&check(&["--since", "HEAD"]), "findings").len(), 0);

    repo.write("intune-2.json", &another_intune_policy(2));
    let after = check(&[]);
    assert_eq!(rules_of(&after, "findings"), ["gpo-intune-conflict"]);
    assert_eq!(
        after["findings"][0]["fingerprint"],
        before["findings"][0]["fingerprint"]
    );
    let since = check(&["--since", "HEAD"]);
    assert_eq!(
        rules_of(&since, "findings"),
        ["gpo-intune-conflict"],
        "{since:#}"
    );
    assert_eq!(since["since"]["new"], 1);
    assert!(
        since["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 Intune policies set it otherwise")
    );
}

/// A baseline file records what a grouped finding stood for: the finding is reported again
/// when a policy joins it, and stays accepted when one leaves it. Entries without members
/// (files of older versions) match by fingerprint alone.
#[test]
fn baseline_file_reports_a_grouped_finding_that_gains_a_policy() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pr_mode-baseline-grouped");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in GROUPED_FILES {
        std::fs::copy(grouped_fixture().join(name), dir.join(name)).unwrap();
    }
    let run = |args: &[&str]| baselint(&[&["check", "."], args].concat(), &dir);
    assert_eq!(
        run(&["--write-baseline", "known.json"]).status.code(),
        Some(0)
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("known.json")).unwrap()).unwrap();
    let members = file["findings"][0]["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{file:#}");
    assert_eq!(members[0].as_str().unwrap().len(), 16);

    let with_baseline = ["--baseline-file", "known.json", "--format", "json"];
    let report = json(&run(&with_baseline));
    assert_eq!(report["baseline"]["suppressed"], 1);
    assert_eq!(rules_of(&report, "findings").len(), 0);

    // A second Intune policy joins the GPO setting's finding: same fingerprint, new member.
    std::fs::write(dir.join("intune-2.json"), another_intune_policy(2)).unwrap();
    let output = run(&with_baseline);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(rules_of(&report, "findings"), ["gpo-intune-conflict"]);
    assert_eq!(
        report["findings"][0]["fingerprint"],
        file["findings"][0]["fingerprint"]
    );
    assert_eq!(report["baseline"]["suppressed"], 0);
    assert_eq!(report["baseline"]["unmatched"].as_array().unwrap().len(), 0);

    // Recorded with both policies, the finding stays accepted when the first one leaves.
    assert_eq!(
        run(&["--write-baseline", "known.json"]).status.code(),
        Some(0)
    );
    std::fs::remove_file(dir.join("intune.json")).unwrap();
    let report = json(&run(&with_baseline));
    assert_eq!(rules_of(&report, "findings").len(), 0, "{report:#}");
    assert_eq!(report["baseline"]["suppressed"], 1);

    // An entry without members (an older file) accepts the finding whatever it stands for.
    std::fs::copy(
        grouped_fixture().join("intune.json"),
        dir.join("intune.json"),
    )
    .unwrap();
    let mut old: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("known.json")).unwrap()).unwrap();
    old["findings"][0]
        .as_object_mut()
        .unwrap()
        .remove("members");
    std::fs::write(dir.join("known.json"), old.to_string()).unwrap();
    std::fs::write(dir.join("intune-3.json"), another_intune_policy(3)).unwrap();
    let report = json(&run(&with_baseline));
    assert_eq!(rules_of(&report, "findings").len(), 0, "{report:#}");
}
