//! STIG Viewer checklists: `.ckl` (STIG Viewer 2, XML) and `.cklb` (STIG Viewer 3, JSON).
//!
//! One [`ChecklistEntry`] per `VULN` (`.ckl`) or per rule (`.cklb`), with the asset's host
//! name, the STIG (`<stigid> V<version>R<release>`, the same form as an XCCDF control's
//! baseline), the vulnerability, rule and STIG ids, the status, finding details, comments and
//! any severity override with its justification. Spans cover the `VULN` element or the rule
//! object. Checklists carry no approval: they document a review (formats.md 5.4).
//!
//! Status spellings: `.ckl` `Open`, `NotAFinding`, `Not_Applicable`, `Not_Reviewed`; `.cklb`
//! `open`, `not_a_finding`, `not_applicable`, `not_reviewed`. Either file may use either
//! spelling; an unknown status is a positioned error and the entry is kept as not reviewed.

use jsonc_parser::ast::{Object, Value as Json};

use super::Parsed;
use super::json::{self, Doc};
use super::xccdf::xml::{self, Element};
use crate::model::{ChecklistEntry, ChecklistStatus, InputError};
use crate::source::{SourceFile, SourceId, Span};

/// Read a STIG Viewer 2 checklist (`.ckl`).
pub fn read_ckl(id: SourceId, file: &SourceFile) -> Parsed {
    let mut parsed = Parsed::default();
    let root = match xml::parse(file.text()) {
        Ok(root) => root,
        Err(e) => {
            parsed
                .errors
                .push(json::input_error(id, file, e.span, e.message));
            return parsed;
        }
    };
    if !root.is(None, "CHECKLIST") {
        let start = root.span.start as usize;
        parsed.errors.push(json::input_error(
            id,
            file,
            Span::new(start, start + 1 + root.name.len()),
            format!(
                "not a STIG checklist: expected a <CHECKLIST> root element, found <{}>",
                root.name
            ),
        ));
        return parsed;
    }
    let asset = root
        .child(None, "ASSET")
        .map(|a| ckl_asset(a, file.text()))
        .unwrap_or_default();
    let stigs = root.child(None, "STIGS");
    for istig in stigs.iter().flat_map(|s| s.children_named(None, "iSTIG")) {
        let stig = ckl_stig(istig, file.text());
        for vuln in istig.children_named(None, "VULN") {
            let ckl = Ckl {
                id,
                file,
                asset: &asset,
                stig: &stig,
            };
            match ckl.entry(vuln) {
                Ok((entry, errors)) => {
                    parsed.checklist_entries.push(entry);
                    parsed.errors.extend(errors);
                }
                Err(e) => parsed.errors.push(e),
            }
        }
    }
    parsed
}

