//! Intune and Entra: Settings Catalog and OMA-URI policies, groups, assignment filters.

use std::collections::BTreeSet;

use baselint::catalog::Catalog;
use baselint::model::Value;

use super::Written;
use super::json::{J, s};
use super::rng::{Purpose, Rng, key, name_hash, rendezvous};

pub const PKU2U_DEFINITION: &str = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests";
pub const PKU2U_URI: &str = "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_AllowPKU2UAuthenticationRequests";
pub const CATALOG: &str = "#microsoft.graph.deviceManagementConfiguration";

// ---- the settings pool ----

/// A Settings Catalog setting the generator can write.
pub struct Def {
    /// The definition id.
    pub id: String,
    /// [`name_hash`] of the id: what policies pick the setting by.
    pub hash: u64,
    pub shape: Shape,
}

pub enum Shape {
    /// `choiceSettingValue.value` = `<id>_<suffix>`; `standard` is the tenant's usual option.
    Choice {
        suffixes: Vec<String>,
        standard: usize,
    },
    /// `simpleSettingValue` (integer or string); the first value is the usual one.
    Simple { integer: bool, values: Vec<String> },
}

/// The top-level Settings Catalog definitions, one per definition id. A setting's usual option
/// is keyed by its definition id (not drawn in catalog order), so it stays as records come and go.
pub fn settings_pool(catalog: &Catalog, seed: u64) -> Vec<Def> {
    let mut pool = Vec::new();
    let mut seen = BTreeSet::new();
    for def in catalog.settings() {
        let Some(id) = def.definition_id.as_deref() else {
            continue;
        };
        // Children of ADMX policies are elements inside their parent's value, not settings of
        // their own; PKU2U is placed deliberately (see `pku2u_setting`).
        if def.parent.is_some() || id == PKU2U_DEFINITION || !seen.insert(id) {
            continue;
        }
        let hash = name_hash(id);
        let shape = if !def.options.is_empty() {
            let suffixes: Vec<String> = def.options.iter().map(|(k, _)| k.to_string()).collect();
            let standard = Rng::keyed(seed, Purpose::UsualOption, &[hash]).below(suffixes.len());
            Shape::Choice { suffixes, standard }
        } else {
            let integer = def.format.as_deref() == Some("int")
                || def.options.iter().any(|(_, v)| matches!(v, Value::Int(_)));
            let mut values: Vec<String> = def.values.iter().map(|v| v.value.to_string()).collect();
            values.extend(def.default.iter().map(|d| d.to_string()));
            if integer {
                values.retain(|v| v.parse::<i64>().is_ok());
            }
            if values.is_empty() {
                values = if integer {
                    vec!["0".into(), "1".into(), "15".into(), "900".into()]
                } else {
                    vec!["contoso".into(), "*.contoso.com".into(), String::new()]
                };
            }
            Shape::Simple { integer, values }
        };
        pool.push(Def {
            id: id.to_string(),
            hash,
            shape,
        });
    }
    pool
}

pub fn catalog_setting(index: usize, instance: J) -> J {
    J::Obj(vec![
        (
            "@odata.type",
            s("#microsoft.graph.deviceManagementConfigurationSetting"),
        ),
        ("id", s(index.to_string())),
        ("settingInstance", instance),
    ])
}

pub fn choice_instance(id: &str, option: &str) -> J {
    J::Obj(vec![
        ("@odata.type", s(format!("{CATALOG}ChoiceSettingInstance"))),
        ("settingDefinitionId", s(id)),
        ("settingInstanceTemplateReference", J::Null),
        (
            "choiceSettingValue",
            J::Obj(vec![
                ("@odata.type", s(format!("{CATALOG}ChoiceSettingValue"))),
                ("settingValueTemplateReference", J::Null),
                ("value", s(format!("{id}_{option}"))),
                ("children", J::Arr(Vec::new())),
            ]),
        ),
    ])
}

