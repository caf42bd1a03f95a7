//! `exceptions.toml`: documented deviations with owner, justification and expiry (the format is
//! documented in `docs/exceptions.md`).
//!
//! ```toml
//! [[exception]]
//! id = "EXC-0042"
//! controls = ["WN11-SO-000185"]          # STIG/CIS/baseline control ids, and/or
//! rules = ["pku2u-disabled-on-entra-joined"]
//! scope = { join_types = ["entra"] }     # and/or policies, groups, ous
//! justification = "PKU2U is required for peer-to-peer admin between Entra-joined PCs"
//! owner = "endpoint-team@contoso.com"
//! approved_by = "ciso@contoso.com"
//! created = "2026-06-01"
//! expires = "2027-06-01"                 # or "never" (with the reason in the justification)
//! ticket = "SEC-1234"
//! ```
//!
//! Dates are `YYYY-MM-DD`, quoted or as TOML dates. An unknown key, a wrong type, a bad date, an
//! unknown join type or a duplicate id is a positioned input error (the duplicate is dropped).
//! An exception without owner, justification or expiry is not an input error: it loads, and the
//! `exception-incomplete` rule reports it.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::Parsed;
use super::baseline::{duplicate_id, error_at, join_type, table_spans, toml_error};
use crate::model::{Date, Exception, ExceptionScope, Expiry, InputError, JoinTypeSet};
use crate::source::{SourceFile, SourceId, Span};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    exception: Vec<Spanned<RawException>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    id: Spanned<String>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    scope: RawScope,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    approved_by: Option<String>,
    #[serde(default)]
    created: Option<Spanned<toml::Value>>,
    #[serde(default)]
    expires: Option<Spanned<toml::Value>>,
    #[serde(default)]
    ticket: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    join_types: Vec<Spanned<String>>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    ous: Vec<String>,
}

/// Read an exceptions file.
pub fn read(id: SourceId, file: &SourceFile) -> Parsed {
    let mut parsed = Parsed::default();
    let raw: RawFile = match toml::from_str(file.text()) {
        Ok(raw) => raw,
        Err(e) => {
            parsed.errors.push(toml_error(id, file, &e, "exceptions"));
            return parsed;
        }
    };
    let starts: Vec<usize> = raw.exception.iter().map(|e| e.span().start).collect();
    let spans = table_spans(file.text(), &starts, file.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (raw, span) in raw.exception.iter().zip(spans) {
        let raw = raw.get_ref();
        if let Some(error) = duplicate_id(&mut seen, &raw.id, span, "exception", id, file) {
            parsed.errors.push(error);
            continue;
        }
        let mut reader = Reader {
            id,
            file,
            errors: Vec::new(),
        };
        let exception = reader.exception(raw, span);
        parsed.errors.extend(reader.errors);
        parsed.exceptions.extend(exception);
    }
    parsed
}

/// Phase two for one exception.
struct Reader<'a> {
    id: SourceId,
    file: &'a SourceFile,
    errors: Vec<InputError>,
}

