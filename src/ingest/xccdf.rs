//! DISA STIG XCCDF benchmarks: XCCDF 1.1 manual STIGs and XCCDF 1.2 (SCAP) benchmarks.
//!
//! One [`Control`] per `Rule` (framework STIG, baseline `<benchmark id> V<version>R<release>`,
//! id = the rule's `version` such as `WN11-SO-000185`, aliases = group id, rule id, CCIs). The
//! check text is read for what a machine can compare (see `check_text.rs`): registry values
//! become the catalog key and an [`Expectation`], user rights a principal list, audit
//! subcategories the flags they must include, account policies a bound; everything else is
//! kept as a [`ControlKind::Manual`] control. A check text nothing can be made of is not an
//! error: the control keeps `expected: None`.
//!
//! Elements are matched by namespace URI and local name (`xml.rs`); XCCDF 1.2 ids
//! (`xccdf_mil.disa.stig_rule_SV-…_rule`) are shortened to the 1.1 form.
//!
//! Which rules apply only to domain-joined devices is a hand-made table ([`DOMAIN_SCOPED`]),
//! derived from the check texts, not parsed from prose at run time.

pub(crate) mod check_text;
pub(crate) mod xml;

use std::ops::Range;

use super::Parsed;
use super::json::input_error;
use crate::catalog::Catalog;
use crate::model::{
    ALL_JOIN_TYPES, Control, ControlKind, Expectation, Framework, JoinType, JoinTypeSet,
    Requirement, Value,
};
use crate::source::{SourceFile, SourceId, Span};
use check_text::{RegistryFact, RightRule};
use xml::{Decoded, Element};

/// XCCDF 1.1 namespace (DISA manual STIGs).
pub const XCCDF_11: &str = "http://checklists.nist.gov/xccdf/1.1";
/// XCCDF 1.2 namespace (SCAP benchmarks).
pub const XCCDF_12: &str = "http://checklists.nist.gov/xccdf/1.2";

/// Read an XCCDF benchmark into controls.
pub fn read(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    let root = match xml::parse(file.text()) {
        Ok(root) => root,
        Err(e) => return error(id, file, e.span, e.message),
    };
    let Some(ns) = benchmark_namespace(&root) else {
        return error(id, file, start_tag(&root), not_a_benchmark(&root));
    };
    let reader = Reader {
        id,
        file,
        catalog,
        ns,
        baseline: baseline_name(&root, ns, file.text()),
    };
    let mut controls = Vec::new();
    reader.collect(&root, None, &mut controls);
    Parsed {
        controls,
        ..Parsed::default()
    }
}

fn error(id: SourceId, file: &SourceFile, span: Span, message: String) -> Parsed {
    Parsed {
        errors: vec![input_error(id, file, span, message)],
        ..Parsed::default()
    }
}

/// The span of an element's name in its start tag (`<Benchmark`), for errors about it.
fn start_tag(element: &Element) -> Span {
    let start = element.span.start as usize;
    Span::new(start, start + 1 + element.name.len())
}

fn benchmark_namespace(root: &Element) -> Option<&'static str> {
    [XCCDF_11, XCCDF_12]
        .into_iter()
        .find(|ns| root.is(Some(ns), "Benchmark"))
}

fn not_a_benchmark(root: &Element) -> String {
    let found = match &root.ns {
        Some(ns) => format!("<{}> in namespace {ns}", root.name),
        None => format!("<{}> in no namespace", root.name),
    };
    format!(
        "not an XCCDF benchmark: expected a <Benchmark> root element in namespace {XCCDF_11} or \
         {XCCDF_12}, found {found}"
    )
}

/// `Microsoft_Windows_11_STIG V2R6` from the id, `version` and `plain-text id="release-info"`.
fn baseline_name(root: &Element, ns: &str, text: &str) -> String {
    let id = short_id(root.attr("id").unwrap_or("benchmark"));
    let version = root
        .child(Some(ns), "version")
        .map(|v| v.trimmed_text(text))
        .unwrap_or_default();
    let release = root
        .children_named(Some(ns), "plain-text")
        .find(|p| p.attr("id") == Some("release-info"))
        .and_then(|p| release_number(&p.trimmed_text(text)));
    match (version.is_empty(), release) {
        (false, Some(r)) => format!("{id} V{version}R{r}"),
        (false, None) => format!("{id} V{version}"),
        (true, Some(r)) => format!("{id} R{r}"),
        (true, None) => id.to_string(),
    }
}

