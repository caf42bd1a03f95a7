//! The normalised model every parser produces and every rule reads.
//!
//! Parsers know nothing of rules; rules know nothing of file formats. Everything that points
//! into a file carries a [`Span`] into the decoded text of its [`SourceId`].

use std::fmt;

use crate::source::{Location, SourceId, Sources, Span};

/// A shared, immutable name: setting keys repeat across hundreds of thousands of settings but
/// come from a few thousand catalog records, so they are shared, not copied. The built-in
/// catalog's names point at its string table, which lives as long as the program, so a clone
/// of one copies a pointer and touches no memory; other names are reference-counted. Reads
/// like a `&str`; equality, order and hash are the text's, whichever way it is held. Two
/// words, as an `Arc<str>` alone (a test holds it).
#[derive(Clone)]
pub struct Name(Repr);

#[derive(Clone)]
enum Repr {
    /// Text that lives as long as the program, through a thin pointer (the catalog digest's
    /// string table, literals).
    Static(&'static &'static str),
    Shared(std::sync::Arc<str>),
}

impl Name {
    /// A name borrowing text that lives as long as the program: no allocation, and clones
    /// share no counter.
    pub const fn from_static(s: &'static &'static str) -> Name {
        Name(Repr::Static(s))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::from_static(&"")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Name").field(&self.as_str()).finish()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Name {
    /// As `str` hashes, which `Borrow<str>` requires.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Name {
    /// As `str` displays: width, fill and alignment apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// A map keyed by lower-cased ids and names, looked up case-insensitively: a key already
/// written in lower case (most ids are) is found without lower-casing a copy of it.
pub fn get_lowercase_keyed<'m, V, S: std::hash::BuildHasher>(
    map: &'m std::collections::HashMap<String, V, S>,
    key: &str,
) -> Option<&'m V> {
    map.get(key).or_else(|| map.get(&key.to_lowercase()))
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Repr::Shared(s.into()))
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Repr::Shared(s.into()))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::from(s.as_str())
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<'de> serde::Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        String::deserialize(deserializer).map(Name::from)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How a Windows device is joined. Entra = AzureAD, Hybrid = ServerAD, Registered = Workplace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JoinType {
    Entra,
    Hybrid,
    Domain,
    Registered,
}

impl JoinType {
    pub const ALL: [JoinType; 4] = [
        JoinType::Entra,
        JoinType::Hybrid,
        JoinType::Domain,
        JoinType::Registered,
    ];

    /// The name used in configuration files and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            JoinType::Entra => "entra",
            JoinType::Hybrid => "hybrid",
            JoinType::Domain => "domain",
            JoinType::Registered => "registered",
        }
    }

    /// The phrase used in messages ("Entra-joined devices").
    pub fn describe(self) -> &'static str {
        match self {
            JoinType::Entra => "Entra-joined",
            JoinType::Hybrid => "hybrid-joined",
            JoinType::Domain => "domain-joined",
            JoinType::Registered => "Entra-registered",
        }
    }

    pub fn parse(name: &str) -> Option<JoinType> {
        JoinType::ALL
            .into_iter()
            .find(|j| j.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Join types written as a comma-separated list (`entra,hybrid`), or `all`.
    pub fn parse_list(text: &str) -> Result<JoinTypeSet, String> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(ALL_JOIN_TYPES);
        }
        let mut set = JoinTypeSet::EMPTY;
        for name in text.split(',') {
            match JoinType::parse(name) {
                Some(t) => set = set.with(t),
                None => {
                    return Err(format!(
                        "unknown join type `{}`: expected entra, hybrid, domain, registered or all",
                        name.trim()
                    ));
                }
            }
        }
        Ok(set)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for JoinType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of join types (a bit set).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct JoinTypeSet(u8);

/// Every join type, domain-only devices included (what a baseline control applies to).
pub const ALL_JOIN_TYPES: JoinTypeSet = JoinTypeSet(0b1111);

impl JoinTypeSet {
    pub const EMPTY: JoinTypeSet = JoinTypeSet(0);
    /// The join types Intune manages: every device an "all devices" assignment can reach.
    pub const MDM: JoinTypeSet = JoinTypeSet(0b1011);
    /// The join types Group Policy reaches: computers in Active Directory OUs.
    pub const GROUP_POLICY: JoinTypeSet = JoinTypeSet(0b0110);
    /// The join types that exist in Entra ID (domain-only devices are not synchronised).
    pub const IN_ENTRA: JoinTypeSet = JoinTypeSet(0b1011);

    pub fn of(types: &[JoinType]) -> JoinTypeSet {
        types.iter().fold(JoinTypeSet::EMPTY, |s, &t| s.with(t))
    }

    pub fn with(self, t: JoinType) -> JoinTypeSet {
        JoinTypeSet(self.0 | t.bit())
    }

    pub fn contains(self, t: JoinType) -> bool {
        self.0 & t.bit() != 0
    }

    pub fn union(self, o: JoinTypeSet) -> JoinTypeSet {
        JoinTypeSet(self.0 | o.0)
    }

    pub fn intersection(self, o: JoinTypeSet) -> JoinTypeSet {
        JoinTypeSet(self.0 & o.0)
    }

    pub fn difference(self, o: JoinTypeSet) -> JoinTypeSet {
        JoinTypeSet(self.0 & !o.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = JoinType> {
        JoinType::ALL.into_iter().filter(move |t| self.contains(*t))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(JoinType::name).collect()
    }

    /// "Entra-joined or hybrid-joined".
    pub fn describe(self) -> String {
        let parts: Vec<_> = self.iter().map(JoinType::describe).collect();
        match parts.len() {
            0 => "no devices".to_string(),
            _ => parts.join(" or "),
        }
    }
}

impl fmt::Debug for JoinTypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.names().join(","))
    }
}

