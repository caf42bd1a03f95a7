//! HardeningKitty finding lists (CSV): a public CIS / STIG / Microsoft-baseline mapping.
//!
//! Columns (formats.md 6): `ID,Category,Name,Method,MethodArgument,RegistryPath,RegistryItem,
//! ClassName,Namespace,Property,DefaultValue,RecommendedValue,Operator,Severity`, found by
//! header name. One [`Control`] per row:
//!
//! * framework: from the file name first (HardeningKitty names its lists `finding_list_cis_…`,
//!   `finding_list_dod_…` / `…stig…`, `finding_list_msft_…`), then from the ids (`2.3.11.3` is a
//!   CIS number, `V-63767` a STIG group id); otherwise [`Framework::Other`];
//! * baseline: the file name without `finding_list_` and `.csv`;
//! * `Registry` rows: the catalog key of `RegistryPath\RegistryItem` and an expectation from
//!   `RecommendedValue` and `Operator` (`=`, `>=`, `<=`, `>`, `<=!0` = at most and not 0, `=|0`
//!   = equal or absent, `!=` with an empty value = must be set, `contains`);
//! * `accountpolicy` / `secedit` (`System Access\…`): account policies; `accesschk`: user rights
//!   (principals as SIDs where well known); `auditpol`: audit subcategories by GUID; `service`:
//!   the service's `Start` value (Disabled = 4);
//! * anything else (process mitigations, ASR via PowerShell, firewall rules...): a manual
//!   control, kept with its id and title.
//!
//! The CSV reader is a small RFC 4180 reader (quoted fields, `""` escapes, commas and line
//! breaks inside quotes) that keeps the byte span of every field; malformed rows are positioned
//! errors and the rest of the file still loads.

use std::path::Path;

use super::Parsed;
use super::json::input_error;
use super::xccdf::check_text::principal;
use super::xccdf::{audit_key, registry_key, system_access_key, user_right_key};
use crate::catalog::Catalog;
use crate::model::{ALL_JOIN_TYPES, Control, ControlKind, Expectation, Framework, Pattern, Value};
use crate::source::{SourceFile, SourceId, Span};

/// One CSV field: its unescaped text and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub text: String,
    /// The field in the file, quotes included.
    pub span: Span,
}

/// One CSV record (a line, or several when a quoted field holds line breaks).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub fields: Vec<Field>,
    /// The record without its line end.
    pub span: Span,
}

/// A CSV syntax error: where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvError {
    pub span: Span,
    pub message: String,
}

/// Split `text` into records (RFC 4180; `\n` or `\r\n` line ends; empty lines skipped).
pub fn parse_csv(text: &str) -> Result<Vec<Record>, CsvError> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while i < bytes.len() {
        let (record, next) = parse_record(text, i)?;
        if !(record.fields.len() == 1 && record.fields[0].text.is_empty()) {
            records.push(record);
        }
        i = next;
    }
    Ok(records)
}

/// One record starting at `start`; returns it and where the next one starts.
fn parse_record(text: &str, start: usize) -> Result<(Record, usize), CsvError> {
    let bytes = text.as_bytes();
    let mut fields = Vec::new();
    let mut i = start;
    loop {
        let (field, end) = parse_field(text, i)?;
        fields.push(field);
        match bytes.get(end) {
            Some(b',') => i = end + 1,
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => {
                return Ok((record(fields, start, end), end + 2));
            }
            Some(b'\n') => return Ok((record(fields, start, end), end + 1)),
            None => return Ok((record(fields, start, end), end)),
            Some(_) => {
                return Err(CsvError {
                    span: Span::new(end, end + 1),
                    message: "expected `,` or a line end after a quoted field".to_string(),
                });
            }
        }
    }
}

fn record(fields: Vec<Field>, start: usize, end: usize) -> Record {
    Record {
        fields,
        span: Span::new(start, end),
    }
}

