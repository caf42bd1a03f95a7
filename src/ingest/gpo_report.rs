//! `Get-GPOReport -ReportType Xml` reports and the `gpreport.xml` of GPMC backups (formats.md
//! section 1): a `GPO` root for one GPO, or a `report` root holding one `GPO` each (`-All`).
//!
//! Read with quick-xml's namespace-aware event reader into a small tree ([`xml`]) that keeps
//! byte spans; elements are matched by namespace URI and local name, never by prefix (`q1:`,
//! `q5:`... change per document). No DTD or entity expansion: only the five predefined entities
//! and character references are decoded.
//!
//! # One policy per GPO
//!
//! `kind` [`PolicyKind::Gpo`]; `id` and `GpoInfo::guid` the `Identifier/Identifier` GUID, braced
//! and upper-cased; `name`/`name_span` the `Name` text; `span` the `GPO` element. `GpoInfo`:
//! domain, `Computer/Enabled` and `User/Enabled` (a disabled half is still read: its settings
//! are in the policy, the flag says they reach nothing), security filtering (trustees with
//! `Allow` + `Apply Group Policy`), WMI filter (`FilterName`, no query: reports do not carry it).
//! One [`Target::GpoLink`] assignment per `LinksTo` (span: the `LinksTo` element; `target_span`:
//! the `SOMPath` text; `order` None, the report has no link order); `assignments_exported` is
//! true (a report always lists its links, so no `LinksTo` = unlinked).
//!
//! # Settings
//!
//! `span` is the value element's text (`SettingNumber`, `State`, an attribute value), `name_span`
//! the name's text (`KeyName`, `Name`). Keys are the catalog's canonical key where
//! `Catalog::resolve` knows the name, else a lower-cased stable key:
//!
//! | Extension / element | Key | Value |
//! |---|---|---|
//! | Security `Account` | catalog key of `Name` (`MinimumPasswordAge`...), else `system_access:<name>`; `Type` Kerberos: `kerberos_policy:<name>` | `Int` (4294967295 read as -1, as GptTmpl.inf writes it); `SettingBoolean` as `Int` 0/1, as GptTmpl.inf stores it |
//! | Security `Audit` | `event_audit:<name>` | `Int`: 1 success + 2 failure |
//! | Security `EventLog` | `event_log:<log>/<name>` | `Int` (booleans 0/1) |
//! | Security `UserRightsAssignment` | catalog key of the privilege constant, else `privilege:<constant>` | `List` of member SIDs (names where no SID), sorted; no member = `[]` |
//! | Security `SecurityOptions` `KeyName` | catalog key of `MACHINE\...`, else `hklm\<path>\<value>` | `SettingNumber` `Int`; `SettingString` without its INF quotes, normalised by the catalog (`"1"` -> `Int(1)` for an int setting); `SettingStrings` `List` |
//! | Security `SecurityOptions` `SystemAccessPolicyName` | catalog key of the name, else `system_access:<name>` | as above |
//! | Security `SystemServices` | catalog key of `HKLM\SYSTEM\CurrentControlSet\Services\<name>\Start`, else that path lower-cased; SDDL where reported: `service_security:<name>` | `Int` 2 automatic, 3 manual, 4 disabled |
//! | Security `RestrictedGroups` | `group_membership:<group SID or name>/members` (and `/memberof` when listed) | `List`, sorted |
//! | Registry (ADMX) `Policy` | catalog key of `admx:<half>/<Category>/<Name>` (`half` = `computer` or `user`; the catalog knows the ADMX display names of ADMX-backed policies) or, when the category was renamed since, of the only record of that half with the same last category part and display name; else `admx:<half>/<category>/<name>` lower-cased | Enabled/Disabled: the catalog's value for the state (the registry data the policy writes), else `Int(1)`/`Int(0)` |
//! | ADMX element (`DropDownList`, `Numeric`, `CheckBox`, `EditText`, `ListBox`, `MultiText`...) of an Enabled policy | the catalog's element child where the element can be identified (by element id from the display name; the only child when one element is shown; by kind when the element is the only one of its kind and the parent has one child of that kind left: a check box beside a list box; for a policy the catalog does not know, the record named `admx:<half>/<category>/<policy>/<element name>`, as the 24H2 SMB dialects are), else `admx:<half>/<category>/<policy>/<element name>` | mapped through the catalog (dropdown display text -> item value) where known; else dropdown `Str` (display text), numeric `Int`, checkbox `Bool`, text `Str`, lists `List`; an element whose `State` is `NotConfigured` (no value in Registry.pol) is not read |
//! | ADMX `ListBox` with `ExplicitValue` true (Hardened UNC Paths) whose list the catalog knows (`value_list`) | each entry as the registry value `<list key>\<Name>`, keyed as `RegistrySetting` | `Data` as `Str` |
//! | ADMX `ListBox` of plain entries (device IDs to block) | the parent's numbered list record (`<list key>\*`, [`SettingDef::is_numbered_list`]), by element id or as the parent's only list | `List` of the entries, sorted |
//! | Registry `RegistrySetting` | catalog key of `<hive>\<KeyPath>\<Name>` (`HKLM` in the Computer half, `HKCU` in the User half), else lower-cased; no value: `<hive>\<keypath>\` | `Number` `Int`, `String` `Str` |
//! | Advanced Audit `AuditSetting` | catalog key of the subcategory GUID (or name), else `audit:<guid>` | `Int` (`SettingValue`: 0 none, 1 success, 2 failure, 3 both) |
//! | GPP Windows Registry `Registry/Properties` | as `RegistrySetting`, from the `hive`/`key`/`name` attributes (other hives: `hkey_users\...` lower-cased) | REG_DWORD/QWORD hex -> `Int`; strings `Str`; action `D` -> `NotConfigured`; disabled items are skipped |
//! | anything else (Firewall, Public Key, AppLocker, NRPT, unknown children of the above) | `gpo:<half>/<extension>/<element path>`: local names lower-cased, `[id]` from an `Id`/`uid`/`Name`/`Type` attribute, a `Name`-like child or the position among same-named siblings; attributes as `.../<element>@<attribute>` | `true`/`false` `Bool`, integers `Int`, else `Str` |
//!
//! `<extension>` is the extension namespace after `.../GroupPolicy/Settings/`, lower-cased, `/`
//! as `-` (`windowsfirewall`, `publickey`, `srpv2`, `windows-registry`). [`is_user_half_key`]
//! tells which keys belong to the User half.
//!
//! Malformed XML is an [`InputError`] at the reader's error position; what was read before the
//! damage is still returned.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::catalog::{Catalog, SettingDef, normalise_alias};
use crate::ingest::Parsed;
use crate::ingest::json::input_error;
use crate::ingest::registry_pol::{Hive, label, normalise, registry_key, value_list_setting};
use crate::ingest::security_template::split_registry_path;
use crate::model::{
    Assignment, GpoInfo, GpoLink, InputError, Mode, Policy, PolicyKind, Setting, Target, Trustee,
    Value, WmiFilterRef,
};
use crate::source::{SourceFile, SourceId, Span};

use xml::Element;

/// `GPO` and its direct children.
pub const NS_SETTINGS: &str = "http://www.microsoft.com/GroupPolicy/Settings";
/// `Identifier`, `Domain`, trustee and member `SID`/`Name`.
pub const NS_TYPES: &str = "http://www.microsoft.com/GroupPolicy/Types";
/// Security descriptors (`Permissions`, `TrusteePermissions`...).
pub const NS_TYPES_SECURITY: &str = "http://www.microsoft.com/GroupPolicy/Types/Security";
/// The Security Settings extension.
pub const NS_SECURITY: &str = "http://www.microsoft.com/GroupPolicy/Settings/Security";
/// Administrative Templates and other Registry.pol content.
pub const NS_REGISTRY: &str = "http://www.microsoft.com/GroupPolicy/Settings/Registry";
/// Advanced Audit Configuration.
pub const NS_AUDITING: &str = "http://www.microsoft.com/GroupPolicy/Settings/Auditing";
/// Group Policy Preferences, Windows Registry.
pub const NS_GPP_REGISTRY: &str = "http://www.microsoft.com/GroupPolicy/Settings/Windows/Registry";
/// Group Policy Preferences, Local Users and Groups.
pub const NS_GPP_LUGS: &str = "http://www.microsoft.com/GroupPolicy/Settings/Lugs";
/// Windows Firewall with Advanced Security settings.
pub const NS_FIREWALL: &str = "http://www.microsoft.com/GroupPolicy/Settings/WindowsFirewall";

/// Read a report: one policy per GPO, errors positioned in the file.
pub fn read(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    let mut reader = Reader {
        id,
        file,
        catalog,
        errors: Vec::new(),
        admx_names: OnceCell::new(),
    };
    let policies = reader.document();
    Parsed {
        policies,
        errors: reader.errors,
        ..Parsed::default()
    }
}

/// True for keys of settings from a GPO's User half: `HKCU\...`, `admx:user/...`,
/// `gpo:user/...` (the scope needs it to honour "User configuration settings disabled").
pub fn is_user_half_key(key: &str) -> bool {
    let lower = key.get(..10).unwrap_or(key).to_ascii_lowercase();
    lower.starts_with("hkcu") || lower.starts_with("admx:user/") || lower.starts_with("gpo:user/")
}

/// `{1b6aab4d-...}` or `1B6AAB4D-...` -> `{1B6AAB4D-...}`.
pub fn normalise_guid(text: &str) -> String {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    format!("{{{}}}", inner.to_ascii_uppercase())
}

/// The half of a GPO a setting comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// Computer Configuration (`Machine` folder, HKLM).
    Computer,
    /// User Configuration (`User` folder, HKCU).
    User,
}

impl Half {
    /// `computer` / `user`, as used in stable keys.
    pub fn name(self) -> &'static str {
        match self {
            Half::Computer => "computer",
            Half::User => "user",
        }
    }

    /// The registry hive the half writes (`HKLM` / `HKCU`).
    pub fn hive(self) -> Hive {
        match self {
            Half::Computer => Hive::Machine,
            Half::User => Hive::User,
        }
    }
}

struct Reader<'a> {
    id: SourceId,
    file: &'a SourceFile,
    catalog: &'a Catalog,
    errors: Vec<InputError>,
    /// ADMX display names without their category, built on first use.
    admx_names: OnceCell<AdmxNames<'a>>,
}

/// Catalog records by `<half>|<tail>` for every tail after a `/` of their `admx:` aliases, so
/// that a policy whose category was renamed since (`SCM: Pass the Hash Mitigations` is now
/// `MS Security Guide`, `Windows Defender/MAPS` is `Microsoft Defender Antivirus/MAPS`) is
/// still found when exactly one record of that half has the same last category part and
/// display name (the display name alone for a one-part category).
struct AdmxNames<'c> {
    /// Every `admx:` alias as `<half>/<category path>/<name>` (normalised) with its record,
    /// listed under the alias's last part: a lookup's tail ends with that part, so only these
    /// are compared. One entry per alias, not per tail: the index is built once per run, and
    /// a run of a few GPO reports would otherwise spend a fifth of its time on it.
    by_last_part: HashMap<String, Vec<(String, &'c SettingDef)>>,
}