/// `Release: 7 Benchmark Date: 01 Apr 2026` -> `7`.
fn release_number(info: &str) -> Option<String> {
    let rest = info.trim().strip_prefix("Release:")?.trim_start();
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!number.is_empty()).then_some(number)
}

/// XCCDF 1.2 ids without their reverse-DNS prefix: `xccdf_mil.disa.stig_rule_SV-1_rule` ->
/// `SV-1_rule`, `xccdf_mil.disa.stig_group_V-1` -> `V-1`.
pub fn short_id(id: &str) -> &str {
    let Some(rest) = id.strip_prefix("xccdf_") else {
        return id;
    };
    ["_benchmark_", "_group_", "_rule_", "_profile_", "_value_"]
        .iter()
        .find_map(|kind| rest.find(kind).map(|at| &rest[at + kind.len()..]))
        .unwrap_or(id)
}

/// What the reader needs for every rule.
struct Reader<'a> {
    id: SourceId,
    file: &'a SourceFile,
    catalog: &'a Catalog,
    ns: &'static str,
    baseline: String,
}

impl Reader<'_> {
    /// Every `Rule` under `element` (Groups may nest in XCCDF 1.2), with its nearest Group.
    fn collect(&self, element: &Element, group: Option<&Element>, out: &mut Vec<Control>) {
        for child in &element.children {
            if child.is(Some(self.ns), "Group") {
                self.collect(child, Some(child), out);
            } else if child.is(Some(self.ns), "Rule") {
                out.push(self.control(group, child));
            }
        }
    }

    fn text_of(&self, element: &Element, name: &str) -> Option<String> {
        element
            .child(Some(self.ns), name)
            .map(|e| e.trimmed_text(self.file.text()))
            .filter(|t| !t.is_empty())
    }

    fn control(&self, group: Option<&Element>, rule: &Element) -> Control {
        let rule_id = short_id(rule.attr("id").unwrap_or("")).to_string();
        let id = self
            .text_of(rule, "version")
            .unwrap_or_else(|| rule_id.clone());
        let title = self.text_of(rule, "title").unwrap_or_default();
        let check = self.check_content(rule);
        let found = check
            .as_ref()
            .map(|c| interpret(self.catalog, &title, &c.text))
            .unwrap_or_default();
        let scope = domain_scope(&id);
        Control {
            framework: Framework::Stig,
            baseline: self.baseline.clone(),
            aliases: self.aliases(group, rule, rule_id),
            title,
            severity: rule.attr("severity").map(str::to_string),
            kind: found.kind,
            key: found.key.map(crate::model::Name::from),
            expected: found.expected,
            applies_to: match scope {
                Some(Scope::DomainOnly) => JoinTypeSet::of(&[JoinType::Domain, JoinType::Hybrid]),
                _ => ALL_JOIN_TYPES,
            },
            per_join_type: found.per_join_type,
            source: self.id,
            span: rule.span,
            expected_span: found
                .range
                .zip(check.as_ref())
                .map(|(range, decoded)| decoded.span(range)),
            also: found
                .also
                .into_iter()
                .map(|(key, expected, range)| Requirement {
                    key: key.into(),
                    expected,
                    expected_span: check.as_ref().map(|decoded| decoded.span(range)),
                })
                .collect(),
            id,
        }
    }

    /// The check text of the rule's first `check` that has one.
    fn check_content(&self, rule: &Element) -> Option<Decoded> {
        rule.children_named(Some(self.ns), "check")
            .find_map(|check| check.child(Some(self.ns), "check-content"))
            .map(|content| content.text(self.file.text()))
    }

    /// Group id, rule id, then CCIs and legacy ids from `ident`.
    fn aliases(&self, group: Option<&Element>, rule: &Element, rule_id: String) -> Vec<String> {
        let mut aliases = Vec::new();
        if let Some(group_id) = group.and_then(|g| g.attr("id")) {
            aliases.push(short_id(group_id).to_string());
        }
        if !rule_id.is_empty() {
            aliases.push(rule_id);
        }
        for ident in rule.children_named(Some(self.ns), "ident") {
            let text = ident.trimmed_text(self.file.text());
            if !text.is_empty() && !aliases.contains(&text) {
                aliases.push(text);
            }
        }
        aliases
    }
}

