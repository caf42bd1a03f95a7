//! User rights: lists of principals, written as SIDs (`*S-1-5-32-544`, GptTmpl.inf and Intune)
//! or names (`BUILTIN\Administrators`, GPO reports), in any order.

use crate::model::Value;

/// Catalog keys of the user rights (`UserRights/AccessFromNetwork`), and the readers' keys for
/// rights the catalog does not know (`privilege:sexyzright`).
pub fn is_user_right(key: &str) -> bool {
    key.starts_with("./Device/Vendor/MSFT/Policy/Config/UserRights/")
        || key.starts_with("privilege:")
}

/// The principals a user-right value grants, as a set: canonical (well-known names as their
/// SIDs, lower case), sorted, without repeats. None for a value that is no list of principals.
pub fn principal_set(value: &Value) -> Option<Vec<String>> {
    let mut set: Vec<String> = principals(value)?.iter().map(|p| canonical(p)).collect();
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

pub fn contains_principal(list: &[String], p: &str) -> bool {
    list.iter().any(|q| same_principal(q, p))
}