impl<'c> AdmxNames<'c> {
    fn new(catalog: &'c Catalog) -> AdmxNames<'c> {
        let mut by_last_part: HashMap<String, Vec<(String, &'c SettingDef)>> = HashMap::new();
        for def in catalog.settings() {
            for name in def.other_names.iter().map(|n| normalise_alias(n)) {
                let Some(rest) = name.strip_prefix("admx:") else {
                    continue;
                };
                // A tail starts after a `/` of the path: an alias of a bare name has none.
                let Some((_, path)) = rest.split_once('/') else {
                    continue;
                };
                let Some((_, last)) = path.rsplit_once('/') else {
                    continue;
                };
                by_last_part
                    .entry(last.to_string())
                    .or_default()
                    .push((rest.to_string(), def));
            }
        }
        AdmxNames { by_last_part }
    }

    /// The only record with an alias of this half whose path ends with the category's last
    /// part and the name (the name alone for a one-part category), after a `/`.
    fn unique(&self, half: Half, category: &str, name: &str) -> Option<&'c SettingDef> {
        let tail = match category.rsplit_once('/') {
            Some((_, last)) => format!("{}/{name}", last.trim()),
            None => name.to_string(),
        };
        let tail = normalise_alias(&tail);
        let last = tail.rsplit('/').next().unwrap_or(&tail);
        let mut found: Option<&'c SettingDef> = None;
        for (alias, def) in self.by_last_part.get(last)? {
            let Some(path) = alias
                .strip_prefix(half.name())
                .and_then(|rest| rest.strip_prefix('/'))
            else {
                continue;
            };
            let ends_with_tail = path
                .strip_suffix(tail.as_str())
                .is_some_and(|before| before.ends_with('/'));
            match found {
                _ if !ends_with_tail => {}
                Some(other) if !std::ptr::eq(other, *def) => return None,
                _ => found = Some(def),
            }
        }
        found
    }
}

impl<'a> Reader<'a> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors
            .push(input_error(self.id, self.file, span, message));
    }

    fn document(&mut self) -> Vec<Policy> {
        let text = self.file.text();
        let errors_before = self.errors.len();
        // The GPOs of a report of many are read as each closes, and dropped.
        let mut gpos = Vec::new();
        let (root, damage) = xml::parse_handing_off(text, &mut |root, child| {
            if root == "report" && child.local == "GPO" {
                gpos.push(self.gpo(&child));
                None
            } else {
                Some(child)
            }
        });
        if let Some(damage) = damage {
            let at = Span::new(damage.offset, damage.offset);
            self.error(at, format!("malformed XML: {}", damage.message));
            // Before the GPOs' own errors, where it was when the whole tree was read first.
            self.errors[errors_before..].rotate_right(1);
        }
        let Some(root) = root else {
            return Vec::new();
        };
        match root.local.as_str() {
            "GPO" => vec![self.gpo(&root)],
            "report" => {
                if gpos.is_empty() {
                    self.error(root.name_span, "the report holds no <GPO> element");
                }
                gpos
            }
            other => {
                let message = format!(
                    "not a GPO report: the root element is <{other}>, expected <GPO> or <report>"
                );
                self.error(root.name_span, message);
                Vec::new()
            }
        }
    }

    // ---- identity, status, filtering, links ----

    fn gpo(&mut self, gpo: &Element) -> Policy {
        let ns = gpo.ns.as_str();
        let identifier = gpo.child(ns, "Identifier");
        let guid = identifier
            .and_then(|i| i.child(NS_TYPES, "Identifier"))
            .map(|e| normalise_guid(e.text()));
        if guid.is_none() {
            self.error(gpo.name_span, "the GPO has no Identifier/Identifier (GUID)");
        }
        let domain = identifier
            .and_then(|i| i.child(NS_TYPES, "Domain"))
            .map(|d| d.text().to_string())
            .filter(|d| !d.is_empty());
        let name = gpo.child(ns, "Name");
        let computer = gpo.child(ns, "Computer");
        let user = gpo.child(ns, "User");
        let mut settings = Vec::new();
        for (half, element) in [(Half::Computer, computer), (Half::User, user)] {
            if let Some(element) = element {
                self.half(half, element, &mut settings);
            }
        }
        let info = GpoInfo {
            guid: guid.clone().unwrap_or_default(),
            domain,
            computer_enabled: half_enabled(computer),
            user_enabled: half_enabled(user),
            security_filter: security_filter(gpo.child(ns, "SecurityDescriptor")),
            wmi_filter: gpo.child(ns, "FilterName").map(|f| WmiFilterRef {
                name: f.text().to_string(),
                query: None,
                span: f.text_span(),
            }),
            principals: named_principals(gpo),
            from_files: false,
            exported_at: (gpo.child(ns, "ReadTime"))
                .map(|t| t.text().trim().to_string())
                .filter(|t| !t.is_empty()),
            other_copies: Vec::new(),
            version: report_version(ns, computer, user),
        };
        Policy {
            id: guid,
            name: name.map(|n| n.text().to_string()).unwrap_or_default(),
            kind: PolicyKind::Gpo,
            source: self.id,
            span: gpo.span,
            name_span: name.map_or(gpo.name_span, Element::text_span),
            settings,
            assignments: gpo.children(ns, "LinksTo").map(link).collect(),
            assignments_exported: true,
            gpo: Some(Box::new(info)),
        }
    }

    // ---- extensions ----

    fn half(&mut self, half: Half, element: &Element, out: &mut Vec<Setting>) {
        let ns = element.ns.as_str();
        for data in element.children(ns, "ExtensionData") {
            let Some(extension) = data.child(ns, "Extension") else {
                continue;
            };
            // Passwords stored in preference items, whatever the extension (MS14-025).
            super::gpp_passwords::read(extension, None, out);
            let type_ns = extension
                .xsi_type
                .as_ref()
                .map_or(extension.ns.as_str(), |(ns, _)| ns.as_str());
            match type_ns {
                NS_SECURITY => self.security(half, extension, out),
                NS_REGISTRY => self.registry(half, extension, out),
                NS_AUDITING => self.auditing(half, extension, out),
                NS_GPP_REGISTRY => gpp_registry(self.catalog, half, extension, None, out),
                NS_GPP_LUGS if half == Half::Computer => {
                    super::gpp_local_groups::read(extension, None, out)
                }
                other => {
                    let prefix = format!("gpo:{}/{}", half.name(), extension_name(other, data));
                    match (other, half) {
                        (NS_FIREWALL, Half::Computer) => self.firewall(&prefix, extension, out),
                        _ => generic(&prefix, extension, out),
                    }
                }
            }
        }
    }

    fn security(&mut self, half: Half, extension: &Element, out: &mut Vec<Setting>) {
        let prefix = format!("gpo:{}/security", half.name());
        for item in &extension.children {
            let known = item.ns == NS_SECURITY;
            match item.local.as_str() {
                "Blocked" if known => {}
                "Account" if known => out.extend(self.account(item)),
                "Audit" if known => out.extend(legacy_audit(item)),
                "EventLog" if known => out.extend(event_log(item)),
                "UserRightsAssignment" if known => out.extend(self.user_right(item)),
                "SecurityOptions" if known => out.extend(self.security_option(item)),
                "SystemServices" if known => self.service(item, out),
                "RestrictedGroups" if known => restricted_group(item, out),
                _ => flatten(&prefix, item, &extension.children, out),
            }
        }
    }

    fn account(&self, item: &Element) -> Option<Setting> {
        let name = item.child(NS_SECURITY, "Name")?;
        let value_el = first_child(
            item,
            NS_SECURITY,
            &["SettingNumber", "SettingBoolean", "SettingString"],
        )?;
        let raw = match value_el.local.as_str() {
            "SettingBoolean" => Value::Int(i64::from(value_el.text() == "true")),
            _ => signed32(scalar_unquoted(value_el.text())),
        };
        let kerberos = item
            .child(NS_SECURITY, "Type")
            .is_some_and(|t| t.text().eq_ignore_ascii_case("kerberos"));
        let (key, def) = if kerberos {
            (
                format!("kerberos_policy:{}", name.text().to_lowercase()),
                None,
            )
        } else {
            self.resolve_or(name.text(), || {
                format!("system_access:{}", name.text().to_lowercase())
            })
        };
        Some(self.setting(
            key,
            name.text(),
            def,
            raw,
            value_el.text_span(),
            name.text_span(),
        ))
    }

    fn user_right(&self, item: &Element) -> Option<Setting> {
        let name = item.child(NS_SECURITY, "Name")?;
        let members: Vec<&Element> = item.children(NS_SECURITY, "Member").collect();
        let value = principals(&members);
        let span = match (members.first(), members.last()) {
            (Some(first), Some(last)) => {
                Span::new(first.span.start as usize, last.span.end as usize)
            }
            _ => item.span,
        };
        let (key, _) = self.resolve_or(name.text(), || {
            format!("privilege:{}", name.text().to_lowercase())
        });
        Some(self.setting(key, name.text(), None, value, span, name.text_span()))
    }

    fn security_option(&self, item: &Element) -> Option<Setting> {
        let value_el = first_child(
            item,
            NS_SECURITY,
            &["SettingNumber", "SettingString", "SettingStrings"],
        )?;
        let raw = match value_el.local.as_str() {
            "SettingStrings" => Value::List(
                value_el
                    .children
                    .iter()
                    .map(|v| Value::Str(unquote(v.text()).to_string()))
                    .collect(),
            ),
            _ => scalar_unquoted(value_el.text()),
        };
        if let Some(key_name) = item.child(NS_SECURITY, "KeyName") {
            let (hive, path, value) = split_registry_path(key_name.text());
            let (key, def) = registry_key(self.catalog, hive, path, value);
            return Some(self.setting(
                key,
                key_name.text(),
                def,
                raw,
                value_el.text_span(),
                key_name.text_span(),
            ));
        }
        let name = item.child(NS_SECURITY, "SystemAccessPolicyName")?;
        let raw = signed32(raw);
        let (key, def) = self.resolve_or(name.text(), || {
            format!("system_access:{}", name.text().to_lowercase())
        });
        Some(self.setting(
            key,
            name.text(),
            def,
            raw,
            value_el.text_span(),
            name.text_span(),
        ))
    }

    fn service(&self, item: &Element, out: &mut Vec<Setting>) {
        let (Some(name), Some(mode)) = (
            item.child(NS_SECURITY, "Name"),
            item.child(NS_SECURITY, "StartupMode"),
        ) else {
            return;
        };
        let raw = match mode.text().to_ascii_lowercase().as_str() {
            "automatic" => Value::Int(2),
            "manual" => Value::Int(3),
            "disabled" => Value::Int(4),
            _ => scalar(mode.text()),
        };
        let path = format!(r"SYSTEM\CurrentControlSet\Services\{}", name.text());
        let (key, def) = registry_key(self.catalog, Hive::Machine, &path, "Start");
        out.push(self.setting(
            key,
            name.text(),
            def,
            raw,
            mode.text_span(),
            name.text_span(),
        ));
        let sddl = item
            .child(NS_SECURITY, "SecurityDescriptor")
            .and_then(|sd| sd.child(NS_TYPES_SECURITY, "SDDL"))
            .filter(|s| !s.text().is_empty());
        if let Some(sddl) = sddl {
            let key = format!("service_security:{}", name.text().to_lowercase());
            let value = Value::Str(sddl.text().to_string());
            out.push(plain_setting(
                key,
                name.text(),
                value,
                sddl.text_span(),
                name.text_span(),
            ));
        }
    }

    fn registry(&mut self, half: Half, extension: &Element, out: &mut Vec<Setting>) {
        let prefix = format!("gpo:{}/registry", half.name());
        for item in &extension.children {
            let known = item.ns == NS_REGISTRY;
            match item.local.as_str() {
                "Blocked" if known => {}
                "Policy" if known => self.admx_policy(half, item, out),
                "RegistrySetting" if known => out.extend(self.registry_setting(half, item)),
                _ => flatten(&prefix, item, &extension.children, out),
            }
        }
    }

    fn registry_setting(&self, half: Half, item: &Element) -> Option<Setting> {
        let key_path = item.child(NS_REGISTRY, "KeyPath")?;
        let value = item.child(NS_REGISTRY, "Value");
        let name = value.and_then(|v| v.child(NS_REGISTRY, "Name"));
        let data = value.and_then(|v| v.children.iter().find(|c| c.local != "Name"));
        let (key, def) = registry_key(
            self.catalog,
            half.hive(),
            key_path.text(),
            name.map_or("", Element::text),
        );
        let raw = match data {
            Some(d) if d.local == "Number" => scalar(d.text()),
            Some(d) => Value::Str(d.text().to_string()),
            None => Value::Str(String::new()),
        };
        let span = data.map_or(key_path.text_span(), Element::text_span);
        let name_span = name.map_or(key_path.text_span(), Element::text_span);
        let raw_name = format!("{}\\{}", key_path.text(), name.map_or("", Element::text));
        Some(self.setting(key, &raw_name, def, raw, span, name_span))
    }

    fn auditing(&mut self, half: Half, extension: &Element, out: &mut Vec<Setting>) {
        let prefix = format!("gpo:{}/auditing", half.name());
        for item in &extension.children {
            let setting = (item.ns == NS_AUDITING && item.local == "AuditSetting")
                .then(|| self.audit_setting(item))
                .flatten();
            match setting {
                Some(setting) => out.push(setting),
                None => flatten(&prefix, item, &extension.children, out),
            }
        }
    }

    fn audit_setting(&self, item: &Element) -> Option<Setting> {
        let value = item.child(NS_AUDITING, "SettingValue")?;
        let name = item.child(NS_AUDITING, "SubcategoryName");
        let guid = item.child(NS_AUDITING, "SubcategoryGuid");
        let name_text = name.map_or("", Element::text);
        let guid_text = guid.map_or("", Element::text);
        let (key, def) = audit_key(self.catalog, guid_text, name_text)?;
        let name_span = name.or(guid).map_or(item.name_span, Element::text_span);
        Some(self.setting(
            key,
            name_text,
            def,
            scalar(value.text()),
            value.text_span(),
            name_span,
        ))
    }

    // ---- Administrative Templates ----

    fn admx_policy(&self, half: Half, item: &Element, out: &mut Vec<Setting>) {
        let (Some(name), Some(state)) = (
            item.child(NS_REGISTRY, "Name"),
            item.child(NS_REGISTRY, "State"),
        ) else {
            return;
        };
        let category = item
            .child(NS_REGISTRY, "Category")
            .map_or("", Element::text);
        let alias = format!("admx:{}/{category}/{}", half.name(), name.text());
        let def = self
            .catalog
            .resolve(&alias)
            .or_else(|| self.admx_names().unique(half, category, name.text()));
        let enabled = state.text().eq_ignore_ascii_case("enabled");
        let (value, label) = admx_state_value(self.catalog, def, state.text());
        out.push(Setting {
            key: def.map_or_else(|| alias.to_lowercase().into(), |d| d.setting_key().clone()),
            raw_name: alias.clone().into(),
            value,
            value_label: label.map(crate::model::Name::from),
            span: state.text_span(),
            name_span: name.text_span(),
            file: None,
        });
        if enabled {
            let elements: Vec<&Element> = item
                .children
                .iter()
                .filter(|c| is_admx_element(c))
                .collect();
            let lists: Vec<Option<Vec<Setting>>> = elements
                .iter()
                .map(|e| def.and_then(|d| self.value_list_entries(d, e)))
                .collect();
            let children = match def {
                Some(parent) => element_children(self.catalog, parent, &alias, &elements, &lists),
                None => elements
                    .iter()
                    .map(|e| element_by_alias(self.catalog, &alias, e))
                    .collect(),
            };
            for ((element, list), child) in elements.iter().zip(lists).zip(children) {
                match list {
                    Some(entries) => out.extend(entries),
                    None => out.extend(self.admx_element(&alias, child, element)),
                }
            }
        }
    }

    fn admx_element(
        &self,
        alias: &str,
        child: Option<&SettingDef>,
        element: &Element,
    ) -> Option<Setting> {
        let name = element.child(NS_REGISTRY, "Name")?;
        let (raw, span) = admx_element_value(element)?;
        let mapped = child.and_then(|c| map_element_value(self.catalog, c, element, &raw));
        let raw_name = format!("{alias}/{}", name.text());
        let setting = match (child, mapped) {
            (Some(child), Some(value)) => Setting {
                key: child.setting_key().clone(),
                raw_name: raw_name.into(),
                value_label: self.catalog.label_name(child, &value).cloned(),
                value,
                span,
                name_span: name.text_span(),
                file: None,
            },
            _ => plain_setting(
                raw_name.to_lowercase(),
                &raw_name,
                raw,
                span,
                name.text_span(),
            ),
        };
        Some(setting)
    }

    /// The entries of a list box that names its values (`ExplicitValue` true, Hardened UNC
    /// Paths) as the registry values they write (`HKLM\…\HardenedPaths\\\*\NETLOGON` = its
    /// data), named at the entry's name and set at its data; None for any other element, or
    /// when the catalog does not know where the list writes.
    fn value_list_entries(&self, parent: &SettingDef, element: &Element) -> Option<Vec<Setting>> {
        // Asked of every element of every enabled ADMX policy: the kind first, it costs nothing.
        if element.local != "ListBox" {
            return None;
        }
        let explicit = element
            .child(NS_REGISTRY, "ExplicitValue")
            .is_some_and(|e| e.text().trim().eq_ignore_ascii_case("true"));
        if !explicit {
            return None;
        }
        let name = element.child(NS_REGISTRY, "Name").map_or("", Element::text);
        let list = value_list_child(self.catalog, parent, name)?
            .value_list
            .as_deref()?;
        let entries = element
            .child(NS_REGISTRY, "Value")
            .into_iter()
            .flat_map(|v| v.children(NS_REGISTRY, "Element"));
        Some(
            entries
                .filter_map(|entry| {
                    let name = entry.child(NS_REGISTRY, "Name")?;
                    let data = entry.child(NS_REGISTRY, "Data")?;
                    Some(value_list_setting(
                        self.catalog,
                        list,
                        name.text(),
                        Value::Str(data.text().to_string()),
                        data.text_span(),
                        name.text_span(),
                    ))
                })
                .collect(),
        )
    }

    // ---- helpers ----

    /// The display-name index, shared by every read for the built-in catalog.
    fn admx_names(&self) -> &AdmxNames<'a> {
        if std::ptr::eq(self.catalog, Catalog::builtin()) {
            static BUILTIN: OnceLock<AdmxNames<'static>> = OnceLock::new();
            return BUILTIN.get_or_init(|| AdmxNames::new(Catalog::builtin()));
        }
        self.admx_names.get_or_init(|| AdmxNames::new(self.catalog))
    }

    /// The catalog key of an alias, else the fallback key.
    fn resolve_or(
        &self,
        alias: &str,
        fallback: impl FnOnce() -> String,
    ) -> (String, Option<&SettingDef>) {
        match self.catalog.resolve(alias) {
            Some(def) => (def.setting_key().to_string(), Some(def)),
            None => (fallback(), None),
        }
    }

    fn setting(
        &self,
        key: String,
        raw_name: &str,
        def: Option<&SettingDef>,
        raw: Value,
        span: Span,
        name_span: Span,
    ) -> Setting {
        let value = normalise(self.catalog, def, raw);
        let value_label = label(self.catalog, def, &value)
            .map(crate::model::Name::from)
            .or_else(|| crate::model::system_access_label(&key, &value));
        Setting {
            value_label,
            key: key.into(),
            raw_name: raw_name.to_string().into(),
            value,
            span,
            name_span,
            file: None,
        }
    }
}

