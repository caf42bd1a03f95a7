//! User rights: lists of principals, written as SIDs (`*S-1-5-32-544`, GptTmpl.inf and Intune)
//! or names (`BUILTIN\Administrators`, GPO reports), in any order.

use std::collections::HashMap;

use crate::model::{Model, Value};

/// Catalog keys of the user rights (`UserRights/AccessFromNetwork`), and the readers' keys for
/// rights the catalog does not know (`privilege:sexyzright`).
pub fn is_user_right(key: &str) -> bool {
    key.starts_with("./Device/Vendor/MSFT/Policy/Config/UserRights/")
        || key.starts_with("privilege:")
}

/// The principals a user-right value grants, as a set: canonical (well-known names as their
/// SIDs, a name that a GPO report of the run gives a SID for as that SID, lower case), sorted,
/// without repeats. None for a value that is no list of principals.
pub fn principal_set(value: &Value, names: &PrincipalNames) -> Option<Vec<String>> {
    let principals = principals(value)?;
    let mut set: Vec<String> = (principals.iter())
        .map(|p| canonical(&names.resolve(p)))
        .collect();
    set.sort_unstable();
    set.dedup();
    Some(set)
}

/// The principals of a user-right value (`*S-1-5-32-544` and names alike); an unconfigured
/// right holds none, and neither do the ways Intune policies write "no one" (a right cannot be
/// set to an empty list there): the Null SID `*S-1-0-0` ("Nobody") and an entry that is empty
/// or only quotes (`""`, `\"\"`).
pub fn principals(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::List(items) => Some(
            items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => s.trim_start_matches('*').to_string(),
                    other => other.to_string(),
                })
                .filter(|p| !means_no_one(p))
                .collect(),
        ),
        Value::Str(s) if s.trim().is_empty() => Some(Vec::new()),
        Value::NotConfigured => Some(Vec::new()),
        _ => None,
    }
}

/// A user-right entry that grants nothing: the Null SID ("Nobody"), or nothing but quotes,
/// escaped or not (the ACSC hardening policy writes `\"\"`).
fn means_no_one(principal: &str) -> bool {
    let bare = principal.trim().trim_matches(['"', '\\']).trim();
    bare.is_empty() || same_principal(bare, "S-1-0-0")
}

/// Names and SIDs compare case-insensitively, a well-known name equal to its SID.
pub fn same_principal(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

/// A principal as it compares: its SID where the name is well known (`BUILTIN\Administrators`
/// and `*S-1-5-32-544` alike), lower-cased.
fn canonical(p: &str) -> String {
    let p = p.trim().trim_start_matches('*');
    crate::ingest::xccdf::check_text::well_known_sid(p)
        .map(str::to_string)
        .unwrap_or_else(|| p.to_string())
        .to_lowercase()
}

/// [`same_principal`], or a domain's well-known account or group by its English name and by a
/// domain SID with its relative id (`Domain Admins`, `CONTOSO\Domain Admins` and
/// `S-1-5-21-...-512`): how baselines name them, where GptTmpl.inf writes the SID of the
/// domain's own. Any domain's: a baseline names no domain.
pub fn same_account(a: &str, b: &str) -> bool {
    // A SID is never one of the names, so a name's relative id meets a SID's or another name's.
    let rid = match (domain_account_name(a), domain_account_name(b)) {
        (Some(n), Some(m)) => n == m,
        (Some(n), None) => domain_account_sid(b) == Some(n),
        (None, Some(m)) => domain_account_sid(a) == Some(m),
        (None, None) => false,
    };
    same_principal(a, b) || rid
}

/// The domain-relative ids of the accounts and groups every domain has, by English name (and
/// the singular some STIG versions write: WN10-UR-000075 "Enterprise Admin group").
const DOMAIN_ACCOUNTS: &[(&str, &str)] = &[
    ("administrator", "500"),
    ("guest", "501"),
    ("domain admins", "512"),
    ("domain admin", "512"),
    ("domain users", "513"),
    ("domain guests", "514"),
    ("domain computers", "515"),
    ("domain controllers", "516"),
    ("schema admins", "518"),
    ("enterprise admins", "519"),
    ("enterprise admin", "519"),
    ("group policy creator owners", "520"),
    ("protected users", "525"),
];

/// The relative id of a domain's well-known account or group named so, in any domain
/// (`Domain Admins`, `CONTOSO\\Domain Admins`: `512`).
fn domain_account_name(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_lowercase();
    let bare = name.rsplit_once('\\').map_or(name.as_str(), |(_, n)| n);
    (DOMAIN_ACCOUNTS.iter())
        .find(|(known, _)| *known == bare)
        .map(|&(_, rid)| rid)
}

/// The relative id of a domain SID (`S-1-5-21-x-y-z-<rid>`), if it is one a domain's
/// well-known account or group has.
fn domain_account_sid(sid: &str) -> Option<&'static str> {
    let sid = sid.trim().trim_start_matches('*').to_ascii_lowercase();
    let parts: Vec<&str> = sid.strip_prefix("s-1-5-21-")?.split('-').collect();
    let [_, _, _, rid] = parts[..] else {
        return None;
    };
    (DOMAIN_ACCOUNTS.iter())
        .find(|(_, known)| *known == rid)
        .map(|&(_, rid)| rid)
}

