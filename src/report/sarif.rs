//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.
//!
//! One run; `tool.driver.rules` lists every rule that ran (so a viewer can tell "ran and found
//! nothing" from "not run"); each result carries a repository-relative location (`%SRCROOT%`),
//! 1-based regions with an exclusive end column counted in code points (`columnKind`
//! `unicodeCodePoints`), related locations for every label, and the stable fingerprint under
//! `partialFingerprints["baselint/v1"]`. Input errors are tool execution notifications.
//! Excepted findings carry a `suppressions` entry of kind `external`; in pull-request mode
//! results carry a `baselineState` (`new`, or `absent` with kind `pass` for fixed findings).

use std::collections::BTreeMap;

use serde::Serialize;

use super::pretty::{at_depth, write_list};
use super::{INFORMATION_URI, Item, Position, RepoPaths, Report, State, framework_ids, position};
use crate::model::InputError;
use crate::rules::{Rule, Severity};
use crate::source::Sources;

/// The schema the output follows (OASIS SARIF 2.1.0, errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key of the stable fingerprint.
pub const FINGERPRINT_KEY: &str = "baselint/v1";

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<RuleDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor<'a> {
    id: &'a str,
    short_description: Message,
    full_description: Message,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setting: Option<&'a str>,
    /// Baseline control ids (STIG, CIS) the finding is about.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    controls: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_length: Option<usize>,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

/// Render the report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> String {
    super::written(|out| write(report, out))
}

/// Write the SARIF log to `out` as it is serialised: one run (`$schema`, `version`, `runs`:
/// `tool`, `invocations`, `results`, `columnKind`), pretty-printed as serde_json prints it, the
/// results rendered on all cores (`pretty::write_list`).
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let errors = report.outcome.errors();
    let tool = Tool {
        driver: Driver {
            name: "baselint",
            version: env!("CARGO_PKG_VERSION"),
            semantic_version: env!("CARGO_PKG_VERSION"),
            information_uri: INFORMATION_URI,
            rules: report.rules.iter().map(|r| rule_descriptor(r)).collect(),
        },
    };
    let invocations = [Invocation {
        execution_successful: errors.is_empty(),
        tool_execution_notifications: errors.iter().map(|e| notification(report, e)).collect(),
    }];
    out.write_all(b"{\n  \"$schema\": ")?;
    out.write_all(at_depth(&SCHEMA_URI, 1)?.bytes())?;
    out.write_all(b",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")?;
    out.write_all(at_depth(&tool, 3)?.bytes())?;
    out.write_all(b",\n      \"invocations\": ")?;
    out.write_all(at_depth(&invocations, 3)?.bytes())?;
    out.write_all(b",\n      \"results\": ")?;
    write_list(out, &report.items, 3, |item| {
        at_depth(&result(report, item), 4)
    })?;
    out.write_all(b",\n      \"columnKind\": \"unicodeCodePoints\"\n    }\n  ]\n}\n")
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule_descriptor(rule: &Rule) -> RuleDescriptor<'_> {
    let documentation = crate::rules::explain(rule);
    let mut tags = vec!["security".to_string()];
    tags.extend(
        framework_ids(rule)
            .into_iter()
            .map(|(framework, id)| format!("external/{framework}/{id}")),
    );
    RuleDescriptor {
        id: &rule.id,
        short_description: Message {
            text: rule.summary.to_string(),
        },
        full_description: Message {
            text: unwrap_paragraphs(&rule.rationale),
        },
        help: Help {
            text: documentation.clone(),
            markdown: documentation,
        },
        help_uri: rule
            .references
            .iter()
            .map(String::as_str)
            .find(|r| r.starts_with("https://") || r.starts_with("http://")),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            tags,
            code: rule.code.as_deref(),
        },
    }
}

/// Join hard-wrapped lines; keep blank lines between paragraphs.
fn unwrap_paragraphs(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn result<'a>(report: &Report<'a>, item: &Item<'a>) -> SarifResult<'a> {
    let f = item.finding;
    let fixed = item.state == State::Fixed;
    let mut text = format!("{}: {}", f.summary, f.message);
    for note in &f.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    if let (true, Some(c)) = (fixed, &report.comparison) {
        text = format!("Fixed since {}: {text}", c.revision);
    }
    SarifResult {
        rule_id: &f.rule,
        rule_index: report.rule_index(&f.rule),
        kind: fixed.then_some("pass"),
        level: if fixed { "none" } else { level(f.severity) },
        message: Message { text },
        locations: vec![SarifLocation {
            id: None,
            physical_location: physical(&report.paths, &item.position()),
            message: Some(Message {
                text: f.primary.message.clone(),
            }),
        }],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(n, label)| SarifLocation {
                id: Some(n + 1),
                physical_location: physical(&report.paths, &position(item.sources, label.location)),
                message: Some(Message {
                    text: label.message.clone(),
                }),
            })
            .collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.as_str())]),
        baseline_state: match item.state {
            State::Current => None,
            State::New => Some("new"),
            State::Fixed => Some("absent"),
        },
        suppressions: suppression(report, item).into_iter().collect(),
        properties: ResultProperties {
            policy: f.policy.as_ref().map(|p| p.name.as_str()),
            policy_id: f.policy.as_ref().and_then(|p| p.id.as_deref()),
            setting: f.setting.as_deref(),
            controls: &f.controls,
        },
    }
}