/// One field starting at `start`: quoted (`"a ""b"", c"`) or bare (up to `,` or a line end).
fn parse_field(text: &str, start: usize) -> Result<(Field, usize), CsvError> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        let len = bytes[start..]
            .iter()
            .position(|b| matches!(b, b',' | b'\n' | b'\r'))
            .unwrap_or(bytes.len() - start);
        let mut end = start + len;
        if bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) != Some(&b'\n') {
            end += 1;
        }
        let field = Field {
            text: text[start..end].trim_end_matches('\r').to_string(),
            span: Span::new(start, end),
        };
        return Ok((field, end));
    }
    let mut value = String::new();
    let mut i = start + 1;
    loop {
        let Some(rel) = text[i..].find('"') else {
            return Err(CsvError {
                span: Span::new(start, start + 1),
                message: "unterminated quoted field (the quote opened here is not closed)"
                    .to_string(),
            });
        };
        value.push_str(&text[i..i + rel]);
        i += rel + 1;
        if bytes.get(i) == Some(&b'"') {
            value.push('"');
            i += 1;
        } else {
            let field = Field {
                text: value,
                span: Span::new(start, i),
            };
            return Ok((field, i));
        }
    }
}

/// The columns a finding list must have.
const REQUIRED: [&str; 5] = ["ID", "Name", "Method", "RecommendedValue", "Operator"];

/// Column positions by header name.
struct Columns(Vec<String>);

impl Columns {
    fn get<'r>(&self, record: &'r Record, name: &str) -> Option<&'r Field> {
        let at = self.0.iter().position(|c| c.eq_ignore_ascii_case(name))?;
        record.fields.get(at)
    }

    fn text<'r>(&self, record: &'r Record, name: &str) -> &'r str {
        self.get(record, name).map_or("", |f| f.text.trim())
    }
}

/// Read a HardeningKitty finding list into controls.
pub fn read(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    let mut parsed = Parsed::default();
    let records = match parse_csv(file.text()) {
        Ok(records) => records,
        Err(e) => {
            parsed.errors.push(input_error(
                id,
                file,
                e.span,
                format!("invalid CSV: {}", e.message),
            ));
            return parsed;
        }
    };
    let Some((header, rows)) = records.split_first() else {
        parsed
            .errors
            .push(input_error(id, file, Span::new(0, 0), "empty finding list"));
        return parsed;
    };
    let columns = Columns(
        header
            .fields
            .iter()
            .map(|f| f.text.trim().to_string())
            .collect(),
    );
    if let Some(missing) = REQUIRED
        .iter()
        .find(|c| !columns.0.iter().any(|h| h.eq_ignore_ascii_case(c)))
    {
        parsed.errors.push(input_error(
            id,
            file,
            header.span,
            format!("not a HardeningKitty finding list: the header has no `{missing}` column"),
        ));
        return parsed;
    }
    let list = List {
        id,
        catalog,
        columns,
        framework: framework(&file.path, rows, &header.fields),
        baseline: baseline_name(&file.path),
    };
    for row in rows {
        if row.fields.len() != header.fields.len() {
            parsed.errors.push(input_error(
                id,
                file,
                row.span,
                format!(
                    "row has {} fields, the header has {}",
                    row.fields.len(),
                    header.fields.len()
                ),
            ));
            continue;
        }
        parsed.controls.push(list.control(row));
    }
    parsed
}

/// `finding_list_cis_microsoft_windows_11_enterprise_23h2_machine.csv` ->
/// `cis_microsoft_windows_11_enterprise_23h2_machine`.
fn baseline_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.strip_prefix("finding_list_")
        .map(str::to_string)
        .unwrap_or(stem)
}