/// The readers' key of the account lockout duration, which the catalog does not list. Its -1
/// (GptTmpl.inf; a GPO report's 4294967295 is read as -1) locks an account until an
/// administrator unlocks it.
pub const LOCKOUT_DURATION_KEY: &str = "system_access:lockoutduration";

/// The label of an account policy value the catalog does not know: the lockout duration -1.
pub fn system_access_label(key: &str, value: &Value) -> Option<Name> {
    (key == LOCKOUT_DURATION_KEY && value.as_int() == Some(-1))
        .then(|| Name::from("until an administrator unlocks the account"))
}

/// A normalised setting value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Int(i64),
    Str(String),
    Bool(bool),
    List(Vec<Value>),
    /// A Settings Catalog choice whose option the catalog could not map to a value.
    Choice(String),
    NotConfigured,
}

impl Value {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A Settings Catalog option id's suffix: its part after the setting's definition id and an
/// underscore, in any letter case (`add_restrict` for `..._accessgroup_action_add_restrict`),
/// possibly empty; None when the option id does not start so.
pub fn option_suffix<'v>(definition_id: &str, option_id: &'v str) -> Option<&'v str> {
    let head = option_id.get(..definition_id.len())?;
    let suffix = option_id.get(definition_id.len()..)?.strip_prefix('_')?;
    head.eq_ignore_ascii_case(definition_id).then_some(suffix)
}

/// A Settings Catalog choice's option ([`option_suffix`]); None also when it names no option.
pub fn choice_option<'v>(definition_id: &str, choice: &'v str) -> Option<&'v str> {
    option_suffix(definition_id, choice).filter(|option| !option.is_empty())
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Choice(c) => write!(f, "choice {c}"),
            Value::NotConfigured => f.write_str("not configured"),
        }
    }
}

/// One configured setting of a policy.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Canonical catalog key (see `catalog`), or a stable source-specific key for settings the
    /// catalog does not know (`intune:<definition id>`, `omauri:<uri>`...).
    pub key: Name,
    /// The name as the source wrote it (definition id, OMA-URI, registry path...).
    pub raw_name: Name,
    pub value: Value,
    /// The value's label where the catalog knows it ("Block").
    pub value_label: Option<Name>,
    /// The offending bytes: the value itself.
    pub span: Span,
    /// The setting's name in the file (definition id, OMA-URI...).
    pub name_span: Span,
    /// The file the spans point into when it is not the policy's own file (a GPO backup's
    /// GptTmpl.inf or Registry.pol); None = `Policy::source`.
    pub file: Option<SourceId>,
}

/// What kind of object a policy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    SettingsCatalog,
    DeviceConfiguration,
    CustomOmaUri,
    EndpointSecurityIntent,
    Compliance,
    Other,
    Gpo,
}

impl PolicyKind {
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::SettingsCatalog => "intune-settings-catalog",
            PolicyKind::DeviceConfiguration => "intune-device-configuration",
            PolicyKind::CustomOmaUri => "intune-custom-oma-uri",
            PolicyKind::EndpointSecurityIntent => "intune-endpoint-security-intent",
            PolicyKind::Compliance => "intune-compliance",
            PolicyKind::Other => "intune-other",
            PolicyKind::Gpo => "gpo",
        }
    }
}

/// Include or exclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Include,
    Exclude,
}