fn plain_setting(
    key: String,
    raw_name: &str,
    value: Value,
    span: Span,
    name_span: Span,
) -> Setting {
    Setting {
        key: key.into(),
        raw_name: raw_name.to_string().into(),
        value,
        value_label: None,
        span,
        name_span,
        file: None,
    }
}

/// The version a report gives each half (`<Computer><VersionSysvol>`, else
/// `<VersionDirectory>`; the higher of the two), None when it gives neither half's.
fn report_version(
    ns: &str,
    computer: Option<&Element>,
    user: Option<&Element>,
) -> Option<crate::model::GpoVersion> {
    let count = |half: Option<&Element>| {
        let half = half?;
        ["VersionSysvol", "VersionDirectory"]
            .iter()
            .filter_map(|name| half.child(ns, name)?.text().trim().parse::<u16>().ok())
            .max()
    };
    let (computer, user) = (count(computer), count(user));
    (computer.is_some() || user.is_some()).then(|| crate::model::GpoVersion {
        computer: computer.unwrap_or(0),
        user: user.unwrap_or(0),
    })
}

fn half_enabled(half: Option<&Element>) -> bool {
    half.and_then(|h| h.child(h.ns.as_str(), "Enabled"))
        .is_none_or(|e| !e.text().eq_ignore_ascii_case("false"))
}

/// Every principal the GPO's report names by both SID and name, anywhere in it (restricted
/// groups and their members, user rights, security filtering, the members of preference
/// local groups): SID in capitals, one per SID.
fn named_principals(gpo: &Element) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![gpo];
    while let Some(element) = stack.pop() {
        let text = |local| {
            element
                .child(NS_TYPES, local)
                .map(|e| e.text().trim())
                .filter(|t| !t.is_empty())
        };
        if let (Some(sid), Some(name)) = (text("SID"), text("Name")) {
            found.push((sid.to_ascii_uppercase(), name.to_string()));
        }
        found.extend(super::gpp_local_groups::named_members(element));
        stack.extend(&element.children);
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

fn security_filter(descriptor: Option<&Element>) -> Vec<Trustee> {
    let Some(permissions) = descriptor.and_then(|d| d.child(NS_TYPES_SECURITY, "Permissions"))
    else {
        return Vec::new();
    };
    let text_of = |e: &Element, path: &[&str]| {
        path.iter()
            .try_fold(e, |e, local| e.child(NS_TYPES_SECURITY, local))
            .map(|e| e.text().to_string())
    };
    permissions
        .children(NS_TYPES_SECURITY, "TrusteePermissions")
        .filter(|tp| {
            text_of(tp, &["Type", "PermissionType"])
                .is_some_and(|t| t.eq_ignore_ascii_case("allow"))
        })
        .filter(|tp| {
            text_of(tp, &["Standard", "GPOGroupedAccessEnum"])
                .is_some_and(|t| t.eq_ignore_ascii_case("apply group policy"))
        })
        .filter_map(|tp| tp.child(NS_TYPES_SECURITY, "Trustee"))
        .map(trustee)
        .collect()
}

fn trustee(element: &Element) -> Trustee {
    let sid = element
        .child(NS_TYPES, "SID")
        .filter(|s| !s.text().is_empty());
    let name = element
        .child(NS_TYPES, "Name")
        .filter(|n| !n.text().is_empty());
    Trustee {
        sid: sid.map(|s| s.text().to_string()),
        name: name
            .or(sid)
            .map_or_else(String::new, |n| n.text().to_string()),
        span: name.or(sid).map_or(element.span, Element::text_span),
    }
}

fn link(element: &Element) -> Assignment {
    let ns = element.ns.as_str();
    let text = |local| element.child(ns, local).map_or("", Element::text);
    let flag = |local, default| match text(local).to_ascii_lowercase().as_str() {
        "true" => true,
        "false" => false,
        _ => default,
    };
    let path = element.child(ns, "SOMPath");
    Assignment {
        target: Target::GpoLink(GpoLink {
            som_path: text("SOMPath").to_string(),
            som_name: text("SOMName").to_string(),
            enabled: flag("Enabled", true),
            enforced: flag("NoOverride", false),
            order: None,
        }),
        mode: Mode::Include,
        filter: None,
        span: element.span,
        target_span: path.map_or(element.name_span, Element::text_span),
        file: None,
    }
}

/// The extension's key segment: its namespace after `.../GroupPolicy/Settings/`.
fn extension_name(namespace: &str, data: &Element) -> String {
    let tail = namespace
        .strip_prefix(NS_SETTINGS)
        .map(|t| t.trim_start_matches('/'))
        .filter(|t| !t.is_empty());
    let name = match tail {
        Some(tail) => tail.to_string(),
        None => data
            .child(data.ns.as_str(), "Name")
            .map_or_else(|| "extension".to_string(), |n| n.text().to_string()),
    };
    name.to_lowercase().replace(['/', ' '], "-")
}

fn first_child<'e>(item: &'e Element, ns: &str, locals: &[&str]) -> Option<&'e Element> {
    item.children
        .iter()
        .find(|c| c.ns == ns && locals.contains(&c.local.as_str()))
}

/// `true`/`false` as `Bool`, integers as `Int`, anything else as `Str`.
pub fn scalar(text: &str) -> Value {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    match text.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::Str(text.to_string()),
    }
}

/// The report writes `[System Access]` numbers as unsigned 32-bit values where GptTmpl.inf
/// writes -1 ("forever", LockoutDuration): read 2^31..2^32-1 as the signed value.
fn signed32(value: Value) -> Value {
    match value {
        Value::Int(i) if i > i64::from(i32::MAX) && i <= i64::from(u32::MAX) => {
            Value::Int(i64::from(i as u32 as i32))
        }
        other => other,
    }
}

