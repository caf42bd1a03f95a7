//! Reading `catalog.json` into [`SettingDef`]s.
//!
//! The file leaves out what can be derived (see `README.md`, "File format"); this module puts it
//! back. `scripts/gen-catalog.py` (`expand_record`) mirrors these rules and checks every record
//! against them when it writes the file.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Scope, SettingDef, ValueLabel};
use crate::model::{Name, Value};

/// One line of `catalog.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    key: String,
    title: Option<String>,
    short_id: Option<String>,
    scope: Option<Scope>,
    oma_uri: Option<String>,
    definition_id: Option<String>,
    registry: Option<String>,
    #[serde(default)]
    registry_aliases: Vec<String>,
    shares_registry_with: Option<String>,
    setting_of: Option<String>,
    security_option: Option<String>,
    #[serde(default)]
    other_names: Vec<String>,
    format: Option<String>,
    #[serde(default)]
    admx_backed: bool,
    #[serde(default)]
    values: Vec<(String, String)>,
    default: Option<String>,
    #[serde(default)]
    options: HashMap<String, OptionValue>,
    parent: Option<String>,
    element: Option<String>,
    value_list: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OptionValue {
    Int(i64),
    Str(String),
    /// `null`: the option deletes the value (a cleared check box without a `falseValue`).
    Deleted(()),
}

impl From<OptionValue> for Value {
    fn from(v: OptionValue) -> Value {
        match v {
            OptionValue::Int(i) => Value::Int(i),
            OptionValue::Str(s) => Value::Str(s),
            OptionValue::Deleted(()) => Value::NotConfigured,
        }
    }
}

/// Parse the catalog file and fill in every derived field.
pub(super) fn settings_from_json(text: &str) -> serde_json::Result<Vec<SettingDef>> {
    use rayon::prelude::*;
    let records = match records_by_line(text) {
        Some(records) => records,
        None => serde_json::from_str::<Vec<Record>>(text)?,
    };
    let (parents, mut settings): (Vec<(Option<String>, bool)>, Vec<SettingDef>) = records
        .into_par_iter()
        .map(|record| {
            (
                (record.parent.clone(), record.scope.is_some()),
                own_fields(record),
            )
        })
        .unzip();
    let index: HashMap<String, usize> = settings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.to_string(), i))
        .collect();
    for (i, (parent, scope_given)) in parents.iter().enumerate() {
        if let Some(&p) = parent.as_ref().and_then(|key| index.get(key)) {
            let (title, scope, id) = parent_facts(&settings[p]);
            inherit_from_parent(&mut settings[i], title, (!scope_given).then_some(scope), id);
        }
    }
    Ok(settings)
}

/// The records of a catalog written one per line, as `scripts/gen-catalog.py` writes it,
/// parsed on all cores; None when the text is not laid out so (it is then parsed whole).
fn records_by_line(text: &str) -> Option<Vec<Record>> {
    use rayon::prelude::*;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let (first, rest) = lines.split_first()?;
    let (last, records) = rest.split_last()?;
    if *first != "[" || *last != "]" {
        return None;
    }
    records
        .par_iter()
        .enumerate()
        .map(|(n, line)| {
            // Every record but the last ends with the comma that separates it from the next.
            let line = if n + 1 < records.len() {
                line.strip_suffix(',')?
            } else {
                line
            };
            serde_json::from_str::<Record>(line).ok()
        })
        .collect()
}

/// Everything a record gives or derives without looking at its parent.
fn own_fields(r: Record) -> SettingDef {
    let format = r
        .format
        .or_else(|| r.admx_backed.then(|| "chr".to_string()));
    let values: Vec<ValueLabel> = r
        .values
        .into_iter()
        .map(|(value, label)| ValueLabel {
            value: value.into(),
            label: label.into(),
        })
        .collect();
    let mut options: Vec<(Name, Value)> = r
        .options
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    if options.is_empty() {
        options = derived_options(r.admx_backed, format.as_deref(), &values);
    }
    options.sort_by(|a, b| a.0.cmp(&b.0));
    let values = if r.admx_backed {
        admx_values(&options)
    } else {
        values
    };
    let registry = r.registry.or_else(|| registry_of_key(&r.key));
    let oma_uri = r
        .oma_uri
        .or_else(|| (r.parent.is_none() && r.key.starts_with("./")).then(|| r.key.clone()));
    let definition_id = r.definition_id.or_else(|| {
        r.parent
            .is_none()
            .then(|| oma_uri.as_deref().and_then(uri_definition_id))
            .flatten()
    });
    let names = |list: Vec<String>| list.into_iter().map(Name::from).collect();
    SettingDef {
        title: r.title.unwrap_or_default().into(),
        short_id: r.short_id.map(Into::into),
        scope: r.scope.unwrap_or_default(),
        oma_uri: oma_uri.map(Into::into),
        definition_id: definition_id.map(Into::into),
        registry: registry.map(Into::into),
        registry_aliases: names(r.registry_aliases),
        shares_registry_with: r.shares_registry_with.map(Into::into),
        setting_of: r.setting_of.map(Into::into),
        security_option: r.security_option.map(Into::into),
        other_names: names(r.other_names),
        format: format.map(Into::into),
        admx_backed: r.admx_backed,
        values,
        default: r.default.map(Into::into),
        options,
        parent: r.parent.map(Into::into),
        element: r.element.map(Into::into),
        value_list: r.value_list.map(Into::into),
        key: r.key.into(),
    }
}