pub fn contains_principal(list: &[String], p: &str) -> bool {
    list.iter().any(|q| same_principal(q, p))
}

/// Whether two principals may be one account written two ways: equal, or a name and a SID
/// baselint cannot resolve that could be its (`CONTOSO\Domain Admins` and
/// `S-1-5-21-...-512`; an `AzureAD\` name and an Entra SID, `S-1-12-1-...`). An Entra name is
/// never a domain SID, nor an Entra SID a domain name.
pub fn may_be_same_principal(a: &str, b: &str) -> bool {
    let (a, b) = (canonical(a), canonical(b));
    if a == b {
        return true;
    }
    let (sid, name) = match (a.starts_with("s-1-"), b.starts_with("s-1-")) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        // Two SIDs, or two names, that differ.
        _ => return false,
    };
    let entra_name = name.starts_with("azuread\\");
    if sid.starts_with("s-1-12-1-") {
        entra_name
    } else {
        // A domain or local account's SID; a well-known SID has its name canonical already.
        sid.starts_with("s-1-5-21-") && !entra_name
    }
}

/// The names and SIDs a run's GPO reports give together, so that a principal written by name
/// compares with one written by SID, and a message names a SID.
#[derive(Debug, Default)]
pub struct PrincipalNames {
    /// Name by SID (capitals).
    by_sid: HashMap<String, String>,
    /// SID by name (lower case); a name two SIDs share is left out.
    by_name: HashMap<String, Option<String>>,
}

impl PrincipalNames {
    pub fn of(model: &Model) -> PrincipalNames {
        let pairs = (model.policies.iter())
            .filter_map(|p| p.gpo.as_deref())
            .flat_map(|gpo| &gpo.principals);
        PrincipalNames::from_pairs(pairs)
    }