/// CIS, STIG or other: the file name first, then the ids of the rows.
fn framework(path: &Path, rows: &[Record], header: &[Field]) -> Framework {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let words: Vec<&str> = name.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if words.contains(&"cis") {
        return Framework::Cis;
    }
    if words.contains(&"dod") || words.contains(&"stig") || words.contains(&"disa") {
        return Framework::Stig;
    }
    if words.contains(&"msft") {
        return Framework::Other;
    }
    let id_column = header
        .iter()
        .position(|f| f.text.trim().eq_ignore_ascii_case("ID"));
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.fields.get(id_column?))
        .map(|f| f.text.trim())
        .collect();
    if !ids.is_empty() && ids.iter().all(|i| is_stig_id(i)) {
        Framework::Stig
    } else if !ids.is_empty() && ids.iter().all(|i| is_cis_number(i)) {
        Framework::Cis
    } else {
        Framework::Other
    }
}

fn is_stig_id(id: &str) -> bool {
    id.strip_prefix("V-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `2.3.11.3`: at least two dot-separated numbers.
fn is_cis_number(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What every row of one list shares.
struct List<'a> {
    id: SourceId,
    catalog: &'a Catalog,
    columns: Columns,
    framework: Framework,
    baseline: String,
}

/// Kind, key and expectation of one row.
struct Check {
    kind: ControlKind,
    key: Option<String>,
    expected: Option<Expectation>,
}

impl Check {
    fn manual() -> Check {
        Check {
            kind: ControlKind::Manual,
            key: None,
            expected: None,
        }
    }
}

impl List<'_> {
    fn control(&self, row: &Record) -> Control {
        let c = &self.columns;
        let check = self.check(row);
        let severity = c.text(row, "Severity");
        Control {
            framework: self.framework,
            baseline: self.baseline.clone(),
            id: c.text(row, "ID").to_string(),
            aliases: Vec::new(),
            title: c.text(row, "Name").to_string(),
            severity: (!severity.is_empty()).then(|| severity.to_ascii_lowercase()),
            kind: check.kind,
            key: check.key.map(crate::model::Name::from),
            expected_span: check
                .expected
                .as_ref()
                .and_then(|_| c.get(row, "RecommendedValue"))
                .map(|f| f.span),
            expected: check.expected,
            applies_to: ALL_JOIN_TYPES,
            per_join_type: Vec::new(),
            source: self.id,
            span: row.span,
            also: Vec::new(),
        }
    }

    fn check(&self, row: &Record) -> Check {
        let c = &self.columns;
        let value = c.text(row, "RecommendedValue");
        let operator = c.text(row, "Operator");
        let argument = c.text(row, "MethodArgument");
        match c.text(row, "Method").to_ascii_lowercase().as_str() {
            "registry" => self.registry(row, value, operator),
            // The values of a key, one of which must contain `RegistryItem` (HardeningKitty:
            // `-like "*<item>*"`): the catalog's list setting of that key (`<key>\*`).
            "registrylist" => Check {
                kind: ControlKind::RegistryValue,
                key: Some(registry_key(
                    self.catalog,
                    &format!("{}\\*", hive_path(c.text(row, "RegistryPath"))),
                )),
                expected: Some(Expectation::Contains(vec![
                    c.text(row, "RegistryItem").to_string(),
                ])),
            },
            "accountpolicy" => self.system_access(c.text(row, "Name"), value, operator),
            "secedit" => match argument.strip_prefix("System Access\\") {
                Some(inf) => self.system_access(inf, value, operator),
                None => Check::manual(),
            },
            "accesschk" => Check {
                kind: ControlKind::UserRight,
                key: Some(user_right_key(
                    self.catalog,
                    if argument.is_empty() {
                        c.text(row, "Name")
                    } else {
                        argument
                    },
                )),
                expected: Some(Expectation::Principals(principals(value))),
            },
            "auditpol" => self.audit(row, argument, value, operator),
            "service" => self.service(argument, value, operator),
            _ => Check::manual(),
        }
    }

    fn registry(&self, row: &Record, value: &str, operator: &str) -> Check {
        let c = &self.columns;
        let path = format!(
            "{}\\{}",
            hive_path(c.text(row, "RegistryPath")),
            c.text(row, "RegistryItem")
        );
        let expected = expectation(operator, registry_value(value))
            .map(|e| absent_as_default(e, c.text(row, "DefaultValue")));
        Check {
            kind: ControlKind::RegistryValue,
            key: Some(registry_key(self.catalog, &path)),
            expected,
        }
    }

    fn system_access(&self, name: &str, value: &str, operator: &str) -> Check {
        let key = system_access_key(self.catalog, name)
            .unwrap_or_else(|| format!("system_access:{}", name.to_lowercase()));
        Check {
            kind: ControlKind::AccountPolicy,
            key: Some(key),
            expected: expectation(operator, registry_value(value)),
        }
    }

    fn audit(&self, row: &Record, guid: &str, value: &str, operator: &str) -> Check {
        let key = self
            .catalog
            .resolve(guid)
            .map(|d| d.setting_key().clone())
            .unwrap_or_else(|| audit_key(self.catalog, self.columns.text(row, "Name")).into());
        Check {
            kind: ControlKind::AuditPolicy,
            key: Some(key.to_string()),
            expected: audit_expectation(value, operator),
        }
    }

    fn service(&self, service: &str, value: &str, operator: &str) -> Check {
        let path = format!("HKLM\\SYSTEM\\CurrentControlSet\\Services\\{service}\\Start");
        let start = match value.to_ascii_lowercase().as_str() {
            "disabled" => Some(4),
            "manual" => Some(3),
            "automatic" => Some(2),
            _ => None,
        };
        Check {
            kind: ControlKind::Service,
            key: Some(registry_key(self.catalog, &path)),
            expected: start.and_then(|n| expectation(operator, Value::Int(n))),
        }
    }
}

/// `HKLM:\System\…` -> `HKLM\System\…` (PowerShell drive spelling to the registry one).
fn hive_path(path: &str) -> String {
    let path = path.trim().trim_end_matches('\\');
    for (drive, hive) in [("HKLM:\\", "HKLM\\"), ("HKCU:\\", "HKCU\\")] {
        if let Some(rest) = path
            .get(..drive.len())
            .filter(|head| head.eq_ignore_ascii_case(drive))
            .map(|_| &path[drive.len()..])
        {
            return format!("{hive}{rest}");
        }
    }
    path.to_string()
}

/// A recommended value: an integer, a `;`-separated list of paths, or text (an SDDL string
/// keeps its `;`).
fn registry_value(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::Int(n);
    }
    let parts: Vec<&str> = text.split(';').collect();
    if parts.len() > 1
        && parts
            .iter()
            .all(|p| !p.trim().is_empty() && !p.contains('('))
    {
        return Value::List(parts.iter().map(|p| Value::Str(p.to_string())).collect());
    }
    Value::Str(text.to_string())
}