/// What a check text gives: kind, key, expectation and where the expected value is written.
#[derive(Debug)]
struct Interpretation {
    kind: ControlKind,
    key: Option<String>,
    expected: Option<Expectation>,
    per_join_type: Vec<(JoinType, Expectation)>,
    range: Option<Range<usize>>,
    /// Further registry values the check requires too: key, expectation, value range.
    also: Vec<(String, Option<Expectation>, Range<usize>)>,
}

impl Default for Interpretation {
    fn default() -> Interpretation {
        Interpretation {
            kind: ControlKind::Manual,
            key: None,
            expected: None,
            per_join_type: Vec::new(),
            range: None,
            also: Vec::new(),
        }
    }
}

/// Read a check text: registry values first, then user rights, audit policy, account policies
/// and services; otherwise a manual check.
fn interpret(catalog: &Catalog, title: &str, text: &str) -> Interpretation {
    let mut facts = check_text::required_facts(text).into_iter();
    if let Some(fact) = facts.next() {
        let mut found = registry(catalog, fact);
        found.also = facts
            .map(|fact| {
                (
                    registry_key(catalog, &fact.full_path()),
                    fact.expected,
                    fact.range,
                )
            })
            .collect();
        return found;
    }
    if let Some(right) = check_text::user_right(title, text) {
        return user_right(catalog, right);
    }
    if let Some(audit) = check_text::audit(text) {
        return Interpretation {
            kind: ControlKind::AuditPolicy,
            key: Some(audit_key(catalog, &audit.subcategory)),
            expected: Some(audit.expectation()),
            per_join_type: Vec::new(),
            range: Some(audit.range),
            also: Vec::new(),
        };
    }
    if let Some(found) = check_text::policy(text).and_then(|p| account_policy(catalog, p)) {
        return found;
    }
    if let Some((service, range)) = check_text::disabled_service(text) {
        return disabled_service(catalog, &service, range);
    }
    Interpretation::default()
}

fn registry(catalog: &Catalog, fact: RegistryFact) -> Interpretation {
    Interpretation {
        kind: ControlKind::RegistryValue,
        key: Some(registry_key(catalog, &fact.full_path())),
        expected: fact.expected,
        per_join_type: Vec::new(),
        range: Some(fact.range),
        also: Vec::new(),
    }
}

/// The catalog's canonical key for a hive-qualified registry value, otherwise the lower-cased
/// path (the key every reader uses for registry values the catalog does not know).
pub fn registry_key(catalog: &Catalog, full_path: &str) -> String {
    catalog
        .resolve(full_path)
        .map(|def| def.setting_key().clone())
        .unwrap_or_else(|| full_path.to_lowercase().into())
        .to_string()
}

fn user_right(catalog: &Catalog, right: check_text::UserRight) -> Interpretation {
    let expected = match &right.rule {
        RightRule::Nobody => Some(Expectation::Principals(Vec::new())),
        RightRule::Only(principals) => Some(Expectation::Principals(principals.clone())),
        RightRule::Includes { all, .. } => Some(Expectation::Includes(all.clone())),
    };
    Interpretation {
        kind: ControlKind::UserRight,
        key: Some(user_right_key(catalog, &right.right)),
        per_join_type: includes_expectation(&right.rule),
        expected,
        range: Some(right.range),
        also: Vec::new(),
    }
}

/// Per-join-type expectations of a deny right whose list has a "Domain Systems Only" part:
/// domain members (domain-joined and hybrid-joined) must also deny the domain groups.
fn includes_expectation(rule: &RightRule) -> Vec<(JoinType, Expectation)> {
    let RightRule::Includes { all, domain } = rule else {
        return Vec::new();
    };
    if domain.is_empty() {
        return Vec::new();
    }
    let members: Vec<String> = all.iter().chain(domain).cloned().collect();
    // In `JoinType` order, as the baseline reader returns them.
    vec![
        (JoinType::Hybrid, Expectation::Includes(members.clone())),
        (JoinType::Domain, Expectation::Includes(members)),
    ]
}

/// The key of a user right: the catalog's (by display name or privilege constant), otherwise
/// `privilege:<constant>` as the security template reader writes it.
pub fn user_right_key(catalog: &Catalog, right: &str) -> String {
    let constant = privilege_constant(right);
    catalog
        .resolve(right)
        .or_else(|| constant.and_then(|c| catalog.resolve(c)))
        .map(|def| def.setting_key().clone())
        .unwrap_or_else(|| match constant {
            Some(c) => format!("privilege:{}", c.to_lowercase()).into(),
            None => format!("user_right:{}", right.to_lowercase()).into(),
        })
        .to_string()
}

