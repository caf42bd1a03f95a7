//! The practical floor of the PKU2U check, as issue 6 defines it: a typed serde_json pass over
//! an Intune and Entra export that keeps only the fields this one rule needs, on all cores.
//! No spans, no catalog, no other rule, no report: about the least that reading and parsing
//! the tenant can cost. `scripts/bench.sh` times it beside baselint.
//!
//! ```text
//! cargo run --release --example pku2u_floor -- DIR
//! ```
//!
//! Prints the number of (policy, group) pairs where a Settings Catalog policy or a custom
//! OMA-URI profile sets PKU2U to 0 and is assigned to a group whose membership rule names
//! `deviceTrustType` "AzureAD" or "ServerAD". Exclusions, filters, static groups and every
//! other rule are out of scope: this is a lower bound on the work, not a second linter.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

const PKU2U_DEFINITION: &str = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests";
const PKU2U_URI: &str = "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_AllowPKU2UAuthenticationRequests";

#[derive(Deserialize)]
struct Policy<'a> {
    /// Present on every policy object (and not on a groups list).
    #[serde(borrow, rename = "@odata.type")]
    _kind: Cow<'a, str>,
    #[serde(borrow, default)]
    settings: Vec<Item<'a>>,
    #[serde(borrow, default, rename = "omaSettings")]
    oma_settings: Vec<Oma<'a>>,
    #[serde(borrow, default)]
    assignments: Vec<Assignment<'a>>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow, rename = "settingInstance")]
    instance: Instance<'a>,
}

#[derive(Deserialize)]
struct Instance<'a> {
    #[serde(borrow, rename = "settingDefinitionId")]
    definition: Cow<'a, str>,
    #[serde(borrow, rename = "choiceSettingValue")]
    choice: Option<Choice<'a>>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    value: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Oma<'a> {
    #[serde(borrow, rename = "omaUri")]
    uri: Cow<'a, str>,
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Assignment<'a> {
    #[serde(borrow)]
    target: Target<'a>,
}

#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow, rename = "@odata.type")]
    kind: Cow<'a, str>,
    #[serde(borrow, rename = "groupId")]
    group: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Groups<'a> {
    #[serde(borrow)]
    value: Vec<Group<'a>>,
}

#[derive(Deserialize)]
struct Group<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, rename = "membershipRule")]
    rule: Option<Cow<'a, str>>,
}

/// What one file contributes: the groups a PKU2U-disabling policy is assigned to, or the
/// groups whose rule names an Entra or hybrid join type.
enum Found {
    Assigned(Vec<String>),
    JoinTypeGroups(Vec<String>),
    Nothing,
}

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: pku2u_floor DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    walk(Path::new(&root), &mut files);
    let found: Vec<Found> = files.par_iter().map(|path| read(path)).collect();
    let mut groups: HashMap<String, ()> = HashMap::new();
    let mut assigned = Vec::new();
    for f in found {
        match f {
            Found::Assigned(ids) => assigned.extend(ids),
            Found::JoinTypeGroups(ids) => groups.extend(ids.into_iter().map(|id| (id, ()))),
            Found::Nothing => {}
        }
    }
    let pairs = assigned.iter().filter(|g| groups.contains_key(*g)).count();
    println!("{pairs}");
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn read(path: &Path) -> Found {
    let Ok(bytes) = std::fs::read(path) else {
        return Found::Nothing;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Found::Nothing;
    };
    if let Ok(policy) = serde_json::from_str::<Policy>(text) {
        return Found::Assigned(assigned_if_disabling(&policy));
    }
    match serde_json::from_str::<Groups>(text) {
        Ok(groups) => Found::JoinTypeGroups(
            groups
                .value
                .into_iter()
                .filter(|g| {
                    g.rule.as_deref().is_some_and(|r| {
                        r.contains("deviceTrustType")
                            && (r.contains("AzureAD") || r.contains("ServerAD"))
                    })
                })
                .map(|g| g.id.into_owned())
                .collect(),
        ),
        Err(_) => Found::Nothing,
    }
}

fn assigned_if_disabling(policy: &Policy) -> Vec<String> {
    let catalog = policy.settings.iter().any(|item| {
        item.instance.definition == PKU2U_DEFINITION
            && item
                .instance
                .choice
                .as_ref()
                .and_then(|c| c.value.as_deref())
                .is_some_and(|v| v.ends_with("_0"))
    });
    let oma = policy.oma_settings.iter().any(|s| {
        s.uri.eq_ignore_ascii_case(PKU2U_URI)
            && s.value.as_ref().is_some_and(|v| {
                v.as_i64() == Some(0) || v.as_str().is_some_and(|t| t.trim() == "0")
            })
    });
    if !(catalog || oma) {
        return Vec::new();
    }
    policy
        .assignments
        .iter()
        .filter(|a| !a.target.kind.contains("exclusion"))
        .filter_map(|a| a.target.group.as_deref().map(str::to_string))
        .collect()
}