/// Integers as `Int`, anything else as `Str` without INF quotes (`"1"` stays a string: the
/// catalog decides whether the setting is numeric).
fn scalar_unquoted(text: &str) -> Value {
    match text.trim().parse::<i64>() {
        Ok(i) => Value::Int(i),
        Err(_) => Value::Str(unquote(text.trim()).to_string()),
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

/// Member SIDs (names where no SID is given), sorted.
fn principals(members: &[&Element]) -> Value {
    let mut ids: Vec<String> = members
        .iter()
        .filter_map(|m| {
            let sid = m
                .child(NS_TYPES, "SID")
                .map(Element::text)
                .filter(|s| !s.is_empty());
            sid.or_else(|| m.child(NS_TYPES, "Name").map(Element::text))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .collect();
    ids.sort();
    Value::List(ids.into_iter().map(Value::Str).collect())
}

fn legacy_audit(item: &Element) -> Option<Setting> {
    let name = item.child(NS_SECURITY, "Name")?;
    let success = item.child(NS_SECURITY, "SuccessAttempts");
    let failure = item.child(NS_SECURITY, "FailureAttempts");
    let on = |e: Option<&Element>| e.is_some_and(|e| e.text().eq_ignore_ascii_case("true"));
    let value = Value::Int(i64::from(on(success)) + 2 * i64::from(on(failure)));
    let span = match (success, failure) {
        (Some(s), Some(f)) => Span::new(s.text_span().start as usize, f.text_span().end as usize),
        (Some(one), None) | (None, Some(one)) => one.text_span(),
        (None, None) => item.span,
    };
    let key = format!("event_audit:{}", name.text().to_lowercase());
    Some(plain_setting(
        key,
        name.text(),
        value,
        span,
        name.text_span(),
    ))
}

fn event_log(item: &Element) -> Option<Setting> {
    let name = item.child(NS_SECURITY, "Name")?;
    let log = item.child(NS_SECURITY, "Log").map_or("", Element::text);
    let value_el = first_child(item, NS_SECURITY, &["SettingNumber", "SettingBoolean"])?;
    let value = match scalar(value_el.text()) {
        Value::Bool(b) => Value::Int(i64::from(b)),
        other => other,
    };
    let key = format!(
        "event_log:{}/{}",
        log.to_lowercase(),
        name.text().to_lowercase()
    );
    Some(plain_setting(
        key,
        name.text(),
        value,
        value_el.text_span(),
        name.text_span(),
    ))
}

fn restricted_group(item: &Element, out: &mut Vec<Setting>) {
    let Some(group) = item.child(NS_SECURITY, "GroupName") else {
        return;
    };
    let sid = group
        .child(NS_TYPES, "SID")
        .map(Element::text)
        .filter(|s| !s.is_empty());
    let name = group
        .child(NS_TYPES, "Name")
        .map(Element::text)
        .unwrap_or("");
    let id = sid.unwrap_or(name).to_lowercase();
    let name_span = group.span;
    for (local, relation) in [("Member", "members"), ("Memberof", "memberof")] {
        let members: Vec<&Element> = item.children(NS_SECURITY, local).collect();
        if members.is_empty() && relation == "memberof" {
            continue;
        }
        let span = xml::span_of_all(&members).unwrap_or(group.span);
        let key = format!("group_membership:{id}/{relation}");
        out.push(plain_setting(
            key,
            name,
            principals(&members),
            span,
            name_span,
        ));
    }
}

/// The catalog key of an audit subcategory by GUID or name, else `audit:<guid>` (or
/// `audit:<name>` without a GUID).
pub(crate) fn audit_key<'c>(
    catalog: &'c Catalog,
    guid: &str,
    name: &str,
) -> Option<(String, Option<&'c SettingDef>)> {
    let def = [guid, name]
        .iter()
        .filter(|a| !a.trim().is_empty())
        .find_map(|a| catalog.resolve(a));
    if let Some(def) = def {
        return Some((def.setting_key().to_string(), Some(def)));
    }
    let guid = guid.trim().trim_start_matches('{').trim_end_matches('}');
    match (guid.is_empty(), name.trim().is_empty()) {
        (false, _) => Some((format!("audit:{}", guid.to_lowercase()), None)),
        (true, false) => Some((format!("audit:{}", name.trim().to_lowercase()), None)),
        (true, true) => None,
    }
}

// ---- ADMX elements ----

/// An ADMX policy's state as a value: the catalog's value for Enabled/Disabled where the
/// catalog knows the policy, else `Int(1)`/`Int(0)`; labelled "Enabled"/"Disabled".
fn admx_state_value(
    catalog: &Catalog,
    def: Option<&SettingDef>,
    state: &str,
) -> (Value, Option<String>) {
    let payload = match state.to_ascii_lowercase().as_str() {
        "enabled" => Some(("<enabled/>", 1, "Enabled")),
        "disabled" => Some(("<disabled/>", 0, "Disabled")),
        _ => None,
    };
    match (payload, def) {
        (Some((text, int, word)), Some(def)) => {
            // A native policy under its Group Policy twin's name (`SAME_DATA_REGISTRY` in
            // scripts/gen-catalog.py): Enabled / Disabled is its value 1 / 0.
            let value = if !def.admx_backed && def.is_int() {
                Value::Int(int)
            } else {
                catalog.normalise(def, Value::Str(text.into()))
            };
            let label = catalog.label(def, &value).unwrap_or(word).to_string();
            (value, Some(label))
        }
        (Some((_, int, word)), None) => (Value::Int(int), Some(word.to_string())),
        (None, _) => (Value::Str(state.to_string()), None),
    }
}

/// Children of a `Policy` that carry an element's value (not the policy's own fields or labels).
fn is_admx_element(element: &Element) -> bool {
    const META: [&str; 7] = [
        "Name",
        "State",
        "Explain",
        "Supported",
        "Category",
        "Comment",
        "Text",
    ];
    element.ns == NS_REGISTRY
        && !META.contains(&element.local.as_str())
        && element.child(NS_REGISTRY, "Name").is_some()
}

/// The element's value as the report shows it, and the span of that value; None for an
/// element GPMC shows as NotConfigured. GPMC shows that when it found no value for the element
/// in Registry.pol (the corpus's "Ansible Fixes" backup: the report was made before a script
/// wrote the value); a cleared check box shows as Disabled. So the report does not say that
/// the GPO sets or deletes the value, and reading the element as "not configured" made
/// `gpo-intune-conflict` report a conflict with an Intune value the GPO never touches.
fn admx_element_value(element: &Element) -> Option<(Value, Span)> {
    let state = element.child(NS_REGISTRY, "State");
    if state.is_some_and(|s| s.text().eq_ignore_ascii_case("notconfigured")) {
        return None;
    }
    let value = element.child(NS_REGISTRY, "Value");
    let found = match (element.local.as_str(), value) {
        ("CheckBox", _) => {
            let state = state?;
            Some((
                Value::Bool(state.text().eq_ignore_ascii_case("enabled")),
                state.text_span(),
            ))
        }
        ("DropDownList", Some(v)) => {
            let name = v.child(NS_REGISTRY, "Name").unwrap_or(v);
            Some((Value::Str(name.text().to_string()), name.text_span()))
        }
        ("ListBox", Some(v)) => Some((list_box(v), v.span)),
        ("MultiText", Some(v)) => {
            Some((sorted_texts(v.children.iter().map(Element::text)), v.span))
        }
        ("Numeric", Some(v)) => Some((scalar(v.text()), v.text_span())),
        (_, Some(v)) => Some((Value::Str(v.text().to_string()), v.text_span())),
        (_, None) => None,
    };
    match found {
        Some(found) => Some(found),
        None => {
            let at = state.map_or(element.span, Element::text_span);
            Some((Value::Str(String::new()), at))
        }
    }
}

fn list_box(value: &Element) -> Value {
    let items = value.children(NS_REGISTRY, "Element").map(|e| {
        let name = e.child(NS_REGISTRY, "Name").map_or("", Element::text);
        match e.child(NS_REGISTRY, "Data") {
            Some(data) if !name.is_empty() => format!("{name}={}", data.text()),
            Some(data) => data.text().to_string(),
            None => name.to_string(),
        }
    });
    sorted_texts(items)
}

fn sorted_texts<S: Into<String>>(items: impl Iterator<Item = S>) -> Value {
    let mut texts: Vec<String> = items.map(Into::into).collect();
    texts.sort();
    Value::List(texts.into_iter().map(Value::Str).collect())
}

/// The catalog's child setting for an element shown by its display name: by element id (the
/// display name without spaces or punctuation, or with `_` for spaces), or the parent's only
/// child when the report shows only one element.
fn admx_child<'c>(
    catalog: &'c Catalog,
    parent: &SettingDef,
    display: &str,
    shown: usize,
) -> Option<&'c SettingDef> {
    let compact: String = display
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let underscored: String = display
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .map(|c| if c == ' ' { '_' } else { c })
        .collect();
    for id in [compact, underscored] {
        if let Some(child) = catalog.child(parent, &id.to_ascii_lowercase()) {
            return Some(child);
        }
    }
    if shown != 1 {
        return None;
    }
    // A list that names its values is no element value (see `value_list_entries`).
    only_child(catalog, parent, |c| c.value_list.is_none())
}

/// The catalog's child record for each element a report shows of one policy (None where none
/// is certain; `lists` marks the list boxes read as a list that names its values). By element
/// name as the catalog knows it ([`element_by_alias`]) or by element id ([`admx_child`]);
/// then, since reports show display names (`Also apply to matching devices that are already
/// installed.` is `DeviceInstall_IDs_Deny_Retroactive`), by kind: an element the only one of
/// its kind left (a check box) takes the parent's only child left of that kind (a boolean), so
/// a policy with a list box and a check box maps both.
fn element_children<'c>(
    catalog: &'c Catalog,
    parent: &SettingDef,
    alias: &str,
    elements: &[&Element],
    lists: &[Option<Vec<Setting>>],
) -> Vec<Option<&'c SettingDef>> {
    let mut children: Vec<Option<&SettingDef>> = elements
        .iter()
        .zip(lists)
        .map(|(e, list)| match list {
            Some(_) => None,
            None => {
                let name = e.child(NS_REGISTRY, "Name").map_or("", Element::text);
                // The record named after the element: the parent's child first (BitLocker's
                // dropdowns), then one by element id, then a record of its own (LAPS values).
                let named = element_by_alias(catalog, alias, e);
                named
                    .filter(|child| child.parent.as_deref() == Some(parent.key.as_str()))
                    .or_else(|| admx_child(catalog, parent, name, elements.len()))
                    .or(named)
            }
        })
        .collect();
    for (i, element) in elements.iter().enumerate() {
        let same_kind_left = |j: usize| {
            j != i
                && children[j].is_none()
                && lists[j].is_none()
                && elements[j].local == element.local
        };
        if children[i].is_some() || lists[i].is_some() || (0..elements.len()).any(same_kind_left) {
            continue;
        }
        let taken = |c: &SettingDef| children.iter().flatten().any(|t| std::ptr::eq(*t, c));
        let mut fitting = catalog
            .children(parent)
            .filter(|c| element_fits(&element.local, c) && !taken(c));
        if let (Some(only), None) = (fitting.next(), fitting.next()) {
            children[i] = Some(only);
        }
    }
    children
}

/// The record that names an element by its display name under the policy's alias
/// (`admx:<half>/<category>/<policy>/<element display name>`): an ADMX child whose element id
/// the display name does not give (the BitLocker startup dropdowns), or a record of its own (the
/// 24H2 SMB dialect dropdowns, whose policies have no registry value of their own, and the
/// Windows LAPS values, native CSP settings that Group Policy sets through elements).
fn element_by_alias<'c>(
    catalog: &'c Catalog,
    alias: &str,
    element: &Element,
) -> Option<&'c SettingDef> {
    let name = element
        .child(NS_REGISTRY, "Name")
        .map_or("", Element::text)
        .trim();
    if name.is_empty() {
        return None;
    }
    catalog.resolve(&format!("{alias}/{name}"))
}