/// An expectation from an operator and a value.
/// HardeningKitty compares a registry value that does not exist as the row's `DefaultValue`
/// (what Windows does when nothing sets it). Where that default is one of the values expected,
/// a value that is not configured is too: a policy that deletes it (an ADMX check box cleared,
/// `**del.` in Registry.pol) meets the row, and so does a tenant that never sets it.
fn absent_as_default(expected: Expectation, default: &str) -> Expectation {
    let Expectation::OneOf(mut values) = expected else {
        return expected;
    };
    let default = default.trim();
    let absent = Value::NotConfigured;
    if default.is_empty() || values.contains(&absent) {
        return Expectation::OneOf(values);
    }
    let default = registry_value(default);
    if values
        .iter()
        .any(|v| crate::rules::values_equal(v, &default))
    {
        values.push(absent);
    }
    Expectation::OneOf(values)
}

fn expectation(operator: &str, value: Value) -> Option<Expectation> {
    let empty = matches!(&value, Value::Str(s) if s.is_empty());
    let number = value.as_int().filter(|_| matches!(value, Value::Int(_)));
    match (operator, number) {
        ("=", _) if empty => Some(Expectation::OneOf(vec![
            value,
            Value::List(Vec::new()),
            Value::NotConfigured,
        ])),
        ("=", _) => Some(match &value {
            Value::Str(text) => {
                Expectation::flags_in(text).unwrap_or(Expectation::OneOf(vec![value]))
            }
            _ => Expectation::OneOf(vec![value]),
        }),
        ("=|0", _) => Some(Expectation::OneOf(vec![value, Value::NotConfigured])),
        (">=", Some(n)) => Some(Expectation::AtLeast(n)),
        (">", Some(n)) => Some(Expectation::AtLeast(n + 1)),
        ("<=", Some(n)) => Some(Expectation::AtMost(n)),
        ("<", Some(n)) => Some(Expectation::AtMost(n - 1)),
        ("<=!0", Some(n)) => Some(Expectation::Between(1, n)),
        ("!=", _) if empty => Pattern::new(r"\S").ok().map(Expectation::Matches),
        ("contains", _) => match value {
            Value::Str(s) if !s.is_empty() => Pattern::new(&regex::escape(&s))
                .ok()
                .map(Expectation::Matches),
            _ => None,
        },
        _ => None,
    }
}

