//! GPO reports in the shape `Get-GPOReport -ReportType Xml` writes (formats.md section 1):
//! UTF-16LE with a BOM, CRLF line ends, one `GPO` root per file (or one `report` root holding
//! them all, as `Get-GPOReport -All` writes).
//!
//! Settings are drawn from the records of baselint's catalog that `gpo_report.rs` maps back to
//! catalog keys: registry-backed Security Options (`KeyName` = `MACHINE\...`), Administrative
//! Templates (`Policy` with the ADMX category and display name the catalog lists), and plain
//! registry values (`RegistrySetting`). Values agree with the Intune tenant's usual value most
//! of the time (90 %); the rest, and the Intune policies that deviate, give GPO/Intune conflicts
//! on hybrid-joined OUs and overridden settings where GPOs share an OU chain.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use baselint::catalog::{Catalog, SettingDef};
use baselint::model::Value;

use super::intune::{DEPARTMENTS, Def, PKU2U_DEFINITION, SITES, Shape};
use super::rng::{Purpose, Rng, key, name_hash, rendezvous};

const NS_SETTINGS: &str = "http://www.microsoft.com/GroupPolicy/Settings";
const NS_TYPES: &str = "http://www.microsoft.com/GroupPolicy/Types";
const NS_SECURITY: &str = "http://www.microsoft.com/GroupPolicy/Types/Security";
const NS_XMLNS: &str = "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
pub const DOMAIN: &str = "contoso.com";
const PKU2U_KEY_NAME: &str = r"MACHINE\System\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID";
const PKU2U_TITLE: &str = "Network security: Allow PKU2U authentication requests to this computer to use online identities";

/// How often a GPO uses the tenant's usual value of a setting.
const STANDARD: f64 = 0.9;

/// How a setting appears in a report.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Security Settings > Security Options, registry-backed (`KeyName`).
    SecurityOption,
    /// Administrative Templates (`Policy`, Enabled/Disabled).
    Admx,
    /// A registry value no ADMX explains (`RegistrySetting`).
    Registry,
}

/// A setting a GPO can carry.
pub struct GpoDef {
    pub kind: Kind,
    /// `MACHINE\<path>\<value>` for a security option; the key path (no hive) for a registry
    /// value; the ADMX category for a policy.
    pub path: String,
    /// The value name, or the ADMX display name.
    pub name: String,
    pub title: String,
    /// Candidate values: registry data, or for ADMX 1 = Enabled, 0 = Disabled.
    pub values: Vec<i64>,
    /// Index in `values` of the tenant's usual value.
    pub standard: usize,
    /// [`name_hash`] of the catalog key: what GPOs pick the setting by.
    pub hash: u64,
}

/// GPO-settable catalog records (Computer half), one per catalog key, with the Intune tenant's
/// usual value where the Intune pool also sets the setting, else one keyed by the catalog key.
pub fn gpo_pool(catalog: &Catalog, intune: &[Def], seed: u64) -> Vec<GpoDef> {
    let usual = usual_values(catalog, intune, true);
    let mut pool = Vec::new();
    let mut seen = BTreeSet::new();
    for def in catalog.settings() {
        if def.parent.is_some() || def.definition_id.as_deref() == Some(PKU2U_DEFINITION) {
            continue;
        }
        let Some((kind, path, name)) = report_shape(def) else {
            continue;
        };
        let values = candidate_values(def, kind);
        if values.is_empty() || !seen.insert(def.key.as_str()) {
            continue;
        }
        let hash = name_hash(def.key.as_str());
        let standard = usual
            .get(def.key.as_str())
            .and_then(|v| values.iter().position(|x| x == v))
            .unwrap_or_else(|| {
                Rng::keyed(seed, Purpose::GpoUsualValue, &[hash]).below(values.len())
            });
        pool.push(GpoDef {
            kind,
            path,
            name,
            title: def.title.to_string(),
            values,
            standard,
            hash,
        });
    }
    pool
}