/// The privilege constant of a user right's display name.
pub fn privilege_constant(right: &str) -> Option<&'static str> {
    PRIVILEGES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(right.trim()))
        .map(|(_, constant)| *constant)
}

/// User right display names and privilege constants (secpol.msc / ntsecapi.h).
const PRIVILEGES: &[(&str, &str)] = &[
    (
        "Access Credential Manager as a trusted caller",
        "SeTrustedCredManAccessPrivilege",
    ),
    (
        "Access this computer from the network",
        "SeNetworkLogonRight",
    ),
    ("Act as part of the operating system", "SeTcbPrivilege"),
    ("Add workstations to domain", "SeMachineAccountPrivilege"),
    (
        "Adjust memory quotas for a process",
        "SeIncreaseQuotaPrivilege",
    ),
    ("Allow log on locally", "SeInteractiveLogonRight"),
    (
        "Allow log on through Remote Desktop Services",
        "SeRemoteInteractiveLogonRight",
    ),
    ("Back up files and directories", "SeBackupPrivilege"),
    ("Bypass traverse checking", "SeChangeNotifyPrivilege"),
    ("Change the system time", "SeSystemtimePrivilege"),
    ("Change the time zone", "SeTimeZonePrivilege"),
    ("Create a pagefile", "SeCreatePagefilePrivilege"),
    ("Create a token object", "SeCreateTokenPrivilege"),
    ("Create global objects", "SeCreateGlobalPrivilege"),
    (
        "Create permanent shared objects",
        "SeCreatePermanentPrivilege",
    ),
    ("Create symbolic links", "SeCreateSymbolicLinkPrivilege"),
    ("Debug programs", "SeDebugPrivilege"),
    (
        "Deny access to this computer from the network",
        "SeDenyNetworkLogonRight",
    ),
    ("Deny log on as a batch job", "SeDenyBatchLogonRight"),
    ("Deny log on as a service", "SeDenyServiceLogonRight"),
    ("Deny log on locally", "SeDenyInteractiveLogonRight"),
    (
        "Deny log on through Remote Desktop Services",
        "SeDenyRemoteInteractiveLogonRight",
    ),
    (
        "Enable computer and user accounts to be trusted for delegation",
        "SeEnableDelegationPrivilege",
    ),
    (
        "Force shutdown from a remote system",
        "SeRemoteShutdownPrivilege",
    ),
    ("Generate security audits", "SeAuditPrivilege"),
    (
        "Impersonate a client after authentication",
        "SeImpersonatePrivilege",
    ),
    (
        "Increase a process working set",
        "SeIncreaseWorkingSetPrivilege",
    ),
    (
        "Increase scheduling priority",
        "SeIncreaseBasePriorityPrivilege",
    ),
    ("Load and unload device drivers", "SeLoadDriverPrivilege"),
    ("Lock pages in memory", "SeLockMemoryPrivilege"),
    ("Log on as a batch job", "SeBatchLogonRight"),
    ("Log on as a service", "SeServiceLogonRight"),
    ("Manage auditing and security log", "SeSecurityPrivilege"),
    ("Modify an object label", "SeRelabelPrivilege"),
    (
        "Modify firmware environment values",
        "SeSystemEnvironmentPrivilege",
    ),
    (
        "Obtain an impersonation token for another user in the same session",
        "SeDelegateSessionUserImpersonatePrivilege",
    ),
    (
        "Perform volume maintenance tasks",
        "SeManageVolumePrivilege",
    ),
    ("Profile single process", "SeProfileSingleProcessPrivilege"),
    ("Profile system performance", "SeSystemProfilePrivilege"),
    ("Remove computer from docking station", "SeUndockPrivilege"),
    (
        "Replace a process level token",
        "SeAssignPrimaryTokenPrivilege",
    ),
    ("Restore files and directories", "SeRestorePrivilege"),
    ("Shut down the system", "SeShutdownPrivilege"),
    ("Synchronize directory service data", "SeSyncAgentPrivilege"),
    (
        "Take ownership of files or other objects",
        "SeTakeOwnershipPrivilege",
    ),
];