/// `Success and Failure` / `Success` / `Failure` / `No Auditing` with `=` or `contains` as
/// audit setting values (0 none, 1 success, 2 failure, 3 both).
fn audit_expectation(value: &str, operator: &str) -> Option<Expectation> {
    let flags = match value.to_ascii_lowercase().as_str() {
        "success and failure" => 3,
        "success" => 1,
        "failure" => 2,
        "no auditing" => 0,
        _ => return None,
    };
    let values = if operator.eq_ignore_ascii_case("contains") {
        vec![flags, 3]
    } else {
        vec![flags]
    };
    let mut values: Vec<i64> = values;
    values.dedup();
    Some(Expectation::OneOf(
        values.into_iter().map(Value::Int).collect(),
    ))
}

/// `BUILTIN\Administrators;BUILTIN\Remote Desktop Users` -> SIDs where well known.
fn principals(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(principal)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Encoding;

    fn read_text(name: &str, text: &str) -> (SourceFile, Parsed) {
        let file = SourceFile::from_text(Path::new(name), text.to_string(), Encoding::Utf8);
        let parsed = read(SourceId(0), &file, Catalog::builtin());
        (file, parsed)
    }

    const HEADER: &str = "ID,Category,Name,Method,MethodArgument,RegistryPath,RegistryItem,ClassName,Namespace,Property,DefaultValue,RecommendedValue,Operator,Severity\n";

    #[test]
    fn csv_reader_handles_quotes_escapes_and_line_breaks() {
        let text = "a,\"b, \"\"c\"\"\",\r\n\"multi\nline\",x\n\n";
        let records = parse_csv(text).unwrap();
        assert_eq!(records.len(), 2);
        let texts: Vec<&str> = records[0].fields.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["a", "b, \"c\"", ""]);
        assert_eq!(&text[records[0].fields[1].span.range()], "\"b, \"\"c\"\"\"");
        assert_eq!(records[1].fields[0].text, "multi\nline");
        let err = parse_csv("a,\"open\n").unwrap_err();
        assert_eq!(err.span, Span::new(2, 3));
        assert!(
            parse_csv("\"a\"b")
                .unwrap_err()
                .message
                .contains("after a quoted field")
        );
    }

    #[test]
    fn cis_pku2u_row_maps_to_the_catalog_key() {
        let text = format!(
            "{HEADER}2.3.11.3,\"Security Options\",\"Network security: Allow PKU2U authentication requests to this computer to use online identities\",Registry,,HKLM:\\System\\CurrentControlSet\\Control\\Lsa\\pku2u,AllowOnlineID,,,,,0,=,Medium\n"
        );
        let (file, parsed) = read_text(
            "finding_list_cis_microsoft_windows_11_enterprise_23h2_machine.csv",
            &text,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let c = &parsed.controls[0];
        assert_eq!(c.framework, Framework::Cis);
        assert_eq!(
            c.baseline,
            "cis_microsoft_windows_11_enterprise_23h2_machine"
        );
        assert_eq!(c.id, "2.3.11.3");
        let pku2u = Catalog::builtin().resolve("pku2u_allow_online_id").unwrap();
        assert_eq!(c.key.as_deref(), Some(pku2u.key.as_str()));
        assert_eq!(c.expected, Some(Expectation::OneOf(vec![Value::Int(0)])));
        assert_eq!(file.slice(c.expected_span.unwrap()), "0");
        assert_eq!(c.severity.as_deref(), Some("medium"));
        assert!(file.slice(c.span).starts_with("2.3.11.3,"));
    }

    /// Microsoft's baseline row 11006 expects EnableScriptBlockInvocationLogging = 0 with
    /// DefaultValue 0: a policy that clears the box (the value deleted) meets it, as
    /// HardeningKitty reads an absent value as its default.
    #[test]
    fn an_absent_value_meets_a_row_whose_default_is_expected() {
        let text = format!(
            "{HEADER}11006,PowerShell,\"Invocation logging\",Registry,,HKLM:\\Software\\Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging,EnableScriptBlockInvocationLogging,,,,0,0,=,Low\n\
             10200,x,\"Blank passwords\",Registry,,HKLM:\\System\\CurrentControlSet\\Control\\Lsa,LimitBlankPasswordUse,,,,0,1,=,Medium\n\
             10001,x,\"Lockout\",Registry,,HKLM:\\Software\\Contoso,Threshold,,,,5,3,>=,Low\n"
        );
        let (_, parsed) = read_text(
            "finding_list_msft_security_baseline_windows_11_machine.csv",
            &text,
        );
        let expected: Vec<_> = parsed.controls.iter().map(|c| c.expected.clone()).collect();
        assert_eq!(
            expected,
            [
                Some(Expectation::OneOf(vec![
                    Value::Int(0),
                    Value::NotConfigured
                ])),
                Some(Expectation::OneOf(vec![Value::Int(1)])),
                Some(Expectation::AtLeast(3)),
            ]
        );
    }

    #[test]
    fn operators_and_methods() {
        assert_eq!(
            expectation(">=", Value::Int(24)),
            Some(Expectation::AtLeast(24))
        );
        assert_eq!(
            expectation("<=!0", Value::Int(365)),
            Some(Expectation::Between(1, 365))
        );
        assert_eq!(
            expectation(">", Value::Int(1)),
            Some(Expectation::AtLeast(2))
        );
        assert_eq!(
            expectation("=|0", Value::Int(4)),
            Some(Expectation::OneOf(vec![
                Value::Int(4),
                Value::NotConfigured
            ]))
        );
        assert_eq!(
            expectation("!=", Value::Str(String::new())),
            Some(Expectation::Matches(Pattern::new(r"\S").unwrap()))
        );
        assert_eq!(expectation("!=", Value::Str("Administrator".into())), None);
        // CIS 18.6.14.1: hardened UNC path flags, in any order.
        assert_eq!(
            expectation(
                "=",
                Value::Str(
                    "RequireMutualAuthentication=1, RequireIntegrity=1, RequirePrivacy=1".into()
                )
            ),
            Some(Expectation::Flags(vec![
                "RequireMutualAuthentication=1".into(),
                "RequireIntegrity=1".into(),
                "RequirePrivacy=1".into(),
            ]))
        );
        assert_eq!(
            audit_expectation("Success", "contains"),
            Some(Expectation::OneOf(vec![Value::Int(1), Value::Int(3)]))
        );
        assert_eq!(
            registry_value("O:BAG:BAD:(A;;RC;;;BA)"),
            Value::Str("O:BAG:BAD:(A;;RC;;;BA)".into())
        );
        assert!(matches!(registry_value("System\\A;Software\\B"), Value::List(v) if v.len() == 2));
        let text = format!(
            "{HEADER}V-1,\"User Rights Assignment\",\"Access this computer from the network\",accesschk,SeNetworkLogonRight,,,,,,,\"BUILTIN\\Administrators;BUILTIN\\Remote Desktop Users\",=,Medium\n\
             V-2,\"System Services\",\"Print Spooler (Spooler)\",service,Spooler,,,,,,Automatic,Disabled,=,Medium\n\
             V-3,\"Advanced Audit Policy Configuration\",\"Credential Validation\",auditpol,{{0CCE923F-69AE-11D9-BED3-505054503030}},,,,,,\"No Auditing\",\"Success and Failure\",=,Low\n\
             V-4,\"Account Policies\",\"Minimum password length\",accountpolicy,,,,,,,0,14,>=,Low\n\
             V-5,\"Exploit protection\",\"DEP\",Processmitigation,Dep,,,,,,,ON,=,Low\n"
        );
        let (_, parsed) = read_text("mine.csv", &text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let kinds: Vec<ControlKind> = parsed.controls.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ControlKind::UserRight,
                ControlKind::Service,
                ControlKind::AuditPolicy,
                ControlKind::AccountPolicy,
                ControlKind::Manual
            ]
        );
        assert_eq!(parsed.controls[0].framework, Framework::Stig);
        assert_eq!(
            parsed.controls[0].expected,
            Some(Expectation::Principals(vec![
                "S-1-5-32-544".into(),
                "S-1-5-32-555".into()
            ]))
        );
        assert_eq!(
            parsed.controls[1].key.as_deref(),
            Some("hklm\\system\\currentcontrolset\\services\\spooler\\start")
        );
        assert_eq!(
            parsed.controls[1].expected,
            Some(Expectation::OneOf(vec![Value::Int(4)]))
        );
        assert!(
            parsed.controls[2]
                .key
                .as_deref()
                .unwrap()
                .contains("AuditCredentialValidation")
        );
        assert_eq!(parsed.controls[3].expected, Some(Expectation::AtLeast(14)));
    }

    #[test]
    fn bad_rows_are_positioned_and_skipped() {
        let text = format!("{HEADER}1,a,b\n2,\"Cat\",\"Name\",Registry,,HKLM:\\X,Y,,,,,1,=,Low\n");
        let (_, parsed) = read_text("x.csv", &text);
        assert_eq!(parsed.controls.len(), 1);
        assert_eq!(parsed.errors[0].line, Some(2));
        assert!(
            parsed.errors[0]
                .message
                .contains("row has 3 fields, the header has 14")
        );
        let (_, parsed) = read_text("x.csv", "ID,Name\n1,a\n");
        assert!(parsed.errors[0].message.contains("no `Method` column"));
        let (_, parsed) = read_text("x.csv", &format!("{HEADER}1,\"open"));
        assert!(
            parsed.errors[0]
                .message
                .starts_with("invalid CSV: unterminated quoted field")
        );
        assert_eq!(
            (parsed.errors[0].line, parsed.errors[0].column),
            (Some(2), Some(3))
        );
    }

    #[test]
    fn framework_from_name_then_ids() {
        let rows = |ids: &[&str]| -> Vec<Record> {
            ids.iter()
                .map(|i| Record {
                    fields: vec![Field {
                        text: i.to_string(),
                        span: Span::default(),
                    }],
                    span: Span::default(),
                })
                .collect()
        };
        let header = vec![Field {
            text: "ID".into(),
            span: Span::default(),
        }];
        assert_eq!(
            framework(Path::new("finding_list_dod_x.csv"), &[], &header),
            Framework::Stig
        );
        assert_eq!(
            framework(
                Path::new("finding_list_msft_x.csv"),
                &rows(&["1.1"]),
                &header
            ),
            Framework::Other
        );
        assert_eq!(
            framework(Path::new("mine.csv"), &rows(&["1.1", "18.9.5.1"]), &header),
            Framework::Cis
        );
        assert_eq!(
            framework(Path::new("mine.csv"), &rows(&["1000"]), &header),
            Framework::Other
        );
    }
}