pub fn simple_instance(id: &str, integer: bool, value: &str) -> J {
    let (value_type, value) = if integer {
        (
            "IntegerSettingValue",
            J::Int(value.parse().unwrap_or_default()),
        )
    } else {
        ("StringSettingValue", s(value))
    };
    J::Obj(vec![
        ("@odata.type", s(format!("{CATALOG}SimpleSettingInstance"))),
        ("settingDefinitionId", s(id)),
        ("settingInstanceTemplateReference", J::Null),
        (
            "simpleSettingValue",
            J::Obj(vec![
                ("@odata.type", s(format!("{CATALOG}{value_type}"))),
                ("settingValueTemplateReference", J::Null),
                ("value", value),
            ]),
        ),
    ])
}

pub fn pku2u_setting() -> J {
    choice_instance(PKU2U_DEFINITION, "0")
}

// ---- groups and filters ----

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    EntraJoined,
    HybridJoined,
    Registered,
    /// A dynamic rule on other device properties (any join type).
    OtherDevice,
    /// A dynamic rule on users.
    User,
    /// Assigned (static) membership, declared in the inventory with these join types.
    Static(&'static str),
}

pub struct Group {
    pub id: String,
    pub name: String,
    pub kind: GroupKind,
}

/// Join types declared for static groups in `[inventory.groups]` (the TOML array's inside).
pub const STATIC_JOINS: [&str; 4] = ["entra", "hybrid", "domain", "entra\", \"hybrid"];

pub const DEPARTMENTS: [&str; 12] = [
    "Finance",
    "HR",
    "Sales",
    "Engineering",
    "Legal",
    "Marketing",
    "Support",
    "Operations",
    "Research",
    "Stores",
    "Logistics",
    "IT",
];
pub const SITES: [&str; 10] = [
    "LON", "LDS", "NYC", "SEA", "BER", "PAR", "SYD", "TOK", "SAO", "JNB",
];

/// Groups, each drawn from a stream of its own.
pub fn make_groups(count: usize, seed: u64) -> Vec<Group> {
    let mut groups = Vec::with_capacity(count);
    for i in 0..count {
        let rng = &mut Rng::keyed(seed, Purpose::Group, &[i as u64]);
        let roll = rng.unit();
        let kind = if roll < 0.22 {
            GroupKind::EntraJoined
        } else if roll < 0.36 {
            GroupKind::HybridJoined
        } else if roll < 0.40 {
            GroupKind::Registered
        } else if roll < 0.52 {
            GroupKind::OtherDevice
        } else if roll < 0.60 {
            GroupKind::User
        } else {
            GroupKind::Static(STATIC_JOINS[rng.below(STATIC_JOINS.len())])
        };
        let dept = rng.pick(&DEPARTMENTS);
        let site = rng.pick(&SITES);
        let label = match kind {
            GroupKind::EntraJoined => "Entra joined",
            GroupKind::HybridJoined => "Hybrid joined",
            GroupKind::Registered => "Registered",
            GroupKind::OtherDevice => "Devices",
            GroupKind::User => "Users",
            GroupKind::Static(_) => "Assigned",
        };
        groups.push(Group {
            id: rng.guid(),
            name: format!("WIN - {dept} {site} - {label} {i:05}"),
            kind,
        });
    }
    groups
}