    /// From (SID in capitals, name) pairs.
    pub fn from_pairs<'p>(pairs: impl IntoIterator<Item = &'p (String, String)>) -> PrincipalNames {
        let mut names = PrincipalNames::default();
        for (sid, name) in pairs {
            names
                .by_sid
                .entry(sid.clone())
                .or_insert_with(|| name.clone());
            let known = names
                .by_name
                .entry(name.to_lowercase())
                .or_insert_with(|| Some(sid.clone()));
            if known.as_deref() != Some(sid) {
                *known = None;
            }
        }
        names
    }

    /// A principal as it compares: the SID a report gives for its name, else as written
    /// (without the `*` of a SID).
    pub fn resolve(&self, principal: &str) -> String {
        let bare = principal.trim().trim_start_matches('*');
        match self.by_name.get(&bare.to_lowercase()) {
            Some(Some(sid)) => sid.clone(),
            _ => bare.to_string(),
        }
    }

    /// [`PrincipalNames::resolve`] for each member of a list, in place.
    pub fn resolve_all(&self, members: &mut [String]) {
        for member in members {
            *member = self.resolve(member);
        }
    }

    /// The name a report gives for a principal's SID.
    pub fn name_of(&self, principal: &str) -> Option<&str> {
        let bare = principal.trim().trim_start_matches('*');
        self.by_sid
            .get(&bare.to_ascii_uppercase())
            .map(String::as_str)
    }

    /// A principal as a message names it: the name a report gives for its SID, else as
    /// written.
    pub fn display(&self, principal: &str) -> String {
        let bare = principal.trim().trim_start_matches('*');
        self.name_of(bare).unwrap_or(bare).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GPO report's SID and name pairs resolve names to SIDs and name SIDs; a name two SIDs
    /// share resolves to neither.
    #[test]
    fn principal_names_from_gpo_reports_resolve_and_display() {
        use crate::model::{GpoInfo, Policy};
        let gpo = |pairs: &[(&str, &str)]| Policy {
            gpo: Some(Box::new(GpoInfo {
                principals: pairs
                    .iter()
                    .map(|(s, n)| (s.to_string(), n.to_string()))
                    .collect(),
                ..GpoInfo::default()
            })),
            id: None,
            name: "gpo".to_string(),
            kind: crate::model::PolicyKind::Gpo,
            source: crate::source::SourceId(0),
            span: crate::source::Span::default(),
            name_span: crate::source::Span::default(),
            settings: Vec::new(),
            assignments: Vec::new(),
            assignments_exported: false,
        };
        let model = Model {
            policies: vec![
                gpo(&[
                    ("S-1-5-21-1-2-3-1131", r"CONTOSO\Workstation Admins"),
                    ("S-1-5-21-9-9-9-500", "Administrator"),
                ]),
                gpo(&[("S-1-5-21-1-2-3-500", "Administrator")]),
            ],
            ..Model::default()
        };
        let names = PrincipalNames::of(&model);
        assert_eq!(
            names.resolve(r"contoso\workstation admins"),
            "S-1-5-21-1-2-3-1131"
        );
        assert_eq!(names.resolve("*S-1-5-21-1-2-3-1131"), "S-1-5-21-1-2-3-1131");
        // Two domains' Administrator: not resolved.
        assert_eq!(names.resolve("Administrator"), "Administrator");
        assert_eq!(
            names.display("*s-1-5-21-1-2-3-1131"),
            r"CONTOSO\Workstation Admins"
        );
        assert_eq!(names.display("S-1-5-21-4-4-4-512"), "S-1-5-21-4-4-4-512");
    }

    /// A name and a SID baselint cannot resolve may be one account, unless one is Entra's and
    /// the other the domain's; two different SIDs, or two different names, never are.
    #[test]
    fn a_name_and_a_sid_may_be_one_account_within_one_directory() {
        let domain_sid = "S-1-5-21-1004336348-1177238915-682003330-512";
        let entra_sid = "S-1-12-1-2871503213-1207421742-3618131096-3172549712";
        for (a, b) in [
            (r"CONTOSO\Domain Admins", domain_sid),
            (domain_sid, "Administrator"),
            (r"AzureAD\helpdesk@contoso.com", entra_sid),
            (r"BUILTIN\Administrators", "*S-1-5-32-544"),
            ("*S-1-5-21-1-2-3-500", "s-1-5-21-1-2-3-500"),
        ] {
            assert!(may_be_same_principal(a, b), "{a} / {b}");
            assert!(may_be_same_principal(b, a), "{b} / {a}");
        }
        for (a, b) in [
            (r"AzureAD\helpdesk@contoso.com", domain_sid),
            (r"CONTOSO\Domain Admins", entra_sid),
            (domain_sid, "S-1-5-21-1004336348-1177238915-682003330-1131"),
            (r"CONTOSO\Domain Admins", r"CONTOSO\Workstation Admins"),
            // A well-known SID has its name: another name is another account.
            (r"CONTOSO\Domain Admins", "*S-1-5-32-544"),
        ] {
            assert!(!may_be_same_principal(a, b), "{a} / {b}");
            assert!(!may_be_same_principal(b, a), "{b} / {a}");
        }
    }
}
