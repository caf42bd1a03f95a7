//! The normalised model every parser produces and every rule reads.
//!
//! Parsers know nothing of rules; rules know nothing of file formats. Everything that points
//! into a file carries a [`Span`] into the decoded text of its [`SourceId`].

use std::fmt;

use crate::source::{Location, SourceId, Sources, Span};

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

impl JoinTypeSet {
    pub const EMPTY: JoinTypeSet = JoinTypeSet(0);
    /// The join types Intune manages: every device an "all devices" assignment can reach.
    pub const MDM: JoinTypeSet = JoinTypeSet(0b1011);
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

/// A normalised setting value.
#[derive(Clone, Debug, PartialEq)]
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
    pub key: String,
    /// The name as the source wrote it (definition id, OMA-URI, registry path...).
    pub raw_name: String,
    pub value: Value,
    /// The value's label where the catalog knows it ("Block").
    pub value_label: Option<String>,
    /// The offending bytes: the value itself.
    pub span: Span,
    /// The setting's name in the file (definition id, OMA-URI...).
    pub name_span: Span,
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
    /// A target kind baselint does not model (Configuration Manager collection...).
    Other(String),
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
}

impl Policy {
    /// The stable identity used in fingerprints: the id when exported, otherwise the name.
    pub fn identity(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
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

/// Everything read from the inputs.
#[derive(Debug, Default)]
pub struct Model {
    pub sources: Sources,
    pub policies: Vec<Policy>,
    pub groups: Vec<Group>,
    pub filters: Vec<AssignmentFilter>,
    pub errors: Vec<InputError>,
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