fn parent_facts(parent: &SettingDef) -> (String, Scope, Option<String>) {
    (
        parent.title.to_string(),
        parent.scope,
        parent.definition_id.as_deref().map(str::to_string),
    )
}

/// A child setting of an ADMX element takes its title, scope and definition id from its parent:
/// `<parent title>: <element id>`, `<parent definition id>_<element id lower-cased>`.
fn inherit_from_parent(
    child: &mut SettingDef,
    title: String,
    scope: Option<Scope>,
    id: Option<String>,
) {
    let element = child.element.clone().unwrap_or_default();
    if child.title.is_empty() {
        child.title = format!("{title}: {element}").into();
    }
    if let Some(scope) = scope {
        child.scope = scope;
    }
    if child.definition_id.is_none() {
        child.definition_id = id.map(|id| format!("{id}_{}", element.to_ascii_lowercase()).into());
    }
}

/// The canonical key is the registry value when it names one.
fn registry_of_key(key: &str) -> Option<String> {
    (key.starts_with("HKLM\\") || key.starts_with("HKCU\\")).then(|| key.to_string())
}

/// Intune's rule: drop `./`, `/` becomes `_`, lower-case.
pub(super) fn uri_definition_id(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("./")?;
    Some(rest.replace('/', "_").to_ascii_lowercase())
}

/// ADMX-backed: `_1` Enabled = 1, `_0` Disabled = 0. Otherwise one option per allowed value.
fn derived_options(
    admx_backed: bool,
    format: Option<&str>,
    values: &[ValueLabel],
) -> Vec<(Name, Value)> {
    if admx_backed {
        return vec![("1".into(), Value::Int(1)), ("0".into(), Value::Int(0))];
    }
    let numeric = format == Some("int");
    values
        .iter()
        .map(|v| {
            (
                v.value.to_ascii_lowercase().into(),
                typed_value(&v.value, numeric),
            )
        })
        .collect()
}

/// An integer where the setting is numeric and the text is one, else the text.
pub(super) fn typed_value(text: &str, numeric: bool) -> Value {
    match text.parse::<i64>() {
        Ok(i) if numeric => Value::Int(i),
        _ => Value::Str(text.to_string()),
    }
}

/// The two states of an ADMX-backed policy, with the values its options normalise to.
fn admx_values(options: &[(Name, Value)]) -> Vec<ValueLabel> {
    [("1", "Enabled"), ("0", "Disabled")]
        .into_iter()
        .filter_map(|(suffix, label)| {
            let value = options.iter().find(|(s, _)| s == suffix)?;
            Some(ValueLabel {
                value: with_value_text(&value.1, |text| Name::from(text))?,
                label: label.into(),
            })
        })
        .collect()
}

/// The text a value is listed under in `values`, given to `f` without allocating (labels are
/// looked up for every setting read); None for values without one.
pub(super) fn with_value_text<T>(value: &Value, f: impl FnOnce(&str) -> T) -> Option<T> {
    let mut digits = [0u8; 20];
    let text = match value {
        Value::Int(i) => decimal(*i, &mut digits),
        Value::Str(s) => s.as_str(),
        Value::Bool(b) => ["0", "1"][usize::from(*b)],
        _ => return None,
    };
    Some(f(text))
}

/// The decimal text of an integer, written into `buf` (20 bytes hold every `i64`).
fn decimal(i: i64, buf: &mut [u8; 20]) -> &str {
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_spells_integers_as_to_string_does() {
        for i in [0, 7, -7, 10, 42, -100, 1_000_000_007, i64::MAX, i64::MIN] {
            assert_eq!(decimal(i, &mut [0; 20]), i.to_string());
        }
    }

    #[test]
    fn the_catalog_read_by_line_is_the_catalog_read_whole() {
        let text = super::super::CATALOG_JSON;
        let by_line = records_by_line(text).expect("the catalog is written one record per line");
        let whole: Vec<Record> = serde_json::from_str(text).unwrap();
        assert_eq!(by_line.len(), whole.len());
        for (a, b) in by_line.iter().zip(&whole) {
            assert_eq!(
                (&a.key, &a.title, a.options.len()),
                (&b.key, &b.title, b.options.len())
            );
        }
        // A catalog laid out otherwise is read whole.
        assert!(records_by_line("[{\"key\": \"a\"}, {\"key\": \"b\"}]").is_none());
        let pretty = "[\n  {\n    \"key\": \"a\"\n  }\n]";
        assert!(records_by_line(pretty).is_none());
        assert_eq!(settings_from_json(pretty).unwrap().len(), 1);
    }
}