/// Who an assignment targets.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// An Entra group, by id (Graph exports) and/or display name (IntuneCD exports).
    Group {
        id: Option<String>,
        name: Option<String>,
        /// IntuneCD writes the dynamic rule of the group into the assignment.
        inline_rule: Option<InlineRule>,
    },
    AllDevices,
    AllLicensedUsers,
    /// A GPO link to a site, domain or OU (`LinksTo` in a GPO report).
    GpoLink(GpoLink),
    /// A target kind baselint does not model (Configuration Manager collection...).
    Other(String),
    /// No assignment (or GPO link) yet: the devices a pre-deployment review assumes the policy
    /// will reach (`[inventory] unassigned`, `--unassigned`). Never read from an export.
    Unassigned(JoinTypeSet),
}

/// Where a GPO is linked.
#[derive(Clone, Debug, PartialEq)]
pub struct GpoLink {
    /// Canonical path as `SOMPath` writes it: `contoso.com/Clients/Workstations`
    /// (the domain root is just `contoso.com`).
    pub som_path: String,
    pub som_name: String,
    /// The link is enabled.
    pub enabled: bool,
    /// Enforced ("No override").
    pub enforced: bool,
    /// Link order within the OU where known (1 = highest precedence).
    pub order: Option<u32>,
}

/// A membership rule written inside an assignment (IntuneCD).
#[derive(Clone, Debug, PartialEq)]
pub struct InlineRule {
    pub text: String,
    /// Span of the rule text; the map translates offsets in `text` to file offsets.
    pub span: Span,
    pub offsets: Vec<u32>,
}

/// An assignment filter reference on an assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterRef {
    /// Filter id (Graph) or display name (IntuneCD).
    pub reference: String,
    pub mode: Mode,
    pub span: Span,
}

/// One assignment of a policy.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub target: Target,
    pub mode: Mode,
    pub filter: Option<FilterRef>,
    /// The whole assignment object.
    pub span: Span,
    /// The group id or name within it (or the target type for all devices / all users).
    pub target_span: Span,
    /// The file the spans point into when it is not the policy's own file; None = the policy's.
    pub file: Option<SourceId>,
}

/// A policy from any source.
#[derive(Clone, Debug)]
pub struct Policy {
    pub id: Option<String>,
    pub name: String,
    pub kind: PolicyKind,
    pub source: SourceId,
    /// The policy object.
    pub span: Span,
    /// The policy's name in the file.
    pub name_span: Span,
    pub settings: Vec<Setting>,
    pub assignments: Vec<Assignment>,
    /// True when the export carried an `assignments` array (even empty).
    pub assignments_exported: bool,
    /// GPO-only facts (status, security filtering, WMI filter); None for Intune policies.
    pub gpo: Option<Box<GpoInfo>>,
}

/// What a GPO report or backup says about a GPO beyond its settings and links.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GpoInfo {
    /// The GPO GUID, braced, upper case.
    pub guid: String,
    pub domain: Option<String>,
    /// False when "Computer configuration settings disabled".
    pub computer_enabled: bool,
    /// False when "User configuration settings disabled".
    pub user_enabled: bool,
    /// Trustees with Allow + "Apply Group Policy" (security filtering).
    pub security_filter: Vec<Trustee>,
    pub wmi_filter: Option<WmiFilterRef>,
    /// The principals its report names by SID and name (restricted groups and their members,
    /// user rights, security filtering, the members of preference local groups): SID in
    /// capitals, name as written, one per SID. Empty without a report.
    pub principals: Vec<(String, String)>,
    /// True when the settings were read from the GPO's own files (a backup or a Group Policy
    /// template folder), false when from a report.
    pub from_files: bool,
    /// When the export was taken, as written (`2022-07-15T21:43:21`): a backup's
    /// `BackupTime`, else its report's `ReadTime`. None for a SYSVOL folder.
    pub exported_at: Option<String>,
    /// The other copies of this GPO the run read, linted as this one (`ingest::gpo_copies`):
    /// where each names the GPO (older backups and reports, a report merged into this copy).
    pub other_copies: Vec<Location>,
    /// The GPO's version where the copy says it: `GPT.INI`'s `Version`, a backup's
    /// `MachineVersionNumber` and `UserVersionNumber`, a report's `VersionSysvol`.
    pub version: Option<GpoVersion>,
}

/// How many times each half of a GPO was changed: Windows counts every edit of a GPO's
/// computer or user settings, so of two copies of one GPO, the one whose counts are both as high
/// and one higher was saved later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct GpoVersion {
    pub computer: u16,
    pub user: u16,
}