/// The key of an advanced audit subcategory (`Credential Validation`): the catalog's, otherwise
/// `audit:<subcategory>`.
pub fn audit_key(catalog: &Catalog, subcategory: &str) -> String {
    let sub = subcategory.trim();
    let spaced = sub.replace('/', " ");
    [
        format!("Audit {sub}"),
        sub.to_string(),
        format!("Audit {spaced}"),
    ]
    .iter()
    .find_map(|name| catalog.resolve(name))
    .map(|def| def.setting_key().clone())
    .unwrap_or_else(|| format!("audit:{}", sub.to_lowercase()).into())
    .to_string()
}

/// Account policy names (secpol.msc) and their `[System Access]` names in GptTmpl.inf.
const SYSTEM_ACCESS: &[(&str, &str)] = &[
    ("Account lockout duration", "LockoutDuration"),
    ("Account lockout threshold", "LockoutBadCount"),
    ("Reset account lockout counter after", "ResetLockoutCount"),
    ("Enforce password history", "PasswordHistorySize"),
    ("Maximum password age", "MaximumPasswordAge"),
    ("Minimum password age", "MinimumPasswordAge"),
    ("Minimum password length", "MinimumPasswordLength"),
    (
        "Password must meet complexity requirements",
        "PasswordComplexity",
    ),
    (
        "Store password using reversible encryption",
        "ClearTextPassword",
    ),
    (
        "Store passwords using reversible encryption",
        "ClearTextPassword",
    ),
    ("Accounts: Guest account status", "EnableGuestAccount"),
    (
        "Accounts: Administrator account status",
        "EnableAdminAccount",
    ),
    (
        "Network access: Allow anonymous SID/Name translation",
        "LSAAnonymousNameLookup",
    ),
    (
        "Network security: Force logoff when logon hours expire",
        "ForceLogoffWhenHourExpire",
    ),
    (
        "Network security: Force logoff when logon hours expires",
        "ForceLogoffWhenHourExpire",
    ),
    (
        "Allow Administrator account lockout",
        "AllowAdministratorLockout",
    ),
    // HardeningKitty's names for the same policies.
    (
        "Length of password history maintained",
        "PasswordHistorySize",
    ),
    ("Reset account lockout counter", "ResetLockoutCount"),
];

/// The key of a `[System Access]` policy, by display name (`Minimum password length`) or
/// GptTmpl.inf name (`MinimumPasswordLength`): the catalog's, otherwise `system_access:<name>`
/// as the security template reader writes it; None for a name that is neither.
pub fn system_access_key(catalog: &Catalog, name: &str) -> Option<String> {
    let name = name.trim();
    let inf = SYSTEM_ACCESS
        .iter()
        .find(|(display, inf)| display.eq_ignore_ascii_case(name) || inf.eq_ignore_ascii_case(name))
        .map(|(_, inf)| *inf);
    let def = catalog
        .resolve(name)
        .or_else(|| inf.and_then(|i| catalog.resolve(i)));
    match (def, inf) {
        (Some(def), _) => Some(def.setting_key().to_string()),
        (None, Some(inf)) => Some(format!("system_access:{}", inf.to_lowercase())),
        (None, None) => None,
    }
}

fn account_policy(catalog: &Catalog, check: check_text::PolicyCheck) -> Option<Interpretation> {
    let key = system_access_key(catalog, &check.name)?;
    Some(Interpretation {
        kind: ControlKind::AccountPolicy,
        key: Some(key),
        expected: check.expected,
        per_join_type: Vec::new(),
        range: Some(check.range),
        also: Vec::new(),
    })
}

/// Service display names and their short names (the registry key under `Services`).
const SERVICES: &[(&str, &str)] = &[
    ("Secondary Logon", "seclogon"),
    ("Remote Registry", "RemoteRegistry"),
    ("Fax", "Fax"),
    ("Microsoft FTP Service", "FTPSVC"),
    ("Peer Name Resolution Protocol", "PNRPsvc"),
    ("Simple TCP/IP Services", "simptcp"),
    ("Telnet", "TlntSvr"),
];