impl Reader<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.errors
            .push(error_at(self.id, self.file, span, message));
    }

    /// The exception, or None when a value is wrong (the errors say which).
    fn exception(&mut self, raw: &RawException, span: Span) -> Option<Exception> {
        let id = raw.id.get_ref().trim().to_string();
        if id.is_empty() {
            self.error(raw.id.span(), "an exception needs a non-empty `id`");
        }
        let scope = self.scope(&raw.scope);
        let created = raw
            .created
            .as_ref()
            .and_then(|v| self.date(v, "created", false));
        let expires = match &raw.expires {
            None => Some(Expiry::Missing),
            Some(v) => self.expiry(v),
        };
        if let (Some(c), Some(Expiry::On(e)), Some(v)) = (created, &expires, &raw.expires)
            && *e < c
        {
            self.error(
                v.span(),
                format!("`expires` ({e}) is before `created` ({c})"),
            );
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(Exception {
            id,
            controls: trimmed(&raw.controls),
            rules: trimmed(&raw.rules),
            scope,
            justification: non_blank(&raw.justification),
            owner: non_blank(&raw.owner),
            approved_by: non_blank(&raw.approved_by),
            created,
            expires: expires?,
            ticket: non_blank(&raw.ticket),
            source: self.id,
            span,
            expires_span: raw
                .expires
                .as_ref()
                .map(|v| Span::new(v.span().start, v.span().end)),
        })
    }

    fn scope(&mut self, raw: &RawScope) -> ExceptionScope {
        let mut join_types = JoinTypeSet::EMPTY;
        for name in &raw.join_types {
            match join_type(self.id, self.file, name) {
                Ok(j) => join_types = join_types.with(j),
                Err(e) => self.errors.push(e),
            }
        }
        ExceptionScope {
            join_types,
            policies: trimmed(&raw.policies),
            groups: trimmed(&raw.groups),
            ous: trimmed(&raw.ous),
        }
    }

    /// `"2027-06-01"`, `2027-06-01` (a TOML date) or `"never"`.
    fn expiry(&mut self, value: &Spanned<toml::Value>) -> Option<Expiry> {
        if value
            .get_ref()
            .as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("never"))
        {
            return Some(Expiry::Never);
        }
        self.date(value, "expires", true).map(Expiry::On)
    }

    fn date(&mut self, value: &Spanned<toml::Value>, key: &str, never_ok: bool) -> Option<Date> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
            other => {
                let expected = if never_ok {
                    "a date \"YYYY-MM-DD\" or \"never\""
                } else {
                    "a date \"YYYY-MM-DD\""
                };
                self.error(
                    value.span(),
                    format!("`{key}` must be {expected}, found {}", describe(other)),
                );
                return None;
            }
        };
        let date = Date::parse(&text).filter(|_| is_iso_shape(text.trim()));
        if date.is_none() {
            let also = if never_ok { " or \"never\"" } else { "" };
            self.error(
                value.span(),
                format!("invalid date `{text}` in `{key}`: expected YYYY-MM-DD (a real calendar day){also}"),
            );
        }
        date
    }
}

/// `YYYY-MM-DD` exactly (Date::parse also takes `2027-6-1`).
fn is_iso_shape(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::Datetime(d) => format!("a date-time `{d}`"),
        other => format!("{} `{other}`", other.type_str()),
    }
}

