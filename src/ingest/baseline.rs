//! baselint's own baseline TOML (`baselines/*.toml`; the format is documented in
//! `baselines/README.md` and `docs/baselines.md`).
//!
//! ```toml
//! [baseline]
//! name = "entra-joined-adjustments"
//! version = "1.0.0"
//!
//! [[control]]
//! id = "entra-pku2u-online-id"
//! title = "PKU2U online identities allowed on Entra- and hybrid-joined devices"
//! stig = ["WN11-SO-000185"]
//! cis = ["2.3.11.3"]
//! severity = "medium"
//! setting = "pku2u_allow_online_id"
//! expected = 0                       # or { in = [1, 2] }, { at_most = 5 }, { absent = true } ...
//! [control.join_types]               # optional, overrides `expected` per join type
//! domain = 0
//! hybrid = 1
//! entra = 1
//! ```
//!
//! Two phases like `config.rs`: serde with `toml::Spanned` and `deny_unknown_fields` (a typo or
//! a wrong type is an error at the offending key or value), then validation of what serde
//! cannot check (settings the catalog does not know, predicates, join types, duplicate ids),
//! each problem a positioned error. A control with a problem is dropped; the others load.

// `src/import.rs` (the `baselint import stig` writer) is wired into the library by `lib.rs`
// (`pub mod import;`); until then its tests run from here. Remove these two lines once lib.rs
// declares the module.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::Parsed;
use super::json::input_error;
use crate::catalog::Catalog;
use crate::model::{
    ALL_JOIN_TYPES, Control, ControlKind, Expectation, Framework, InputError, JoinType,
    JoinTypeSet, Pattern, Requirement, Value, flag_list,
};
use crate::source::{SourceFile, SourceId, Span};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    baseline: Spanned<RawHeader>,
    #[serde(default)]
    control: Vec<Spanned<RawControl>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Spanned<String>,
    #[serde(default)]
    version: Option<Spanned<String>>,
    /// For people; type-checked, not part of the model.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

/// One `[[control]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    stig: Vec<Spanned<String>>,
    #[serde(default)]
    cis: Vec<Spanned<String>>,
    /// Other ids (CIS Intune numbers, Microsoft baseline names...).
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    severity: Option<Spanned<String>>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    setting: Option<Spanned<String>>,
    #[serde(default)]
    expected: Option<Spanned<toml::Value>>,
    #[serde(default)]
    applies_to: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    join_types: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
    /// `[[control.also]]`: further settings the control requires, every one.
    #[serde(default)]
    also: Vec<Spanned<RawAlso>>,
    /// Why, with the source of the claim; for people, type-checked, not part of the model.
    #[serde(default)]
    #[allow(dead_code)]
    rationale: Option<String>,
    /// Documents the control rests on (URLs, `repo:path`); for people, type-checked only.
    #[serde(default)]
    #[allow(dead_code)]
    references: Vec<String>,
}

/// One `[[control.also]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlso {
    setting: Spanned<String>,
    expected: Spanned<toml::Value>,
}

/// Read a baseline file into controls (framework [`Framework::Baselint`]).
pub fn read(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    let mut parsed = Parsed::default();
    let raw: RawBaseline = match toml::from_str(file.text()) {
        Ok(raw) => raw,
        Err(e) => {
            parsed.errors.push(toml_error(id, file, &e, "baseline"));
            return parsed;
        }
    };
    let header = raw.baseline.get_ref();
    if header.name.get_ref().trim().is_empty() {
        parsed.errors.push(error_at(
            id,
            file,
            header.name.span(),
            "the baseline needs a name",
        ));
    }
    let baseline = match &header.version {
        Some(v) => format!("{} {}", header.name.get_ref().trim(), v.get_ref().trim()),
        None => header.name.get_ref().trim().to_string(),
    };
    let headers: Vec<usize> = raw.control.iter().map(|c| c.span().start).collect();
    let spans = table_spans(file.text(), &headers, raw.baseline.span().start);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (control, span) in raw.control.iter().zip(spans) {
        let control = control.get_ref();
        if let Some(error) = duplicate_id(&mut seen, &control.id, span, "control", id, file) {
            parsed.errors.push(error);
            continue;
        }
        let mut v = Validator {
            id,
            file,
            catalog,
            errors: Vec::new(),
        };
        let result = v.control(control, &baseline, span);
        parsed.errors.extend(v.errors);
        parsed.controls.extend(result);
    }
    parsed
}