/// A dynamic rule. The first few groups of each kind are tenant-wide ("every Entra-joined
/// Windows PC"); every other rule carries a clause of its own (a site prefix, an order id, an
/// extension attribute), as real groups do: otherwise many groups would have the same members
/// and every pair of policies on them would overlap for certain.
pub fn membership_rule(group: &Group, index: usize, rng: &mut Rng) -> Option<String> {
    let dept = rng.pick(&DEPARTMENTS);
    let site = rng.pick(&SITES);
    let os = "(device.deviceOSType -eq \"Windows\")";
    let broad = index < 40;
    let trust = match group.kind {
        GroupKind::EntraJoined => "AzureAD",
        GroupKind::HybridJoined => "ServerAD",
        GroupKind::Registered => "Workplace",
        _ => "",
    };
    let rule = match group.kind {
        GroupKind::Static(_) => return None,
        GroupKind::EntraJoined | GroupKind::HybridJoined | GroupKind::Registered if broad => {
            format!("(device.deviceTrustType -eq \"{trust}\") -and {os}")
        }
        GroupKind::EntraJoined | GroupKind::HybridJoined | GroupKind::Registered => {
            match rng.below(4) {
                0 => format!(
                    "(device.deviceTrustType -eq \"{trust}\") -and {os} -and (device.extensionAttribute1 -eq \"{dept}-{index:05}\")"
                ),
                1 => format!(
                    "(device.deviceTrustType -eq \"{trust}\") and (device.displayName -startsWith \"{site}-{index:05}\")"
                ),
                2 => format!(
                    "(device.deviceTrustType -in [\"{trust}\"]) -and (device.devicePhysicalIds -any (_ -eq \"[OrderID]:{dept}{index:05}\"))"
                ),
                _ => format!(
                    "(device.deviceTrustType -eq \"{trust}\") -and (device.deviceOwnership -eq \"Company\") -and (device.displayName -startsWith \"{site}{index:05}\")"
                ),
            }
        }
        GroupKind::OtherDevice if broad => {
            format!("{os} -and (device.deviceOwnership -eq \"Company\")")
        }
        GroupKind::OtherDevice => match rng.below(3) {
            0 => format!("(device.displayName -startsWith \"{site}-{index:05}\")"),
            1 => format!("device.devicePhysicalIds -any _ -eq \"[OrderID]:{dept}{index:05}\""),
            _ => format!(
                "(device.deviceModel -contains \"Surface\") -and (device.extensionAttribute2 -eq \"{index:05}\")"
            ),
        },
        GroupKind::User => match rng.below(3) {
            0 => format!("(user.department -eq \"{dept}-{index:05}\")"),
            1 => format!(
                "(user.city -eq \"{site}\") -and (user.accountEnabled -eq true) -and (user.employeeId -startsWith \"{index:05}\")"
            ),
            _ => format!(
                "(user.jobTitle -contains \"Manager\") -and (user.department -eq \"{dept}-{index:05}\")"
            ),
        },
    };
    Some(rule)
}

pub fn group_json(group: &Group, index: usize, seed: u64) -> J {
    let rng = &mut Rng::keyed(seed, Purpose::GroupRule, &[index as u64]);
    let rule = membership_rule(group, index, rng);
    let dynamic = rule.is_some();
    J::Obj(vec![
        ("id", s(&group.id)),
        ("displayName", s(&group.name)),
        (
            "description",
            s(format!("Synthetic group for {}", group.name)),
        ),
        (
            "groupTypes",
            J::Arr(if dynamic {
                vec![s("DynamicMembership")]
            } else {
                Vec::new()
            }),
        ),
        ("securityEnabled", J::Bool(true)),
        ("mailEnabled", J::Bool(false)),
        ("membershipRule", rule.map_or(J::Null, J::Str)),
        (
            "membershipRuleProcessingState",
            if dynamic { s("On") } else { J::Null },
        ),
    ])
}

pub struct Filter {
    pub id: String,
    pub name: String,
    pub rule: String,
}

pub fn make_filters(count: usize, seed: u64) -> Vec<Filter> {
    (0..count)
        .map(|i| {
            let rng = &mut Rng::keyed(seed, Purpose::Filter, &[i as u64]);
            let site = rng.pick(&SITES);
            let (name, rule) = match i % 5 {
                0 => (
                    "Virtual machines",
                    "(device.model -contains \"Virtual Machine\") or (device.model -startsWith \"Cloud PC\")".to_string(),
                ),
                1 => (
                    "Entra joined",
                    "(device.deviceTrustType -eq \"Azure AD joined\")".to_string(),
                ),
                2 => (
                    "Hybrid joined",
                    "(device.deviceTrustType -eq \"Hybrid Azure AD joined\")".to_string(),
                ),
                3 => (
                    "Site",
                    format!("(device.deviceName -startsWith \"{site}-\")"),
                ),
                _ => (
                    "Corporate",
                    "(device.deviceOwnership -eq \"Corporate\") and (device.osVersion -startsWith \"10.0.2\")".to_string(),
                ),
            };
            Filter {
                id: rng.guid(),
                name: format!("Windows - {name} {i:03}"),
                rule,
            }
        })
        .collect()
}

