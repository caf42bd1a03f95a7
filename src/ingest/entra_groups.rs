//! Entra groups and Intune assignment filters from JSON.
//!
//! Shapes (all recognised by content; [`super::intune::read_json`] dispatches here):
//! - Graph `groups` objects (`displayName` plus `groupTypes` / `membershipRule` /
//!   `securityEnabled`, or `@odata.type` `#microsoft.graph.group`), alone, in an array or in a
//!   `{"value": [...]}` list response;
//! - group templates `{"groups": [{displayName, description, membershipRule?}]}`: a template
//!   without `groupTypes` is dynamic exactly when it has a membership rule;
//! - IntuneCD's Assignment Report (`report.json`): `{groupName, groupType, membershipRule,
//!   assignedTo}` per group;
//! - assignment filters (`deviceManagement/assignmentFilters`: `displayName`, `platform`, `rule`),
//!   alone, listed, or in a `{"filters": [...]}` template.
//!
//! Rule spans exclude the quotes and come with the offset map of the literal (see
//! [`super::json`]), so a position inside a parsed rule maps back to the file exactly.

use jsonc_parser::ast::{Array, Object, Value};

use crate::ingest::json::{self, Doc, get_ignore_case, get_str, get_str_ignore_case};
use crate::model::{AssignmentFilter, Group, InputError, Membership};
use crate::source::{SourceId, Span};

/// Read the elements of a `{"groups": [...]}` template or a list of groups.
pub fn read_groups(
    doc: &Doc<'_>,
    list: &Array<'_>,
    groups: &mut Vec<Group>,
    errors: &mut Vec<InputError>,
) {
    for element in &list.elements {
        match element.as_object() {
            Some(obj) => push_result(read_group(doc, obj), groups, errors),
            None => errors.push(expected_object(doc, element, "a group")),
        }
    }
}

/// Read the elements of a `{"filters": [...]}` template or a list of filters.
pub fn read_filters(
    doc: &Doc<'_>,
    list: &Array<'_>,
    filters: &mut Vec<AssignmentFilter>,
    errors: &mut Vec<InputError>,
) {
    for element in &list.elements {
        match element.as_object() {
            Some(obj) => push_result(read_filter(doc, obj), filters, errors),
            None => errors.push(expected_object(doc, element, "an assignment filter")),
        }
    }
}

fn push_result<T>(result: Result<T, InputError>, items: &mut Vec<T>, errors: &mut Vec<InputError>) {
    match result {
        Ok(item) => items.push(item),
        Err(e) => errors.push(e),
    }
}

fn expected_object(doc: &Doc<'_>, node: &Value<'_>, what: &str) -> InputError {
    doc.error_at(
        node,
        format!("expected {what} object, found {}", json::found(node)),
    )
}

/// One Graph group object or group template entry.
pub fn read_group(doc: &Doc<'_>, obj: &Object<'_>) -> Result<Group, InputError> {
    let name = required_str(doc, obj, "displayName", "a group")?;
    let dynamic =
        match get_ignore_case(obj, "groupTypes") {
            None | Some(Value::NullKeyword(_)) => None,
            Some(Value::Array(types)) => Some(types.elements.iter().any(|t| {
                json::as_str(t).is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })),
            Some(other) => return Err(wrong_type(doc, other, "groupTypes", "an array of strings")),
        };
    let paused = get_str_ignore_case(obj, "membershipRuleProcessingState")
        .is_some_and(|s| s.eq_ignore_ascii_case("Paused"));
    group_from(doc, obj, name, dynamic, paused)
}

/// One entry of IntuneCD's Assignment Report (`groupName`, `groupType`, `membershipRule`).
pub fn read_report_group(doc: &Doc<'_>, obj: &Object<'_>) -> Result<Group, InputError> {
    let name = required_str(doc, obj, "groupName", "an assignment report entry")?;
    let dynamic = get_str(obj, "groupType").map(|t| t.eq_ignore_ascii_case("DynamicMembership"));
    group_from(doc, obj, name, dynamic, false)
}

/// Build a group; `dynamic` is what the group types say (None: decide by the rule's presence).
fn group_from(
    doc: &Doc<'_>,
    obj: &Object<'_>,
    name: &str,
    dynamic: Option<bool>,
    paused: bool,
) -> Result<Group, InputError> {
    let rule = optional_rule(doc, obj, "membershipRule")?;
    let fields = GroupFields {
        id: get_str_ignore_case(obj, "id"),
        name,
        dynamic,
        paused,
        rule,
        source: doc.id,
        span: doc.span(obj),
    };
    build_group(fields).map_err(|message| doc.error_at(obj, message))
}