/// The span of each `[[…]]` table whose header starts at `starts[i]`: up to the next table
/// header among `starts` and `other` (or the end), without trailing blank and comment lines.
pub(crate) fn table_spans(text: &str, starts: &[usize], other: usize) -> Vec<Span> {
    starts
        .iter()
        .map(|&start| {
            let next = starts
                .iter()
                .copied()
                .chain(std::iter::once(other))
                .filter(|&s| s > start)
                .min()
                .unwrap_or(text.len());
            Span::new(start, start + trimmed_len(&text[start..next]))
        })
        .collect()
}

/// Length of `body` without trailing blank lines and comment lines.
fn trimmed_len(body: &str) -> usize {
    let mut end = body.trim_end().len();
    loop {
        let line_start = body[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = body[line_start..end].trim();
        if line_start == 0 || !(line.is_empty() || line.starts_with('#')) {
            return end;
        }
        end = body[..line_start].trim_end().len();
    }
}

/// The error for a table whose id (case-insensitive) an earlier table of the file already used;
/// otherwise the id is remembered with the table's position.
pub(crate) fn duplicate_id(
    seen: &mut BTreeMap<String, usize>,
    table_id: &Spanned<String>,
    table: Span,
    what: &str,
    id: SourceId,
    file: &SourceFile,
) -> Option<InputError> {
    let key = table_id.get_ref().trim().to_lowercase();
    if let Some(&first) = seen.get(&key) {
        let (line, _) = file.line_col(first);
        return Some(error_at(
            id,
            file,
            table_id.span(),
            format!(
                "duplicate {what} id `{}` (first defined at line {line})",
                table_id.get_ref().trim()
            ),
        ));
    }
    seen.insert(key, table.start as usize);
    None
}

/// A TOML syntax or shape error at its position.
pub(crate) fn toml_error(
    id: SourceId,
    file: &SourceFile,
    e: &toml::de::Error,
    what: &str,
) -> InputError {
    let span = e.span().unwrap_or(0..0);
    error_at(
        id,
        file,
        span,
        format!("invalid {what} file: {}", e.message().trim()),
    )
}

pub(crate) fn error_at(
    id: SourceId,
    file: &SourceFile,
    span: Range<usize>,
    message: impl Into<String>,
) -> InputError {
    input_error(
        id,
        file,
        Span::new(span.start, span.end.max(span.start)),
        message,
    )
}

/// Parse a join-type name (`entra`, `hybrid`, `domain`, `registered`).
pub(crate) fn join_type(
    id: SourceId,
    file: &SourceFile,
    name: &Spanned<String>,
) -> Result<JoinType, InputError> {
    JoinType::parse(name.get_ref()).ok_or_else(|| {
        error_at(
            id,
            file,
            name.span(),
            format!(
                "unknown join type `{}`: expected one of entra, hybrid, domain, registered",
                name.get_ref()
            ),
        )
    })
}

/// Phase two: everything serde cannot check, for one control.
struct Validator<'a> {
    id: SourceId,
    file: &'a SourceFile,
    catalog: &'a Catalog,
    errors: Vec<InputError>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors
            .push(error_at(self.id, self.file, span, message));
    }

    /// The control, or None when anything about it is wrong (the errors say what).
    fn control(&mut self, raw: &RawControl, baseline: &str, span: Span) -> Option<Control> {
        let id = raw.id.get_ref().trim().to_string();
        if id.is_empty() {
            self.error(raw.id.span(), "a control needs a non-empty `id`");
        }
        let kind = self.kind(raw);
        let key = self.setting(raw, kind);
        let expected = raw
            .expected
            .as_ref()
            .and_then(|e| self.expectation_for(raw.setting.as_ref(), e));
        let per_join_type = self.join_types(raw);
        let applies_to = self.applies_to(raw);
        let also = self.also(raw, key.as_deref());
        if raw.setting.is_some() && raw.expected.is_none() && raw.join_types.is_none() {
            self.error(
                raw.id.span(),
                format!("control `{id}` has a `setting` but no `expected` value or `[control.join_types]`"),
            );
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(Control {
            framework: Framework::Baselint,
            baseline: baseline.to_string(),
            aliases: aliases(raw),
            title: raw.title.get_ref().trim().to_string(),
            severity: raw
                .severity
                .as_ref()
                .map(|s| s.get_ref().trim().to_lowercase()),
            kind,
            key: key.map(crate::model::Name::from),
            expected,
            applies_to,
            per_join_type,
            source: self.id,
            span,
            expected_span: expected_span(raw),
            also,
            id,
        })
    }

    fn kind(&mut self, raw: &RawControl) -> ControlKind {
        let Some(kind) = &raw.kind else {
            return match &raw.setting {
                Some(_) => ControlKind::RegistryValue,
                None => ControlKind::Manual,
            };
        };
        match parse_kind(kind.get_ref()) {
            Some(k) => k,
            None => {
                self.error(kind.span(), format!(
                    "unknown kind `{}`: expected registry, user_right, audit, account_policy, service or manual",
                    kind.get_ref()
                ));
                ControlKind::Manual
            }
        }
    }

    /// The canonical key of `setting`: any catalog alias, a registry path
    /// (`HKLM\…\Value`), or a raw key with a known prefix (`privilege:`, `audit:`,
    /// `system_access:`, `user_right:`).
    fn setting(&mut self, raw: &RawControl, kind: ControlKind) -> Option<String> {
        let Some(setting) = &raw.setting else {
            if kind != ControlKind::Manual {
                self.error(
                    raw.id.span(),
                    format!(
                        "control `{}` needs a `setting` (or `kind = \"manual\"`)",
                        raw.id.get_ref()
                    ),
                );
            }
            return None;
        };
        self.resolve(setting)
    }

    /// The canonical key of a setting name, or an error at it.
    fn resolve(&mut self, setting: &Spanned<String>) -> Option<String> {
        let key = resolve_setting(self.catalog, setting.get_ref());
        if key.is_none() {
            self.error(
                setting.span(),
                format!(
                    "unknown setting `{}`: use a catalog alias (short id, registry path, OMA-URI, \
                 Settings Catalog id, security policy name) or a registry path `HKLM\\…\\Value`",
                    setting.get_ref()
                ),
            );
        }
        key
    }

    /// The `[[control.also]]` entries: each names a setting of its own (not the control's, not
    /// another entry's) and its expected value.
    fn also(&mut self, raw: &RawControl, own: Option<&str>) -> Vec<Requirement> {
        if let (Some(first), None) = (raw.also.first(), &raw.setting) {
            self.error(
                first.span(),
                "`[[control.also]]` adds settings to the control's own `setting`, which is missing",
            );
        }
        let mut keys: Vec<String> = own.map(str::to_string).into_iter().collect();
        let mut out = Vec::new();
        for entry in &raw.also {
            let entry = entry.get_ref();
            let key = self.resolve(&entry.setting);
            let expected = self.expectation_for(Some(&entry.setting), &entry.expected);
            let Some(key) = key else { continue };
            if keys.contains(&key) {
                self.error(
                    entry.setting.span(),
                    format!(
                        "`{}` is already a setting of this control",
                        entry.setting.get_ref()
                    ),
                );
                continue;
            }
            keys.push(key.clone());
            let span = entry.expected.span();
            out.push(Requirement {
                key: key.into(),
                expected,
                expected_span: Some(Span::new(span.start, span.end)),
            });
        }
        out
    }

    /// The expectation `value` states for `setting`, in the data the setting is kept in: where
    /// the name is a CSP whose values stand for other data (SmartScreen's 1 for `Block`,
    /// `Defender/AllowBehaviorMonitoring`'s 1 for `DisableBehaviorMonitoring` = 0), values are
    /// read as that data, and bounds or patterns, which have no such reading, are an error.
    fn expectation_for(
        &mut self,
        setting: Option<&Spanned<String>>,
        value: &Spanned<toml::Value>,
    ) -> Option<Expectation> {
        let expected = self.expectation(value)?;
        let Some(setting) = setting else {
            return Some(expected);
        };
        let name = setting.get_ref().trim();
        let catalog = self.catalog;
        let Some(def) = catalog
            .resolve(name)
            .filter(|def| catalog.names_translated_csp(def, name))
        else {
            return Some(expected);
        };
        match expected {
            Expectation::OneOf(values) => Some(Expectation::OneOf(
                values
                    .into_iter()
                    .map(|v| catalog.csp_value(def, v))
                    .collect(),
            )),
            Expectation::Absent => Some(Expectation::Absent),
            _ => {
                self.error(
                    value.span(),
                    format!(
                        "`{name}` takes CSP values that stand for other data in `{}`: write the \
                         expected CSP value (or a list of them), or name `{}` and write its data",
                        def.setting_key(),
                        def.setting_key()
                    ),
                );
                None
            }
        }
    }

    fn expectation(&mut self, value: &Spanned<toml::Value>) -> Option<Expectation> {
        match expectation_of(value.get_ref()) {
            Ok(e) => Some(e),
            Err(message) => {
                self.error(value.span(), message);
                None
            }
        }
    }

    fn join_types(&mut self, raw: &RawControl) -> Vec<(JoinType, Expectation)> {
        let Some(table) = &raw.join_types else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, value) in table.get_ref() {
            match join_type(self.id, self.file, name) {
                Ok(j) => {
                    if let Some(e) = self.expectation_for(raw.setting.as_ref(), value) {
                        out.push((j, e));
                    }
                }
                Err(e) => self.errors.push(e),
            }
        }
        out.sort_by_key(|(j, _)| *j);
        out
    }

    fn applies_to(&mut self, raw: &RawControl) -> JoinTypeSet {
        let Some(list) = &raw.applies_to else {
            return ALL_JOIN_TYPES;
        };
        let mut set = JoinTypeSet::EMPTY;
        for name in list.get_ref() {
            match join_type(self.id, self.file, name) {
                Ok(j) => set = set.with(j),
                Err(e) => self.errors.push(e),
            }
        }
        if list.get_ref().is_empty() {
            self.error(
                list.span(),
                "`applies_to` is empty: the control would apply to no device",
            );
        }
        set
    }
}

