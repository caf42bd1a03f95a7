//! Security templates (`GptTmpl.inf`, formats.md 2.1; [MS-GPSB] 2.2): the Security Settings of a
//! GPO's Computer half.
//!
//! The file is UTF-16LE with a BOM and CRLF line ends; it arrives decoded. Lines are
//! `[Section]` headers and `key = value` entries; blank lines and comment lines starting with
//! `;` are skipped (a `;` inside a value, as in SDDL strings, is data). A setting's `span` is
//! the value as written (quotes included), its `name_span` the key; `file` is the template.
//!
//! # Keys and values by section
//!
//! | Section | Key | Value |
//! |---|---|---|
//! | `[System Access]` | catalog key for the name (`MinimumPasswordAge`, `LSAAnonymousNameLookup`...), else `system_access:<name>` | `Int`, or `Str` without its quotes (`NewGuestName = "Visitor"`), normalised by the catalog |
//! | `[Kerberos Policy]` | `kerberos_policy:<name>` | `Int` |
//! | `[Event Audit]` | `event_audit:<name>` | `Int` (1 success, 2 failure, 3 both) |
//! | `[Application Log]`, `[System Log]`, `[Security Log]` | `event_log:<application\|system\|security>/<name>` | `Int` |
//! | `[Privilege Rights]` | catalog key for the privilege constant, else `privilege:<constant>` | `List` of SIDs (`*` removed) and account names, sorted; empty = assigned to no one |
//! | `[Registry Values]` | catalog key for `MACHINE\<path>\<value>`, else `hklm\<path>\<value>` | type 4 `Int`; 1, 2 `Str` (quotes removed); 7 `List` of `Str`; 3 `Str`; normalised by the catalog (`"1"` -> `Int(1)` for an int setting) |
//! | `[Service General Setting]` | catalog key for `HKLM\SYSTEM\CurrentControlSet\Services\<name>\Start`, else that path lower-cased | `Int` startup (2 automatic, 3 manual, 4 disabled); a non-empty SDDL also gives `service_security:<name>` = `Str` |
//! | `[Group Membership]` | `group_membership:<group SID or name>/members` or `/memberof` | `List`, sorted |
//! | `[File Security]`, `[Registry Keys]` | `file_security:<path>` / `registry_keys:<path>` | `Str("<mode>,<sddl>")` |
//! | `[Unicode]`, `[Version]` | none (file metadata) | |
//! | any other section | `inf:<section>/<name>` | `Str` as written |
//!
//! Stable keys (those not from the catalog) are lower-cased. A malformed line (no `=`, a bad
//! `[Registry Values]` type prefix, non-numeric REG_DWORD data, a bad service line, a line
//! before any section) is an [`InputError`] at that line and column; the rest still loads.

use crate::catalog::Catalog;
use crate::ingest::Parsed;
use crate::ingest::json::input_error;
use crate::ingest::registry_pol::{Hive, gpo_folder_name, label, normalise, registry_key};
use crate::model::{InputError, Policy, PolicyKind, Setting, Value};
use crate::source::{SourceFile, SourceId, Span};

/// Read a template as one GPO policy. `gpo` names the GPO when read from a backup; a
/// standalone template is named after its GPO folder (or its file name).
pub fn read(id: SourceId, file: &SourceFile, gpo: Option<&str>, catalog: &Catalog) -> Parsed {
    let (settings, errors) = settings(id, file, catalog);
    let name = gpo.map_or_else(|| gpo_folder_name(&file.path), str::to_string);
    let policy = Policy {
        id: None,
        name,
        kind: PolicyKind::Gpo,
        source: id,
        span: Span::new(0, file.len()),
        name_span: Span::new(0, 0),
        settings,
        assignments: Vec::new(),
        assignments_exported: false,
        gpo: None,
    };
    Parsed {
        policies: vec![policy],
        errors,
        ..Parsed::default()
    }
}

/// The settings of a template (each with `file: Some(id)`) and its malformed lines.
pub fn settings(
    id: SourceId,
    file: &SourceFile,
    catalog: &Catalog,
) -> (Vec<Setting>, Vec<InputError>) {
    let mut reader = Reader {
        id,
        file,
        catalog,
        section: None,
        settings: Vec::new(),
        errors: Vec::new(),
    };
    for (start, line) in lines(file.text()) {
        reader.line(start, line);
    }
    (reader.settings, reader.errors)
}