/// The host a checklist is for: host name, else FQDN, else IP address (may be empty).
fn ckl_asset(asset: &Element, text: &str) -> String {
    ["HOST_NAME", "HOST_FQDN", "HOST_IP"]
        .iter()
        .filter_map(|name| asset.child(None, name))
        .map(|e| e.trimmed_text(text))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// `<stigid> V<version>R<release>` from an iSTIG's `STIG_INFO`.
fn ckl_stig(istig: &Element, text: &str) -> String {
    let info = |name: &str| -> String {
        istig
            .child(None, "STIG_INFO")
            .into_iter()
            .flat_map(|i| i.children_named(None, "SI_DATA"))
            .find(|d| {
                d.child(None, "SID_NAME")
                    .is_some_and(|n| n.trimmed_text(text) == name)
            })
            .and_then(|d| d.child(None, "SID_DATA"))
            .map(|d| d.trimmed_text(text))
            .unwrap_or_default()
    };
    stig_name(&info("stigid"), &info("version"), &info("releaseinfo"))
}

/// `Windows_10_STIG V2R2` from the id, version and release info (`Release: 2 Benchmark…`).
pub fn stig_name(id: &str, version: &str, release_info: &str) -> String {
    let release: String = release_info
        .trim()
        .trim_start_matches("Release:")
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let mut name = id.trim().to_string();
    if !version.trim().is_empty() {
        name.push_str(&format!(" V{}", version.trim()));
        if !release.is_empty() {
            name.push_str(&format!("R{release}"));
        }
    } else if !release.is_empty() {
        name.push_str(&format!(" R{release}"));
    }
    name
}

/// Parse a status in either spelling.
pub fn parse_status(text: &str) -> Option<ChecklistStatus> {
    let normal: String = text
        .trim()
        .chars()
        .filter(|c| *c != '_' && *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase();
    match normal.as_str() {
        "open" => Some(ChecklistStatus::Open),
        "notafinding" => Some(ChecklistStatus::NotAFinding),
        "notapplicable" => Some(ChecklistStatus::NotApplicable),
        "notreviewed" => Some(ChecklistStatus::NotReviewed),
        _ => None,
    }
}

/// What every VULN of one iSTIG shares.
struct Ckl<'a> {
    id: SourceId,
    file: &'a SourceFile,
    asset: &'a str,
    stig: &'a str,
}

impl Ckl<'_> {
    fn text(&self, vuln: &Element, name: &str) -> Option<String> {
        vuln.child(None, name)
            .map(|e| e.trimmed_text(self.file.text()))
            .filter(|t| !t.is_empty())
    }

    /// The first `ATTRIBUTE_DATA` of the `STIG_DATA` whose `VULN_ATTRIBUTE` is `name`.
    fn attribute(&self, vuln: &Element, name: &str) -> Option<String> {
        vuln.children_named(None, "STIG_DATA")
            .find(|d| {
                d.child(None, "VULN_ATTRIBUTE")
                    .is_some_and(|a| a.trimmed_text(self.file.text()) == name)
            })
            .and_then(|d| d.child(None, "ATTRIBUTE_DATA"))
            .map(|d| d.trimmed_text(self.file.text()))
            .filter(|t| !t.is_empty())
    }

    fn entry(&self, vuln: &Element) -> Result<(ChecklistEntry, Vec<InputError>), InputError> {
        let Some(vuln_id) = self.attribute(vuln, "Vuln_Num") else {
            return Err(json::input_error(
                self.id,
                self.file,
                Span::new(vuln.span.start as usize, vuln.span.start as usize + 5),
                "VULN without a Vuln_Num attribute",
            ));
        };
        let mut errors = Vec::new();
        let status = match vuln.child(None, "STATUS") {
            Some(element) => {
                let text = element.trimmed_text(self.file.text());
                parse_status(&text).unwrap_or_else(|| {
                    errors.push(unknown_status(self.id, self.file, element.content, &text));
                    ChecklistStatus::NotReviewed
                })
            }
            None => ChecklistStatus::NotReviewed,
        };
        let entry = ChecklistEntry {
            asset: self.asset.to_string(),
            stig: self.stig.to_string(),
            vuln_id,
            rule_id: self.attribute(vuln, "Rule_ID"),
            rule_version: self.attribute(vuln, "Rule_Ver"),
            severity: self.attribute(vuln, "Severity"),
            status,
            finding_details: self.text(vuln, "FINDING_DETAILS").unwrap_or_default(),
            comments: self.text(vuln, "COMMENTS").unwrap_or_default(),
            severity_override: self.text(vuln, "SEVERITY_OVERRIDE"),
            severity_justification: self.text(vuln, "SEVERITY_JUSTIFICATION"),
            source: self.id,
            span: vuln.span,
        };
        Ok((entry, errors))
    }
}

fn unknown_status(id: SourceId, file: &SourceFile, span: Span, text: &str) -> InputError {
    json::input_error(
        id,
        file,
        span,
        format!(
            "unknown checklist status `{text}`: expected Open, NotAFinding, Not_Applicable or \
             Not_Reviewed (STIG Viewer 3: open, not_a_finding, not_applicable, not_reviewed)"
        ),
    )
}

/// Read a STIG Viewer 3 checklist (`.cklb`, JSON).
pub fn read_cklb(id: SourceId, file: &SourceFile) -> Parsed {
    let doc = Doc::file(id, file);
    let mut parsed = Parsed::default();
    let root = match json::parse(doc.text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            parsed
                .errors
                .push(doc.error(Span::new(0, 0), "empty checklist file"));
            return parsed;
        }
        Err(e) => {
            parsed.errors.push(doc.parse_error(&e));
            return parsed;
        }
    };
    let Some(object) = root.as_object() else {
        parsed.errors.push(doc.error_at(
            &root,
            format!(
                "not a STIG Viewer 3 checklist: expected an object with `stigs`, found {}",
                json::type_name(&root)
            ),
        ));
        return parsed;
    };
    let asset = cklb_asset(object);
    let Some(stigs) = array(&doc, object, "stigs", &mut parsed.errors) else {
        return parsed;
    };
    for stig in stigs {
        let Some(stig) = expect_object(&doc, stig, "a STIG", &mut parsed.errors) else {
            continue;
        };
        let name = stig_name(
            json::get_str(stig, "stig_id").unwrap_or(""),
            &scalar(stig, "version"),
            json::get_str(stig, "release_info").unwrap_or(""),
        );
        let Some(rules) = array(&doc, stig, "rules", &mut parsed.errors) else {
            continue;
        };
        let cklb = Cklb {
            doc,
            asset: &asset,
            stig: &name,
        };
        for rule in rules {
            if let Some(rule) = expect_object(&doc, rule, "a rule", &mut parsed.errors) {
                cklb.entry(rule, &mut parsed);
            }
        }
    }
    parsed
}