fn aliases(raw: &RawControl) -> Vec<String> {
    raw.stig
        .iter()
        .chain(&raw.cis)
        .chain(&raw.aliases)
        .map(|s| s.get_ref().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The `expected` value, else the `[control.join_types]` table.
fn expected_span(raw: &RawControl) -> Option<Span> {
    raw.expected
        .as_ref()
        .map(|e| e.span())
        .or_else(|| raw.join_types.as_ref().map(|j| j.span()))
        .map(|r| Span::new(r.start, r.end))
}

/// `registry`, `user_right`, `audit`, `account_policy`, `service`, `manual`.
pub fn parse_kind(text: &str) -> Option<ControlKind> {
    match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "registry" | "registry_value" => Some(ControlKind::RegistryValue),
        "user_right" => Some(ControlKind::UserRight),
        "audit" | "audit_policy" => Some(ControlKind::AuditPolicy),
        "account_policy" => Some(ControlKind::AccountPolicy),
        "service" => Some(ControlKind::Service),
        "manual" => Some(ControlKind::Manual),
        _ => None,
    }
}

/// The name [`parse_kind`] reads for a kind.
pub fn kind_name(kind: ControlKind) -> &'static str {
    match kind {
        ControlKind::RegistryValue => "registry",
        ControlKind::UserRight => "user_right",
        ControlKind::AuditPolicy => "audit",
        ControlKind::AccountPolicy => "account_policy",
        ControlKind::Service => "service",
        ControlKind::Manual => "manual",
    }
}