/// Can a report element of this kind (`CheckBox`, `Numeric`...) be this child record? A check
/// box is a boolean (an int whose values are labelled Enabled / Disabled, as the catalog writes
/// ADMX booleans), a number an int without values, a dropdown a setting with values, a list box
/// of plain entries a numbered list, a text box text.
fn element_fits(kind: &str, child: &SettingDef) -> bool {
    let boolean = child.is_int()
        && !child.values.is_empty()
        && child
            .values
            .iter()
            .all(|v| v.label == "Enabled" || v.label == "Disabled");
    match kind {
        "CheckBox" => boolean,
        "Numeric" => child.is_int() && child.values.is_empty(),
        "DropDownList" => !child.values.is_empty() && !boolean,
        "ListBox" => child.is_numbered_list(),
        "EditText" | "MultiText" => {
            child.format.as_deref() == Some("chr")
                && child.values.is_empty()
                && child.value_list.is_none()
        }
        _ => false,
    }
}

/// The parent's one child record that `wanted` takes, if it has exactly one.
fn only_child<'c>(
    catalog: &'c Catalog,
    parent: &SettingDef,
    wanted: impl Fn(&SettingDef) -> bool,
) -> Option<&'c SettingDef> {
    let mut children = catalog.children(parent).filter(|c| wanted(c));
    match (children.next(), children.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The catalog's record for a list box that names its values: by element id as
/// [`admx_child`] finds one, else the parent's only such list.
fn value_list_child<'c>(
    catalog: &'c Catalog,
    parent: &SettingDef,
    display: &str,
) -> Option<&'c SettingDef> {
    if let Some(child) = admx_child(catalog, parent, display, 0) {
        return child.value_list.is_some().then_some(child);
    }
    only_child(catalog, parent, |c| c.value_list.is_some())
}

/// An element's report value in the child setting's domain, or None when it cannot be mapped
/// (a dropdown text the catalog does not list, a type mismatch).
fn map_element_value(
    catalog: &Catalog,
    child: &SettingDef,
    element: &Element,
    raw: &Value,
) -> Option<Value> {
    let int = child.format.as_deref() == Some("int");
    match (element.local.as_str(), raw) {
        ("DropDownList", Value::Str(display)) => {
            let item = child
                .values
                .iter()
                .find(|v| v.label.trim().eq_ignore_ascii_case(display.trim()))?;
            Some(match item.value.parse::<i64>() {
                Ok(i) if int => Value::Int(i),
                _ => Value::Str(item.value.to_string()),
            })
        }
        ("CheckBox", Value::Bool(b)) => {
            let value = catalog.normalise(child, Value::Str(b.to_string()));
            // A CSP boolean the catalog knows by its `true` / `false` options (Windows LAPS).
            let option = || child.option(&b.to_string()).cloned();
            (value != Value::Str(b.to_string()))
                .then_some(value)
                .or_else(option)
        }
        ("Numeric", Value::Int(_)) => int.then(|| raw.clone()),
        ("ListBox", Value::List(_)) if child.is_numbered_list() => {
            Some(catalog.normalise(child, raw.clone()))
        }
        (_, Value::Str(_)) if !int => Some(catalog.normalise(child, raw.clone())),
        _ => None,
    }
}

// ---- GPP registry ----

/// Settings of Group Policy Preferences registry items: `Registry` elements with a `Properties`
/// child anywhere below `root` (the report's extension, or a backup's raw `Registry.xml`).
/// `file` is set on every setting (None for the report's own file).
pub(crate) fn gpp_registry(
    catalog: &Catalog,
    half: Half,
    root: &Element,
    file: Option<SourceId>,
    out: &mut Vec<Setting>,
) {
    for item in root.children.iter() {
        let properties = (item.local == "Registry")
            .then(|| item.children.iter().find(|c| c.local == "Properties"))
            .flatten();
        match properties {
            Some(props) => {
                let disabled = item.attr("disabled").is_some_and(|a| a.value == "1");
                if !disabled {
                    out.extend(gpp_item(catalog, half, props, file));
                }
            }
            None => gpp_registry(catalog, half, item, file, out),
        }
    }
}

fn gpp_item(
    catalog: &Catalog,
    half: Half,
    props: &Element,
    file: Option<SourceId>,
) -> Option<Setting> {
    let attr = |name| props.attr(name);
    let text = |name| attr(name).map_or("", |a| a.value.as_str());
    let key_attr = attr("key")?;
    let (hive_name, path) = gpp_hive_and_path(text("hive"), &key_attr.value, half);
    let value_name = if text("default") == "1" {
        ""
    } else {
        text("name")
    };
    let (key, def) = match Hive::parse(&hive_name) {
        Hive::Unknown => (
            format!("{hive_name}\\{}\\{value_name}", path.trim_matches('\\')).to_lowercase(),
            None,
        ),
        hive => registry_key(catalog, hive, &path, value_name),
    };
    let raw = if text("action").eq_ignore_ascii_case("d") {
        Value::NotConfigured
    } else {
        gpp_value(text("type"), text("value"))
    };
    let value = normalise(catalog, def, raw);
    let span = attr("value").map_or(props.name_span, |a| a.span);
    let name_span = attr("name").map_or(key_attr.span, |a| a.span);
    Some(Setting {
        key: key.into(),
        raw_name: format!("{hive_name}\\{path}\\{value_name}").into(),
        value_label: label(catalog, def, &value).map(crate::model::Name::from),
        value,
        span,
        name_span,
        file,
    })
}

/// The hive (from the `hive` attribute, or a hive written at the start of `key`) and the path.
fn gpp_hive_and_path(hive: &str, key: &str, half: Half) -> (String, String) {
    let (first, rest) = key.split_once('\\').unwrap_or((key, ""));
    if first.to_ascii_uppercase().starts_with("HKEY_")
        || matches!(first.to_ascii_uppercase().as_str(), "HKLM" | "HKCU")
    {
        return (first.to_string(), rest.to_string());
    }
    let hive = if hive.is_empty() {
        half.hive().prefix()
    } else {
        hive
    };
    (hive.to_string(), key.to_string())
}

/// GPP writes REG_DWORD and REG_QWORD data as hex digits (`00000000`).
fn gpp_value(kind: &str, value: &str) -> Value {
    match kind.to_ascii_uppercase().as_str() {
        "REG_DWORD" | "REG_QWORD" | "REG_DWORD_BIG_ENDIAN" => u64::from_str_radix(value.trim(), 16)
            .ok()
            .and_then(|v| i64::try_from(v).ok())
            .map_or_else(|| Value::Str(value.to_string()), Value::Int),
        "REG_MULTI_SZ" => Value::List(
            value
                .split(['\0', '\n'])
                .filter(|s| !s.is_empty())
                .map(|s| Value::Str(s.to_string()))
                .collect(),
        ),
        _ => Value::Str(value.to_string()),
    }
}

// ---- Windows Firewall ----

impl Reader<'_> {
    /// Windows Firewall: a profile's settings (`<q1:DomainProfile><q1:EnableFirewall>
    /// <q1:Value>true</q1:Value>`) are the registry values Group Policy writes for them
    /// (`…\WindowsFirewall\DomainProfile\EnableFirewall`, the log's under `Logging`), keyed as
    /// the catalog keys them, so CIS section 9 and the Firewall CSP meet them. Anything else
    /// (global settings, rules, values the catalog does not list) is read as any extension.
    fn firewall(&self, prefix: &str, extension: &Element, out: &mut Vec<Setting>) {
        for item in extension.children.iter().filter(|c| c.local != "Blocked") {
            if !item.local.ends_with("Profile") {
                flatten(prefix, item, &extension.children, out);
                continue;
            }
            let (segment, _) = segment(item, &extension.children);
            let path = format!("{prefix}/{segment}");
            for setting in &item.children {
                match self.firewall_setting(&item.local, setting) {
                    Some(found) => out.push(found),
                    None => flatten(&path, setting, &item.children, out),
                }
            }
        }
    }

    /// One profile value, found by the name the catalog gives it for GPO reports
    /// (`firewall:DomainProfile/LogFileSize`, written under `Logging`).
    fn firewall_setting(&self, profile: &str, element: &Element) -> Option<Setting> {
        let name = element.local.as_str();
        let def = self
            .catalog
            .resolve(&format!("firewall:{profile}/{name}"))?;
        let value = element.child(NS_FIREWALL, "Value")?;
        Some(self.setting(
            def.setting_key().to_string(),
            name,
            Some(def),
            scalar(value.text()),
            value.text_span(),
            element.name_span,
        ))
    }
}

// ---- anything else ----

/// Every child of an extension as stable-key settings under `prefix`.
fn generic(prefix: &str, extension: &Element, out: &mut Vec<Setting>) {
    for item in &extension.children {
        if item.local != "Blocked" {
            flatten(prefix, item, &extension.children, out);
        }
    }
}

/// One setting per leaf element and per attribute, keyed by the element path.
fn flatten(prefix: &str, element: &Element, siblings: &[Element], out: &mut Vec<Setting>) {
    let (segment, identity) = segment(element, siblings);
    let path = format!("{prefix}/{segment}");
    for attr in &element.attrs {
        if attr.ns.is_empty()
            && Some(attr.local.as_str()) != identity
            && !attr.local.starts_with("xmlns")
        {
            let key = format!("{path}@{}", attr.local.to_lowercase());
            out.push(plain_setting(
                key.clone(),
                &key,
                scalar(&attr.value),
                attr.span,
                element.name_span,
            ));
        }
    }
    if element.children.is_empty() {
        if !element.text().is_empty() || element.attrs.is_empty() {
            out.push(plain_setting(
                path.clone(),
                &path,
                scalar(element.text()),
                element.text_span(),
                element.name_span,
            ));
        }
        return;
    }
    for child in &element.children {
        flatten(&path, child, &element.children, out);
    }
}

/// The key segment of an element and the identity attribute used in it.
fn segment<'e>(element: &'e Element, siblings: &[Element]) -> (String, Option<&'e str>) {
    let local = element.local.to_lowercase();
    const ID_ATTRS: [&str; 4] = ["id", "uid", "name", "type"];
    if let Some(attr) = ID_ATTRS.iter().find_map(|id| {
        element
            .attrs
            .iter()
            .find(|a| a.local.eq_ignore_ascii_case(id) && a.ns.is_empty())
    }) {
        return (
            format!("{local}[{}]", attr.value.to_lowercase()),
            Some(attr.local.as_str()),
        );
    }
    let same: Vec<&Element> = siblings
        .iter()
        .filter(|s| s.local == element.local)
        .collect();
    if same.len() < 2 {
        return (local, None);
    }
    const ID_CHILDREN: [&str; 5] = ["Name", "IssuedTo", "Path", "KeyName", "SubcategoryName"];
    let named = ID_CHILDREN.iter().find_map(|n| {
        element
            .children
            .iter()
            .find(|c| c.local == *n && !c.text().is_empty())
    });
    match named {
        Some(child) => (format!("{local}[{}]", child.text().to_lowercase()), None),
        None => {
            let n = same
                .iter()
                .position(|s| std::ptr::eq(*s, element))
                .unwrap_or(0)
                + 1;
            (format!("{local}[{n}]"), None)
        }
    }
}

/// A small XML tree with byte spans, built from quick-xml's namespace-aware event reader.
pub mod xml {
    use quick_xml::NsReader;
    use quick_xml::XmlVersion;
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::name::{QName, ResolveResult};

    use crate::source::Span;

    const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

    /// An element: namespace URI, local name, attributes, children, direct text.
    #[derive(Clone, Debug, Default)]
    pub struct Element {
        /// Namespace URI; empty when unbound.
        pub ns: String,
        /// Local name (no prefix).
        pub local: String,
        /// From `<` of the start tag to the end of the end tag.
        pub span: Span,
        /// The local name in the start tag.
        pub name_span: Span,
        /// Attributes in document order (namespace declarations included).
        pub attrs: Vec<Attr>,
        /// The `xsi:type` QName resolved to (namespace URI, local name).
        pub xsi_type: Option<(String, String)>,
        /// Child elements in document order.
        pub children: Vec<Element>,
        text: String,
        text_span: Option<Span>,
        tag_end: usize,
    }

    /// An attribute with its decoded value and the span of the raw value (quotes excluded).
    #[derive(Clone, Debug, Default)]
    pub struct Attr {
        /// Namespace URI; empty for an unprefixed attribute.
        pub ns: String,
        /// Local name (no prefix).
        pub local: String,
        /// The value with entities decoded and whitespace normalised.
        pub value: String,
        /// The raw value in the file, quotes excluded.
        pub span: Span,
    }