/// The value each setting of the Intune pool usually has, by catalog key: the registry data,
/// or with `admx_as_state` for an ADMX policy 1 (Enabled) or 0 (Disabled).
pub fn usual_values<'c>(
    catalog: &'c Catalog,
    intune: &[Def],
    admx_as_state: bool,
) -> HashMap<&'c str, i64> {
    let mut usual = HashMap::new();
    for def in intune {
        let id = &def.id;
        let (id, value) = match &def.shape {
            Shape::Choice { suffixes, standard } => {
                let Some(found) = catalog.by_definition_id(id) else {
                    continue;
                };
                let suffix = &suffixes[*standard];
                // ADMX policies are written as a state: option `1` is Enabled, `0` Disabled.
                match (found.admx_backed && admx_as_state, found.option(suffix)) {
                    (true, _) => match suffix.parse() {
                        Ok(i) => (found, i),
                        Err(_) => continue,
                    },
                    (false, Some(Value::Int(i))) => (found, *i),
                    _ => continue,
                }
            }
            Shape::Simple {
                integer: true,
                values,
            } => match (catalog.by_definition_id(id), values[0].parse()) {
                (Some(found), Ok(i)) => (found, i),
                _ => continue,
            },
            Shape::Simple { .. } => continue,
        };
        usual.insert(id.key.as_str(), value);
    }
    usual
}