fn disabled_service(catalog: &Catalog, service: &str, range: Range<usize>) -> Interpretation {
    let short = SERVICES
        .iter()
        .find(|(display, _)| display.eq_ignore_ascii_case(service))
        .map_or(service, |(_, short)| *short);
    let path = format!("HKLM\\SYSTEM\\CurrentControlSet\\Services\\{short}\\Start");
    Interpretation {
        kind: ControlKind::Service,
        key: Some(registry_key(catalog, &path)),
        expected: Some(Expectation::OneOf(vec![Value::Int(4)])),
        per_join_type: Vec::new(),
        range: Some(range),
        also: Vec::new(),
    }
}

/// How a rule's applicability depends on the join type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The rule is NA on systems that are not domain members: it applies to domain-joined and
    /// hybrid-joined devices only.
    DomainOnly,
    /// The rule applies to every system, but part of it (a "Domain Systems Only:" principal
    /// list, a domain-only admin group) only to domain members.
    DomainPart,
}

/// Rules of the Windows 10 and 11 STIGs whose applicability depends on domain membership,
/// derived by hand from the check texts of Windows 11 V2R6/V2R7 and Windows 10 V3R6
/// (formats.md 5.1 lists the 19 Windows 11 rules). The quoted reason is the check's wording.
pub const DOMAIN_SCOPED: &[(&str, Scope, &str)] = &[
    (
        "WN11-00-000005",
        Scope::DomainOnly,
        "For standalone systems, this is NA.",
    ),
    (
        "WN11-00-000010",
        Scope::DomainOnly,
        "For standalone systems, this is NA.",
    ),
    (
        "WN11-00-000070",
        Scope::DomainPart,
        "For domain-joined workstations, the Domain Admins group must be replaced",
    ),
    (
        "WN11-00-000085",
        Scope::DomainOnly,
        "For standalone or nondomain-joined systems, this is Not Applicable.",
    ),
    (
        "WN11-00-000260",
        Scope::DomainOnly,
        "Domain-joined systems (excluding the domain controller with the PDC emulator role):",
    ),
    (
        "WN11-CC-000037",
        Scope::DomainOnly,
        "If the system is not a member of a domain, this is NA.",
    ),
    (
        "WN11-CC-000050",
        Scope::DomainOnly,
        "applicable to domain-joined systems, for standalone systems this is NA.",
    ),
    (
        "WN11-CC-000063",
        Scope::DomainOnly,
        "This is NA for standalone, nondomain-joined systems.",
    ),
    (
        "WN11-CC-000075",
        Scope::DomainOnly,
        "Credential Guard must be running on Windows 11 domain-joined systems.",
    ),
    (
        "WN11-CC-000115",
        Scope::DomainOnly,
        "applicable to domain-joined systems, for standalone systems this is NA.",
    ),
    (
        "WN11-CC-000130",
        Scope::DomainOnly,
        "applicable to domain-joined systems, for standalone systems this is NA.",
    ),
    (
        "WN11-SO-000085",
        Scope::DomainOnly,
        "This setting only applies to domain-joined systems",
    ),
    (
        "WN11-SO-000251",
        Scope::DomainOnly,
        "If the system is not a member of a domain, this is Not Applicable.",
    ),
    (
        "WN11-SO-000280",
        Scope::DomainPart,
        "On the standalone or domain-joined workstation:",
    ),
    (
        "WN11-UR-000070",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins, Local account; All Systems: Guests",
    ),
    (
        "WN11-UR-000075",
        Scope::DomainOnly,
        "applicable to domain-joined systems, for standalone systems this is NA.",
    ),
    (
        "WN11-UR-000080",
        Scope::DomainOnly,
        "applicable to domain-joined systems, for standalone systems this is NA.",
    ),
    (
        "WN11-UR-000085",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins; All Systems: Guests",
    ),
    (
        "WN11-UR-000090",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins, Local account; All Systems: Guests",
    ),
    (
        "WN10-00-000005",
        Scope::DomainOnly,
        "For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-00-000010",
        Scope::DomainOnly,
        "For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-00-000070",
        Scope::DomainPart,
        "For domain-joined workstations, the Domain Admins group must be replaced",
    ),
    (
        "WN10-00-000085",
        Scope::DomainOnly,
        "For standalone or nondomain-joined systems, this is Not Applicable.",
    ),
    (
        "WN10-CC-000037",
        Scope::DomainOnly,
        "If the system is not a member of a domain, this is NA.",
    ),
    (
        "WN10-CC-000050",
        Scope::DomainOnly,
        "applicable to domain-joined systems. For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-CC-000063",
        Scope::DomainOnly,
        "This is NA for standalone, nondomain-joined systems.",
    ),
    (
        "WN10-CC-000075",
        Scope::DomainOnly,
        "Credential Guard must be running on Windows 10 domain-joined systems.",
    ),
    (
        "WN10-CC-000115",
        Scope::DomainOnly,
        "applicable to domain-joined systems. For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-CC-000130",
        Scope::DomainOnly,
        "applicable to domain-joined systems. For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-SO-000085",
        Scope::DomainOnly,
        "This setting only applies to domain-joined systems",
    ),
    (
        "WN10-SO-000251",
        Scope::DomainOnly,
        "If the system is not a member of a domain, this is Not Applicable.",
    ),
    (
        "WN10-SO-000280",
        Scope::DomainPart,
        "On the standalone or domain-joined workstation:",
    ),
    (
        "WN10-UR-000070",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins, Local account; All Systems: Guests",
    ),
    (
        "WN10-UR-000075",
        Scope::DomainOnly,
        "applicable to domain-joined systems. For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-UR-000080",
        Scope::DomainOnly,
        "applicable to domain-joined systems. For standalone or nondomain-joined systems, this is NA.",
    ),
    (
        "WN10-UR-000085",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins; All Systems: Guests",
    ),
    (
        "WN10-UR-000090",
        Scope::DomainPart,
        "Domain Systems Only: Enterprise Admins, Domain Admins, Local account; All Systems: Guests",
    ),
];