pub fn filter_json(filter: &Filter) -> J {
    J::Obj(vec![
        ("id", s(&filter.id)),
        ("displayName", s(&filter.name)),
        ("description", s("Synthetic assignment filter")),
        ("platform", s("windows10AndLater")),
        ("rule", s(&filter.rule)),
        ("assignmentFilterManagementType", s("devices")),
        ("roleScopeTags", J::Arr(vec![s("0")])),
    ])
}

// ---- policies ----

pub struct Tenant<'a> {
    pub groups: &'a [Group],
    pub entra: Vec<usize>,
    pub hybrid: Vec<usize>,
    pub filters: &'a [Filter],
    /// Probability that a policy targets all devices: about 25 such policies whatever the size
    /// (a tenant's global baselines), so certain overlaps, and conflicts, grow linearly.
    pub all_devices: f64,
}

pub fn assignment(
    policy_id: &str,
    n: usize,
    target_type: &str,
    group: Option<&str>,
    filter: Option<(&str, &str)>,
) -> J {
    let mut target = vec![("@odata.type", s(format!("#microsoft.graph.{target_type}")))];
    match filter {
        Some((id, mode)) => {
            target.push(("deviceAndAppManagementAssignmentFilterId", s(id)));
            target.push(("deviceAndAppManagementAssignmentFilterType", s(mode)));
        }
        None => {
            target.push(("deviceAndAppManagementAssignmentFilterId", J::Null));
            target.push(("deviceAndAppManagementAssignmentFilterType", s("none")));
        }
    }
    if let Some(group) = group {
        target.push(("groupId", s(group)));
    }
    let suffix = group.unwrap_or("adadadad-808e-44e2-905a-0b7873a8a531");
    J::Obj(vec![
        ("id", s(format!("{policy_id}_{suffix}_{n}"))),
        ("source", s("direct")),
        ("sourceId", s(policy_id)),
        ("target", J::Obj(target)),
    ])
}

/// Assignments of policy `index`, from a stream of their own.
fn policy_assignments(
    index: usize,
    policy_id: &str,
    pku2u: bool,
    tenant: &Tenant<'_>,
    seed: u64,
) -> Vec<J> {
    let rng = &mut Rng::keyed(seed, Purpose::Assignments, &[index as u64]);
    assignments(policy_id, pku2u, tenant, rng)
}

/// Assignments of one policy: mostly group includes, some exclusions, all devices (about 25
/// policies in all), filters, a few unknown groups. `pku2u` policies go to Entra-joined or hybrid-joined groups.
pub fn assignments(policy_id: &str, pku2u: bool, tenant: &Tenant<'_>, rng: &mut Rng) -> Vec<J> {
    let mut out = Vec::new();
    let filter = |rng: &mut Rng| {
        rng.chance(0.15).then(|| {
            let f = rng.pick(tenant.filters);
            (
                f.id.clone(),
                if rng.chance(0.5) {
                    "include"
                } else {
                    "exclude"
                },
            )
        })
    };
    if pku2u {
        let pool = if rng.chance(0.6) {
            &tenant.entra
        } else {
            &tenant.hybrid
        };
        let group = &tenant.groups[*rng.pick(pool)];
        out.push(assignment(
            policy_id,
            0,
            "groupAssignmentTarget",
            Some(&group.id),
            None,
        ));
        return out;
    }
    let roll = rng.unit();
    if roll < 0.04 {
        return out; // unassigned
    }
    if roll < 0.04 + tenant.all_devices {
        let f = filter(rng);
        out.push(assignment(
            policy_id,
            0,
            "allDevicesAssignmentTarget",
            None,
            f.as_ref().map(|(id, mode)| (id.as_str(), *mode)),
        ));
    } else {
        for n in 0..1 + rng.below(3) {
            let unknown;
            let id = if rng.chance(0.005) {
                unknown = rng.guid();
                &unknown
            } else {
                &rng.pick(tenant.groups).id
            };
            let f = filter(rng);
            out.push(assignment(
                policy_id,
                n,
                "groupAssignmentTarget",
                Some(id),
                f.as_ref().map(|(id, mode)| (id.as_str(), *mode)),
            ));
        }
    }
    if rng.chance(0.25) {
        let n = out.len();
        let id = rng.pick(tenant.groups).id.clone();
        out.push(assignment(
            policy_id,
            n,
            "exclusionGroupAssignmentTarget",
            Some(&id),
            None,
        ));
    }
    out
}