/// How a record is written in a report, if it can be: (kind, path, name).
fn report_shape(def: &SettingDef) -> Option<(Kind, String, String)> {
    let registry = def
        .registry
        .as_deref()
        .and_then(|r| r.strip_prefix(r"HKLM\"));
    if def.security_option.is_some() {
        return Some((
            Kind::SecurityOption,
            format!(r"MACHINE\{}", registry?),
            String::new(),
        ));
    }
    if def.admx_backed {
        let alias = def
            .other_names
            .iter()
            .find_map(|n| n.strip_prefix("admx:computer/"))?;
        // The reader joins category and name with `/` again, so a `/` in the name is harmless.
        let (category, name) = alias.rsplit_once('/')?;
        return Some((Kind::Admx, category.to_string(), name.to_string()));
    }
    if def.format.as_deref() == Some("int") {
        let (path, name) = registry?.rsplit_once('\\')?;
        return Some((Kind::Registry, path.to_string(), name.to_string()));
    }
    None
}

pub fn candidate_values(def: &SettingDef, kind: Kind) -> Vec<i64> {
    if kind == Kind::Admx {
        return vec![1, 0];
    }
    let mut values: Vec<i64> = def
        .options
        .iter()
        .filter_map(|(_, v)| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })
        .collect();
    if values.is_empty() {
        values = def
            .values
            .iter()
            .filter_map(|v| v.value.parse().ok())
            .collect();
    }
    values.sort_unstable();
    values.dedup();
    values
}

// ---- organisational units ----

/// An OU GPOs link to, and the join types `[inventory.ous]` declares for it.
pub struct Ou {
    /// Canonical path as `SOMPath` writes it (`contoso.com/Workstations/LON`).
    pub path: String,
    pub name: String,
    /// The inventory key: a distinguished name for some, the canonical path for others (both
    /// are accepted).
    pub inventory_key: String,
    pub join: &'static str,
}

/// The domain root, a Workstations OU, one OU per site (hybrid-joined at the first six sites,
/// domain-joined at the others), a Kiosks OU under each hybrid site (domain-joined: a child
/// entry overrides its parent) and a Servers OU.
pub fn organisational_units() -> Vec<Ou> {
    let mut ous = vec![
        ou(DOMAIN.to_string(), DOMAIN, DOMAIN.to_string(), "domain"),
        ou(
            format!("{DOMAIN}/Workstations"),
            "Workstations",
            "OU=Workstations,DC=contoso,DC=com".into(),
            "domain",
        ),
        ou(
            format!("{DOMAIN}/Servers"),
            "Servers",
            format!("{DOMAIN}/Servers"),
            "domain",
        ),
    ];
    for (i, site) in SITES.iter().enumerate() {
        let hybrid = i < 6;
        ous.push(ou(
            format!("{DOMAIN}/Workstations/{site}"),
            site,
            format!("OU={site},OU=Workstations,DC=contoso,DC=com"),
            if hybrid { "hybrid" } else { "domain" },
        ));
        if hybrid {
            ous.push(ou(
                format!("{DOMAIN}/Workstations/{site}/Kiosks"),
                "Kiosks",
                format!("{DOMAIN}/Workstations/{site}/Kiosks"),
                "domain",
            ));
        }
    }
    ous
}

fn ou(path: String, name: &str, inventory_key: String, join: &'static str) -> Ou {
    Ou {
        path,
        name: name.to_string(),
        inventory_key,
        join,
    }
}

/// AD security groups used for security filtering; the first is declared in the inventory.
pub const DECLARED_FILTER_GROUP: (&str, &str) = ("GG-Hybrid-Workstations", "hybrid");

// ---- one GPO ----

/// What one report holds, for the summary.
#[derive(Default)]
pub struct GpoCounts {
    pub settings: usize,
    pub links: usize,
    pub pku2u: bool,
}

/// GPO `index` as a report element, text with CRLF lines; `standalone` adds the XML
/// declaration and namespace declarations of a single-GPO report. Drawn from the GPO's own
/// stream, except its settings (see `gpo_settings`).
pub fn gpo_report(
    index: usize,
    pool: &[GpoDef],
    ous: &[Ou],
    seed: u64,
    standalone: bool,
) -> (String, String, GpoCounts) {
    let rng = &mut Rng::keyed(seed, Purpose::Gpo, &[index as u64]);
    let mut counts = GpoCounts::default();
    let guid = rng.guid().to_ascii_uppercase();
    let dept = rng.pick(&DEPARTMENTS);
    let name = format!("GPO - {dept} - Workstation hardening {index:04}");
    counts.pku2u = rng.chance(0.08);
    let mut x = Xml::new(if standalone { 0 } else { 1 });
    if standalone {
        x.raw("<?xml version=\"1.0\" encoding=\"utf-16\"?>");
        x.open(&format!("GPO {NS_XMLNS} xmlns=\"{NS_SETTINGS}\""));
    } else {
        x.open("GPO");
    }
    x.open("Identifier");
    x.leaf_ns("Identifier", NS_TYPES, &format!("{{{guid}}}"));
    x.leaf_ns("Domain", NS_TYPES, DOMAIN);
    x.close("Identifier");
    x.leaf("Name", &name);
    x.leaf("IncludeComments", "true");
    x.leaf(
        "CreatedTime",
        &format!(
            "2021-{:02}-{:02}T08:{:02}:11",
            1 + index % 12,
            1 + index % 28,
            index % 60
        ),
    );
    x.leaf(
        "ModifiedTime",
        &format!(
            "2026-{:02}-{:02}T14:{:02}:42",
            1 + index % 10,
            1 + index % 28,
            index % 60
        ),
    );
    x.leaf("ReadTime", "2026-11-20T07:58:12.4810000Z");
    security_descriptor(&mut x, dept, rng);
    x.leaf("FilterDataAvailable", "true");
    let computer_enabled = !rng.chance(0.03);
    let settings = gpo_settings(index, pool, seed, rng);
    let version = 1 + rng.below(80);
    computer_half(
        &mut x,
        &settings,
        version,
        computer_enabled,
        counts.pku2u,
        &mut counts,
    );
    x.open("User");
    x.leaf("VersionDirectory", "0");
    x.leaf("VersionSysvol", "0");
    x.leaf("Enabled", if rng.chance(0.5) { "false" } else { "true" });
    x.close("User");
    for link in links(ous, counts.pku2u, rng) {
        x.open("LinksTo");
        x.leaf("SOMName", &link.name);
        x.leaf("SOMPath", &link.path);
        x.leaf("Enabled", if rng.chance(0.95) { "true" } else { "false" });
        x.leaf(
            "NoOverride",
            if rng.chance(0.05) { "true" } else { "false" },
        );
        x.close("LinksTo");
        counts.links += 1;
    }
    x.close("GPO");
    (name, x.out, counts)
}

/// Authenticated Users (most GPOs), or a group instead: one the inventory declares, or one it
/// does not (then the GPO reaches an unknown part of its OUs).
fn security_descriptor(x: &mut Xml, dept: &str, rng: &mut Rng) {
    let roll = rng.unit();
    let apply_to = if roll < 0.8 {
        (
            "S-1-5-11".to_string(),
            r"NT AUTHORITY\Authenticated Users".to_string(),
        )
    } else if roll < 0.9 {
        (sid(rng), format!(r"CONTOSO\{}", DECLARED_FILTER_GROUP.0))
    } else {
        (sid(rng), format!(r"CONTOSO\GG-GPO-{dept}"))
    };
    x.leaf_ns("SDDL", NS_SECURITY, "O:DAG:DAD:PAI(OA;CI;CR;edacfd8f-ffb3-11d1-b41d-00a0c968f939;;AU)(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;DA)");
    x.leaf_ns("PermissionsPresent", NS_SECURITY, "true");
    x.open(&format!("Permissions xmlns=\"{NS_SECURITY}\""));
    x.leaf("InheritsFromParent", "false");
    trustee(x, &apply_to.0, &apply_to.1, "Apply Group Policy");
    trustee(
        x,
        "S-1-5-21-1004336348-1177238915-682003330-512",
        r"CONTOSO\Domain Admins",
        "Edit, delete, modify security",
    );
    trustee(
        x,
        "S-1-5-9",
        r"NT AUTHORITY\ENTERPRISE DOMAIN CONTROLLERS",
        "Read",
    );
    x.close("Permissions");
    x.leaf_ns("AuditingPresent", NS_SECURITY, "false");
}

fn sid(rng: &mut Rng) -> String {
    format!(
        "S-1-5-21-1004336348-1177238915-682003330-{}",
        1100 + rng.below(9000)
    )
}

fn trustee(x: &mut Xml, sid: &str, name: &str, access: &str) {
    x.open("TrusteePermissions");
    x.open("Trustee");
    x.leaf_ns("SID", NS_TYPES, sid);
    x.leaf_ns("Name", NS_TYPES, name);
    x.close("Trustee");
    x.open("Type xsi:type=\"PermissionType\"");
    x.leaf("PermissionType", "Allow");
    x.close("Type");
    x.leaf("Inherited", "false");
    x.open("Applicability");
    x.leaf("ToSelf", "true");
    x.leaf("ToDescendantObjects", "false");
    x.leaf("ToDescendantContainers", "true");
    x.leaf("ToDirectDescendantsOnly", "false");
    x.close("Applicability");
    x.open("Standard");
    x.leaf("GPOGroupedAccessEnum", access);
    x.close("Standard");
    x.leaf("AccessMask", "0");
    x.close("TrusteePermissions");
}

/// Settings in a GPO: 5 to 60, most GPOs small.
fn setting_count(rng: &mut Rng) -> usize {
    5 + (55.0 * rng.unit().powi(3)).round() as usize
}

/// The settings of GPO `index` with their values: about 40 % security options, 40 % ADMX
/// policies, 20 % registry values, as in security baseline GPOs (the catalog itself is mostly
/// ADMX). How many of each kind comes from the GPO's stream; which ones, by rendezvous hashing
/// of the catalog keys within the kind, best first (see `intune::pick_settings`); each value
/// from a stream keyed by the GPO and the catalog key.
fn gpo_settings<'p>(
    index: usize,
    pool: &'p [GpoDef],
    seed: u64,
    rng: &mut Rng,
) -> Vec<(&'p GpoDef, i64)> {
    let kinds = [Kind::SecurityOption, Kind::Admx, Kind::Registry];
    let mut wanted = [0; 3];
    for _ in 0..setting_count(rng) {
        let roll = rng.unit();
        wanted[if roll < 0.4 {
            0
        } else if roll < 0.8 {
            1
        } else {
            2
        }] += 1;
    }
    let prefix = key(seed, Purpose::GpoPicks, &[index as u64]);
    let mut chosen = Vec::new();
    for (kind, count) in kinds.into_iter().zip(wanted) {
        let of_kind: Vec<&GpoDef> = pool.iter().filter(|def| def.kind == kind).collect();
        let picks = rendezvous(prefix, of_kind.iter().map(|def| def.hash), count);
        chosen.extend(picks.into_iter().map(|i| {
            let def = of_kind[i];
            (def, setting_value(index, def, seed))
        }));
    }
    chosen
}