impl GpoVersion {
    /// `GPT.INI`'s `Version`: the user count in the high 16 bits, the computer's in the low.
    pub fn from_gpt_ini(version: u32) -> GpoVersion {
        GpoVersion {
            computer: (version & 0xffff) as u16,
            user: (version >> 16) as u16,
        }
    }

    /// A half's count as a backup writes it (`MachineVersionNumber`): the directory's and
    /// SYSVOL's counts in one number, 16 bits each (equal once replicated); the higher is kept.
    pub fn half_of_backup(number: u32) -> u16 {
        ((number >> 16) as u16).max((number & 0xffff) as u16)
    }

    /// Whether this copy was saved after `other` (Greater) or before (Less); None when the
    /// counts are equal or neither copy is ahead in both halves (not copies of one history).
    pub fn compare(self, other: GpoVersion) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering;
        let halves = (
            self.computer.cmp(&other.computer),
            self.user.cmp(&other.user),
        );
        match halves {
            (Ordering::Equal, Ordering::Equal) => None,
            (a, b) if a != Ordering::Less && b != Ordering::Less => Some(Ordering::Greater),
            (a, b) if a != Ordering::Greater && b != Ordering::Greater => Some(Ordering::Less),
            _ => None,
        }
    }
}

/// A security principal in a GPO's security filtering.
#[derive(Clone, Debug, PartialEq)]
pub struct Trustee {
    pub sid: Option<String>,
    pub name: String,
    pub span: Span,
}

/// A WMI filter linked to a GPO.
#[derive(Clone, Debug, PartialEq)]
pub struct WmiFilterRef {
    pub name: String,
    /// The WQL query where the export has it (GPO reports do not).
    pub query: Option<String>,
    pub span: Span,
}

impl Policy {
    /// True when no assignment includes devices: none exported, only exclusions, or only
    /// disabled GPO links. Such a policy reaches no device, and the rules about the devices a
    /// policy reaches skip it.
    pub fn reaches_nothing(&self) -> bool {
        !self.assignments.iter().any(|a| {
            a.mode == Mode::Include && !matches!(&a.target, Target::GpoLink(link) if !link.enabled)
        })
    }

    /// The stable identity used in fingerprints: the id when exported, otherwise the name.
    pub fn identity(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }

    /// Where a setting's value is.
    pub fn value_location(&self, setting: &Setting) -> Location {
        Location {
            file: setting.file.unwrap_or(self.source),
            span: setting.span,
        }
    }

    /// Where an assignment's target is.
    pub fn target_location(&self, assignment: &Assignment) -> Location {
        Location {
            file: assignment.file.unwrap_or(self.source),
            span: assignment.target_span,
        }
    }
}

/// Membership of a group.
#[derive(Clone, Debug)]
pub enum Membership {
    Static,
    Dynamic { rule: String, paused: bool },
}

/// An Entra group.
#[derive(Clone, Debug)]
pub struct Group {
    pub id: Option<String>,
    pub name: String,
    pub membership: Membership,
    pub source: SourceId,
    pub span: Span,
    /// Span of the membership rule string (the literal, quotes excluded) where dynamic.
    pub rule_span: Option<Span>,
    /// Decoded-rule byte offset -> file byte offset (JSON escapes shift them); empty = identity.
    pub rule_offsets: Vec<u32>,
}

/// An Intune assignment filter.
#[derive(Clone, Debug)]
pub struct AssignmentFilter {
    pub id: Option<String>,
    pub name: String,
    pub platform: Option<String>,
    pub rule: String,
    pub source: SourceId,
    pub span: Span,
    pub rule_span: Span,
    pub rule_offsets: Vec<u32>,
}

/// Which framework a control comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framework {
    Stig,
    Cis,
    /// A baseline in baselint's own TOML format.
    Baselint,
    /// A third-party list (HardeningKitty finding lists, Microsoft baselines...).
    Other,
}

/// What a control checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlKind {
    RegistryValue,
    UserRight,
    AuditPolicy,
    AccountPolicy,
    Service,
    /// A check a machine cannot make from configuration (procedures, documentation...).
    Manual,
}