/// What a group object says, as a reader takes it from the file: this module's from the AST,
/// the typed fast path's from its cursor. Both build their groups with [`build_group`].
pub(crate) struct GroupFields<'v> {
    pub id: Option<&'v str>,
    pub name: &'v str,
    /// What `groupTypes` says (None: absent or null; the rule's presence then decides).
    pub dynamic: Option<bool>,
    /// `membershipRuleProcessingState` is `Paused`.
    pub paused: bool,
    pub rule: Option<json::StrContent<'v>>,
    pub source: SourceId,
    /// The group's object.
    pub span: Span,
}

/// The group, or why it is none: a dynamic group without a membership rule.
pub(crate) fn build_group(fields: GroupFields<'_>) -> Result<Group, String> {
    let GroupFields {
        id,
        name,
        dynamic,
        paused,
        rule,
        source,
        span,
    } = fields;
    let is_dynamic =
        dynamic.unwrap_or_else(|| rule.as_ref().is_some_and(|r| !r.value.trim().is_empty()));
    let mut group = Group {
        id: id.filter(|id| !id.is_empty()).map(str::to_string),
        name: name.to_string(),
        membership: Membership::Static,
        source,
        span,
        rule_span: None,
        rule_offsets: Vec::new(),
    };
    if !is_dynamic {
        return Ok(group);
    }
    let Some(rule) = rule else {
        return Err(format!("dynamic group `{name}` has no `membershipRule`"));
    };
    group.membership = Membership::Dynamic {
        rule: rule.value.to_string(),
        paused,
    };
    group.rule_span = Some(rule.span);
    group.rule_offsets = rule.offsets;
    Ok(group)
}

/// One assignment filter.
pub fn read_filter(doc: &Doc<'_>, obj: &Object<'_>) -> Result<AssignmentFilter, InputError> {
    let name = required_str(doc, obj, "displayName", "an assignment filter")?;
    let Some(rule) = optional_rule(doc, obj, "rule")? else {
        return Err(doc.error_at(
            obj,
            format!("assignment filter `{name}` has no `rule` string"),
        ));
    };
    Ok(AssignmentFilter {
        id: (get_str_ignore_case(obj, "id"))
            .filter(|id| !id.is_empty())
            .map(str::to_string),
        name: name.to_string(),
        platform: get_str_ignore_case(obj, "platform").map(str::to_string),
        rule: rule.value.to_string(),
        source: doc.id,
        span: doc.span(obj),
        rule_span: rule.span,
        rule_offsets: rule.offsets,
    })
}

/// A required string property, its name in any case (the Graph PowerShell SDK's objects
/// write `DisplayName`); an error at the object (absent) or at the value (wrong type).
fn required_str<'b>(
    doc: &Doc<'_>,
    obj: &'b Object<'_>,
    key: &str,
    what: &str,
) -> Result<&'b str, InputError> {
    match get_ignore_case(obj, key) {
        Some(Value::StringLit(s)) => Ok(&s.value),
        Some(other) => Err(wrong_type(doc, other, key, "a string")),
        None => Err(doc.error_at(obj, format!("{what} needs a `{key}` string"))),
    }
}

/// A rule string that may be absent or null, its name in any case.
fn optional_rule<'b>(
    doc: &Doc<'_>,
    obj: &'b Object<'_>,
    key: &str,
) -> Result<Option<json::StrContent<'b>>, InputError> {
    match get_ignore_case(obj, key) {
        None | Some(Value::NullKeyword(_)) => Ok(None),
        Some(Value::StringLit(s)) => Ok(Some(doc.str_content(s))),
        Some(other) => Err(wrong_type(doc, other, key, "a string")),
    }
}