/// The value GPO `index` gives `def`: the usual one most of the time.
fn setting_value(index: usize, def: &GpoDef, seed: u64) -> i64 {
    let rng = &mut Rng::keyed(seed, Purpose::GpoValue, &[index as u64, def.hash]);
    if rng.chance(STANDARD) {
        def.values[def.standard]
    } else {
        *rng.pick(&def.values)
    }
}

fn computer_half(
    x: &mut Xml,
    settings: &[(&GpoDef, i64)],
    version: usize,
    enabled: bool,
    pku2u: bool,
    counts: &mut GpoCounts,
) {
    let pick = |kind: Kind| settings.iter().filter(move |(def, _)| def.kind == kind);
    x.open("Computer");
    x.leaf("VersionDirectory", &version.to_string());
    x.leaf("VersionSysvol", &version.to_string());
    x.leaf("Enabled", if enabled { "true" } else { "false" });
    let security: Vec<_> = pick(Kind::SecurityOption).collect();
    if pku2u || !security.is_empty() {
        x.open("ExtensionData");
        x.open(&format!(
            "Extension xmlns:q1=\"{}/Security\" xsi:type=\"q1:SecuritySettings\"",
            NS_SETTINGS
        ));
        if pku2u {
            security_option(x, PKU2U_KEY_NAME, PKU2U_TITLE, 0);
            counts.settings += 1;
        }
        for (def, value) in security {
            security_option(x, &def.path, &def.title, *value);
            counts.settings += 1;
        }
        x.leaf("q1:Blocked", "false");
        x.close("Extension");
        x.leaf("Name", "Security");
        x.close("ExtensionData");
    }
    let admx: Vec<_> = pick(Kind::Admx).collect();
    let registry: Vec<_> = pick(Kind::Registry).collect();
    if !admx.is_empty() || !registry.is_empty() {
        x.open("ExtensionData");
        x.open(&format!(
            "Extension xmlns:q2=\"{}/Registry\" xsi:type=\"q2:RegistrySettings\"",
            NS_SETTINGS
        ));
        for (def, value) in admx {
            admx_policy(x, def, *value != 0);
            counts.settings += 1;
        }
        for (def, value) in registry {
            registry_setting(x, def, *value);
            counts.settings += 1;
        }
        x.leaf("q2:Blocked", "false");
        x.close("Extension");
        x.leaf("Name", "Registry");
        x.close("ExtensionData");
    }
    x.close("Computer");
}