/// The value a control expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// One of these values.
    OneOf(Vec<Value>),
    AtMost(i64),
    AtLeast(i64),
    Between(i64, i64),
    /// The value must not exist / the policy must not be configured.
    Absent,
    /// A string matching this regular expression.
    Matches(Pattern),
    /// A list of principals (user rights): only these may hold the right (any subset of them,
    /// including none), in any order.
    Principals(Vec<String>),
    /// A list of principals that must all hold the right (deny rights: at least these).
    Includes(Vec<String>),
    /// A comma-separated `Name=Value` list (hardened UNC paths:
    /// `RequireMutualAuthentication=1, RequireIntegrity=1`) that sets at least these flags, in
    /// any order and spacing, names in any case; other flags may be set too.
    Flags(Vec<String>),
    /// A list (an ADMX list box: device IDs or setup classes to block) with, for each of these
    /// texts, an entry that contains it, in any ASCII case; other entries may be there too.
    /// HardeningKitty's `RegistryList` rows check this (`-like "*<item>*"` over the values of
    /// the list's key), so `d48179be-ec20-11d1-b6b8-00c04fa372a7` is met by the class GUID as
    /// Group Policy writes it, in braces.
    Contains(Vec<String>),
}

impl Expectation {
    /// The expectation a written value that lists two or more `Name=Value` flags stands for
    /// (`RequireMutualAuthentication=1, RequireIntegrity=1`, as STIG checks and CIS lists write
    /// hardened UNC paths): those flags, in any order and spacing, with others besides. None for
    /// any other text.
    pub fn flags_in(text: &str) -> Option<Expectation> {
        let flags = several_flags(text)?;
        Some(Expectation::Flags(
            flags
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect(),
        ))
    }
}

/// The flags of a string that lists two or more (a single `Name=Value` is text, compared as
/// written): what [`flag_set`] and [`Expectation::flags_in`] take as a flag list.
fn several_flags(text: &str) -> Option<Vec<(&str, &str)>> {
    flag_list(text).filter(|flags| flags.len() >= 2)
}

/// A string of two or more `Name=Value` flags (hardened UNC paths) as a set: names lower-cased,
/// sorted, so that the same flags in another order, spacing or case compare equal. None for any
/// other string (a single flag included: that is text).
pub fn flag_set(text: &str) -> Option<Vec<(String, String)>> {
    let flags = several_flags(text)?;
    let mut set: Vec<(String, String)> = flags
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
        .collect();
    set.sort();
    set.dedup();
    Some(set)
}

/// The flags of a comma-separated `Name=Value` list (`RequireIntegrity=1,RequirePrivacy=1`),
/// each as (name, value), trimmed; None when any part is not `Name=Value` with a name of
/// letters, digits and `_`.
pub fn flag_list(text: &str) -> Option<Vec<(&str, &str)>> {
    if !text.contains('=') {
        return None;
    }
    text.split(',')
        .map(|part| {
            let (name, value) = part.split_once('=')?;
            let (name, value) = (name.trim(), value.trim());
            let word = name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            (word && !value.is_empty() && !value.contains('=')).then_some((name, value))
        })
        .collect()
}

/// A regular expression, compiled once where the baseline is read (a control is checked
/// against every policy that sets its setting). Two patterns are equal when written alike.
#[derive(Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    pub fn new(source: &str) -> Result<Pattern, regex::Error> {
        regex::Regex::new(source).map(Pattern)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.as_str() == other.as_str()
    }
}

/// Shown as the string it was written as.
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One control of a baseline (a STIG rule, a CIS recommendation, a baselint control).
#[derive(Clone, Debug)]
pub struct Control {
    pub framework: Framework,
    /// Benchmark and release, e.g. `Microsoft_Windows_11_STIG V2R7`.
    pub baseline: String,
    /// The id people use: `WN11-SO-000185`, `2.3.11.3`, `entra-pku2u-allowed`.
    pub id: String,
    /// Other ids of the same control: `V-253459`, `SV-253459r991589_rule`, CCIs.
    pub aliases: Vec<String>,
    pub title: String,
    /// `high`/`medium`/`low` (STIG CAT I/II/III) or the baseline's own words.
    pub severity: Option<String>,
    pub kind: ControlKind,
    /// Catalog key of the setting checked, where it is a setting.
    pub key: Option<Name>,
    /// What the control expects; None when the text could not be turned into an expectation.
    pub expected: Option<Expectation>,
    /// Join types the control applies to (e.g. STIG rules "NA if not a member of a domain").
    pub applies_to: JoinTypeSet,
    /// Per-join-type expectations that override `expected` (our TOML baselines).
    pub per_join_type: Vec<(JoinType, Expectation)>,
    pub source: SourceId,
    /// The control in its file (the XCCDF `Rule`, the TOML table).
    pub span: Span,
    /// The expected value in its file where it can be pointed at (the `Value:` line).
    pub expected_span: Option<Span>,
    /// Further settings the control requires, all of them, beside `key` (a STIG check that
    /// names several registry values that must all be set, such as WN11-CC-000050's NETLOGON
    /// and SYSVOL hardened paths). Empty for most controls.
    pub also: Vec<Requirement>,
}