/// `target_data.host_name`, else FQDN, else IP address.
fn cklb_asset(root: &Object<'_>) -> String {
    let Some(target) = json::get(root, "target_data").and_then(Json::as_object) else {
        return String::new();
    };
    ["host_name", "fqdn", "ip_address"]
        .iter()
        .filter_map(|k| json::get_str(target, k))
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_string()
}

/// A string or number property as text (`"version": "2"` or `2`).
fn scalar(obj: &Object<'_>, name: &str) -> String {
    match json::get(obj, name) {
        Some(Json::StringLit(s)) => s.value.to_string(),
        Some(Json::NumberLit(n)) => n.value.to_string(),
        _ => String::new(),
    }
}

fn array<'b, 'a>(
    doc: &Doc<'_>,
    obj: &'b Object<'a>,
    name: &str,
    errors: &mut Vec<InputError>,
) -> Option<&'b [Json<'a>]> {
    match json::get(obj, name) {
        Some(Json::Array(items)) => Some(&items.elements),
        Some(other) => {
            errors.push(doc.error_at(
                other,
                format!(
                    "`{name}` must be an array, found {}",
                    json::type_name(other)
                ),
            ));
            None
        }
        None => {
            let start = obj.range.start;
            errors.push(doc.error(
                Span::new(start, start + 1),
                format!("missing `{name}` array"),
            ));
            None
        }
    }
}

fn expect_object<'b, 'a>(
    doc: &Doc<'_>,
    value: &'b Json<'a>,
    what: &str,
    errors: &mut Vec<InputError>,
) -> Option<&'b Object<'a>> {
    let object = value.as_object();
    if object.is_none() {
        errors.push(doc.error_at(
            value,
            format!("expected {what} object, found {}", json::type_name(value)),
        ));
    }
    object
}

/// What every rule of one STIG shares.
struct Cklb<'a> {
    doc: Doc<'a>,
    asset: &'a str,
    stig: &'a str,
}

impl Cklb<'_> {
    fn entry(&self, rule: &Object<'_>, parsed: &mut Parsed) {
        let text = |name: &str| {
            json::get_str(rule, name)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(vuln_id) = text("group_id").or_else(|| text("group_id_src")) else {
            parsed.errors.push(self.doc.error(
                self.doc.map.span(rule.range.start..rule.range.start + 1),
                "rule without a `group_id`",
            ));
            return;
        };
        let status = match json::get(rule, "status") {
            Some(value) => {
                let raw = json::as_str(value).unwrap_or("");
                parse_status(raw).unwrap_or_else(|| {
                    parsed.errors.push(unknown_status(
                        self.doc.id,
                        self.doc.file,
                        self.doc.span(value),
                        raw,
                    ));
                    ChecklistStatus::NotReviewed
                })
            }
            None => ChecklistStatus::NotReviewed,
        };
        let (severity_override, severity_justification) = severity_override(rule);
        parsed.checklist_entries.push(ChecklistEntry {
            asset: self.asset.to_string(),
            stig: self.stig.to_string(),
            vuln_id: vuln_id.to_string(),
            rule_id: text("rule_id_src")
                .or_else(|| text("rule_id"))
                .map(str::to_string),
            rule_version: text("rule_version").map(str::to_string),
            severity: text("severity").map(str::to_string),
            status,
            finding_details: text("finding_details").unwrap_or("").to_string(),
            comments: text("comments").unwrap_or("").to_string(),
            severity_override,
            severity_justification,
            source: self.doc.id,
            span: self.doc.map.span(rule.range.start..rule.range.end),
        });
    }
}