pub const AREAS: [&str; 16] = [
    "Security baseline",
    "Defender",
    "Edge",
    "BitLocker",
    "Firewall",
    "Update rings",
    "Office",
    "Credential Guard",
    "Start menu",
    "Kiosk",
    "Device lock",
    "Privacy",
    "Browser",
    "Networking",
    "Local policies",
    "Attack surface reduction",
];

/// How often a policy uses the tenant's usual value of a setting (the rest conflict, when the
/// policies overlap for certain: same group, or all devices).
pub const STANDARD: f64 = 0.95;

/// Settings in a policy: 5 to 200, most policies small (mean about 37).
pub fn setting_count(rng: &mut Rng) -> usize {
    5 + (195.0 * rng.unit().powi(5)).round() as usize
}

/// The settings policy `index` configures: the `count` best of the pool by rendezvous
/// hashing, best first. A record added to a pool of N enters a policy with probability about
/// count / N, in place of its worst pick; the other picks keep their order and values.
fn pick_settings(index: usize, pool: &[Def], count: usize, seed: u64) -> Vec<&Def> {
    let prefix = key(seed, Purpose::PolicyPicks, &[index as u64]);
    rendezvous(prefix, pool.iter().map(|def| def.hash), count)
        .into_iter()
        .map(|i| &pool[i])
        .collect()
}

/// The instance policy `index` writes for `def`: the usual value most of the time, from a
/// stream keyed by the policy and the definition id.
fn setting_instance(index: usize, def: &Def, seed: u64) -> J {
    let rng = &mut Rng::keyed(seed, Purpose::PolicyValue, &[index as u64, def.hash]);
    match &def.shape {
        Shape::Choice { suffixes, standard } => {
            let option = if rng.chance(STANDARD) {
                &suffixes[*standard]
            } else {
                rng.pick(suffixes)
            };
            choice_instance(&def.id, option)
        }
        Shape::Simple { integer, values } => {
            let value = if rng.chance(STANDARD) {
                &values[0]
            } else {
                rng.pick::<String>(values)
            };
            simple_instance(&def.id, *integer, value)
        }
    }
}

/// A Settings Catalog policy; `rng` is the policy's own stream, which no catalog record draws
/// from (the settings are keyed by definition id).
pub fn catalog_policy(
    index: usize,
    pool: &[Def],
    tenant: &Tenant<'_>,
    seed: u64,
    rng: &mut Rng,
    written: &mut Written,
) -> (String, J) {
    let id = rng.guid();
    let area = rng.pick(&AREAS);
    let name = format!("WIN - {area} - {index:05}");
    let pku2u = rng.chance(0.01);
    let count = setting_count(rng).min(pool.len());
    let mut settings = Vec::with_capacity(count + 1);
    if pku2u {
        settings.push(catalog_setting(0, pku2u_setting()));
        written.pku2u_policies += 1;
    }
    for def in pick_settings(index, pool, count, seed) {
        let instance = setting_instance(index, def, seed);
        settings.push(catalog_setting(settings.len(), instance));
    }
    written.settings += settings.len();
    written.catalog_policies += 1;
    let assignments = policy_assignments(index, &id, pku2u, tenant, seed);
    written.assignments += assignments.len();
    let policy = J::Obj(vec![
        (
            "@odata.type",
            s("#microsoft.graph.deviceManagementConfigurationPolicy"),
        ),
        ("id", s(&id)),
        ("name", s(&name)),
        (
            "description",
            s(format!("{area}: synthetic policy {index}")),
        ),
        ("platforms", s("windows10")),
        ("technologies", s("mdm")),
        ("roleScopeTagIds", J::Arr(vec![s("0")])),
        ("settingCount", J::Int(settings.len() as i64)),
        ("createdDateTime", s("2026-09-14T08:12:44.1234567Z")),
        ("lastModifiedDateTime", s("2026-11-02T16:40:03.5550000Z")),
        ("creationSource", J::Null),
        ("priorityMetaData", J::Null),
        (
            "templateReference",
            J::Obj(vec![
                ("templateId", s("")),
                ("templateFamily", s("none")),
                ("templateDisplayName", J::Null),
                ("templateDisplayVersion", J::Null),
            ]),
        ),
        ("settings", J::Arr(settings)),
        ("assignments", J::Arr(assignments)),
    ]);
    (name, policy)
}