/// Each line with its byte offset, without its line end (CRLF, LF or a lone CR).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(bytes.len(), |i| start + i);
        let line = (start, &text[start..end]);
        start = if bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n') {
            end + 2
        } else {
            end + 1
        };
        Some(line)
    })
}

/// A piece of a line: its text (trimmed) and span in the file.
#[derive(Clone, Copy, Debug)]
struct Piece<'t> {
    text: &'t str,
    span: Span,
}

impl<'t> Piece<'t> {
    fn new(base: usize, whole: &'t str, part: &'t str) -> Piece<'t> {
        let trimmed = part.trim();
        let offset = part.as_ptr() as usize - whole.as_ptr() as usize;
        let lead = part.len() - part.trim_start().len();
        let start = base + offset + lead;
        Piece {
            text: trimmed,
            span: Span::new(start, start + trimmed.len()),
        }
    }

    /// The text without one pair of surrounding double quotes, and its span.
    fn unquoted(self) -> Piece<'t> {
        match self
            .text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
        {
            Some(inner) => Piece {
                text: inner,
                span: Span::new(self.span.start as usize + 1, self.span.end as usize - 1),
            },
            None => self,
        }
    }
}

/// The sections with their own reading.
#[derive(Clone, Debug, PartialEq)]
enum Section {
    Metadata,
    SystemAccess,
    Kerberos,
    EventAudit,
    EventLog(String),
    PrivilegeRights,
    RegistryValues,
    Services,
    GroupMembership,
    Acl(&'static str),
    Other(String),
}

impl Section {
    fn parse(name: &str) -> Section {
        let lower = name.trim().to_ascii_lowercase();
        match lower.as_str() {
            "unicode" | "version" => Section::Metadata,
            "system access" => Section::SystemAccess,
            "kerberos policy" => Section::Kerberos,
            "event audit" => Section::EventAudit,
            "application log" | "system log" | "security log" => {
                Section::EventLog(lower.trim_end_matches(" log").to_string())
            }
            "privilege rights" => Section::PrivilegeRights,
            "registry values" => Section::RegistryValues,
            "service general setting" => Section::Services,
            "group membership" => Section::GroupMembership,
            "file security" => Section::Acl("file_security"),
            "registry keys" => Section::Acl("registry_keys"),
            _ => Section::Other(lower),
        }
    }
}

struct Reader<'a> {
    id: SourceId,
    file: &'a SourceFile,
    catalog: &'a Catalog,
    section: Option<Section>,
    settings: Vec<Setting>,
    errors: Vec<InputError>,
}