fn security_option(x: &mut Xml, key_name: &str, title: &str, value: i64) {
    x.open("q1:SecurityOptions");
    x.leaf("q1:KeyName", key_name);
    x.leaf("q1:SettingNumber", &value.to_string());
    x.open("q1:Display");
    x.leaf("q1:Name", title);
    x.empty("q1:Units");
    x.leaf("q1:DisplayString", &value.to_string());
    x.close("q1:Display");
    x.close("q1:SecurityOptions");
}

fn admx_policy(x: &mut Xml, def: &GpoDef, enabled: bool) {
    x.open("q2:Policy");
    x.leaf("q2:Name", &def.name);
    x.leaf("q2:State", if enabled { "Enabled" } else { "Disabled" });
    x.leaf(
        "q2:Explain",
        "This policy setting is synthetic: written by gen_tenant for benchmarks.",
    );
    x.leaf("q2:Supported", "At least Windows 10");
    x.leaf("q2:Category", &def.path);
    x.close("q2:Policy");
}

fn registry_setting(x: &mut Xml, def: &GpoDef, value: i64) {
    x.open("q2:RegistrySetting");
    x.leaf("q2:KeyPath", &def.path);
    x.leaf("q2:AdmSetting", "false");
    x.open("q2:Value");
    x.leaf("q2:Name", &def.name);
    x.leaf("q2:Number", &value.to_string());
    x.close("q2:Value");
    x.close("q2:RegistrySetting");
}