/// Raw keys other readers produce for settings the catalog does not know.
const RAW_KEY_PREFIXES: [&str; 4] = ["privilege:", "audit:", "system_access:", "user_right:"];

/// The canonical key of a setting named in a baseline, or None when it names nothing known.
pub fn resolve_setting(catalog: &Catalog, setting: &str) -> Option<String> {
    let setting = setting.trim();
    if setting.is_empty() {
        return None;
    }
    if let Some(def) = catalog.resolve(setting) {
        return Some(def.setting_key().to_string());
    }
    let normal = crate::catalog::normalise_alias(setting);
    let registry = ["hklm\\", "hkcu\\"].iter().any(|h| {
        normal.starts_with(h) && normal.len() > h.len() + 2 && normal[h.len()..].contains('\\')
    });
    let raw = RAW_KEY_PREFIXES
        .iter()
        .any(|p| normal.starts_with(p) && normal.len() > p.len());
    (registry || raw).then_some(normal)
}

/// An expectation from a TOML value: a scalar (or array) is the one expected value; a table is a
/// predicate with exactly one of `in`, `at_most`, `at_least`, `between`, `absent`, `matches`,
/// `principals` (only these), `includes` (at least these), `not_configured_or` (`{ not_configured_or = 0 }`: 0 or not configured).
pub fn expectation_of(value: &toml::Value) -> Result<Expectation, String> {
    let toml::Value::Table(table) = value else {
        return Ok(Expectation::OneOf(vec![value_of(value)?]));
    };
    let mut entries = table.iter();
    let (Some((key, arg)), None) = (entries.next(), entries.next()) else {
        return Err(format!(
            "a predicate table has exactly one key, found {}: use one of {PREDICATES}",
            table.len()
        ));
    };
    predicate(key, arg)
}

const PREDICATES: &str = "`in`, `at_most`, `at_least`, `between`, `absent`, `matches`, `principals`, `includes`, `flags`, `contains`, `not_configured_or`";