impl Reader<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors
            .push(input_error(self.id, self.file, span, message));
    }

    fn line(&mut self, start: usize, line: &str) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            return;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            self.section = Some(Section::parse(name));
            return;
        }
        let whole = Piece::new(start, line, line);
        match self.section.clone() {
            None => self.error(whole.span, "line outside a [section]"),
            Some(Section::Metadata) => {}
            Some(Section::Services) => self.service(start, line, whole),
            Some(Section::Acl(prefix)) => self.acl(start, line, prefix, whole),
            Some(Section::Other(name)) if !line.contains('=') => {
                let key = format!("inf:{name}/{}", whole.text.to_lowercase());
                self.push(
                    key,
                    whole.text,
                    Value::Str(String::new()),
                    None,
                    whole,
                    whole,
                );
            }
            Some(section) => match line.split_once('=') {
                Some((name, value)) => {
                    let name = Piece::new(start, line, name);
                    let value = Piece::new(start, line, value);
                    self.entry(&section, name, value);
                }
                None => self.error(
                    whole.span,
                    format!(
                        "malformed line: expected `name = value`, found `{}`",
                        whole.text
                    ),
                ),
            },
        }
    }

    fn push(
        &mut self,
        key: String,
        raw_name: &str,
        value: Value,
        label: Option<String>,
        name: Piece<'_>,
        at: Piece<'_>,
    ) {
        self.settings.push(Setting {
            key: key.into(),
            raw_name: raw_name.to_string().into(),
            value,
            value_label: label.map(crate::model::Name::from),
            span: at.span,
            name_span: name.span,
            file: Some(self.id),
        });
    }

    fn entry(&mut self, section: &Section, name: Piece<'_>, value: Piece<'_>) {
        let lower = name.text.to_lowercase();
        match section {
            Section::SystemAccess => self.system_access(name, value),
            Section::Kerberos => self.number(format!("kerberos_policy:{lower}"), name, value),
            Section::EventAudit => self.number(format!("event_audit:{lower}"), name, value),
            Section::EventLog(log) => self.number(format!("event_log:{log}/{lower}"), name, value),
            Section::PrivilegeRights => self.privilege(name, value),
            Section::RegistryValues => self.registry_value(name, value),
            Section::GroupMembership => self.group_membership(name, value),
            Section::Other(section) => {
                let key = format!("inf:{section}/{lower}");
                self.push(
                    key,
                    name.text,
                    Value::Str(value.text.to_string()),
                    None,
                    name,
                    value,
                );
            }
            Section::Metadata | Section::Services | Section::Acl(_) => {}
        }
    }

    fn system_access(&mut self, name: Piece<'_>, value: Piece<'_>) {
        let raw = scalar(value.text);
        match self.catalog.resolve(name.text) {
            Some(def) => {
                let value_norm = self.catalog.normalise(def, raw);
                let label = label(self.catalog, Some(def), &value_norm);
                self.push(
                    def.setting_key().to_string(),
                    name.text,
                    value_norm,
                    label,
                    name,
                    value,
                );
            }
            None => {
                let key = format!("system_access:{}", name.text.to_lowercase());
                let label = crate::model::system_access_label(&key, &raw).map(|l| l.to_string());
                self.push(key, name.text, raw, label, name, value);
            }
        }
    }

    fn number(&mut self, key: String, name: Piece<'_>, value: Piece<'_>) {
        self.push(key, name.text, scalar(value.text), None, name, value);
    }

    fn privilege(&mut self, name: Piece<'_>, value: Piece<'_>) {
        let members = principal_list(value.text);
        let key = match self.catalog.resolve(name.text) {
            Some(def) => def.setting_key().clone(),
            None => format!("privilege:{}", name.text.to_lowercase()).into(),
        };
        self.push(key.to_string(), name.text, members, None, name, value);
    }

    fn group_membership(&mut self, name: Piece<'_>, value: Piece<'_>) {
        let lower = name.text.to_lowercase();
        let Some((group, relation)) = lower.rsplit_once("__") else {
            self.error(
                name.span,
                format!(
                    "malformed [Group Membership] line: expected `<group>__Members` or `<group>__Memberof`, found `{}`",
                    name.text
                ),
            );
            return;
        };
        let members = principal_list(value.text);
        if relation == "memberof" && members == Value::List(Vec::new()) {
            return;
        }
        let key = format!(
            "group_membership:{}/{relation}",
            group.trim_start_matches('*')
        );
        self.push(key, name.text, members, None, name, value);
    }

    fn registry_value(&mut self, name: Piece<'_>, value: Piece<'_>) {
        let Some((kind, data)) = value.text.split_once(',') else {
            let message = format!(
                "malformed [Registry Values] line: expected `<type>,<data>` after `=`, found `{}`",
                value.text
            );
            return self.error(value.span, message);
        };
        let kind_piece = Piece::new(value.span.start as usize, value.text, kind);
        let data = Piece::new(value.span.start as usize, value.text, data);
        let raw = match kind_piece.text.parse::<u32>() {
            Ok(kind) => match registry_data(kind, data.text) {
                Ok(raw) => raw,
                Err(message) => return self.error(data.span, message),
            },
            Err(_) => {
                let message = format!(
                    "bad registry type prefix `{}`: expected 1 (REG_SZ), 2, 3, 4 (REG_DWORD) or 7 (REG_MULTI_SZ)",
                    kind_piece.text
                );
                return self.error(kind_piece.span, message);
            }
        };
        let (hive, path, value_name) = split_registry_path(name.text);
        let (key, def) = registry_key(self.catalog, hive, path, value_name);
        let value_norm = normalise(self.catalog, def, raw);
        let label = label(self.catalog, def, &value_norm);
        self.push(key, name.text, value_norm, label, name, data);
    }

    fn service(&mut self, start: usize, line: &str, whole: Piece<'_>) {
        let fields = csv_fields(start, line);
        let [name, startup, sddl] = fields.as_slice() else {
            let message = format!(
                "malformed [Service General Setting] line: expected `\"name\",<startup>,\"<sddl>\"`, found `{}`",
                whole.text
            );
            return self.error(whole.span, message);
        };
        let Ok(mode) = startup.text.parse::<i64>() else {
            let message = format!(
                "service startup mode `{}` is not a number (2 automatic, 3 manual, 4 disabled)",
                startup.text
            );
            return self.error(startup.span, message);
        };
        let service = name.unquoted();
        let path = format!(r"SYSTEM\CurrentControlSet\Services\{}", service.text);
        let (key, def) = registry_key(self.catalog, Hive::Machine, &path, "Start");
        let value = normalise(self.catalog, def, Value::Int(mode));
        let label = label(self.catalog, def, &value);
        self.push(key, service.text, value, label, service, *startup);
        let sddl = sddl.unquoted();
        if !sddl.text.is_empty() {
            let key = format!("service_security:{}", service.text.to_lowercase());
            self.push(
                key,
                service.text,
                Value::Str(sddl.text.into()),
                None,
                service,
                sddl,
            );
        }
    }

    fn acl(&mut self, start: usize, line: &str, prefix: &str, whole: Piece<'_>) {
        let fields = csv_fields(start, line);
        let [path, mode, sddl] = fields.as_slice() else {
            let message = format!(
                "malformed ACL line: expected `\"path\",<mode>,\"<sddl>\"`, found `{}`",
                whole.text
            );
            return self.error(whole.span, message);
        };
        let path = path.unquoted();
        let key = format!("{prefix}:{}", path.text.to_lowercase());
        let value = Value::Str(format!("{},{}", mode.text, sddl.unquoted().text));
        let at = Piece {
            text: "",
            span: Span::new(mode.span.start as usize, sddl.span.end as usize),
        };
        self.push(key, path.text, value, None, path, at);
    }
}