/// One further setting a control requires (see [`Control::also`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub key: Name,
    pub expected: Option<Expectation>,
    /// The expected value in the control's file.
    pub expected_span: Option<Span>,
}

/// One setting a control checks, as [`Control::checks`] lists them.
#[derive(Clone, Copy, Debug)]
pub struct ControlCheck<'c> {
    pub control: &'c Control,
    pub key: &'c Name,
    /// 0 for the control's own `key`, then 1, 2... for the entries of `also`.
    pub part: usize,
    expected: Option<&'c Expectation>,
    expected_span: Option<Span>,
}

impl<'c> ControlCheck<'c> {
    /// What this setting must be on devices of `join_type`: the control's per-join-type
    /// entries apply to its own setting only.
    pub fn expectation_for(&self, join_type: JoinType) -> Option<&'c Expectation> {
        let per_join_type = if self.part == 0 {
            self.control
                .per_join_type
                .iter()
                .find(|(j, _)| *j == join_type)
        } else {
            None
        };
        per_join_type.map(|(_, e)| e).or(self.expected)
    }

    /// The expectation for every join type without an entry of its own.
    pub fn expected(&self) -> Option<&'c Expectation> {
        self.expected
    }

    /// The expected value in its file, else the control.
    pub fn location(&self) -> Location {
        Location {
            file: self.control.source,
            span: self.expected_span.unwrap_or(self.control.span),
        }
    }
}

impl Control {
    /// Every setting the control checks: its own `key`, then each of `also` (none for a
    /// control without a key).
    pub fn checks(&self) -> impl Iterator<Item = ControlCheck<'_>> {
        let own = self.key.as_ref().map(|key| ControlCheck {
            control: self,
            key,
            part: 0,
            expected: self.expected.as_ref(),
            expected_span: self.expected_span,
        });
        let further = self
            .also
            .iter()
            .enumerate()
            .map(move |(i, r)| ControlCheck {
                control: self,
                key: &r.key,
                part: i + 1,
                expected: r.expected.as_ref(),
                expected_span: r.expected_span,
            });
        own.into_iter().chain(further)
    }
}

/// A calendar date (exception expiry), without time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD`, checking the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let date = Date { year, month, day };
        ((1..=12).contains(&month) && day >= 1 && day <= date.days_in_month()).then_some(date)
    }

    fn days_in_month(self) -> u32 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            _ => 31,
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Today's date in UTC from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days(secs.div_euclid(86_400))
    }

    /// The date `days` days after 1970-01-01 (civil_from_days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// When an exception ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Expiry {
    On(Date),
    /// `expires = "never"` (needs a reason in the justification).
    Never,
    Missing,
}

/// Whom an exception covers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExceptionScope {
    pub join_types: JoinTypeSet,
    /// Policy names or ids.
    pub policies: Vec<String>,
    /// Group names or ids.
    pub groups: Vec<String>,
    /// OUs (distinguished names or canonical paths).
    pub ous: Vec<String>,
}

/// A documented deviation (waiver) from `exceptions.toml`.
#[derive(Clone, Debug)]
pub struct Exception {
    pub id: String,
    /// Control ids (STIG, CIS, baseline) it covers.
    pub controls: Vec<String>,
    /// Rule ids it covers.
    pub rules: Vec<String>,
    pub scope: ExceptionScope,
    pub justification: Option<String>,
    pub owner: Option<String>,
    pub approved_by: Option<String>,
    pub created: Option<Date>,
    pub expires: Expiry,
    pub ticket: Option<String>,
    pub source: SourceId,
    /// The `[[exception]]` table.
    pub span: Span,
    /// The `expires` value, for "expired" diagnostics.
    pub expires_span: Option<Span>,
}

/// A STIG checklist status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecklistStatus {
    Open,
    NotAFinding,
    NotApplicable,
    NotReviewed,
}

/// One vulnerability entry of a STIG checklist (`.ckl` VULN or `.cklb` rule).
#[derive(Clone, Debug)]
pub struct ChecklistEntry {
    /// Host name or target of the checklist.
    pub asset: String,
    /// STIG id and release of the checklist's iSTIG.
    pub stig: String,
    pub vuln_id: String,
    pub rule_id: Option<String>,
    /// `WN11-SO-000185`.
    pub rule_version: Option<String>,
    pub severity: Option<String>,
    pub status: ChecklistStatus,
    pub finding_details: String,
    pub comments: String,
    pub severity_override: Option<String>,
    pub severity_justification: Option<String>,
    pub source: SourceId,
    pub span: Span,
}