/// `overrides.severity`: `{"severity": "low", "reason": "…"}` (a bare string is accepted too).
fn severity_override(rule: &Object<'_>) -> (Option<String>, Option<String>) {
    let Some(severity) = json::get(rule, "overrides")
        .and_then(Json::as_object)
        .and_then(|o| json::get(o, "severity"))
    else {
        return (None, None);
    };
    let non_empty = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match severity {
        Json::Object(o) => (
            non_empty(json::get_str(o, "severity")),
            non_empty(json::get_str(o, "reason")),
        ),
        other => (non_empty(json::as_str(other)), None),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::Encoding;

    fn file(name: &str, text: &str) -> SourceFile {
        SourceFile::from_text(Path::new(name), text.to_string(), Encoding::Utf8)
    }

    const CKL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!--DISA STIG Viewer :: 2.17-->
<CHECKLIST>
  <ASSET><ROLE>None</ROLE><HOST_NAME>WS01</HOST_NAME></ASSET>
  <STIGS><iSTIG>
    <STIG_INFO>
      <SI_DATA><SID_NAME>version</SID_NAME><SID_DATA>2</SID_DATA></SI_DATA>
      <SI_DATA><SID_NAME>customname</SID_NAME></SI_DATA>
      <SI_DATA><SID_NAME>stigid</SID_NAME><SID_DATA>Windows_11_STIG</SID_DATA></SI_DATA>
      <SI_DATA><SID_NAME>releaseinfo</SID_NAME><SID_DATA>Release: 7 Benchmark Date: 01 Apr 2026</SID_DATA></SI_DATA>
    </STIG_INFO>
    <VULN>
      <STIG_DATA><VULN_ATTRIBUTE>Vuln_Num</VULN_ATTRIBUTE><ATTRIBUTE_DATA>V-253459</ATTRIBUTE_DATA></STIG_DATA>
      <STIG_DATA><VULN_ATTRIBUTE>Severity</VULN_ATTRIBUTE><ATTRIBUTE_DATA>medium</ATTRIBUTE_DATA></STIG_DATA>
      <STIG_DATA><VULN_ATTRIBUTE>Rule_ID</VULN_ATTRIBUTE><ATTRIBUTE_DATA>SV-253459r991589_rule</ATTRIBUTE_DATA></STIG_DATA>
      <STIG_DATA><VULN_ATTRIBUTE>Rule_Ver</VULN_ATTRIBUTE><ATTRIBUTE_DATA>WN11-SO-000185</ATTRIBUTE_DATA></STIG_DATA>
      <STATUS>Not_Applicable</STATUS>
      <FINDING_DETAILS></FINDING_DETAILS>
      <COMMENTS>Entra-joined: PKU2U needed, see EXC-0042 &amp; SEC-1234</COMMENTS>
      <SEVERITY_OVERRIDE>low</SEVERITY_OVERRIDE>
      <SEVERITY_JUSTIFICATION>Peer-to-peer only</SEVERITY_JUSTIFICATION>
    </VULN>
  </iSTIG></STIGS>
</CHECKLIST>
"#;

    #[test]
    fn ckl_vuln_becomes_an_entry() {
        let f = file("a.ckl", CKL);
        let parsed = read_ckl(SourceId(0), &f);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let e = &parsed.checklist_entries[0];
        assert_eq!(e.asset, "WS01");
        assert_eq!(e.stig, "Windows_11_STIG V2R7");
        assert_eq!(e.vuln_id, "V-253459");
        assert_eq!(e.rule_id.as_deref(), Some("SV-253459r991589_rule"));
        assert_eq!(e.rule_version.as_deref(), Some("WN11-SO-000185"));
        assert_eq!(e.severity.as_deref(), Some("medium"));
        assert_eq!(e.status, ChecklistStatus::NotApplicable);
        assert_eq!(
            e.comments,
            "Entra-joined: PKU2U needed, see EXC-0042 & SEC-1234"
        );
        assert_eq!(e.finding_details, "");
        assert_eq!(e.severity_override.as_deref(), Some("low"));
        assert_eq!(
            e.severity_justification.as_deref(),
            Some("Peer-to-peer only")
        );
        assert!(f.slice(e.span).starts_with("<VULN>") && f.slice(e.span).ends_with("</VULN>"));
    }

    #[test]
    fn broken_ckl_is_a_positioned_error() {
        let cut = &CKL[..CKL.find("<STATUS>").unwrap()];
        let parsed = read_ckl(SourceId(0), &file("a.ckl", cut));
        assert!(parsed.checklist_entries.is_empty());
        let err = &parsed.errors[0];
        assert!(err.message.contains("is not closed"), "{}", err.message);
        assert_eq!((err.line, err.column), (Some(3), Some(1)));
        let bad = CKL.replace("<STATUS>Not_Applicable</STATUS>", "<STATUS>Waived</STATUS>");
        let f = file("a.ckl", &bad);
        let parsed = read_ckl(SourceId(0), &f);
        assert_eq!(
            parsed.checklist_entries[0].status,
            ChecklistStatus::NotReviewed
        );
        assert!(
            parsed.errors[0]
                .message
                .contains("unknown checklist status `Waived`")
        );
        assert_eq!(f.slice(parsed.errors[0].location.unwrap().span), "Waived");
        let wrong = read_ckl(SourceId(0), &file("a.ckl", "<CHECKLISTS/>"));
        assert!(
            wrong.errors[0]
                .message
                .contains("expected a <CHECKLIST> root")
        );
    }

    const CKLB: &str = r#"{"title": "x", "id": "1", "cklb_version": "1.0",
 "target_data": {"target_type": "Computing", "host_name": "", "fqdn": "ws02.contoso.com"},
 "stigs": [{"stig_name": "Windows 11", "stig_id": "Windows_11_STIG", "release_info": "Release: 7 Benchmark Date: 01 Apr 2026", "version": "2",
   "rules": [
     {"group_id": "V-253459", "rule_id": "SV-253459r991589", "rule_id_src": "SV-253459r991589_rule",
      "rule_version": "WN11-SO-000185", "severity": "medium", "status": "not_a_finding",
      "finding_details": "AllowOnlineID = 1", "comments": "Entra-joined",
      "overrides": {"severity": {"severity": "low", "reason": "compensating control"}}},
     {"group_id": "V-253460", "status": "open"}
   ]}]}"#;

    #[test]
    fn cklb_rules_become_entries() {
        let f = file("a.cklb", CKLB);
        let parsed = read_cklb(SourceId(0), &f);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let e = &parsed.checklist_entries[0];
        assert_eq!(e.asset, "ws02.contoso.com");
        assert_eq!(e.stig, "Windows_11_STIG V2R7");
        assert_eq!(e.rule_id.as_deref(), Some("SV-253459r991589_rule"));
        assert_eq!(e.status, ChecklistStatus::NotAFinding);
        assert_eq!(e.severity_override.as_deref(), Some("low"));
        assert_eq!(
            e.severity_justification.as_deref(),
            Some("compensating control")
        );
        assert!(f.slice(e.span).starts_with("{\"group_id\": \"V-253459\""));
        assert_eq!(parsed.checklist_entries[1].status, ChecklistStatus::Open);
    }

    #[test]
    fn cklb_shape_errors_are_positioned() {
        let parsed = read_cklb(
            SourceId(0),
            &file("a.cklb", "{\"target_data\": {}, \"stigs\": 3}"),
        );
        assert_eq!(
            parsed.errors[0].message,
            "`stigs` must be an array, found a number"
        );
        assert_eq!(parsed.errors[0].column, Some(30));
        let parsed = read_cklb(
            SourceId(0),
            &file(
                "a.cklb",
                "{\"stigs\": [{\"rules\": [{\"status\": \"open\"}]}",
            ),
        );
        assert!(
            parsed.errors[0].message.contains("invalid JSON"),
            "{:?}",
            parsed.errors
        );
        let bad = CKLB.replace("\"open\"", "\"waived\"");
        let parsed = read_cklb(SourceId(0), &file("a.cklb", &bad));
        assert!(
            parsed.errors[0]
                .message
                .contains("unknown checklist status `waived`")
        );
    }

    #[test]
    fn statuses_parse_in_both_spellings() {
        for (text, status) in [
            ("NotAFinding", ChecklistStatus::NotAFinding),
            ("not_a_finding", ChecklistStatus::NotAFinding),
            ("Not_Applicable", ChecklistStatus::NotApplicable),
            ("not_reviewed", ChecklistStatus::NotReviewed),
            ("Open", ChecklistStatus::Open),
        ] {
            assert_eq!(parse_status(text), Some(status));
        }
        assert_eq!(parse_status("Waived"), None);
    }
}