/// One or two OUs; a PKU2U GPO goes to a hybrid-joined site so the PKU2U rules see it.
fn links<'o>(ous: &'o [Ou], pku2u: bool, rng: &mut Rng) -> Vec<&'o Ou> {
    let mut out: Vec<&Ou> = Vec::new();
    if pku2u {
        let hybrid: Vec<&Ou> = ous.iter().filter(|o| o.join == "hybrid").collect();
        out.push(*rng.pick(&hybrid));
        return out;
    }
    if rng.chance(0.03) {
        return out; // unlinked
    }
    for _ in 0..1 + usize::from(rng.chance(0.3)) {
        let roll = rng.unit();
        let ou = if roll < 0.03 {
            &ous[0]
        } else if roll < 0.13 {
            &ous[1]
        } else {
            &ous[2 + rng.below(ous.len() - 2)]
        };
        if !out.iter().any(|o| std::ptr::eq(*o, ou)) {
            out.push(ou);
        }
    }
    out
}

/// `Get-GPOReport -All`: a `report` root around GPO elements written with `standalone` false.
pub fn report_all(gpos: &[String]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n");
    let _ = write!(out, "<report {NS_XMLNS} xmlns=\"{NS_SETTINGS}\">\r\n");
    for gpo in gpos {
        out.push_str(gpo);
    }
    out.push_str("</report>\r\n");
    out
}

/// UTF-16LE with a byte order mark, as Windows PowerShell writes `-Path` files.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(2 + text.len() * 2);
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

// ---- a line-oriented XML writer (2-space indent, CRLF) ----

pub struct Xml {
    pub out: String,
    depth: usize,
}

impl Xml {
    pub fn new(depth: usize) -> Xml {
        Xml {
            out: String::new(),
            depth,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub fn raw(&mut self, line: &str) {
        self.indent();
        self.out.push_str(line);
        self.out.push_str("\r\n");
    }

    /// `<tag attrs>` on its own line; `close` takes the bare name.
    pub fn open(&mut self, tag_and_attributes: &str) {
        self.raw(&format!("<{tag_and_attributes}>"));
        self.depth += 1;
    }

    pub fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.raw(&format!("</{tag}>"));
    }

    pub fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        let _ = write!(self.out, "<{tag}>{}</{tag}>\r\n", escape(text));
    }

    fn leaf_ns(&mut self, tag: &str, ns: &str, text: &str) {
        self.indent();
        let _ = write!(
            self.out,
            "<{tag} xmlns=\"{ns}\">{}</{tag}>\r\n",
            escape(text)
        );
    }

    fn empty(&mut self, tag: &str) {
        self.raw(&format!("<{tag} />"));
    }
}

/// Text content escaped for XML (`&`, `<`, `>`).
pub fn escape(text: &str) -> String {
    if !text.contains(['&', '<', '>']) {
        return text.to_string();
    }
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