fn suppression(report: &Report, item: &Item) -> Option<SarifSuppression> {
    let s = item.suppression.as_ref()?;
    let justification = match &s.id {
        Some(id) => format!("{id}: {}", s.justification),
        None => s.justification.clone(),
    };
    Some(SarifSuppression {
        kind: "external",
        status: "accepted",
        justification,
        location: s.location.map(|l| SarifLocation {
            id: None,
            physical_location: physical(&report.paths, &position(&report.outcome.model.sources, l)),
            message: None,
        }),
    })
}

fn notification(report: &Report, error: &InputError) -> Notification {
    let sources: &Sources = &report.outcome.model.sources;
    let region = match (error.location, error.line) {
        (Some(location), _) => Some(region(&position(sources, location))),
        (None, Some(line)) => Some(Region {
            start_line: line,
            start_column: error.column,
            end_line: None,
            end_column: None,
            byte_offset: None,
            byte_length: None,
        }),
        (None, None) => None,
    };
    let locations = if error.path.starts_with('<') {
        Vec::new()
    } else {
        vec![SarifLocation {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact(&report.paths, &error.path),
                region,
            },
            message: None,
        }]
    };
    Notification {
        level: "error",
        message: Message {
            text: error.message.clone(),
        },
        locations,
    }
}

fn physical(paths: &RepoPaths, at: &Position) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact(paths, &at.path),
        region: Some(region(at)),
    }
}

/// A text region; in a binary file (Registry.pol), a binary region (the file's bytes) with
/// line 1, since GitHub code scanning requires a line and reads no byte offsets.
fn region(at: &Position) -> Region {
    if at.is_binary() {
        return Region {
            start_line: 1,
            start_column: None,
            end_line: None,
            end_column: None,
            byte_offset: at.byte_offset,
            byte_length: at.byte_length,
        };
    }
    Region {
        start_line: at.line,
        start_column: Some(at.column),
        end_line: Some(at.end_line),
        end_column: Some(at.end_column),
        byte_offset: None,
        byte_length: None,
    }
}

/// A repository-relative URI under `%SRCROOT%`, or an absolute `file:` URI for a file
/// outside the repository.
fn artifact(paths: &RepoPaths, display: &str) -> ArtifactLocation {
    match paths.relative(display) {
        Some(relative) => ArtifactLocation {
            uri: encode_path(&relative),
            uri_base_id: Some("%SRCROOT%"),
        },
        None => ArtifactLocation {
            uri: file_uri(display),
            uri_base_id: None,
        },
    }
}

fn file_uri(display: &str) -> String {
    let absolute = std::path::absolute(display)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| display.to_string());
    let rooted = if absolute.starts_with('/') {
        absolute
    } else {
        format!("/{absolute}")
    };
    format!("file://{}", encode_path(&rooted))
}

/// Percent-encode a path for a URI: RFC 3986 unreserved characters, sub-delimiters, `@` and
/// `/` stay; `:` is encoded (in a relative reference it would read as a scheme) except for the
/// drive colon of an absolute Windows path.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, byte) in path.bytes().enumerate() {
        let drive_colon = byte == b':' && i == 2 && path.starts_with('/');
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte) || drive_colon {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            encode_path("intune/Win11 - Security Options.json"),
            "intune/Win11%20-%20Security%20Options.json"
        );
        assert_eq!(encode_path("a/é#%.json"), "a/%C3%A9%23%25.json");
        assert_eq!(encode_path("/C:/x y"), "/C:/x%20y");
        assert_eq!(encode_path("a:b"), "a%3Ab");
        assert_eq!(
            encode_path("Start (pilot) & more.json"),
            "Start%20(pilot)%20&%20more.json"
        );
    }

    #[test]
    fn paragraphs_are_unwrapped() {
        assert_eq!(unwrap_paragraphs("a\nb\n\nc\n"), "a b\n\nc");
    }
}