/// OMA-URI settings that are not PKU2U, with integer values.
pub const OMA_URIS: [(&str, &str, [i64; 3]); 6] = [
    (
        "LAN Manager authentication level",
        "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_LANManagerAuthenticationLevel",
        [3, 5, 5],
    ),
    (
        "Allow Cortana",
        "./Device/Vendor/MSFT/Policy/Config/Experience/AllowCortana",
        [0, 0, 1],
    ),
    (
        "Real-time monitoring",
        "./Device/Vendor/MSFT/Policy/Config/Defender/AllowRealtimeMonitoring",
        [1, 1, 1],
    ),
    (
        "Cloud protection",
        "./Device/Vendor/MSFT/Policy/Config/Defender/AllowCloudProtection",
        [1, 1, 0],
    ),
    (
        "Contoso custom value",
        "./Device/Vendor/MSFT/Policy/Config/Contoso/CustomValue",
        [7, 8, 9],
    ),
    (
        "Camera",
        "./Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera",
        [0, 1, 1],
    ),
];

/// A custom OMA-URI profile, from the policy's own stream (no catalog record involved).
pub fn oma_policy(
    index: usize,
    tenant: &Tenant<'_>,
    seed: u64,
    rng: &mut Rng,
    written: &mut Written,
) -> (String, J) {
    let id = rng.guid();
    let name = format!("WIN - Custom OMA-URI - {index:05}");
    let pku2u = rng.chance(0.05);
    let mut settings = Vec::new();
    let oma = |display: &str, uri: &str, value: i64| {
        J::Obj(vec![
            ("@odata.type", s("#microsoft.graph.omaSettingInteger")),
            ("displayName", s(display)),
            ("description", s("Synthetic custom setting")),
            ("omaUri", s(uri)),
            ("isReadOnly", J::Bool(false)),
            ("value", J::Int(value)),
        ])
    };
    if pku2u {
        settings.push(oma("Disable PKU2U online identities", PKU2U_URI, 0));
        written.pku2u_policies += 1;
    }
    let first = rng.below(OMA_URIS.len());
    for k in 0..1 + rng.below(4) {
        let (display, uri, values) = OMA_URIS[(first + k) % OMA_URIS.len()];
        settings.push(oma(display, uri, *rng.pick(&values)));
    }
    written.settings += settings.len();
    written.oma_policies += 1;
    let assignments = policy_assignments(index, &id, pku2u, tenant, seed);
    written.assignments += assignments.len();
    let policy = J::Obj(vec![
        (
            "@odata.type",
            s("#microsoft.graph.windows10CustomConfiguration"),
        ),
        ("id", s(&id)),
        ("displayName", s(&name)),
        ("description", s("Synthetic custom profile")),
        ("version", J::Int(1 + rng.below(9) as i64)),
        ("createdDateTime", s("2025-03-02T10:00:00Z")),
        ("lastModifiedDateTime", s("2026-10-20T09:30:00Z")),
        ("roleScopeTagIds", J::Arr(vec![s("0")])),
        ("supportsScopeTags", J::Bool(true)),
        ("deviceManagementApplicabilityRuleOsEdition", J::Null),
        ("deviceManagementApplicabilityRuleOsVersion", J::Null),
        ("deviceManagementApplicabilityRuleDeviceMode", J::Null),
        ("omaSettings", J::Arr(settings)),
        ("assignments", J::Arr(assignments)),
    ]);
    (name, policy)
}