/// A number as `Int`, a quoted string without its quotes, anything else as written.
fn scalar(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    Value::Str(unquote(text).to_string())
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

/// `*S-1-5-32-544,Guests` -> sorted `["Guests", "S-1-5-32-544"]`.
fn principal_list(text: &str) -> Value {
    let mut members: Vec<String> = text
        .split(',')
        .map(|m| unquote(m.trim()).trim_start_matches('*').to_string())
        .filter(|m| !m.is_empty())
        .collect();
    members.sort();
    Value::List(members.into_iter().map(Value::Str).collect())
}

/// `[Registry Values]` data for a type prefix.
fn registry_data(kind: u32, data: &str) -> Result<Value, String> {
    match kind {
        4 => data
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("REG_DWORD data `{data}` is not a decimal number")),
        1..=3 => Ok(Value::Str(unquote(data).to_string())),
        7 => Ok(Value::List(
            data.split(',')
                .map(|s| Value::Str(unquote(s.trim()).to_string()))
                .filter(|v| *v != Value::Str(String::new()))
                .collect(),
        )),
        other => Err(format!(
            "bad registry type prefix {other}: expected 1 (REG_SZ), 2, 3, 4 (REG_DWORD) or 7 (REG_MULTI_SZ)"
        )),
    }
}

/// `MACHINE\System\...\Lsa\pku2u\AllowOnlineID` -> (HKLM, `System\...\Lsa\pku2u`, `AllowOnlineID`).
pub(crate) fn split_registry_path(full: &str) -> (Hive, &str, &str) {
    let (root, rest) = full.split_once('\\').unwrap_or(("", full));
    let hive = Hive::parse(root);
    let rest = if hive == Hive::Unknown { full } else { rest };
    match rest.rsplit_once('\\') {
        Some((path, value)) => (hive, path, value),
        None => (hive, "", rest),
    }
}