fn wrong_type(doc: &Doc<'_>, node: &Value<'_>, key: &str, expected: &str) -> InputError {
    doc.error_at(
        node,
        format!(
            "expected `{key}` to be {expected}, found {}",
            json::found(node)
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::map_inner_offset;
    use crate::source::{Encoding, SourceFile, SourceId};

    fn with_root<R>(text: &str, f: impl FnOnce(&Doc<'_>, &Value<'_>) -> R) -> R {
        let file = SourceFile::from_text(Path::new("g.json"), text.to_string(), Encoding::Utf8);
        let doc = Doc::file(SourceId(3), &file);
        let root = json::parse(file.text()).unwrap().unwrap();
        f(&doc, &root)
    }

    #[test]
    fn graph_dynamic_group_keeps_rule_span_and_offsets() {
        let text = r#"{"id": "g1", "displayName": "Entra \u0027joined\u0027",
 "groupTypes": ["DynamicMembership"], "membershipRuleProcessingState": "Paused",
 "membershipRule": "(device.deviceTrustType -eq \"AzureAD\")"}"#;
        with_root(text, |doc, root| {
            let obj = root.as_object().unwrap();
            let group = read_group(doc, obj).unwrap();
            assert_eq!(group.name, "Entra 'joined'");
            assert_eq!(group.id.as_deref(), Some("g1"));
            let Membership::Dynamic { rule, paused } = &group.membership else {
                panic!("expected dynamic")
            };
            assert!(*paused);
            assert_eq!(rule, "(device.deviceTrustType -eq \"AzureAD\")");
            let span = group.rule_span.unwrap();
            assert_eq!(
                doc.file.slice(span),
                r#"(device.deviceTrustType -eq \"AzureAD\")"#
            );
            let at = map_inner_offset(span, &group.rule_offsets, rule.find("AzureAD").unwrap());
            assert!(doc.file.text()[at..].starts_with("AzureAD"));
            assert_eq!(group.source, SourceId(3));
        });
    }

    #[test]
    fn static_groups_and_templates() {
        let text = r#"[{"displayName": "Static", "groupTypes": [], "securityEnabled": true, "membershipRule": null},
  {"displayName": "Template dyn", "membershipRule": "(device.deviceOSType -eq \"Windows\")"},
  {"displayName": "Template static", "description": "x"}]"#;
        with_root(text, |doc, root| {
            let mut groups = Vec::new();
            let mut errors = Vec::new();
            read_groups(doc, root.as_array().unwrap(), &mut groups, &mut errors);
            assert!(errors.is_empty(), "{errors:?}");
            let dynamic: Vec<bool> = groups
                .iter()
                .map(|g| matches!(g.membership, Membership::Dynamic { .. }))
                .collect();
            assert_eq!(dynamic, [false, true, false]);
            assert!(groups[0].rule_span.is_none());
        });
    }

    #[test]
    fn report_group_and_filter() {
        let text = r#"[{"groupName": "Devs", "groupType": "DynamicMembership", "membershipRule": "(user.department -eq \"Dev\")", "assignedTo": {}},
  {"displayName": "Dell", "platform": "windows10AndLater", "rule": "(device.manufacturer -eq \"Dell Inc.\")"}]"#;
        with_root(text, |doc, root| {
            let items = &root.as_array().unwrap().elements;
            let report = items[0].as_object().unwrap();
            let group = read_report_group(doc, report).unwrap();
            assert_eq!(group.name, "Devs");
            assert!(matches!(
                group.membership,
                Membership::Dynamic { paused: false, .. }
            ));
            let filter_obj = items[1].as_object().unwrap();
            let filter = read_filter(doc, filter_obj).unwrap();
            assert_eq!(filter.platform.as_deref(), Some("windows10AndLater"));
            assert_eq!(
                doc.file.slice(filter.rule_span),
                r#"(device.manufacturer -eq \"Dell Inc.\")"#
            );
            let at = map_inner_offset(
                filter.rule_span,
                &filter.rule_offsets,
                filter.rule.find("Dell").unwrap(),
            );
            assert!(doc.file.text()[at..].starts_with("Dell Inc."));
        });
    }

    #[test]
    fn wrong_types_are_errors_at_the_value() {
        let text = r#"[{"displayName": "A", "groupTypes": "DynamicMembership"},
  {"displayName": 5, "membershipRule": "x"},
  {"displayName": "B", "groupTypes": ["DynamicMembership"]},
  {"displayName": "C", "groupTypes": "System.Object[]"}]"#;
        with_root(text, |doc, root| {
            let mut groups = Vec::new();
            let mut errors = Vec::new();
            read_groups(doc, root.as_array().unwrap(), &mut groups, &mut errors);
            assert!(groups.is_empty());
            let messages: Vec<_> = errors
                .iter()
                .map(|e| (e.line, e.column, e.message.as_str()))
                .collect();
            assert_eq!(
                messages,
                [
                    (
                        Some(1),
                        Some(37),
                        "expected `groupTypes` to be an array of strings, found a string"
                    ),
                    (
                        Some(2),
                        Some(19),
                        "expected `displayName` to be a string, found a number"
                    ),
                    (
                        Some(3),
                        Some(3),
                        "dynamic group `B` has no `membershipRule`"
                    ),
                    (
                        Some(4),
                        Some(38),
                        "expected `groupTypes` to be an array of strings, found a string that \
                         PowerShell's ConvertTo-Json writes for a value nested deeper than its \
                         -Depth (2 unless given): the export is cut short here; export it again \
                         with `ConvertTo-Json -Depth 100`"
                    ),
                ]
            );
        });
    }
}