/// An input that could not be read, with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct InputError {
    pub path: String,
    /// Where in the decoded file (None when the file could not be read or decoded at all).
    pub location: Option<Location>,
    /// 1-based line and column where known (also for decode errors: the raw byte offset is
    /// turned into a position by the reader).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl InputError {
    /// An error at a span of a decoded file, with its 1-based line and column.
    pub fn at(
        id: SourceId,
        file: &crate::source::SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> InputError {
        let (line, column) = file.line_col(span.start as usize);
        InputError {
            path: file.display_path.clone(),
            location: Some(Location { file: id, span }),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    /// An error about a file or folder as a whole (unreadable, undecodable...).
    pub fn about(path: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            path: path.into(),
            location: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about a file, at a span when one is known.
    pub fn in_file(
        id: SourceId,
        file: &crate::source::SourceFile,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> InputError {
        match span {
            Some(span) => InputError::at(id, file, span, message),
            None => InputError::about(file.display_path.clone(), message),
        }
    }

    /// `path:line:column`, or the path alone when the position is unknown.
    pub fn position(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.path),
            _ => self.path.clone(),
        }
    }
}

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Model {
    pub sources: Sources,
    pub policies: Vec<Policy>,
    pub groups: Vec<Group>,
    pub filters: Vec<AssignmentFilter>,
    pub controls: Vec<Control>,
    pub exceptions: Vec<Exception>,
    pub checklist_entries: Vec<ChecklistEntry>,
    /// Exports that hold only part of what Graph has.
    pub incomplete: Vec<Incomplete>,
    pub errors: Vec<InputError>,
}

impl Model {
    /// Take in what reading one GPO folder left in a model of its own (its sources, policies
    /// and errors), its source ids moved past this model's: folders are read on all cores, each
    /// into its own model, and taken in in walk order.
    pub fn absorb(&mut self, other: Model) {
        debug_assert!(
            other.groups.is_empty()
                && other.filters.is_empty()
                && other.controls.is_empty()
                && other.exceptions.is_empty()
                && other.checklist_entries.is_empty()
                && other.incomplete.is_empty(),
            "a GPO folder holds policies only"
        );
        let offset = self.sources.append(other.sources);
        let moved = |id: &mut SourceId| id.0 += offset;
        for mut policy in other.policies {
            moved(&mut policy.source);
            let settings = policy.settings.iter_mut().filter_map(|s| s.file.as_mut());
            let assignments = policy
                .assignments
                .iter_mut()
                .filter_map(|a| a.file.as_mut());
            settings.chain(assignments).for_each(moved);
            self.policies.push(policy);
        }
        for mut error in other.errors {
            if let Some(location) = error.location.as_mut() {
                moved(&mut location.file);
            }
            self.errors.push(error);
        }
    }
}

/// An export that says it holds only part of what Graph has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    /// Where the file says so: the `@odata.nextLink` value (a list's, or a policy's
    /// `assignments@odata.nextLink`...), the `settingCount` value, or the encrypted value's mask.
    pub location: Location,
    pub missing: Missing,
}

impl Incomplete {
    /// The policy whose settings are missing: the one around the location in its file
    /// (policies move when the model drops duplicates, so no index would stay true). None for
    /// a list page, or a policy the model no longer holds.
    pub fn policy<'m>(&self, model: &'m Model) -> Option<&'m Policy> {
        if matches!(self.missing, Missing::Pages { .. }) {
            return None;
        }
        let Location { file, span } = self.location;
        (model.policies.iter())
            .find(|p| p.source == file && p.span.start <= span.start && span.end <= p.span.end)
    }
}

/// What an [`Incomplete`] export leaves out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A Graph list response (`{"value": [...]}`) names its next page in `@odata.nextLink`:
    /// Graph returns lists a page at a time, and the pages after this one are not in the file.
    Pages {
        /// How many objects this page holds.
        items: usize,
        /// The list, as `@odata.context` names it after its `#`, without the expansions or
        /// selections in parentheses (`deviceManagement/configurationPolicies`).
        list: Option<String>,
        /// How many objects the whole list holds, where the response says (`@odata.count`).
        total: Option<u64>,
    },
    /// A Settings Catalog policy counts more settings (`settingCount`) than its export holds:
    /// exported without `$expand=settings`, or with only the first page of its settings.
    Settings { declared: u64, exported: usize },
    /// A policy's own collection (`assignments`, `settings`...) names its next page in
    /// `<collection>@odata.nextLink`: Graph paged the expanded collection, and the later pages
    /// are not in the file.
    CollectionPage {
        /// The collection, as the policy names it (`assignments`).
        collection: String,
        /// How many items the file holds of it.
        items: usize,
    },
    /// A custom OMA-URI setting whose value Graph encrypted (`isEncrypted`: the export holds a
    /// mask, not the value); the setting is left out of the policy.
    EncryptedValue {
        /// The setting's OMA-URI, as written.
        uri: String,
    },
}