/// Comma-separated fields, commas inside double quotes kept (`"name",4,"D:(A;;RC;;;BA)"`).
fn csv_fields(start: usize, line: &str) -> Vec<Piece<'_>> {
    let mut fields = Vec::new();
    let mut quoted = false;
    let mut from = 0;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(Piece::new(start, line, &line[from..i]));
                from = i + 1;
            }
            _ => {}
        }
    }
    fields.push(Piece::new(start, line, &line[from..]));
    fields
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::Encoding;

    const TEMPLATE: &str = "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nMinimumPasswordAge = 1\r\nNewGuestName = \"Visitor\"\r\nLockoutBadCount = 3\r\nLockoutDuration = -1\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n; a comment\r\n[Privilege Rights]\r\nSeNetworkLogonRight = *S-1-5-32-555,*S-1-5-32-544\r\nSeTcbPrivilege =\r\nSeMadeUpPrivilege =\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Control\\Lsa\\pku2u\\AllowOnlineID=4,0\r\nMACHINE\\System\\CurrentControlSet\\Control\\Lsa\\RestrictRemoteSAM=1,\"O:BAG:BAD:(A;;RC;;;BA)\"\r\nMACHINE\\Software\\Contoso\\Names=7,a,b\r\n[Service General Setting]\r\n\"RemoteRegistry\",4,\"\"\r\n[Event Audit]\r\nAuditLogonEvents = 3\r\n[Group Membership]\r\n*S-1-5-32-544__Members = *S-1-5-21-1-512\r\n[File Security]\r\n\"%SystemRoot%\\x\",2,\"D:(A;;FA;;;BA)\"\r\n[Mystery]\r\nFoo = bar\r\n";

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text(
            Path::new("{B}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf"),
            text.to_string(),
            Encoding::Utf16Le,
        )
    }

    fn read_text(text: &str) -> (SourceFile, Parsed) {
        let f = file(text);
        let parsed = read(SourceId(0), &f, None, Catalog::builtin());
        (f, parsed)
    }

    /// The catalog key of an alias, or the alias itself as a stable key.
    fn value<'p>(parsed: &'p Parsed, alias: &str) -> &'p Setting {
        let key = Catalog::builtin()
            .resolve(alias)
            .map_or_else(|| alias.to_string(), |d| d.setting_key().to_string());
        parsed.policies[0]
            .settings
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
    }

    #[test]
    fn sections_become_settings_with_spans() {
        let (f, parsed) = read_text(TEMPLATE);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.policies[0].name, "{B}");
        let pku2u = Catalog::builtin().resolve("pku2u_allow_online_id").unwrap();
        let s = value(&parsed, &pku2u.key);
        assert_eq!(s.value, Value::Int(0));
        assert_eq!(f.slice(s.span), "0");
        assert_eq!(
            f.slice(s.name_span),
            r"MACHINE\System\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID"
        );
        let line_start = f
            .text()
            .find(r"MACHINE\System\CurrentControlSet\Control\Lsa\pku2u")
            .unwrap();
        assert_eq!(
            &f.text()[line_start..s.span.end as usize],
            r"MACHINE\System\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID=4,0"
        );
        assert_eq!(f.line_col(s.span.start as usize).0, 17);
        assert_eq!(s.file, Some(SourceId(0)));

        let rights = value(
            &parsed,
            &Catalog::builtin()
                .resolve("SeNetworkLogonRight")
                .unwrap()
                .key,
        );
        assert_eq!(
            rights.value,
            Value::List(vec![
                Value::Str("S-1-5-32-544".into()),
                Value::Str("S-1-5-32-555".into())
            ])
        );
        let tcb = Catalog::builtin().resolve("SeTcbPrivilege").unwrap();
        assert_eq!(value(&parsed, &tcb.key).value, Value::List(vec![]));
        assert_eq!(
            value(&parsed, "privilege:semadeupprivilege").value,
            Value::List(vec![])
        );
        let sam = value(
            &parsed,
            r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\RestrictRemoteSAM",
        );
        assert_eq!(sam.value, Value::Str("O:BAG:BAD:(A;;RC;;;BA)".into()));
        assert_eq!(f.slice(sam.span), "\"O:BAG:BAD:(A;;RC;;;BA)\"");
        let rr = value(
            &parsed,
            r"HKLM\SYSTEM\CurrentControlSet\Services\RemoteRegistry\Start",
        );
        assert_eq!(
            (rr.value.clone(), rr.value_label.as_deref()),
            (Value::Int(4), Some("Disabled"))
        );
        assert_eq!(
            value(&parsed, "event_audit:auditlogonevents").value,
            Value::Int(3)
        );
        assert_eq!(
            value(&parsed, "system_access:lockoutbadcount").value,
            Value::Int(3)
        );
        let lockout = value(&parsed, "system_access:lockoutduration");
        assert_eq!(lockout.value, Value::Int(-1));
        assert_eq!(
            lockout.value_label.as_deref(),
            Some("until an administrator unlocks the account")
        );
        assert_eq!(
            value(&parsed, "inf:mystery/foo").value,
            Value::Str("bar".into())
        );
        assert_eq!(
            value(&parsed, "group_membership:s-1-5-32-544/members").value,
            Value::List(vec![Value::Str("S-1-5-21-1-512".into())])
        );
        assert_eq!(
            value(&parsed, r"file_security:%systemroot%\x").value,
            Value::Str("2,D:(A;;FA;;;BA)".into())
        );
        assert_eq!(
            value(&parsed, r"hklm\software\contoso\names").value,
            Value::List(vec![Value::Str("a".into()), Value::Str("b".into())])
        );
    }

    #[test]
    fn malformed_lines_are_positioned_errors_and_the_rest_loads() {
        let text = "[Registry Values]\r\nMACHINE\\A\\B=x,1\r\nMACHINE\\A\\C=4,abc\r\nno equals here\r\nMACHINE\\A\\D=4,7\r\n[Service General Setting]\r\n\"svc\",x,\"\"\r\n";
        let (f, parsed) = read_text(text);
        let errors = &parsed.errors;
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(13)));
        assert!(errors[0].message.contains("type prefix"));
        assert_eq!((errors[1].line, errors[1].column), (Some(3), Some(15)));
        assert!(errors[1].message.contains("REG_DWORD"));
        assert_eq!((errors[2].line, errors[2].column), (Some(4), Some(1)));
        assert_eq!(errors[3].line, Some(7));
        assert_eq!(value(&parsed, r"hklm\a\d").value, Value::Int(7));
        let _ = f;
    }

    #[test]
    fn comments_are_skipped_but_semicolons_in_values_kept() {
        let text = "; header comment\n[Registry Values]\n  ; indented comment\nMACHINE\\A\\S=1,\"D:(A;;RC;;;BA)\"\n";
        let (_, parsed) = read_text(text);
        assert!(parsed.errors.is_empty());
        assert_eq!(
            value(&parsed, r"hklm\a\s").value,
            Value::Str("D:(A;;RC;;;BA)".into())
        );
    }

    #[test]
    fn system_access_names_resolve_through_the_catalog() {
        let (_, parsed) = read_text(
            "[System Access]\nMinimumPasswordAge = 1\nLSAAnonymousNameLookup = 0\nPasswordHistorySize = 24\n",
        );
        let catalog = Catalog::builtin();
        for (name, expected) in [
            ("MinimumPasswordAge", 1),
            ("LSAAnonymousNameLookup", 0),
            ("PasswordHistorySize", 24),
        ] {
            let def = catalog.resolve(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(value(&parsed, &def.key).value, Value::Int(expected));
        }
    }

    #[test]
    fn truncations_and_mutations_of_a_real_template_never_panic() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "tests/fixtures/gpo/troennes/BasicSecDomain/{14144BB4-26AC-4A90-B4E1-BE99F58A4FFF}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf",
        );
        let real = SourceFile::decode(&path, &std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(real.encoding, Encoding::Utf16Le);
        let parsed = read(SourceId(0), &real, None, Catalog::builtin());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.policies[0].settings.len(), 5);
        let text = real.text();
        for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = read_text(&text[..end]);
        }
        for (i, c) in text.char_indices().step_by(2) {
            for replacement in ["=", ",", "[", "\"", ";", "\r\n"] {
                let mut mutated = text.to_string();
                mutated.replace_range(i..i + c.len_utf8(), replacement);
                let (_, parsed) = read_text(&mutated);
                assert!(parsed.errors.iter().all(|e| e.line.is_some()));
            }
        }
    }

    #[test]
    fn every_truncation_and_mutation_reads_without_panic() {
        for end in 0..TEMPLATE.len() {
            if TEMPLATE.is_char_boundary(end) {
                let _ = read_text(&TEMPLATE[..end]);
            }
        }
        for (i, _) in TEMPLATE.char_indices() {
            for c in ["=", ",", "\"", "[", "]", ";", "\n", "é"] {
                let mut m = TEMPLATE.to_string();
                m.replace_range(i..i + 1, c);
                let (_, parsed) = read_text(&m);
                assert!(parsed.errors.iter().all(|e| e.line.is_some()));
            }
        }
    }
}
