//! The rule file format (phase one: serde with spans) and its validation (phase two).
//!
//! ```toml
//! id = "pku2u-disabled-on-entra-joined"
//! code = "BL001"
//! severity = "error"
//! summary = "PKU2U is disabled on Entra-joined devices"
//! rationale = "..."
//! fix = "..."
//! references = ["https://..."]
//!
//! [check.forbid]
//! setting = 'HKLM\SYSTEM\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID'
//! value = { eq = 0 }
//! join_types = ["entra"]
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::{Check, Predicate, Rule, Severity};
use crate::catalog::{Catalog, SettingDef};
use crate::model::Value;
use crate::source::Span;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    id: Spanned<String>,
    #[serde(default)]
    code: Option<Spanned<String>>,
    severity: Spanned<String>,
    summary: Spanned<String>,
    rationale: String,
    fix: String,
    #[serde(default)]
    references: Vec<String>,
    check: Spanned<RawCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawCheck {
    Forbid(RawForbid),
    Conflict(RawConflict),
    UnknownGroup(RawEmpty),
    ChannelConflict(RawChannelConflict),
    Overridden(RawEmpty),
    BaselineDeviation(RawEmpty),
    BaselineContradiction(RawEmpty),
    LocalGroupReplaced(RawEmpty),
    RestrictedGroupsBesideLocalGroups(RawEmpty),
    LocalGroupAcrossChannels(RawEmpty),
    LocalGroupWithinGroupPolicy(RawEmpty),
    StoredPassword(RawEmpty),
    AutologonPassword(RawEmpty),
    ExceptionStatus(RawExceptionStatus),
    IncompleteExport(RawEmpty),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExceptionStatus {
    status: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannelConflict {
    join_types: Spanned<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForbid {
    setting: Spanned<String>,
    #[serde(default)]
    value: Option<Spanned<RawPredicate>>,
    join_types: Spanned<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConflict {
    #[serde(default)]
    policy_kinds: Vec<String>,
    #[serde(default)]
    merged: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmpty {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawPredicate {
    Eq(toml::Value),
    Ne(toml::Value),
    In(Vec<toml::Value>),
    NotIn(Vec<toml::Value>),
    Lt(i64),
    Le(i64),
    Gt(i64),
    Ge(i64),
    Matches(String),
}

type Problem = (Option<Span>, String);

fn span_of<T>(value: &Spanned<T>) -> Option<Span> {
    let r = value.span();
    Some(Span::new(r.start, r.end))
}

/// Phase one: TOML to the raw structure, or one positioned error.
pub fn parse(text: &str) -> Result<RawRule, Problem> {
    toml::from_str(text).map_err(|e| {
        (
            e.span().map(|r| Span::new(r.start, r.end)),
            e.message().to_string(),
        )
    })
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`, without compiling a regular expression for every rule read.
fn is_kebab_case(id: &str) -> bool {
    id.split('-').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Phase two: check ids, severities, settings and predicates; collect every problem.
pub fn validate(raw: RawRule, catalog: &Catalog) -> Result<Rule, Vec<Problem>> {
    let mut problems = Vec::new();
    if !is_kebab_case(raw.id.get_ref()) {
        problems.push((
            span_of(&raw.id),
            format!(
                "rule id `{}` must be kebab-case (`a-z`, `0-9`, `-`)",
                raw.id.get_ref()
            ),
        ));
    }
    let severity = Severity::parse(raw.severity.get_ref()).unwrap_or_else(|| {
        problems.push((
            span_of(&raw.severity),
            format!(
                "unknown severity `{}`: expected error, warning or note",
                raw.severity.get_ref()
            ),
        ));
        Severity::Error
    });
    if raw.summary.get_ref().trim().is_empty() {
        problems.push((
            span_of(&raw.summary),
            "summary must not be empty".to_string(),
        ));
    }
    let check_span = span_of(&raw.check);
    let check = validate_check(raw.check.into_inner(), check_span, catalog, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rule {
        id: raw.id.into_inner().into(),
        code: raw.code.map(|code| code.into_inner().into()),
        severity,
        summary: raw.summary.into_inner().into(),
        rationale: reflow(&raw.rationale),
        fix: reflow(&raw.fix).into(),
        references: raw.references,
        check: check.unwrap_or(Check::UnknownGroup),
        origin: String::new(),
        builtin: false,
    })
}

/// Join the lines of each paragraph: rule files wrap their prose for reading, reports wrap it
/// for the width at hand. Blank lines separate paragraphs.
fn reflow(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn validate_check(
    check: RawCheck,
    span: Option<Span>,
    catalog: &Catalog,
    problems: &mut Vec<Problem>,
) -> Option<Check> {
    match check {
        RawCheck::Forbid(forbid) => validate_forbid(forbid, catalog, problems),
        RawCheck::Conflict(conflict) => {
            let known = [
                "intune-settings-catalog",
                "intune-device-configuration",
                "intune-custom-oma-uri",
                "intune-endpoint-security-intent",
                "intune-compliance",
                "intune-other",
                "gpo",
            ];
            for kind in &conflict.policy_kinds {
                if !known.contains(&kind.as_str()) {
                    problems.push((
                        span,
                        format!(
                            "unknown policy kind `{kind}`: expected one of {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
            let merged = conflict
                .merged
                .iter()
                .filter_map(|name| match catalog.resolve(name.get_ref()) {
                    Some(def) => Some(def.setting_key().clone()),
                    None => {
                        problems.push((span_of(name), unknown_setting(name.get_ref())));
                        None
                    }
                })
                .collect();
            Some(Check::Conflict {
                policy_kinds: conflict.policy_kinds,
                merged,
            })
        }
        RawCheck::UnknownGroup(RawEmpty {}) => Some(Check::UnknownGroup),
        RawCheck::Overridden(RawEmpty {}) => Some(Check::Overridden),
        RawCheck::BaselineDeviation(RawEmpty {}) => Some(Check::BaselineDeviation),
        RawCheck::BaselineContradiction(RawEmpty {}) => Some(Check::BaselineContradiction),
        RawCheck::LocalGroupReplaced(RawEmpty {}) => Some(Check::LocalGroupReplaced),
        RawCheck::RestrictedGroupsBesideLocalGroups(RawEmpty {}) => {
            Some(Check::RestrictedGroupsBesideLocalGroups)
        }
        RawCheck::LocalGroupAcrossChannels(RawEmpty {}) => Some(Check::LocalGroupAcrossChannels),
        RawCheck::LocalGroupWithinGroupPolicy(RawEmpty {}) => {
            Some(Check::LocalGroupWithinGroupPolicy)
        }
        RawCheck::StoredPassword(RawEmpty {}) => Some(Check::StoredPassword),
        RawCheck::AutologonPassword(RawEmpty {}) => Some(Check::AutologonPassword),
        RawCheck::IncompleteExport(RawEmpty {}) => Some(Check::IncompleteExport),
        RawCheck::ExceptionStatus(raw) => {
            match crate::exceptions::Status::parse(raw.status.get_ref()) {
                Some(status) => Some(Check::ExceptionStatus(status)),
                None => {
                    problems.push((
                    span_of(&raw.status),
                    format!(
                        "unknown exception status `{}`: expected valid, expiring, expired, unused or incomplete",
                        raw.status.get_ref()
                    ),
                ));
                    None
                }
            }
        }
        RawCheck::ChannelConflict(raw) => match super::join_type_set(raw.join_types.get_ref()) {
            Ok(join_types) if !join_types.is_empty() => Some(Check::ChannelConflict { join_types }),
            Ok(_) => {
                problems.push((
                    span_of(&raw.join_types),
                    "join_types must name at least one join type".to_string(),
                ));
                None
            }
            Err(message) => {
                problems.push((span_of(&raw.join_types), message));
                None
            }
        },
    }
}

fn unknown_setting(name: &str) -> String {
    format!(
        "unknown setting `{name}`: use a catalog key, registry path, OMA-URI or Settings Catalog id"
    )
}

fn validate_forbid(
    forbid: RawForbid,
    catalog: &Catalog,
    problems: &mut Vec<Problem>,
) -> Option<Check> {
    let Some(def) = catalog.resolve(forbid.setting.get_ref()) else {
        problems.push((
            span_of(&forbid.setting),
            unknown_setting(forbid.setting.get_ref()),
        ));
        return None;
    };
    let join_types = match super::join_type_set(forbid.join_types.get_ref()) {
        Ok(set) if !set.is_empty() => set,
        Ok(_) => {
            problems.push((
                span_of(&forbid.join_types),
                "join_types must name at least one join type".to_string(),
            ));
            return None;
        }
        Err(message) => {
            problems.push((span_of(&forbid.join_types), message));
            return None;
        }
    };
    let value = match forbid.value {
        None => Predicate::Any,
        Some(raw) => {
            let span = span_of(&raw);
            match predicate(raw.into_inner())
                .and_then(|p| in_setting_data(catalog, def, forbid.setting.get_ref(), p))
            {
                Ok(p) => p,
                Err(message) => {
                    problems.push((span, message));
                    return None;
                }
            }
        }
    };
    Some(Check::Forbid {
        setting: def.setting_key().to_string(),
        setting_title: def.title.to_string(),
        value,
        join_types,
    })
}

/// A predicate written for `name`, in the data the setting is kept in: where the name is a CSP
/// whose values stand for other data (`Defender/AllowBehaviorMonitoring`'s 1 for
/// `DisableBehaviorMonitoring` = 0), values are read as that data; bounds and patterns have no
/// such reading and are refused.
fn in_setting_data(
    catalog: &Catalog,
    def: &SettingDef,
    name: &str,
    predicate: Predicate,
) -> Result<Predicate, String> {
    if !catalog.names_translated_csp(def, name.trim()) {
        return Ok(predicate);
    }
    let data = |v: Value| catalog.csp_value(def, v);
    let all = |vs: Vec<Value>| vs.into_iter().map(data).collect();
    match predicate {
        Predicate::Any => Ok(Predicate::Any),
        Predicate::Eq(v) => Ok(Predicate::Eq(data(v))),
        Predicate::Ne(v) => Ok(Predicate::Ne(data(v))),
        Predicate::In(vs) => Ok(Predicate::In(all(vs))),
        Predicate::NotIn(vs) => Ok(Predicate::NotIn(all(vs))),
        _ => Err(format!(
            "`{}` takes CSP values that stand for other data in `{}`: compare with values \
             (eq, ne, in, not_in), or name `{}` and compare its data",
            name.trim(),
            def.setting_key(),
            def.setting_key()
        )),
    }
}

fn predicate(raw: RawPredicate) -> Result<Predicate, String> {
    Ok(match raw {
        RawPredicate::Eq(v) => Predicate::Eq(value(v)?),
        RawPredicate::Ne(v) => Predicate::Ne(value(v)?),
        RawPredicate::In(vs) => Predicate::In(vs.into_iter().map(value).collect::<Result<_, _>>()?),
        RawPredicate::NotIn(vs) => {
            Predicate::NotIn(vs.into_iter().map(value).collect::<Result<_, _>>()?)
        }
        RawPredicate::Lt(n) => Predicate::Lt(n),
        RawPredicate::Le(n) => Predicate::Le(n),
        RawPredicate::Gt(n) => Predicate::Gt(n),
        RawPredicate::Ge(n) => Predicate::Ge(n),
        RawPredicate::Matches(re) => Predicate::Matches(
            regex::Regex::new(&re).map_err(|e| format!("invalid regular expression: {e}"))?,
        ),
    })
}

fn value(v: toml::Value) -> Result<Value, String> {
    match v {
        toml::Value::Integer(i) => Ok(Value::Int(i)),
        toml::Value::String(s) => Ok(Value::Str(s)),
        toml::Value::Boolean(b) => Ok(Value::Bool(b)),
        other => Err(format!(
            "unsupported value `{other}`: use an integer, a string or a boolean"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_is_what_the_documented_pattern_matches() {
        let pattern = regex::Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
        for id in [
            "pku2u-disabled",
            "bl015",
            "a",
            "a-b-c",
            "",
            "-",
            "a-",
            "-a",
            "a--b",
            "A-b",
            "a_b",
            "a b",
            "é",
            "a-1-",
            "2026-12",
        ] {
            assert_eq!(is_kebab_case(id), pattern.is_match(id), "{id:?}");
        }
    }

    fn load(text: &str) -> Result<Rule, Vec<Problem>> {
        let raw = parse(text).map_err(|p| vec![p])?;
        validate(raw, Catalog::builtin())
    }

    const HEAD: &str =
        "id = \"x-y\"\nseverity = \"error\"\nsummary = \"s\"\nrationale = \"r\"\nfix = \"f\"\n";

    #[test]
    fn forbid_rule_resolves_setting_aliases() {
        let rule = load(&format!(
            "{HEAD}[check.forbid]\nsetting = \"./Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_AllowPKU2UAuthenticationRequests\"\nvalue = {{ eq = 0 }}\njoin_types = [\"entra\"]\n"
        ))
        .unwrap();
        let Check::Forbid { setting, value, .. } = rule.check else {
            panic!("expected forbid")
        };
        assert_eq!(
            setting,
            r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID"
        );
        assert!(value.matches(&Value::Int(0)));
        assert!(value.matches(&Value::Str("0".into())));
        assert!(!value.matches(&Value::Int(1)));
    }

    /// `Defender/AllowRealtimeMonitoring` is kept as `DisableRealtimeMonitoring`, inverted: a
    /// rule forbidding the CSP's 0 (not allowed) forbids the registry's 1.
    #[test]
    fn forbid_rule_reads_a_translated_csp_value_as_its_data() {
        let forbid = |value: &str| {
            load(&format!(
                "{HEAD}[check.forbid]\nsetting = \"./Device/Vendor/MSFT/Policy/Config/Defender/AllowRealtimeMonitoring\"\nvalue = {value}\njoin_types = [\"entra\"]\n"
            ))
        };
        let Check::Forbid { setting, value, .. } = forbid("{ eq = 0 }").unwrap().check else {
            panic!("expected forbid")
        };
        assert!(setting.ends_with(r"\Real-Time Protection\DisableRealtimeMonitoring"));
        assert!(value.matches(&Value::Int(1)));
        assert!(!value.matches(&Value::Int(0)));
        let problems = forbid("{ lt = 1 }").unwrap_err();
        assert!(
            problems[0].1.contains("stand for other data"),
            "{:?}",
            problems
        );
    }

    #[test]
    fn prose_is_reflowed_into_paragraphs() {
        assert_eq!(reflow("\n a b\nc\n\n d  e \n"), "a b c\n\nd e");
    }

    #[test]
    fn problems_point_at_the_offending_text() {
        let text = format!(
            "{HEAD}[check.forbid]\nsetting = \"no-such-setting\"\njoin_types = [\"cloud\"]\n"
        );
        let problems = load(&text).unwrap_err();
        let (span, message) = &problems[0];
        assert_eq!(&text[span.unwrap().range()], "\"no-such-setting\"");
        assert!(message.contains("unknown setting"));
    }

    /// A conflict check's merged settings are named by any alias and kept as catalog keys; an
    /// unknown one is a problem at its text.
    #[test]
    fn merged_settings_are_catalog_keys() {
        let text = |merged: &str| format!("{HEAD}[check.conflict]\nmerged = [\"{merged}\"]\n");
        let rule = load(&text(
            "device_vendor_msft_policy_config_defender_excludedpaths",
        ))
        .unwrap();
        let Check::Conflict { merged, .. } = rule.check else {
            panic!("expected conflict")
        };
        assert_eq!(
            merged.iter().map(|k| &**k).collect::<Vec<_>>(),
            ["./Device/Vendor/MSFT/Policy/Config/Defender/ExcludedPaths"]
        );
        let wrong = text("no-such-setting");
        let problems = load(&wrong).unwrap_err();
        let (span, message) = &problems[0];
        assert_eq!(&wrong[span.unwrap().range()], "\"no-such-setting\"");
        assert!(message.contains("unknown setting"), "{message}");
    }

    #[test]
    fn bad_id_severity_and_unknown_check_are_reported() {
        let problems = load(
            "id = \"Bad_Id\"\nseverity = \"fatal\"\nsummary = \"s\"\nrationale = \"r\"\nfix = \"f\"\n[check.unknown_group]\n",
        )
        .unwrap_err();
        assert_eq!(problems.len(), 2);
        let problems = load(&format!("{HEAD}[check.forbidd]\n")).unwrap_err();
        assert!(problems[0].1.contains("forbidd"), "{}", problems[0].1);
        assert!(problems[0].0.is_some());
    }
}