fn predicate(key: &str, arg: &toml::Value) -> Result<Expectation, String> {
    let int = |v: &toml::Value| {
        v.as_integer()
            .ok_or_else(|| format!("`{key}` needs an integer, found {}", v.type_str()))
    };
    let list = |v: &toml::Value| match v {
        toml::Value::Array(items) => Ok(items.clone()),
        other => Err(format!(
            "`{key}` needs an array, found {}",
            other.type_str()
        )),
    };
    match key {
        "in" => {
            let items = list(arg)?;
            if items.is_empty() {
                return Err("`in` needs at least one value".to_string());
            }
            let values = items.iter().map(value_of).collect::<Result<Vec<_>, _>>()?;
            Ok(Expectation::OneOf(values))
        }
        "not_configured_or" => {
            let mut values = match arg {
                toml::Value::Array(items) => {
                    items.iter().map(value_of).collect::<Result<Vec<_>, _>>()?
                }
                other => vec![value_of(other)?],
            };
            values.push(Value::NotConfigured);
            Ok(Expectation::OneOf(values))
        }
        "at_most" => Ok(Expectation::AtMost(int(arg)?)),
        "at_least" => Ok(Expectation::AtLeast(int(arg)?)),
        "between" => match list(arg)?.as_slice() {
            [lo, hi] if int(lo)? <= int(hi)? => Ok(Expectation::Between(int(lo)?, int(hi)?)),
            [_, _] => Err("`between` needs [low, high] with low <= high".to_string()),
            _ => Err("`between` needs two integers: [low, high]".to_string()),
        },
        "absent" => match arg.as_bool() {
            Some(true) => Ok(Expectation::Absent),
            _ => Err("`absent` takes `true` (the setting must not be configured)".to_string()),
        },
        "matches" => {
            let re = arg
                .as_str()
                .ok_or_else(|| format!("`matches` needs a string, found {}", arg.type_str()))?;
            let pattern =
                Pattern::new(re).map_err(|e| format!("invalid regular expression: {e}"))?;
            Ok(Expectation::Matches(pattern))
        }
        "principals" | "includes" => {
            let names = list(arg)?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("`{key}` needs strings"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "principals" {
                Expectation::Principals(names)
            } else {
                Expectation::Includes(names)
            })
        }
        "flags" => {
            let flags = list(arg)?
                .iter()
                .map(|v| match v.as_str() {
                    Some(flag) if flag_list(flag).is_some_and(|f| f.len() == 1) => {
                        Ok(flag.trim().to_string())
                    }
                    _ => Err(format!("`flags` needs `Name=Value` strings, found {v}")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if flags.is_empty() {
                return Err("`flags` needs at least one `Name=Value` string".to_string());
            }
            Ok(Expectation::Flags(flags))
        }
        "contains" => {
            let texts = match arg {
                toml::Value::String(text) => vec![text.clone()],
                _ => list(arg)?
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| "`contains` needs strings".to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            if texts.iter().all(|t| t.trim().is_empty()) {
                return Err("`contains` needs at least one non-empty string".to_string());
            }
            Ok(Expectation::Contains(texts))
        }
        other => Err(format!(
            "unknown predicate `{other}`: use one of {PREDICATES}"
        )),
    }
}

/// A TOML scalar or array as a model value.
fn value_of(value: &toml::Value) -> Result<Value, String> {
    match value {
        toml::Value::Integer(i) => Ok(Value::Int(*i)),
        toml::Value::String(s) => Ok(Value::Str(s.clone())),
        toml::Value::Boolean(b) => Ok(Value::Bool(*b)),
        toml::Value::Array(items) => Ok(Value::List(
            items.iter().map(value_of).collect::<Result<_, _>>()?,
        )),
        other => Err(format!(
            "expected an integer, string, boolean or array, found {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::Encoding;

    fn read_text(text: &str) -> (SourceFile, Parsed) {
        let file = SourceFile::from_text(Path::new("b.toml"), text.to_string(), Encoding::Utf8);
        let parsed = read(SourceId(0), &file, Catalog::builtin());
        (file, parsed)
    }

    const PKU2U: &str = r#"[baseline]
name = "entra-joined-adjustments"
version = "1.0.0"

[[control]]
id = "entra-pku2u-online-id"
title = "PKU2U"
stig = ["WN11-SO-000185"]
cis = ["2.3.11.3"]
severity = "Medium"
setting = "pku2u_allow_online_id"
expected = { in = [0, 1] }

[control.join_types]
domain = 0
hybrid = 1
entra = 1

# next
[[control]]
id = "token-filter"
title = "LocalAccountTokenFilterPolicy"
setting = 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy'
expected = 0
applies_to = ["domain", "hybrid"]
"#;

    #[test]
    fn controls_with_references_predicates_and_join_types() {
        let (file, parsed) = read_text(PKU2U);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let c = &parsed.controls[0];
        assert_eq!(c.framework, Framework::Baselint);
        assert_eq!(c.baseline, "entra-joined-adjustments 1.0.0");
        assert_eq!(c.aliases, ["WN11-SO-000185", "2.3.11.3"]);
        assert_eq!(c.severity.as_deref(), Some("medium"));
        let pku2u = Catalog::builtin().resolve("pku2u_allow_online_id").unwrap();
        assert_eq!(c.key.as_deref(), Some(pku2u.key.as_str()));
        assert_eq!(
            c.expected,
            Some(Expectation::OneOf(vec![Value::Int(0), Value::Int(1)]))
        );
        let one = Expectation::OneOf(vec![Value::Int(1)]);
        assert_eq!(
            c.per_join_type,
            [
                (JoinType::Entra, one.clone()),
                (JoinType::Hybrid, one),
                (JoinType::Domain, Expectation::OneOf(vec![Value::Int(0)])),
            ]
        );
        let table = file.slice(c.span);
        assert!(
            table.starts_with("[[control]]") && table.ends_with("entra = 1"),
            "{table}"
        );
        assert_eq!(file.slice(c.expected_span.unwrap()), "{ in = [0, 1] }");
        let t = &parsed.controls[1];
        assert_eq!(
            t.applies_to,
            JoinTypeSet::of(&[JoinType::Domain, JoinType::Hybrid])
        );
        assert!(
            t.key
                .as_deref()
                .unwrap()
                .ends_with("LocalAccountTokenFilterPolicy")
        );
    }

    #[test]
    fn unknown_setting_is_a_positioned_error() {
        let text = PKU2U.replace("\"pku2u_allow_online_id\"", "\"pku2u_allow_onlin_id\"");
        let (_, parsed) = read_text(&text);
        assert_eq!(parsed.controls.len(), 1);
        let err = &parsed.errors[0];
        assert!(
            err.message
                .starts_with("unknown setting `pku2u_allow_onlin_id`"),
            "{}",
            err.message
        );
        assert_eq!((err.line, err.column), (Some(11), Some(11)));
    }

    const ALSO: &str = r#"[baseline]
name = "hardened-paths"

[[control]]
id = "WN11-CC-000050"
title = "Hardened UNC paths"
setting = 'HKLM\SOFTWARE\Policies\Microsoft\Windows\NetworkProvider\HardenedPaths\\\*\NETLOGON'
expected = "RequireMutualAuthentication=1, RequireIntegrity=1"

[[control.also]]
setting = 'HKLM\SOFTWARE\Policies\Microsoft\Windows\NetworkProvider\HardenedPaths\\\*\SYSVOL'
expected = "RequireMutualAuthentication=1, RequireIntegrity=1"
"#;

    /// `Defender/AllowBehaviorMonitoring` is kept as `DisableBehaviorMonitoring`, its data
    /// inverted: a value written for the CSP is read as that data, wherever it is written.
    #[test]
    fn a_csp_value_standing_for_other_data_is_read_as_the_data() {
        let text = r#"[baseline]
name = "defender"

[[control]]
id = "behavior-monitoring"
title = "Behavior monitoring on"
setting = "./Device/Vendor/MSFT/Policy/Config/Defender/AllowBehaviorMonitoring"
expected = 1

[control.join_types]
entra = { in = [1] }

[[control.also]]
setting = "device_vendor_msft_policy_config_experience_allowwindowsconsumerfeatures"
expected = 0

[[control]]
id = "by-registry"
title = "Behavior monitoring on, by its registry value"
setting = 'HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Real-Time Protection\DisableBehaviorMonitoring'
expected = 0
"#;
        let (_, parsed) = read_text(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let [csp, registry] = &parsed.controls[..] else {
            panic!("two controls: {:?}", parsed.controls);
        };
        assert_eq!(csp.key, registry.key);
        let zero = Some(Expectation::OneOf(vec![Value::Int(0)]));
        assert_eq!((&csp.expected, &registry.expected), (&zero, &zero));
        assert_eq!(
            csp.per_join_type,
            [(JoinType::Entra, Expectation::OneOf(vec![Value::Int(0)]))]
        );
        let consumer = &csp.also[0];
        assert!(
            consumer
                .key
                .ends_with(r"\CloudContent\DisableWindowsConsumerFeatures")
        );
        assert_eq!(
            consumer.expected,
            Some(Expectation::OneOf(vec![Value::Int(1)]))
        );
        // A bound has no such reading.
        let bound = text.replace("expected = 1", "expected = { at_most = 1 }");
        let (_, parsed) = read_text(&bound);
        let err = &parsed.errors[0];
        assert!(
            err.message.contains("stand for other data"),
            "{}",
            err.message
        );
        assert_eq!((err.line, err.column), (Some(8), Some(12)));
    }

    #[test]
    fn contains_predicate() {
        let contains = |arg: &str| {
            let value: toml::Value =
                toml::from_str(&format!("v = {{ contains = {arg} }}")).unwrap();
            expectation_of(&value["v"])
        };
        assert_eq!(
            contains(r#""PCI\\CC_0C0A""#),
            Ok(Expectation::Contains(vec![r"PCI\CC_0C0A".into()]))
        );
        assert_eq!(
            contains(r#"["a", "b"]"#),
            Ok(Expectation::Contains(vec!["a".into(), "b".into()]))
        );
        for (arg, error) in [
            ("[]", "at least one non-empty"),
            (r#"" ""#, "at least one non-empty"),
            ("[1]", "`contains` needs strings"),
        ] {
            let got = contains(arg).unwrap_err();
            assert!(got.contains(error), "{arg}: {got}");
        }
    }

    #[test]
    fn flags_predicate() {
        let flags = |arg: &str| {
            let value: toml::Value = toml::from_str(&format!("v = {{ flags = {arg} }}")).unwrap();
            expectation_of(&value["v"])
        };
        assert_eq!(
            flags(r#"["RequireMutualAuthentication=1", " RequireIntegrity=1"]"#),
            Ok(Expectation::Flags(vec![
                "RequireMutualAuthentication=1".into(),
                "RequireIntegrity=1".into()
            ]))
        );
        for (arg, error) in [
            ("[]", "`flags` needs at least one"),
            (r#"["A=1, B=1"]"#, "`flags` needs `Name=Value` strings"),
            ("[1]", "`flags` needs `Name=Value` strings"),
            (r#""A=1""#, "`flags` needs an array"),
        ] {
            let got = flags(arg).unwrap_err();
            assert!(got.contains(error), "{arg}: {got}");
        }
    }

    #[test]
    fn further_settings_a_control_requires() {
        let (file, parsed) = read_text(ALSO);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let control = &parsed.controls[0];
        let keys: Vec<&str> = control.checks().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "hklm\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths\\\\\\*\\netlogon",
                "hklm\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths\\\\\\*\\sysvol",
            ]
        );
        let sysvol = &control.also[0];
        assert_eq!(
            sysvol.expected,
            Some(Expectation::OneOf(vec![Value::Str(
                "RequireMutualAuthentication=1, RequireIntegrity=1".into()
            )]))
        );
        let span = sysvol.expected_span.unwrap();
        assert_eq!(file.line_col(span.start as usize).0, 12);
        assert_eq!(
            file.slice(span),
            "\"RequireMutualAuthentication=1, RequireIntegrity=1\""
        );
    }

    #[test]
    fn further_setting_errors_are_positioned() {
        let sysvol = "HardenedPaths\\\\\\*\\SYSVOL'";
        let own_setting = "setting = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\NetworkProvider\\HardenedPaths\\\\\\*\\NETLOGON'\nexpected = \"RequireMutualAuthentication=1, RequireIntegrity=1\"\n";
        let cases = [
            (
                ALSO.replace("setting = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\NetworkProvider\\HardenedPaths\\\\\\*\\SYSVOL'", "setting = \"no_such_setting\""),
                11,
                "unknown setting `no_such_setting`",
            ),
            (
                ALSO.replace(sysvol, "HardenedPaths\\\\\\*\\NETLOGON'"),
                11,
                "is already a setting of this control",
            ),
            (
                format!("{ALSO}note = 1\n"),
                13,
                "unknown field `note`",
            ),
            (
                ALSO.replacen(own_setting, "kind = \"manual\"\n", 1),
                9,
                "`[[control.also]]` adds settings to the control's own `setting`, which is missing",
            ),
        ];
        for (text, line, message) in cases {
            let (_, parsed) = read_text(&text);
            let err = parsed
                .errors
                .iter()
                .find(|e| e.message.contains(message))
                .unwrap_or_else(|| panic!("no error `{message}` in {:?}\n{text}", parsed.errors));
            assert_eq!(err.line, Some(line), "{message}: {}", err.message);
            assert!(parsed.controls.is_empty(), "{message}");
        }
    }

    #[test]
    fn shape_errors_are_positioned() {
        let cases = [
            (
                PKU2U.replace("severity = \"Medium\"", "severty = \"Medium\""),
                10,
                "unknown field `severty`",
            ),
            (
                PKU2U.replace("expected = 0\n", "expected = { at_most = \"5\" }\n"),
                24,
                "`at_most` needs an integer",
            ),
            (
                PKU2U.replace("expected = 0\n", "expected = { within = 5 }\n"),
                24,
                "unknown predicate `within`",
            ),
            (
                PKU2U.replace("hybrid = 1", "azuread = 1"),
                16,
                "unknown join type `azuread`",
            ),
            (
                PKU2U.replace("[\"domain\", \"hybrid\"]", "[\"domain\", \"onprem\"]"),
                25,
                "unknown join type `onprem`",
            ),
            (
                PKU2U.replace("id = \"token-filter\"", "id = \"entra-pku2u-online-id\""),
                21,
                "duplicate control id `entra-pku2u-online-id` (first defined at line 5)",
            ),
            (
                PKU2U.replace("title = \"PKU2U\"\n", ""),
                5,
                "missing field `title`",
            ),
        ];
        for (text, line, message) in cases {
            let (_, parsed) = read_text(&text);
            let err = parsed
                .errors
                .first()
                .unwrap_or_else(|| panic!("no error for {message}"));
            assert!(
                err.message.contains(message),
                "{} vs {message}",
                err.message
            );
            assert_eq!(err.line, Some(line), "{message}");
        }
    }

    #[test]
    fn settings_resolve_by_alias_registry_path_or_raw_key() {
        let catalog = Catalog::builtin();
        assert!(
            resolve_setting(
                catalog,
                "Network security: LAN Manager authentication level"
            )
            .is_some()
        );
        assert_eq!(
            resolve_setting(catalog, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Thing").as_deref(),
            Some("hklm\\software\\contoso\\thing")
        );
        assert_eq!(
            resolve_setting(catalog, "privilege:SeDenyInteractiveLogonRight").as_deref(),
            Some("privilege:sedenyinteractivelogonright")
        );
        assert_eq!(resolve_setting(catalog, "no_such_setting"), None);
        assert_eq!(resolve_setting(catalog, "HKLM\\x"), None);
    }

    #[test]
    fn predicates() {
        let parse = |s: &str| {
            expectation_of(&toml::from_str::<toml::Table>(&format!("v = {s}")).unwrap()["v"])
        };
        assert_eq!(parse("{ at_least = 14 }"), Ok(Expectation::AtLeast(14)));
        assert_eq!(
            parse("{ between = [1, 900] }"),
            Ok(Expectation::Between(1, 900))
        );
        assert_eq!(parse("{ absent = true }"), Ok(Expectation::Absent));
        assert_eq!(
            parse("\"Block\""),
            Ok(Expectation::OneOf(vec![Value::Str("Block".into())]))
        );
        assert_eq!(
            parse("{ not_configured_or = 0 }"),
            Ok(Expectation::OneOf(vec![
                Value::Int(0),
                Value::NotConfigured
            ]))
        );
        assert!(parse("{ between = [9, 1] }").is_err());
        assert!(
            parse("{ matches = \"(\" }")
                .unwrap_err()
                .contains("invalid regular expression")
        );
        assert!(
            parse("{ in = [1], at_most = 2 }")
                .unwrap_err()
                .contains("exactly one key")
        );
        assert!(parse("1.5").is_err());
    }

    #[test]
    fn shipped_entra_adjustments_load_with_pku2u_first() {
        let text = include_str!("../../baselines/entra-joined-adjustments.toml");
        let (file, parsed) = read_text(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert!(parsed.controls.len() >= 4);
        let pku2u = &parsed.controls[0];
        assert_eq!(pku2u.id, "entra-pku2u-online-id");
        assert!(pku2u.aliases.iter().any(|a| a == "WN11-SO-000185"));
        assert!(pku2u.aliases.iter().any(|a| a == "2.3.11.3"));
        let one = Expectation::OneOf(vec![Value::Int(1)]);
        assert_eq!(
            pku2u.per_join_type,
            [
                (JoinType::Entra, one.clone()),
                (JoinType::Hybrid, one),
                (
                    JoinType::Domain,
                    Expectation::OneOf(vec![Value::Int(0), Value::NotConfigured])
                ),
            ]
        );
        assert_eq!(
            file.slice(pku2u.expected_span.unwrap()),
            "[control.join_types]"
        );
        for control in &parsed.controls {
            assert!(control.key.is_some(), "{}", control.id);
            assert!(!control.per_join_type.is_empty(), "{}", control.id);
        }
    }

    #[test]
    fn table_spans_stop_before_the_next_table_and_trailing_comments() {
        let text = "[[control]]\nid = 1\n\n# about b\n[[control]]\nid = 2\n\n[baseline]\n";
        let second = text.rfind("[[control]]").unwrap();
        let spans = table_spans(text, &[0, second], text.find("[baseline]").unwrap());
        assert_eq!(&text[spans[0].range()], "[[control]]\nid = 1");
        assert_eq!(&text[spans[1].range()], "[[control]]\nid = 2");
    }
}