/// Translate a byte offset inside a decoded JSON string to a file offset, given the literal's
/// file span and the offset map produced by the JSON reader (empty when the literal has no
/// escapes, so offsets only shift by the opening quote already excluded from `span`).
pub fn map_inner_offset(span: Span, offsets: &[u32], inner: usize) -> usize {
    if offsets.is_empty() {
        span.start as usize + inner
    } else {
        let i = inner.min(offsets.len() - 1);
        span.start as usize + offsets[i] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A choice's option is what follows its setting's id and an underscore, in any case.
    #[test]
    fn a_choice_option_follows_the_definition_id() {
        let id = "x_accessgroup_action";
        assert_eq!(
            choice_option(id, "x_accessgroup_action_add_restrict"),
            Some("add_restrict")
        );
        assert_eq!(choice_option(id, "X_ACCESSGROUP_ACTION_1"), Some("1"));
        assert_eq!(choice_option(id, "x_accessgroup_action_"), None);
        assert_eq!(choice_option(id, "x_accessgroup_actions_1"), None);
        assert_eq!(choice_option(id, "x_accessgroup"), None);
        assert_eq!(choice_option(id, "y_other_setting_1"), None);
    }

    /// Settings hold three names each, hundreds of thousands of them: a name is no larger
    /// than the `Arc<str>` it was before it could borrow the catalog.
    #[test]
    fn a_name_is_two_words_and_compares_by_text() {
        assert_eq!(
            std::mem::size_of::<Name>(),
            std::mem::size_of::<std::sync::Arc<str>>()
        );
        let borrowed = Name::from_static(&"Block");
        let counted = Name::from(String::from("Block"));
        assert_eq!(borrowed, counted);
        assert_eq!(borrowed.cmp(&counted), std::cmp::Ordering::Equal);
        let hash = |name: &Name| {
            std::hash::BuildHasher::hash_one(&foldhash::quality::FixedState::with_seed(7), name)
        };
        assert_eq!(hash(&borrowed), hash(&counted));
        assert_eq!(format!("{borrowed:?}"), r#"Name("Block")"#);
        assert_eq!(Name::default(), "");
    }

    #[test]
    fn flag_lists_are_name_value_pairs() {
        assert_eq!(
            flag_list("RequireIntegrity=1, RequireMutualAuthentication = 1"),
            Some(vec![
                ("RequireIntegrity", "1"),
                ("RequireMutualAuthentication", "1")
            ])
        );
        assert_eq!(flag_list("Level_2=High"), Some(vec![("Level_2", "High")]));
        for not_flags in [
            "Block", "", "A=1,", "A=1, B", "1A=1", "A B=1", "A=", "A=1=2", "=1",
        ] {
            assert_eq!(flag_list(not_flags), None, "{not_flags:?}");
        }
    }

    #[test]
    fn lowercase_keyed_maps_are_read_whatever_the_case() {
        let map: std::collections::HashMap<String, u8> = [("ab-1".to_string(), 1)].into();
        for key in ["ab-1", "AB-1", "Ab-1"] {
            assert_eq!(get_lowercase_keyed(&map, key), Some(&1), "{key}");
        }
        assert_eq!(get_lowercase_keyed(&map, "ab-2"), None);
    }

    #[test]
    fn dates_parse_validate_and_count_days() {
        let d = Date::parse("2027-06-01").unwrap();
        assert_eq!(d.to_string(), "2027-06-01");
        assert_eq!(Date::parse("1970-01-01").unwrap().days(), 0);
        assert_eq!(d.days() - Date::parse("2026-06-01").unwrap().days(), 365);
        assert_eq!(Date::from_days(d.days()), d);
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("next year").is_none());
    }

    #[test]
    fn join_type_sets_describe_themselves() {
        let set = JoinTypeSet::of(&[JoinType::Entra, JoinType::Hybrid]);
        assert_eq!(set.describe(), "Entra-joined or hybrid-joined");
        assert_eq!(set.difference(JoinTypeSet::MDM), JoinTypeSet::EMPTY);
        assert!(
            ALL_JOIN_TYPES.contains(JoinType::Domain)
                && !JoinTypeSet::MDM.contains(JoinType::Domain)
        );
        assert_eq!(
            JoinTypeSet::GROUP_POLICY,
            JoinTypeSet::of(&[JoinType::Domain, JoinType::Hybrid])
        );
    }
}