/// How a STIG rule's applicability depends on domain membership, where it does.
pub fn domain_scope(stig_id: &str) -> Option<Scope> {
    DOMAIN_SCOPED
        .iter()
        .find(|(id, ..)| id.eq_ignore_ascii_case(stig_id))
        .map(|(_, scope, _)| *scope)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::Encoding;

    fn read_text(text: &str) -> (SourceFile, Parsed) {
        let file = SourceFile::from_text(Path::new("b.xml"), text.to_string(), Encoding::Utf8);
        let parsed = read(SourceId(0), &file, Catalog::builtin());
        (file, parsed)
    }

    const RULE: &str = r#"<Group id="V-253459"><title>SRG-OS-000480-GPOS-00227</title><Rule id="SV-253459r991589_rule" weight="10.0" severity="medium"><version>WN11-SO-000185</version><title>PKU2U authentication using online identities must be prevented.</title><ident system="http://cyber.mil/cci">CCI-000366</ident><check system="C-1"><check-content-ref href="x" name="M" /><check-content>If the following registry value does not exist or is not configured as specified, this is a finding:

Registry Hive: HKEY_LOCAL_MACHINE
Registry Path: \SYSTEM\CurrentControlSet\Control\LSA\pku2u\

Value Name: AllowOnlineID

Value Type: REG_DWORD
Value: 0</check-content></check></Rule></Group>"#;

    fn benchmark(ns: &str, body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><Benchmark xmlns=\"{ns}\" id=\"Microsoft_Windows_11_STIG\"><plain-text id=\"release-info\">Release: 6 Benchmark Date: 05 Jan 2026</plain-text><version>2</version>{body}</Benchmark>"
        )
    }

    #[test]
    fn pku2u_rule_becomes_a_control() {
        let (file, parsed) = read_text(&benchmark(XCCDF_11, RULE));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let control = &parsed.controls[0];
        assert_eq!(control.baseline, "Microsoft_Windows_11_STIG V2R6");
        assert_eq!(control.id, "WN11-SO-000185");
        assert_eq!(
            control.aliases,
            ["V-253459", "SV-253459r991589_rule", "CCI-000366"]
        );
        let pku2u = Catalog::builtin().resolve("pku2u_allow_online_id").unwrap();
        assert_eq!(control.key.as_deref(), Some(pku2u.key.as_str()));
        assert_eq!(
            control.expected,
            Some(Expectation::OneOf(vec![Value::Int(0)]))
        );
        assert_eq!(file.slice(control.expected_span.unwrap()), "0");
        assert!(file.slice(control.span).starts_with("<Rule id=\"SV-253459"));
        assert!(file.slice(control.span).ends_with("</Rule>"));
        assert_eq!(control.kind, ControlKind::RegistryValue);
        assert_eq!(control.applies_to, ALL_JOIN_TYPES);
    }

    #[test]
    fn xccdf_12_ids_are_shortened() {
        let body = RULE
            .replace("\"V-253459\"", "\"xccdf_mil.disa.stig_group_V-253459\"")
            .replace(
                "\"SV-253459r991589_rule\"",
                "\"xccdf_mil.disa.stig_rule_SV-253459r991589_rule\"",
            );
        let text = benchmark(XCCDF_12, &body).replace(
            "\"Microsoft_Windows_11_STIG\"",
            "\"xccdf_mil.disa.stig_benchmark_Windows_11_STIG\"",
        );
        let (_, parsed) = read_text(&text);
        let control = &parsed.controls[0];
        assert_eq!(control.baseline, "Windows_11_STIG V2R6");
        assert_eq!(control.aliases[..2], ["V-253459", "SV-253459r991589_rule"]);
        assert!(control.expected.is_some());
    }

    #[test]
    fn missing_benchmark_is_a_positioned_error() {
        let (_, parsed) = read_text("<?xml version=\"1.0\"?>\n<Rules><Rule/></Rules>");
        let err = &parsed.errors[0];
        assert_eq!((err.line, err.column), (Some(2), Some(1)));
        assert!(
            err.message.contains("expected a <Benchmark> root element"),
            "{}",
            err.message
        );
        assert!(err.message.contains("found <Rules> in no namespace"));
        let (_, parsed) = read_text("<Benchmark id=\"x\"><Group/></Benchmark>");
        assert!(
            parsed.errors[0]
                .message
                .contains("found <Benchmark> in no namespace")
        );
    }

    #[test]
    fn broken_xml_is_a_positioned_error() {
        let text = benchmark(XCCDF_11, RULE);
        let cut = &text[..text.find("<check-content>").unwrap() + 40];
        let (_, parsed) = read_text(cut);
        assert_eq!(parsed.controls.len(), 0);
        assert!(
            parsed.errors[0].message.contains("not closed"),
            "{:?}",
            parsed.errors
        );
        assert_eq!(parsed.errors[0].line, Some(1));
    }

    #[test]
    fn check_text_without_a_value_keeps_the_control() {
        let body = RULE.replace("Value: 0", "Value: See the organization's documentation");
        let (_, parsed) = read_text(&benchmark(XCCDF_11, &body));
        assert!(parsed.errors.is_empty());
        let control = &parsed.controls[0];
        assert_eq!(control.kind, ControlKind::RegistryValue);
        assert!(control.key.is_some());
        assert_eq!(control.expected, None);
        let manual = RULE.replace(
            &RULE[RULE.find("If the following").unwrap()..RULE.find("</check-content>").unwrap()],
            "Interview the ISSO.",
        );
        let (_, parsed) = read_text(&benchmark(XCCDF_11, &manual));
        assert_eq!(parsed.controls[0].kind, ControlKind::Manual);
        assert_eq!(parsed.controls[0].expected, None);
    }

    #[test]
    fn domain_only_rules_apply_to_domain_and_hybrid() {
        let body = RULE.replace("WN11-SO-000185", "WN11-CC-000037");
        let (_, parsed) = read_text(&benchmark(XCCDF_11, &body));
        assert_eq!(
            parsed.controls[0].applies_to,
            JoinTypeSet::of(&[JoinType::Domain, JoinType::Hybrid])
        );
        assert_eq!(domain_scope("WN11-UR-000070"), Some(Scope::DomainPart));
        assert_eq!(
            DOMAIN_SCOPED
                .iter()
                .filter(|(id, ..)| id.starts_with("WN11"))
                .count(),
            19
        );
    }

    #[test]
    fn ids_and_keys() {
        assert_eq!(
            short_id("xccdf_mil.disa.stig_rule_SV-1r2_rule"),
            "SV-1r2_rule"
        );
        assert_eq!(short_id("V-1"), "V-1");
        assert_eq!(
            release_number("Release: 7 Benchmark Date: 01 Apr 2026").as_deref(),
            Some("7")
        );
        let catalog = Catalog::builtin();
        assert_eq!(
            registry_key(catalog, "HKLM\\SOFTWARE\\Nowhere\\Value"),
            "hklm\\software\\nowhere\\value"
        );
        assert!(
            user_right_key(catalog, "Access this computer from the network")
                .starts_with("./Device")
        );
        assert_eq!(
            user_right_key(catalog, "Deny log on locally"),
            "privilege:sedenyinteractivelogonright"
        );
    }
}