fn trimmed(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn non_blank(text: &Option<String>) -> Option<String> {
    text.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::JoinType;
    use crate::source::Encoding;

    fn read_text(text: &str) -> (SourceFile, Parsed) {
        let file = SourceFile::from_text(
            Path::new("exceptions.toml"),
            text.to_string(),
            Encoding::Utf8,
        );
        let parsed = read(SourceId(0), &file);
        (file, parsed)
    }

    const TEXT: &str = r#"# Contoso exceptions
[[exception]]
id = "EXC-0042"
controls = ["WN11-SO-000185"]
scope = { join_types = ["entra"] }
justification = "PKU2U is required for peer-to-peer admin between Entra-joined PCs"
owner = "endpoint-team@contoso.com"
approved_by = "ciso@contoso.com"
created = "2026-06-01"
expires = "2027-06-01"
ticket = "SEC-1234"

[[exception]]
id = "EXC-0043"
rules = ["gpo-intune-conflict"]
scope = { policies = ["Win - Baseline"], groups = ["WIN - Kiosks"], ous = ["OU=Kiosks,DC=contoso,DC=com"] }
justification = "Kiosks keep the legacy GPO until the 2027 refresh"
owner = " "
expires = never

[[exception]]
id = "EXC-0044"
controls = ["2.3.11.3"]
expires = 2026-12-31
"#;

    #[test]
    fn exceptions_load_with_scope_dates_and_spans() {
        let text = TEXT.replace("expires = never", "expires = \"never\"");
        let (file, parsed) = read_text(&text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let e = &parsed.exceptions[0];
        assert_eq!(e.id, "EXC-0042");
        assert_eq!(e.controls, ["WN11-SO-000185"]);
        assert_eq!(e.scope.join_types, JoinTypeSet::of(&[JoinType::Entra]));
        assert_eq!(e.created, Date::parse("2026-06-01"));
        assert_eq!(e.expires, Expiry::On(Date::parse("2027-06-01").unwrap()));
        assert_eq!(file.slice(e.expires_span.unwrap()), "\"2027-06-01\"");
        assert_eq!(e.ticket.as_deref(), Some("SEC-1234"));
        let table = file.slice(e.span);
        assert!(table.starts_with("[[exception]]") && table.ends_with("ticket = \"SEC-1234\""));
        let second = &parsed.exceptions[1];
        assert_eq!(second.expires, Expiry::Never);
        assert_eq!(second.owner, None, "a blank owner is missing");
        assert_eq!(second.scope.groups, ["WIN - Kiosks"]);
        let third = &parsed.exceptions[2];
        assert_eq!(
            third.expires,
            Expiry::On(Date::parse("2026-12-31").unwrap())
        );
        assert_eq!(
            (third.owner.as_ref(), third.justification.as_ref()),
            (None, None)
        );
    }

    #[test]
    fn incomplete_exceptions_load() {
        let (_, parsed) =
            read_text("[[exception]]\nid = \"EXC-1\"\ncontrols = [\"WN11-SO-000185\"]\n");
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.exceptions[0].expires, Expiry::Missing);
        assert_eq!(parsed.exceptions[0].expires_span, None);
    }

    #[test]
    fn bad_values_are_positioned_errors() {
        let quoted = TEXT.replace("expires = never", "expires = \"never\"");
        let cases = [
            (
                quoted.replace("\"2027-06-01\"", "\"2027-02-30\""),
                (10, 11),
                "invalid date `2027-02-30` in `expires`",
            ),
            (
                quoted.replace("\"2027-06-01\"", "\"next year\""),
                (10, 11),
                "invalid date `next year`",
            ),
            (
                quoted.replace("\"2026-06-01\"", "\"2026-6-1\""),
                (9, 11),
                "invalid date `2026-6-1` in `created`",
            ),
            (
                quoted.replace("\"2027-06-01\"", "2027"),
                (10, 11),
                "`expires` must be a date \"YYYY-MM-DD\" or \"never\", found integer",
            ),
            (
                quoted.replace("[\"entra\"]", "[\"entra\", \"azuread\"]"),
                (5, 34),
                "unknown join type `azuread`",
            ),
            (
                quoted.replace("ticket = ", "tiket = "),
                (11, 1),
                "unknown field `tiket`",
            ),
            (
                quoted.replace("owner = \" \"", "owner = 3"),
                (18, 9),
                "invalid type",
            ),
            (
                quoted.replace("EXC-0043", "EXC-0042"),
                (14, 6),
                "duplicate exception id `EXC-0042` (first defined at line 2)",
            ),
            (
                quoted.replace("\"2027-06-01\"", "\"2025-01-01\""),
                (10, 11),
                "is before `created`",
            ),
        ];
        for (text, (line, column), message) in cases {
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
            assert_eq!(
                (err.line, err.column),
                (Some(line), Some(column)),
                "{message}"
            );
        }
        let (_, parsed) = read_text(&quoted.replace("EXC-0043", "EXC-0042"));
        assert_eq!(
            parsed.exceptions.len(),
            2,
            "the duplicate is dropped, the others load"
        );
    }

    #[test]
    fn unquoted_never_is_a_toml_syntax_error_with_position() {
        let (_, parsed) = read_text(TEXT);
        assert_eq!(parsed.errors[0].line, Some(19));
        assert!(
            parsed.errors[0]
                .message
                .starts_with("invalid exceptions file")
        );
    }
}