    /// Where and why reading stopped.
    #[derive(Clone, Debug, PartialEq)]
    pub struct XmlError {
        /// Byte offset in the text.
        pub offset: usize,
        /// The reader's description.
        pub message: String,
    }

    impl Element {
        /// The first child with this namespace URI and local name.
        pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
            self.children
                .iter()
                .find(|c| c.ns == ns && c.local == local)
        }

        /// Every child with this namespace URI and local name.
        pub fn children<'a>(
            &'a self,
            ns: &'a str,
            local: &'a str,
        ) -> impl Iterator<Item = &'a Element> + 'a {
            self.children
                .iter()
                .filter(move |c| c.ns == ns && c.local == local)
        }

        /// The first child with this local name, whatever its namespace (for files without one).
        pub fn child_local(&self, local: &str) -> Option<&Element> {
            self.children
                .iter()
                .find(|c| c.local.eq_ignore_ascii_case(local))
        }

        /// An unqualified attribute by local name.
        pub fn attr(&self, local: &str) -> Option<&Attr> {
            self.attrs
                .iter()
                .find(|a| a.ns.is_empty() && a.local.eq_ignore_ascii_case(local))
        }

        /// An unqualified attribute's value, trimmed; None when it is missing or blank.
        pub fn attr_text(&self, local: &str) -> Option<&str> {
            self.attr(local)
                .map(|a| a.value.trim())
                .filter(|v| !v.is_empty())
        }

        /// The direct text (entities decoded, CDATA included), trimmed.
        pub fn text(&self) -> &str {
            self.text.trim()
        }

        /// The span of the trimmed text; an empty span after the start tag when there is none.
        pub fn text_span(&self) -> Span {
            self.text_span
                .unwrap_or(Span::new(self.tag_end, self.tag_end))
        }
    }

    /// From the first element's `<` to the last one's end; None for none.
    pub fn span_of_all(elements: &[&Element]) -> Option<Span> {
        let (first, last) = (elements.first()?, elements.last()?);
        Some(Span::new(first.span.start as usize, last.span.end as usize))
    }

    /// Deeper nesting is refused: reports nest a dozen levels, and the tree is walked and
    /// dropped recursively, so a hostile file must not be able to exhaust the stack.
    pub const MAX_DEPTH: usize = 256;

    /// Parse a document. Returns the root element (as far as it was read) and the first error.
    pub fn parse(text: &str) -> (Option<Element>, Option<XmlError>) {
        parse_handing_off(text, &mut |_, child| Some(child))
    }

    /// [`parse`], handing each child of the root element to `take` as it closes, with the
    /// root's local name: a child `take` takes (returns None for) is left out of the tree. A
    /// report of many GPOs is then read one GPO at a time, never held whole as a tree (a
    /// 13.5 MB report of 500 GPOs took 60 MB as one).
    pub fn parse_handing_off(
        text: &str,
        take: &mut dyn FnMut(&str, Element) -> Option<Element>,
    ) -> (Option<Element>, Option<XmlError>) {
        let mut builder = Builder {
            text,
            stack: Vec::new(),
            root: None,
            error: None,
            take,
        };
        let (bom, mut reader) = crate::ingest::xccdf::xml::reader_after_byte_order_marks(text);
        loop {
            let start = bom + reader.buffer_position() as usize;
            let (ns, event) = match reader.read_resolved_event() {
                Ok((ns, event)) => (resolved(ns), event),
                Err(e) => {
                    builder.fail(bom + reader.error_position() as usize, e.to_string());
                    break;
                }
            };
            let end = bom + reader.buffer_position() as usize;
            match event {
                Event::Start(e) => {
                    if builder.stack.len() >= MAX_DEPTH {
                        builder.fail(
                            start,
                            format!("elements are nested more than {MAX_DEPTH} deep"),
                        );
                        break;
                    }
                    let element = builder.open(&reader, ns, &e, start, end);
                    builder.stack.push(element);
                }
                Event::Empty(e) => {
                    let mut element = builder.open(&reader, ns, &e, start, end);
                    element.span = Span::new(start, end);
                    builder.close(element);
                }
                Event::End(_) => {
                    if let Some(mut element) = builder.stack.pop() {
                        element.span = Span::new(element.span.start as usize, end);
                        builder.close(element);
                    }
                }
                Event::Text(t) => builder.text(&t, start),
                Event::CData(c) => builder.cdata(&c, start, end),
                Event::GeneralRef(r) => {
                    let decoded = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => predefined(&r).map_or_else(|| format!("&{};", &*r), str::to_string),
                    };
                    builder.piece(&decoded, Span::new(start, end));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        builder.finish()
    }

    fn predefined(name: &str) -> Option<&'static str> {
        Some(match name {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            _ => return None,
        })
    }

    fn resolved(ns: ResolveResult<'_>) -> String {
        match ns {
            ResolveResult::Bound(ns) => ns.as_ref().to_string(),
            _ => String::new(),
        }
    }

    struct Builder<'t> {
        text: &'t str,
        stack: Vec<Element>,
        root: Option<Element>,
        error: Option<XmlError>,
        /// Offered each child of the root as it closes (see [`parse_handing_off`]).
        take: &'t mut dyn FnMut(&str, Element) -> Option<Element>,
    }

    impl Builder<'_> {
        fn fail(&mut self, offset: usize, message: String) {
            if self.error.is_none() {
                self.error = Some(XmlError {
                    offset: offset.min(self.text.len()),
                    message,
                });
            }
        }

        fn open(
            &mut self,
            reader: &NsReader<&[u8]>,
            ns: String,
            e: &BytesStart<'_>,
            start: usize,
            end: usize,
        ) -> Element {
            let qname = e.name();
            let qlen = qname.as_ref().len();
            let local = e.local_name().as_ref().to_string();
            let name_start = (start + 1 + qlen - local.len()).min(end);
            let mut element = Element {
                ns,
                name_span: Span::new(name_start, (start + 1 + qlen).min(end)),
                local,
                span: Span::new(start, end),
                tag_end: end,
                ..Element::default()
            };
            for attr in e.attributes() {
                match attr {
                    Ok(attr) => self.attribute(reader, &mut element, &attr),
                    Err(err) => {
                        let message = format!("bad attribute in <{}>: {err}", element.local);
                        self.fail(start, message);
                        break;
                    }
                }
            }
            element
        }

        /// Add an attribute (namespace resolved, value decoded, span of the raw value) and
        /// resolve `xsi:type` while the element's namespace bindings are in scope.
        fn attribute(
            &self,
            reader: &NsReader<&[u8]>,
            element: &mut Element,
            attr: &quick_xml::events::attributes::Attribute<'_>,
        ) {
            let (attr_ns, attr_local) = reader.resolver().resolve_attribute(attr.key);
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_or_else(|_| attr.value.to_string(), |v| v.into_owned());
            let span = span_in(self.text, &attr.value).unwrap_or(element.span);
            let attr = Attr {
                ns: resolved(attr_ns),
                local: attr_local.as_ref().to_string(),
                value,
                span,
            };
            if attr.ns == XSI && attr.local == "type" {
                let (type_ns, type_local) = reader.resolver().resolve_element(QName(&attr.value));
                element.xsi_type = Some((resolved(type_ns), type_local.as_ref().to_string()));
            }
            element.attrs.push(attr);
        }

        fn close(&mut self, element: Element) {
            let depth = self.stack.len();
            match self.stack.last_mut() {
                Some(root) if depth == 1 => {
                    if let Some(kept) = (self.take)(&root.local, element) {
                        root.children.push(kept);
                    }
                }
                Some(parent) => parent.children.push(element),
                None if self.root.is_none() => self.root = Some(element),
                None => self.fail(
                    element.span.start as usize,
                    "content after the root element".into(),
                ),
            }
        }

        fn text(&mut self, raw: &str, start: usize) {
            let lead = raw.len() - raw.trim_start().len();
            let trimmed = raw.trim();
            let span = Span::new(start + lead, start + lead + trimmed.len());
            self.push_text(raw, (!trimmed.is_empty()).then_some(span));
        }

        fn cdata(&mut self, content: &str, start: usize, end: usize) {
            let inner = Span::new((start + 9).min(end), end.saturating_sub(3).max(start));
            self.push_text(content, (!content.trim().is_empty()).then_some(inner));
        }

        fn piece(&mut self, decoded: &str, span: Span) {
            self.push_text(decoded, Some(span));
        }

        fn push_text(&mut self, text: &str, span: Option<Span>) {
            let Some(top) = self.stack.last_mut() else {
                return;
            };
            top.text.push_str(text);
            if let Some(span) = span {
                top.text_span = Some(match top.text_span {
                    Some(old) => Span::new(old.start as usize, span.end as usize),
                    None => span,
                });
            }
        }

        fn finish(mut self) -> (Option<Element>, Option<XmlError>) {
            if let Some(open) = self.stack.last() {
                let message = format!(
                    "unexpected end of file: <{}> (opened at byte {}) is not closed",
                    open.local, open.span.start
                );
                let end = self.text.len();
                self.fail(end, message);
            }
            while let Some(mut element) = self.stack.pop() {
                element.span = Span::new(element.span.start as usize, self.text.len());
                self.close(element);
            }
            if self.root.is_none() && self.error.is_none() {
                self.fail(self.text.len(), "the document has no root element".into());
            }
            (self.root, self.error)
        }
    }

    /// Byte range of `part` inside `text`, if `part` borrows from it.
    fn span_in(text: &str, part: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        (start + part.len() <= text.len()).then(|| Span::new(start, start + part.len()))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::Encoding;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gpo");

    fn fixture(relative: &str) -> SourceFile {
        let path = Path::new(FIXTURES).join(relative);
        SourceFile::decode(&path, &std::fs::read(&path).unwrap()).unwrap()
    }

    /// A policy whose category was renamed is found by its category's last part and name,
    /// only when one record of that half matches, and only at a `/` of the alias's path.
    #[test]
    fn renamed_categories_are_found_by_last_part_and_name() {
        let names = AdmxNames::new(Catalog::builtin());
        let key = |half, category, name| names.unique(half, category, name).map(|d| &*d.key);
        let uac = "Apply UAC restrictions to local accounts on network logons";
        assert_eq!(
            key(Half::Computer, "SCM: Pass the Hash Mitigations", uac),
            Some(
                r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy"
            )
        );
        assert_eq!(key(Half::User, "SCM: Pass the Hash Mitigations", uac), None);
        let size = "Specify the maximum log file size (KB)";
        assert_eq!(
            key(Half::Computer, "Old Event Log/Security", size),
            Some(
                "./Device/Vendor/MSFT/Policy/Config/EventLogService/SpecifyMaximumFileSizeSecurityLog"
            )
        );
        // Four logs have a policy of this name: the name alone names none of them.
        assert_eq!(key(Half::Computer, "Old Event Log", size), None);
        // `ecurity/...` is a tail of no alias: tails start after a `/`.
        assert_eq!(key(Half::Computer, "Old/ecurity", size), None);
    }

    fn backup_report() -> SourceFile {
        fixture("backup/{7A1B2C3D-0000-4000-8000-000000000001}/gpreport.xml")
    }

    fn read_file(file: &SourceFile) -> Parsed {
        read(SourceId(0), file, Catalog::builtin())
    }

    fn text(file: &str) -> SourceFile {
        SourceFile::from_text(Path::new("r.xml"), file.to_string(), Encoding::Utf8)
    }

    fn setting<'p>(policy: &'p Policy, alias: &str) -> &'p Setting {
        let key = Catalog::builtin()
            .resolve(alias)
            .map_or_else(|| alias.to_string(), |d| d.setting_key().to_string());
        policy
            .settings
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| {
                panic!(
                    "no {key} in {:#?}",
                    policy.settings.iter().map(|s| &s.key).collect::<Vec<_>>()
                )
            })
    }

    /// 1-based line of a byte offset, counted on the text without baselint's line index.
    fn line_of(text: &str, offset: usize) -> usize {
        let before = &text[..offset];
        before.matches('\n').count() + before.matches('\r').count() - before.matches("\r\n").count()
            + 1
    }

    /// Fuzz crash (gpo_report, crash-715f83c0...): a report saved with three UTF-8 BOMs still
    /// starts with two once decoded; quick-xml skips one without counting it, so every span fell
    /// three bytes short (found where that cut a character in two). Spans point at the value.
    #[test]
    fn spans_stay_on_their_bytes_after_repeated_byte_order_marks() {
        for boms in 0..3 {
            let report = registry_report(
                "<q1:RegistrySetting><q1:KeyPath>Software\\Contoso</q1:KeyPath>\
                 <q1:Value><q1:Name>Motto</q1:Name><q1:String>Ünïcödé</q1:String></q1:Value>\
                 </q1:RegistrySetting>",
            );
            let text = format!("{}{}", "\u{feff}".repeat(boms), report.text());
            let file = super::tests::text(&text);
            let parsed = read_file(&file);
            let setting = &parsed.policies[0].settings[0];
            assert_eq!(file.slice(setting.span), "Ünïcödé", "{boms} BOMs");
            assert_eq!(file.slice(setting.name_span), "Motto", "{boms} BOMs");
        }
    }

    /// A report names elements by display text. An element the only one of its kind takes the
    /// parent's only child of that kind (a check box, the boolean); two check boxes and two
    /// booleans whose display names the catalog does not know stay unmapped rather than guessed.
    /// A one-GPO report whose Computer half holds these Administrative Templates `Policy`
    /// elements (prefix `q1`).
    fn registry_report(policies: &str) -> SourceFile {
        text(&format!(
            r#"<GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Identifier><Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{{A}}</Identifier></Identifier><Name>Templates</Name><Computer><ExtensionData><Extension xmlns:q1="http://www.microsoft.com/GroupPolicy/Settings/Registry" xsi:type="q1:RegistrySettings">{policies}</Extension></ExtensionData></Computer></GPO>"#
        ))
    }

    #[test]
    fn elements_shown_by_display_name_map_by_kind_when_unambiguous() {
        let policy = |name: &str, category: &str, elements: &str| {
            format!(
                "<q1:Policy><q1:Name>{name}</q1:Name><q1:State>Enabled</q1:State>\
                 <q1:Category>{category}</q1:Category>{elements}</q1:Policy>"
            )
        };
        let check_box = |name: &str| {
            format!(
                "<q1:CheckBox><q1:Name>{name}</q1:Name><q1:State>Enabled</q1:State></q1:CheckBox>"
            )
        };
        let list_box = "<q1:ListBox><q1:Name>Device IDs:</q1:Name><q1:State>Enabled</q1:State>\
            <q1:ExplicitValue>false</q1:ExplicitValue><q1:Additive>false</q1:Additive><q1:ValuePrefix />\
            <q1:Value><q1:Element><q1:Data>PCI\\CC_0C0A</q1:Data></q1:Element></q1:Value></q1:ListBox>";
        let restrictions = "System/Device Installation/Device Installation Restrictions";
        let deny_ids = policy(
            "Prevent installation of devices that match any of these device IDs",
            restrictions,
            &format!(
                "{list_box}{}",
                check_box("Also apply to matching devices that are already installed.")
            ),
        );
        let error_reporting = policy(
            "Default application reporting settings",
            "Windows Components/Windows Error Reporting/Advanced Error Reporting Settings",
            &format!(
                "{}{}",
                check_box("Report all errors in Microsoft applications."),
                check_box("Report all errors in Windows components.")
            ),
        );
        let parsed = read_file(&registry_report(&format!("{deny_ids}{error_reporting}")));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let keys: Vec<&str> = parsed.policies[0]
            .settings
            .iter()
            .map(|s| &*s.key)
            .collect();
        let restrictions_key =
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions";
        for wanted in [
            "DenyDeviceIDs",
            r"DenyDeviceIDs\*",
            "DenyDeviceIDsRetroactive",
        ] {
            let key = format!(r"{restrictions_key}\{wanted}");
            assert!(keys.contains(&key.as_str()), "no {key} in {keys:#?}");
        }
        let unmapped: Vec<&&str> = keys.iter().filter(|k| k.starts_with("admx:")).collect();
        assert_eq!(unmapped.len(), 2, "{keys:#?}");
        assert!(
            unmapped.iter().all(|k| k.contains("reporting settings")),
            "{keys:#?}"
        );
    }

    /// Two check boxes, so not told apart by kind: the catalog knows their display names.
    /// *Process even if the Group Policy objects have not changed* is `NoGPOListChanges` = 0
    /// (STIG WN11-CC-000090), the background one `NoBackgroundPolicy`.
    #[test]
    fn check_boxes_known_by_display_name_are_their_settings() {
        let parsed = read_file(&registry_report(
            r#"<q1:Policy><q1:Name>Configure registry policy processing</q1:Name><q1:State>Enabled</q1:State><q1:Category>System/Group Policy</q1:Category><q1:CheckBox><q1:Name>Do not apply during periodic background processing</q1:Name><q1:State>Disabled</q1:State></q1:CheckBox><q1:CheckBox><q1:Name>Process even if the Group Policy objects have not changed</q1:Name><q1:State>Enabled</q1:State></q1:CheckBox></q1:Policy>"#,
        ));
        let key = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\Group Policy\{35378EAC-683F-11D2-A89A-00C04FBBCFA2}";
        let policy = &parsed.policies[0];
        assert_eq!(
            setting(policy, &format!(r"{key}\NoGPOListChanges")).value,
            Value::Int(0)
        );
        assert_eq!(
            setting(policy, &format!(r"{key}\NoBackgroundPolicy")).value,
            Value::Int(0)
        );
    }

    /// An element GPMC shows as NotConfigured (its value is not in Registry.pol) sets nothing:
    /// not `false`, not a deletion, and not an unknown `admx:` name. The policy's other
    /// elements are still read, by their position among the elements.
    #[test]
    fn an_element_shown_not_configured_sets_nothing() {
        let parsed = read_file(&registry_report(
            r#"<q1:Policy><q1:Name>Require additional authentication at startup</q1:Name><q1:State>Enabled</q1:State><q1:Category>Windows Components/BitLocker Drive Encryption/Operating System Drives</q1:Category><q1:CheckBox><q1:Name>Allow BitLocker without a compatible TPM (requires a password or a startup key on a USB flash drive)</q1:Name><q1:State>NotConfigured</q1:State></q1:CheckBox><q1:DropDownList><q1:Name>Configure TPM startup:</q1:Name><q1:State>Enabled</q1:State><q1:Value><q1:Name>Require TPM</q1:Name></q1:Value></q1:DropDownList></q1:Policy>"#,
        ));
        let policy = &parsed.policies[0];
        let keys: Vec<&str> = policy.settings.iter().map(|s| &*s.key).collect();
        assert!(
            !keys.iter().any(|k| k.contains("EnableBDEWithNoTPM")),
            "{keys:?}"
        );
        assert!(!keys.iter().any(|k| k.starts_with("admx:")), "{keys:?}");
        let use_tpm = setting(policy, r"HKLM\SOFTWARE\Policies\Microsoft\FVE\UseTPM");
        assert_eq!(use_tpm.value, Value::Int(1));
    }

    #[test]
    fn pku2u_setting_number_is_read_with_its_span_in_a_utf16_report() {
        let file = backup_report();
        assert_eq!(file.encoding, Encoding::Utf16Le);
        let parsed = read_file(&file);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        let pku2u = setting(policy, "pku2u_allow_online_id");
        assert_eq!(pku2u.value, Value::Int(0));
        assert_eq!(pku2u.value_label.as_deref(), Some("Block"));
        assert_eq!(file.slice(pku2u.span), "0");
        assert_eq!(
            file.slice(pku2u.name_span),
            r"MACHINE\System\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID"
        );
        let expected = line_of(
            file.text(),
            file.text()
                .find(r"pku2u\AllowOnlineID</q1:KeyName>")
                .unwrap(),
        ) + 1;
        assert_eq!(file.line_col(pku2u.span.start as usize), (expected, 29));
        assert!(file.text()[..pku2u.span.start as usize].ends_with("<q1:SettingNumber>"));
    }

    #[test]
    fn identity_status_filtering_and_links() {
        let file = backup_report();
        let policy = &read_file(&file).policies[0];
        assert_eq!(
            policy.id.as_deref(),
            Some("{5E6F7A8B-1111-4222-8333-444455556666}")
        );
        assert_eq!(policy.kind, PolicyKind::Gpo);
        assert_eq!(policy.name, "Contoso Workstations & Kiosks");
        assert_eq!(
            file.slice(policy.name_span),
            "Contoso Workstations &amp; Kiosks"
        );
        let gpo = policy.gpo.as_ref().unwrap();
        assert_eq!(gpo.guid, "{5E6F7A8B-1111-4222-8333-444455556666}");
        assert_eq!(gpo.domain.as_deref(), Some("contoso.com"));
        assert!(gpo.computer_enabled && !gpo.user_enabled);
        assert_eq!(
            gpo.security_filter.len(),
            1,
            "Read-only trustees are not filtering"
        );
        let trustee = &gpo.security_filter[0];
        assert_eq!(trustee.sid.as_deref(), Some("S-1-5-21-1000-2000-3000-1201"));
        assert_eq!(trustee.name, r"CONTOSO\GPO - Hybrid Workstations");
        assert_eq!(
            file.slice(trustee.span),
            r"CONTOSO\GPO - Hybrid Workstations"
        );
        let wmi = gpo.wmi_filter.as_ref().unwrap();
        assert_eq!(
            (wmi.name.as_str(), wmi.query.as_deref()),
            ("Windows 10 and later", None)
        );
        assert!(policy.assignments_exported);
        let links: Vec<&GpoLink> = policy
            .assignments
            .iter()
            .map(|a| match &a.target {
                Target::GpoLink(link) => link,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(links.len(), 2);
        assert_eq!(
            (
                links[0].som_path.as_str(),
                links[0].enabled,
                links[0].enforced,
                links[0].order
            ),
            ("contoso.com/Clients/Hybrid", true, true, None)
        );
        assert_eq!(
            (
                links[1].som_name.as_str(),
                links[1].enabled,
                links[1].enforced
            ),
            ("Kiosks", false, false)
        );
        let first = &policy.assignments[0];
        assert_eq!(first.mode, Mode::Include);
        assert_eq!(file.slice(first.target_span), "contoso.com/Clients/Hybrid");
        assert!(
            file.slice(first.span).starts_with("<LinksTo>")
                && file.slice(first.span).ends_with("</LinksTo>")
        );
    }

    /// A report's firewall profile settings are the registry values CIS section 9 checks;
    /// what the catalog does not list keeps its stable key.
    #[test]
    fn firewall_profile_settings_are_registry_values() {
        let report = r#"<?xml version="1.0" encoding="utf-8"?>
<report xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.microsoft.com/GroupPolicy/Settings">
  <GPO>
    <Name>Firewall</Name>
    <Computer>
      <Enabled>true</Enabled>
      <ExtensionData>
        <Extension xmlns:q1="http://www.microsoft.com/GroupPolicy/Settings/WindowsFirewall" xsi:type="q1:WindowsFirewallSettings">
          <q1:GlobalSettings>
            <q1:PolicyVersion><q1:Value>538</q1:Value></q1:PolicyVersion>
          </q1:GlobalSettings>
          <q1:DomainProfile>
            <q1:DefaultInboundAction><q1:Value>true</q1:Value></q1:DefaultInboundAction>
            <q1:EnableFirewall><q1:Value>true</q1:Value></q1:EnableFirewall>
            <q1:LogFileSize><q1:Value>16384</q1:Value></q1:LogFileSize>
            <q1:DisableStealthMode><q1:Value>false</q1:Value></q1:DisableStealthMode>
          </q1:DomainProfile>
          <q1:PublicProfile>
            <q1:AllowLocalPolicyMerge><q1:Value>false</q1:Value></q1:AllowLocalPolicyMerge>
          </q1:PublicProfile>
        </Extension>
        <Name>Windows Firewall</Name>
      </ExtensionData>
    </Computer>
  </GPO>
</report>"#;
        let file = text(report);
        let policy = &read_file(&file).policies[0];
        let firewall = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall";
        let get = |path: &str| setting(policy, &format!(r"{firewall}\{path}"));
        let state = get(r"DomainProfile\EnableFirewall");
        assert_eq!(state.value, Value::Int(1));
        assert_eq!(file.slice(state.span), "true");
        assert_eq!(
            get(r"DomainProfile\DefaultInboundAction").value,
            Value::Int(1)
        );
        let size = get(r"DomainProfile\Logging\LogFileSize");
        assert_eq!(
            (size.value.clone(), file.slice(size.span)),
            (Value::Int(16384), "16384")
        );
        assert_eq!(
            get(r"PublicProfile\AllowLocalPolicyMerge").value,
            Value::Int(0)
        );
        // Not in the catalog: the stable keys any extension gets.
        let keys: Vec<&str> = policy.settings.iter().map(|s| s.key.as_str()).collect();
        assert!(
            keys.contains(&"gpo:computer/windowsfirewall/globalsettings/policyversion/value"),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"gpo:computer/windowsfirewall/domainprofile/disablestealthmode/value"),
            "{keys:?}"
        );
    }

    #[test]
    fn every_extension_gives_settings() {
        let file = backup_report();
        let policy = &read_file(&file).policies[0];
        let get = |alias| setting(policy, alias);
        assert_eq!(get("MinimumPasswordAge").value, Value::Int(1));
        let lockout = get("system_access:lockoutduration");
        assert_eq!(lockout.value, Value::Int(-1));
        assert_eq!(
            lockout.value_label.as_deref(),
            Some("until an administrator unlocks the account")
        );
        assert_eq!(get("LSAAnonymousNameLookup").value, Value::Int(0));
        assert_eq!(
            get("SeNetworkLogonRight").value,
            Value::List(vec![
                Value::Str("S-1-5-32-544".into()),
                Value::Str("S-1-5-32-555".into())
            ])
        );
        assert_eq!(get("SeTcbPrivilege").value, Value::List(Vec::new()));
        let cached =
            get(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\CachedLogonsCount");
        assert_eq!(cached.value, Value::Str("4".into()), "INF quotes removed");
        assert_eq!(file.slice(cached.span), "\"4\"");
        let service = get("remote_registry_service");
        assert_eq!(
            (service.value.clone(), file.slice(service.span)),
            (Value::Int(4), "Disabled")
        );
        assert_eq!(
            get("{0cce923f-69ae-11d9-bed3-505054503030}").value,
            Value::Int(3)
        );
        // ADMX: Enabled is the registry data the policy writes (0 for this inverted one).
        let latfp = get(
            r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy",
        );
        assert_eq!(
            (latfp.value.clone(), latfp.value_label.as_deref()),
            (Value::Int(0), Some("Enabled"))
        );
        assert_eq!(file.slice(latfp.span), "Enabled");
        assert_eq!(
            file.slice(latfp.name_span),
            "Apply UAC restrictions to local accounts on network logons"
        );
        let invocation = get(
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging\EnableScriptBlockInvocationLogging",
        );
        assert_eq!(invocation.value, Value::Int(1));
        // Unknown ADMX policy and element: stable keys.
        assert_eq!(
            get("admx:computer/contoso/agent/contoso agent mode").value,
            Value::Int(1)
        );
        let mode = get("admx:computer/contoso/agent/contoso agent mode/mode");
        assert_eq!(
            (mode.value.clone(), file.slice(mode.span)),
            (Value::Str("Strict".into()), "Strict")
        );
        assert_eq!(
            get(r"hklm\software\policies\contoso\agent\telemetry").value,
            Value::Int(0)
        );
        let gpp = get(r"hklm\software\contoso\agent\mode");
        assert_eq!(
            (
                gpp.value.clone(),
                file.slice(gpp.span),
                file.slice(gpp.name_span)
            ),
            (Value::Int(2), "00000002", "Mode")
        );
        let script = get("gpo:computer/scripts/script/command");
        assert_eq!(
            script.value,
            Value::Str(r"\\contoso.com\NETLOGON\startup.cmd".into())
        );
        // The disabled User half is read; its keys say they are the User half's.
        let user = get(
            r"HKCU\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging\EnableScriptBlockLogging",
        );
        assert_eq!(user.value, Value::Int(0));
        assert!(is_user_half_key(&user.key) && !is_user_half_key(&latfp.key));
        assert!(is_user_half_key("admx:user/x/y") && is_user_half_key("gpo:user/scripts/x"));
        for s in &policy.settings {
            assert!(s.span.end as usize <= file.len() && s.name_span.end as usize <= file.len());
            assert_eq!(s.file, None);
        }
    }

    #[test]
    fn all_report_has_one_policy_per_gpo() {
        let file = fixture("report-all.xml");
        let parsed = read_file(&file);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.policies.len(), 2);
        let (linked, unlinked) = (&parsed.policies[0], &parsed.policies[1]);
        assert_eq!(linked.name, "Default Domain Policy");
        assert_eq!(
            setting(linked, "pku2u_allow_online_id").value,
            Value::Int(1)
        );
        match &linked.assignments[0].target {
            Target::GpoLink(link) => assert_eq!(link.som_path, "contoso.com"),
            other => panic!("{other:?}"),
        }
        assert!(unlinked.assignments.is_empty() && unlinked.assignments_exported);
        assert_eq!(
            unlinked.id.as_deref(),
            Some("{6AC1786C-016F-11D2-945F-00C04FB984F9}")
        );
    }

    #[test]
    fn elements_are_matched_by_namespace_uri_not_prefix() {
        let report = r#"<GPO xmlns="http://www.microsoft.com/GroupPolicy/Settings" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Identifier><t:Identifier xmlns:t="http://www.microsoft.com/GroupPolicy/Types">{A}</t:Identifier></Identifier>
  <Name>N</Name>
  <Computer><Enabled>true</Enabled>
    <ExtensionData>
      <Extension xmlns:zz="http://www.microsoft.com/GroupPolicy/Settings/Security" xmlns:q1="urn:other" xsi:type="zz:SecuritySettings">
        <zz:SecurityOptions><zz:KeyName>MACHINE\System\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID</zz:KeyName><zz:SettingNumber>0</zz:SettingNumber></zz:SecurityOptions>
        <q1:SecurityOptions><q1:KeyName>MACHINE\A\B</q1:KeyName><q1:SettingNumber>5</q1:SettingNumber></q1:SecurityOptions>
      </Extension>
    </ExtensionData>
  </Computer>
</GPO>"#;
        let file = text(report);
        let parsed = read_file(&file);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(policy.id.as_deref(), Some("{A}"));
        assert_eq!(
            setting(policy, "pku2u_allow_online_id").value,
            Value::Int(0)
        );
        // The same local name in another namespace is not a security option.
        assert!(policy.settings.iter().all(|s| s.key != r"hklm\a\b"));
        assert!(
            policy
                .settings
                .iter()
                .any(|s| s.key
                    == r"gpo:computer/security/securityoptions[machine\a\b]/settingnumber")
        );
    }

    #[test]
    fn truncated_xml_is_a_positioned_error_and_keeps_what_was_read() {
        let file = backup_report();
        let cut = file.text().find("<q1:SystemServices>").unwrap();
        let truncated = text(&file.text()[..cut]);
        let parsed = read_file(&truncated);
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let error = &parsed.errors[0];
        assert!(error.message.contains("not closed"), "{}", error.message);
        assert_eq!(error.line, Some(line_of(truncated.text(), truncated.len())));
        let policy = &parsed.policies[0];
        assert_eq!(
            setting(policy, "pku2u_allow_online_id").value,
            Value::Int(0)
        );

        let broken = text(
            "<GPO xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\">\n  <Name>x</Nme>\n</GPO>",
        );
        let parsed = read_file(&broken);
        assert!(
            parsed.errors[0].message.contains("malformed XML"),
            "{:?}",
            parsed.errors
        );
        assert_eq!(parsed.errors[0].line, Some(2));
    }

    #[test]
    fn wrong_roots_are_errors() {
        let parsed = read_file(&text(
            "<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\"/>",
        ));
        assert!(parsed.errors[0].message.contains("not a GPO report"));
        let parsed = read_file(&text("<report/>"));
        assert!(parsed.errors[0].message.contains("no <GPO>"));
        let parsed = read_file(&text(""));
        assert_eq!(parsed.errors.len(), 1);
        let parsed = read_file(&text(
            "<GPO xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\"><Name>x</Name></GPO>",
        ));
        assert!(parsed.errors[0].message.contains("Identifier"));
        assert_eq!(parsed.policies.len(), 1);
    }

    #[test]
    fn children_of_the_root_are_offered_as_they_close() {
        let doc = "<report><GPO><a>1</a></GPO><x/><GPO><b/></GPO></report>";
        let mut offered = Vec::new();
        let (root, error) = xml::parse_handing_off(doc, &mut |root, child| {
            offered.push((root.to_string(), child.local.clone(), child.children.len()));
            (child.local != "GPO").then_some(child)
        });
        assert!(error.is_none());
        let expected = [
            ("report", "GPO", 1),
            ("report", "x", 0),
            ("report", "GPO", 1),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|&(r, c, n)| (r.to_string(), c.to_string(), n))
            .collect();
        assert_eq!(offered, expected);
        let root = root.unwrap();
        let kept: Vec<&str> = root.children.iter().map(|c| c.local.as_str()).collect();
        assert_eq!(kept, ["x"]);
        assert_eq!(root.span, Span::new(0, doc.len()));
    }

    /// A report of many GPOs cut short: the GPOs begun are read (the last as far as it goes),
    /// and the malformed XML is the first error, before the GPOs' own, as when the whole tree
    /// was read first.
    #[test]
    fn a_report_cut_inside_its_second_gpo_reads_both_and_reports_the_cut_first() {
        let whole = fixture("report-all.xml");
        let t = whole.text();
        assert_eq!(read_file(&whole).policies.len(), 2);
        let second = t.match_indices("<GPO").nth(1).unwrap().0;
        // Just after its start tag: the second GPO has no identifier, an error of its own.
        let cut = &t[..second + t[second..].find('>').unwrap() + 1];
        let parsed = read_file(&text(cut));
        assert_eq!(parsed.policies.len(), 2);
        assert!(parsed.errors.len() > 1, "{:?}", parsed.errors);
        assert!(
            parsed.errors[0].message.contains("malformed XML")
                || parsed.errors[0].message.contains("unexpected end of file"),
            "{:?}",
            parsed.errors
        );
        assert_eq!(parsed.policies[0].name, read_file(&whole).policies[0].name);
    }

    #[test]
    fn deep_nesting_is_refused_at_its_position() {
        let open = "<a>".repeat(100_000);
        let text = format!("<GPO xmlns=\"{NS_SETTINGS}\">{open}");
        let (root, error) = xml::parse(&text);
        let error = error.unwrap();
        assert_eq!(error.message, "elements are nested more than 256 deep");
        assert_eq!(
            error.offset,
            "<GPO xmlns=\"\">".len() + NS_SETTINGS.len() + 3 * 255
        );
        assert!(root.is_some());
    }

    #[test]
    fn no_entity_expansion() {
        let report = "<!DOCTYPE GPO [<!ENTITY x \"expanded\">]><GPO xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\"><Identifier><Identifier xmlns=\"http://www.microsoft.com/GroupPolicy/Types\">{A}</Identifier></Identifier><Name>&x;&#65;&lt;</Name></GPO>";
        let parsed = read_file(&text(report));
        assert_eq!(parsed.policies[0].name, "&x;A<");
    }

    #[test]
    fn truncations_and_mutations_of_real_reports_never_panic() {
        let real =
            fixture("troennes/BasicSecDomain/{14144BB4-26AC-4A90-B4E1-BE99F58A4FFF}/gpreport.xml");
        assert!(read_file(&real).errors.is_empty());
        for source in [real, backup_report()] {
            let t = source.text();
            let boundaries: Vec<usize> = (0..t.len()).filter(|&i| t.is_char_boundary(i)).collect();
            for &end in boundaries.iter().step_by(37) {
                let parsed = read_file(&text(&t[..end]));
                assert!(parsed.errors.iter().all(|e| e.line.is_some()));
            }
            for &at in boundaries.iter().step_by(53) {
                for replacement in ["<", ">", "&", "\"", "/", "x"] {
                    let mut mutated = t.to_string();
                    let end = (at + 1..=t.len())
                        .find(|&e| t.is_char_boundary(e))
                        .unwrap_or(t.len());
                    mutated.replace_range(at..end, replacement);
                    let _ = read_file(&text(&mutated));
                }
            }
        }
    }
}
