//! Which devices an assignment reaches: join types (and the groups that bring them), from
//! dynamic membership rules, the inventory in `baselint.toml`, assignment filters and
//! exclusions. Unknown stays unknown, and says why.

use std::collections::HashMap;

use crate::config::{Inventory, InventoryEntry};
use crate::ingest::membership_rule::{self, Dialect, JoinTypeAnalysis};
use crate::model::{
    Assignment, GpoLink, Group, InlineRule, InputError, JoinTypeSet, Membership, Mode, Model, Name,
    Policy, PolicyKind, Target, get_lowercase_keyed, map_inner_offset,
};
use crate::source::{Location, SourceId, Span};

/// The devices an assignment (or a group, or a filter) reaches.
#[derive(Clone, Debug, PartialEq)]
pub struct Reach {
    /// Join types a device reached may have.
    pub possible: JoinTypeSet,
    /// Join types of which every device is reached.
    pub certain: JoinTypeSet,
    /// Why the join types are not known exactly (`possible` is then a conservative guess).
    pub unknown: Option<Name>,
}

impl Reach {
    fn exact(possible: JoinTypeSet, certain: JoinTypeSet) -> Reach {
        Reach {
            possible,
            certain,
            unknown: None,
        }
    }

    fn unknown(reason: String) -> Reach {
        Reach {
            possible: JoinTypeSet::MDM,
            certain: JoinTypeSet::EMPTY,
            unknown: Some(reason.into()),
        }
    }

    fn from_analysis(a: JoinTypeAnalysis) -> Reach {
        Reach::exact(a.possible, a.certain)
    }
}

/// How a group's join types were learnt (for messages and labels).
#[derive(Clone, Debug)]
pub enum Evidence {
    /// A dynamic membership rule (in a groups export or inline in an assignment).
    Rule {
        text: Name,
        /// Where the rule's deviceTrustType comparison is, or the whole rule.
        location: Location,
    },
    /// A `[inventory.groups]` entry.
    Inventory { location: Location },
}

/// A target group as resolved against the exports and inventory.
#[derive(Clone, Debug)]
pub struct ResolvedGroup {
    pub name: Name,
    pub reach: Reach,
    pub evidence: Option<Evidence>,
    /// The group was found in a groups export, an inline rule or the inventory.
    pub known: bool,
}

/// Where a group target's join types come from (see [`Scope::group_source`]).
enum GroupSource<'s, 't> {
    Inventory(&'s InventoryEntry),
    /// The index of the group in the model's groups.
    Exported(usize),
    Inline(&'t InlineRule),
    Unknown,
}

/// One include assignment of a policy, with exclusions and its filter applied.
#[derive(Clone, Debug)]
pub struct EffectiveAssignment<'m> {
    pub assignment: &'m Assignment,
    pub group: Option<ResolvedGroup>,
    pub reach: Reach,
    /// Exclusions of the policy that could not be shown to cover the reached join types.
    pub partial_exclusions: Vec<String>,
}

/// Groups or filters by lower-cased id and name (an export can hold a hundred thousand groups;
/// the hasher is seeded per run, so crafted names cannot be made to collide).
type KeyIndex = HashMap<String, usize, foldhash::fast::RandomState>;

/// Resolves groups and filters once, then answers reach questions.
pub struct Scope<'m> {
    inventory: &'m Inventory,
    groups_by_key: KeyIndex,
    /// Per exported group: its name, what it reaches and the evidence, worked out once (every
    /// assignment to the group shares them).
    exported: Vec<(Name, Reach, Option<Evidence>)>,
    filters_by_key: KeyIndex,
    filter_analysis: Vec<Result<(JoinTypeAnalysis, Span), ()>>,
}

impl<'m> Scope<'m> {
    /// Index groups and filters and analyse their rules; broken rules are returned as
    /// positioned input errors.
    pub fn new(model: &'m Model, inventory: &'m Inventory) -> (Scope<'m>, Vec<InputError>) {
        use rayon::prelude::*;
        let mut errors = Vec::new();
        // Membership rules are parsed and analysed on all cores, in group order, and the keys
        // a group is found by are lowered there too: the serial part is the index alone.
        let analysed: Vec<_> = model
            .groups
            .par_iter()
            .map(|group| {
                let mut errors = Vec::new();
                let analysis = analyse_group(model, group, &mut errors);
                let keys = (
                    group.id.as_deref().map(str::to_lowercase),
                    group.name.to_lowercase(),
                );
                (exported_facts(group, &analysis), errors, keys)
            })
            .collect();
        let mut groups_by_key = KeyIndex::with_capacity_and_hasher(
            2 * model.groups.len(),
            foldhash::fast::RandomState::default(),
        );
        let mut exported = Vec::with_capacity(model.groups.len());
        for (i, (facts, group_errors, (id, name))) in analysed.into_iter().enumerate() {
            if let Some(id) = id {
                groups_by_key.entry(id).or_insert(i);
            }
            groups_by_key.entry(name).or_insert(i);
            exported.push(facts);
            errors.extend(group_errors);
        }
        let mut filters_by_key = KeyIndex::default();
        let mut filter_analysis = Vec::with_capacity(model.filters.len());
        for (i, filter) in model.filters.iter().enumerate() {
            if let Some(id) = &filter.id {
                filters_by_key.entry(id.to_lowercase()).or_insert(i);
            }
            filters_by_key
                .entry(filter.name.to_lowercase())
                .or_insert(i);
            let location = RuleLocation {
                file: filter.source,
                span: filter.rule_span,
                offsets: &filter.rule_offsets,
            };
            filter_analysis.push(analyse_rule(
                model,
                &filter.rule,
                Dialect::AssignmentFilter,
                location,
                &format!("assignment filter \"{}\"", filter.name),
                &mut errors,
            ));
        }
        let scope = Scope {
            inventory,
            groups_by_key,
            exported,
            filters_by_key,
            filter_analysis,
        };
        (scope, errors)
    }

    /// Resolve a group target: inventory first (the user knows best), then a groups export,
    /// then a rule written inline in the assignment.
    pub fn resolve_group(&self, policy: &Policy, target: &Target) -> Option<ResolvedGroup> {
        let Target::Group {
            id,
            name,
            inline_rule,
        } = target
        else {
            return None;
        };
        let display = self.display_name(id.as_deref(), name.as_deref());
        let resolved = match self.group_source(id, name, inline_rule) {
            GroupSource::Inventory(entry) => ResolvedGroup {
                name: display,
                reach: Reach::exact(entry.join_types, JoinTypeSet::EMPTY),
                evidence: Some(Evidence::Inventory {
                    location: entry.location,
                }),
                known: true,
            },
            GroupSource::Exported(i) => self.exported_group(i, display),
            GroupSource::Inline(rule) => {
                let location = RuleLocation {
                    file: policy.source,
                    span: rule.span,
                    offsets: &rule.offsets,
                };
                self.inline_group(&rule.text, location, display)
            }
            GroupSource::Unknown => {
                let reason = format!(
                    "group \"{display}\" is in no groups export and not in [inventory.groups]; it may contain any device"
                );
                ResolvedGroup {
                    name: display,
                    reach: Reach::unknown(reason),
                    evidence: None,
                    known: false,
                }
            }
        };
        Some(resolved)
    }

    /// Where a group target's join types are learnt, in the order [`Scope::resolve_group`]
    /// trusts them: the inventory, a groups export, a rule written inline.
    fn group_source<'t>(
        &self,
        id: &'t Option<String>,
        name: &'t Option<String>,
        inline_rule: &'t Option<InlineRule>,
    ) -> GroupSource<'_, 't> {
        let keys = || id.iter().chain(name.iter());
        if let Some(entry) = keys().find_map(|key| self.inventory.group(key)) {
            return GroupSource::Inventory(entry);
        }
        if let Some(i) = keys().find_map(|key| self.exported_index(key)) {
            return GroupSource::Exported(i);
        }
        match inline_rule {
            Some(rule) => GroupSource::Inline(rule),
            None => GroupSource::Unknown,
        }
    }

    fn display_name(&self, id: Option<&str>, name: Option<&str>) -> Name {
        if let Some(name) = name {
            return name.into();
        }
        let id = id.unwrap_or("?");
        self.exported_index(id)
            .map(|i| self.exported[i].0.clone())
            .unwrap_or_else(|| id.into())
    }

    /// The exported group with this id or name, case-insensitively.
    fn exported_index(&self, id_or_name: &str) -> Option<usize> {
        get_lowercase_keyed(&self.groups_by_key, id_or_name).copied()
    }

    fn exported_group(&self, i: usize, display: Name) -> ResolvedGroup {
        let (_, reach, evidence) = &self.exported[i];
        ResolvedGroup {
            name: display,
            reach: reach.clone(),
            evidence: evidence.clone(),
            known: true,
        }
    }

    fn inline_group(&self, text: &str, location: RuleLocation, display: Name) -> ResolvedGroup {
        match membership_rule::parse(text) {
            Ok(expr) => {
                let analysis = membership_rule::analyse(&expr, Dialect::GroupRule);
                let span = trust_type_span(&expr, location);
                ResolvedGroup {
                    reach: group_reach(&analysis, &display),
                    evidence: Some(Evidence::Rule {
                        text: text.into(),
                        location: Location {
                            file: location.file,
                            span,
                        },
                    }),
                    name: display,
                    known: true,
                }
            }
            Err(_) => ResolvedGroup {
                reach: Reach::unknown(format!(
                    "the membership rule of \"{display}\" does not parse"
                )),
                name: display,
                evidence: None,
                known: true,
            },
        }
    }

    /// Reach of a target, before exclusions and filters.
    pub fn target_reach(&self, policy: &Policy, target: &Target) -> (Reach, Option<ResolvedGroup>) {
        match target {
            Target::AllDevices => (Reach::exact(JoinTypeSet::MDM, JoinTypeSet::MDM), None),
            // Device settings assigned to users apply to the devices those users sign in to.
            Target::AllLicensedUsers => (Reach::exact(JoinTypeSet::MDM, JoinTypeSet::EMPTY), None),
            Target::Group { .. } => {
                let group = self.resolve_group(policy, target);
                let reach = group
                    .as_ref()
                    .map(|g| g.reach.clone())
                    .unwrap_or_else(|| Reach::unknown("unresolved target".to_string()));
                (reach, group)
            }
            Target::GpoLink(link) => (self.link_reach(policy, link), None),
            Target::Other(kind) => (
                Reach::unknown(format!("target type {kind} is not modelled")),
                None,
            ),
            Target::Unassigned(types) => {
                // What the policy's channel can reach: GPOs never reach Entra-joined devices,
                // Intune never domain-only ones.
                let channel = match policy.kind {
                    PolicyKind::Gpo => JoinTypeSet::GROUP_POLICY,
                    _ => JoinTypeSet::MDM,
                };
                let types = types.intersection(channel);
                (Reach::exact(types, types), None)
            }
        }
    }

    /// Devices a GPO link reaches: the join types `[inventory.ous]` declares for the linked OU
    /// (the most specific entry covering it) and for the OUs below it, which inherit the link
    /// unless they block inheritance and the link is not enforced; or "domain-joined or
    /// hybrid-joined, unknown mix". Entra-joined devices never receive
    /// domain GPOs.
    fn link_reach(&self, policy: &Policy, link: &GpoLink) -> Reach {
        if !link.enabled {
            return Reach::exact(JoinTypeSet::EMPTY, JoinTypeSet::EMPTY);
        }
        let gpo_scope = JoinTypeSet::GROUP_POLICY;
        let mut reach = match self.inventory.ou_subtree(&link.som_path, link.enforced) {
            Some(subtree) => {
                let types = subtree.intersection(gpo_scope);
                // Only a link at the domain root reaches every computer of those join types,
                // and only when no OU blocks it.
                let blocked = !link.enforced && self.inventory.blocks_below(&link.som_path);
                let certain = if link.som_path.contains('/') || blocked {
                    JoinTypeSet::EMPTY
                } else {
                    types
                };
                Reach::exact(types, certain)
            }
            None => Reach {
                possible: gpo_scope,
                certain: JoinTypeSet::EMPTY,
                unknown: Some(
                    format!(
                        "{} is not in [inventory.ous]: it may hold domain-joined or hybrid-joined devices, unknown mix",
                        link.som_path
                    )
                    .into(),
                ),
            },
        };
        if let Some(declared) = self.filtered_join_types(policy) {
            // Security filtering to groups the inventory declares: only their join types.
            reach.possible = reach.possible.intersection(declared);
            reach.certain = JoinTypeSet::EMPTY;
        } else if let Some(narrowing) = gpo_narrowing(policy) {
            reach.certain = JoinTypeSet::EMPTY;
            reach.unknown = Some(join_notes(reach.unknown, narrowing));
        }
        if let Some(wmi) = policy.gpo.as_ref().and_then(|g| g.wmi_filter.as_ref())
            && reach
                .unknown
                .as_deref()
                .is_none_or(|u| !u.contains("WMI filter"))
        {
            reach.certain = JoinTypeSet::EMPTY;
            reach.unknown = Some(join_notes(
                reach.unknown,
                format!("WMI filter \"{}\" limits it further", wmi.name),
            ));
        }
        reach
    }

    /// When a GPO's security filtering names only groups `[inventory.groups]` declares (AD
    /// security groups, by name as `DOMAIN\Group` or `Group`, or by SID), the join types
    /// they hold.
    fn filtered_join_types(&self, policy: &Policy) -> Option<JoinTypeSet> {
        let gpo = policy.gpo.as_ref()?;
        if gpo.security_filter.is_empty() || gpo.security_filter.iter().any(is_everyone) {
            return None;
        }
        gpo.security_filter
            .iter()
            .try_fold(JoinTypeSet::EMPTY, |set, trustee| {
                let short = trustee.name.rsplit('\\').next().unwrap_or(&trustee.name);
                let entry = [
                    Some(trustee.name.as_str()),
                    Some(short),
                    trustee.sid.as_deref(),
                ]
                .into_iter()
                .flatten()
                .find_map(|key| self.inventory.group(key))?;
                Some(set.union(entry.join_types))
            })
    }

    /// Narrow a reach by an assignment filter.
    fn apply_filter(&self, reach: Reach, assignment: &Assignment) -> Reach {
        let Some(filter) = &assignment.filter else {
            return reach;
        };
        let found = get_lowercase_keyed(&self.filters_by_key, &filter.reference)
            .map(|&i| &self.filter_analysis[i]);
        let Some(Ok((analysis, _))) = found else {
            let note = format!(
                "assignment filter {} is not in any filters export, so its effect is unknown",
                filter.reference
            );
            // An unknown include filter may narrow the reach; an unknown exclude filter may
            // remove any part of it. Either way `certain` is lost.
            return Reach {
                possible: reach.possible,
                certain: JoinTypeSet::EMPTY,
                unknown: Some(join_notes(reach.unknown, note)),
            };
        };
        match filter.mode {
            Mode::Include => Reach {
                possible: reach.possible.intersection(analysis.possible),
                certain: reach.certain.intersection(analysis.certain),
                unknown: reach.unknown,
            },
            Mode::Exclude => Reach {
                possible: reach.possible.difference(analysis.certain),
                certain: reach.certain.difference(analysis.possible),
                unknown: reach.unknown,
            },
        }
    }

    /// Every include assignment of a policy with filters and the policy's exclusions applied.
    pub fn effective_assignments(&self, policy: &'m Policy) -> Vec<EffectiveAssignment<'m>> {
        let exclusions: Vec<(Name, Reach)> = policy
            .assignments
            .iter()
            .filter(|a| a.mode == Mode::Exclude)
            .map(|a| {
                let (reach, group) = self.target_reach(policy, &a.target);
                let name = group
                    .map(|g| g.name)
                    .unwrap_or_else(|| target_label(&a.target).into());
                (name, self.apply_filter(reach, a))
            })
            .collect();
        policy
            .assignments
            .iter()
            .filter(|a| a.mode == Mode::Include)
            .map(|a| {
                let (reach, group) = self.target_reach(policy, &a.target);
                let reach = self.apply_filter(reach, a);
                let (reach, partial_exclusions) = subtract_exclusions(reach, &exclusions);
                EffectiveAssignment {
                    assignment: a,
                    group,
                    reach,
                    partial_exclusions,
                }
            })
            .collect()
    }

    /// What `baselint.toml` declares about groups and OUs.
    pub fn inventory(&self) -> &'m Inventory {
        self.inventory
    }

    /// False for GPO settings in a half of the GPO that is disabled ("Computer configuration
    /// settings disabled" stops HKLM and security settings; "User ..." stops HKCU ones).
    pub fn setting_applies(&self, policy: &Policy, setting: &crate::model::Setting) -> bool {
        let Some(gpo) = &policy.gpo else {
            return true;
        };
        let user_half = crate::ingest::gpo_report::is_user_half_key(&setting.key);
        if user_half {
            gpo.user_enabled
        } else {
            gpo.computer_enabled
        }
    }

    /// True when the target group is known to an export, an inline rule or the inventory
    /// (what [`Scope::resolve_group`] says in `known`, without building the group).
    pub fn group_is_known(&self, target: &Target) -> bool {
        match target {
            Target::Group {
                id,
                name,
                inline_rule,
            } => !matches!(
                self.group_source(id, name, inline_rule),
                GroupSource::Unknown
            ),
            _ => true,
        }
    }
}

/// How a policy reaches devices: Group Policy (links to OUs) or MDM (Intune assignments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    GroupPolicy,
    Mdm,
}

/// The management channel of a policy.
pub fn channel(policy: &Policy) -> Channel {
    if policy.kind == crate::model::PolicyKind::Gpo {
        Channel::GroupPolicy
    } else {
        Channel::Mdm
    }
}

/// A GPO's enabled links, each with its OU in canonical form and its depth, worked out once
/// per GPO: the override rule compares each GPO with every other that sets one of its
/// settings.
pub struct GpoLinks<'p> {
    links: Vec<PlacedLink<'p>>,
}

struct PlacedLink<'p> {
    link: &'p GpoLink,
    ou: String,
    depth: usize,
}

impl<'p> GpoLinks<'p> {
    pub fn of(policy: &'p Policy) -> GpoLinks<'p> {
        let links = policy
            .assignments
            .iter()
            .filter_map(|asg| match &asg.target {
                Target::GpoLink(link) if link.enabled && policy.gpo.is_some() => {
                    let ou = crate::config::canonical_ou(&link.som_path);
                    let depth = ou.matches('/').count();
                    Some(PlacedLink { link, ou, depth })
                }
                _ => None,
            })
            .collect();
        GpoLinks { links }
    }

    /// No enabled link: the GPO applies nowhere (when its links were exported).
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Which of two GPOs wins where their links meet on one OU chain (the first pair of links
    /// that meets): an enforced link beats a plain one (the higher enforced link if both are),
    /// otherwise the link closer to the computers wins, and on the same OU the link order
    /// decides. None when no links meet; a link above an OU that blocks inheritance (in
    /// `inventory`) meets none at or below it unless it is enforced.
    pub fn precedence(
        &self,
        other: &GpoLinks<'p>,
        inventory: &Inventory,
    ) -> Option<Precedence<'p>> {
        self.links.iter().find_map(|a| {
            other
                .links
                .iter()
                .find_map(|b| link_winner(a, b, inventory))
        })
    }
}

/// The outcome of comparing two GPOs' links.
#[derive(Clone, Debug)]
pub struct Precedence<'p> {
    /// `Some(true)` when the first GPO wins, `Some(false)` when the second does, `None` when
    /// the export cannot tell (same OU, link order unknown).
    pub winner: Option<bool>,
    why: Why,
    /// The links that meet: the first GPO's and the second's.
    links: (&'p GpoLink, &'p GpoLink),
    /// Of the two, the one closer to the computers (the first when both are as deep).
    shared: &'p GpoLink,
}

/// What decided a [`Precedence`], spelled out by [`Precedence::reason`] only when a finding
/// needs it (most GPO pairs compared set no setting differently).
#[derive(Clone, Copy, Debug)]
enum Why {
    FirstEnforced,
    SecondEnforced,
    BothEnforced,
    Closer,
    LinkOrder,
    Unknown,
}

impl Precedence<'_> {
    /// Where the two links meet: the OU of the one closer to the computers (as the link names
    /// it), whose computers both GPOs reach.
    pub fn shared_ou(&self) -> &str {
        &self.shared.som_path
    }

    /// Why the winner wins, or why it is unknown.
    pub fn reason(&self) -> String {
        let (a, b) = self.links;
        match self.why {
            Why::FirstEnforced => format!("its link to {} is enforced", a.som_path),
            Why::SecondEnforced => format!("its link to {} is enforced", b.som_path),
            Why::BothEnforced => "both links are enforced and the higher one wins".to_string(),
            Why::Closer => "it is linked closer to the computers".to_string(),
            Why::LinkOrder => format!("it comes first in the link order of {}", a.som_path),
            Why::Unknown => format!(
                "both are linked to {}; the link order decides and the export does not give it",
                a.som_path
            ),
        }
    }
}

/// Compare two links on one OU chain; None when neither OU contains the other, or when an OU
/// between them blocks the outer link (not enforced) from the inner one's OU.
fn link_winner<'p>(
    a: &PlacedLink<'p>,
    b: &PlacedLink<'p>,
    inventory: &Inventory,
) -> Option<Precedence<'p>> {
    let under = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let (outer, inner) = match (under(&b.ou, &a.ou), under(&a.ou, &b.ou)) {
        (true, _) => (a, b),
        (false, true) => (b, a),
        (false, false) => return None,
    };
    if !outer.link.enforced && inventory.blocked_between(&outer.ou, &inner.ou) {
        return None;
    }
    let (winner, why) = match (a.link.enforced, b.link.enforced) {
        (true, false) => (Some(true), Why::FirstEnforced),
        (false, true) => (Some(false), Why::SecondEnforced),
        (true, true) if a.depth != b.depth => (Some(a.depth < b.depth), Why::BothEnforced),
        _ if a.depth != b.depth => (Some(a.depth > b.depth), Why::Closer),
        _ => match (a.link.order, b.link.order) {
            (Some(x), Some(y)) if x != y => (Some(x < y), Why::LinkOrder),
            _ => (None, Why::Unknown),
        },
    };
    Some(Precedence {
        winner,
        why,
        links: (a.link, b.link),
        shared: if a.depth >= b.depth { a.link } else { b.link },
    })
}

/// Security filtering other than Authenticated Users, or a WMI filter, narrows a GPO to an
/// unknown part of the linked OU.
fn is_everyone(t: &crate::model::Trustee) -> bool {
    t.sid.as_deref() == Some("S-1-5-11") || t.name.to_lowercase().ends_with("authenticated users")
}

fn gpo_narrowing(policy: &Policy) -> Option<String> {
    let gpo = policy.gpo.as_ref()?;
    let mut why = Vec::new();
    if !gpo.security_filter.is_empty() && !gpo.security_filter.iter().any(is_everyone) {
        let names: Vec<&str> = gpo
            .security_filter
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        why.push(format!(
            "security filtering limits it to {}",
            names.join(", ")
        ));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// Exclusions remove only the join types they certainly cover; what they may cover makes
/// `certain` shrink.
fn subtract_exclusions(reach: Reach, exclusions: &[(Name, Reach)]) -> (Reach, Vec<String>) {
    let mut out = reach;
    let mut partial = Vec::new();
    for (name, excluded) in exclusions {
        out.possible = out.possible.difference(excluded.certain);
        out.certain = out.certain.difference(excluded.possible);
        let uncovered = out.possible.intersection(excluded.possible);
        if !uncovered.is_empty() {
            partial.push(name.to_string());
        }
    }
    (out, partial)
}

fn join_notes(a: Option<Name>, b: String) -> Name {
    match a {
        Some(a) => format!("{a}; {b}").into(),
        None => b.into(),
    }
}

/// What an exported group reaches and the evidence for it.
fn exported_facts(
    group: &Group,
    analysis: &Result<(JoinTypeAnalysis, Span), ()>,
) -> (Name, Reach, Option<Evidence>) {
    let (reach, evidence) = match (&group.membership, analysis) {
        (Membership::Static, _) => (
            Reach::unknown(format!(
                "\"{}\" is a static group and [inventory.groups] does not declare its join types",
                group.name
            )),
            None,
        ),
        (Membership::Dynamic { rule, .. }, Ok((analysis, evidence))) => (
            group_reach(analysis, &group.name),
            Some(Evidence::Rule {
                text: rule.as_str().into(),
                location: Location {
                    file: group.source,
                    span: *evidence,
                },
            }),
        ),
        (Membership::Dynamic { .. }, Err(())) => (
            Reach::unknown(format!(
                "the membership rule of \"{}\" does not parse",
                group.name
            )),
            None,
        ),
    };
    (group.name.as_str().into(), reach, evidence)
}

/// A user rule says nothing about devices: their users' devices may be of any join type.
fn group_reach(analysis: &JoinTypeAnalysis, name: &str) -> Reach {
    if analysis.user_rule {
        return Reach {
            possible: JoinTypeSet::MDM,
            certain: JoinTypeSet::EMPTY,
            unknown: Some(
                format!(
                    "\"{name}\" is a group of users; the policy reaches the devices they sign in to"
                )
                .into(),
            ),
        };
    }
    Reach::from_analysis(*analysis)
}

/// How a target is named in messages when no group is involved.
pub fn target_label(target: &Target) -> String {
    match target {
        Target::AllDevices => "All devices".to_string(),
        Target::AllLicensedUsers => "All users".to_string(),
        Target::Group { id, name, .. } => name
            .clone()
            .or_else(|| id.clone())
            .unwrap_or_else(|| "?".to_string()),
        Target::GpoLink(link) if link.enforced => format!("OU {} (enforced link)", link.som_path),
        Target::GpoLink(link) => format!("OU {}", link.som_path),
        Target::Other(kind) => kind.clone(),
        Target::Unassigned(_) => "the assumed assignment of an unassigned policy".to_string(),
    }
}

#[derive(Clone, Copy)]
struct RuleLocation<'a> {
    file: SourceId,
    span: Span,
    offsets: &'a [u32],
}

fn analyse_group(
    model: &Model,
    group: &Group,
    errors: &mut Vec<InputError>,
) -> Result<(JoinTypeAnalysis, Span), ()> {
    let Membership::Dynamic { rule, .. } = &group.membership else {
        return Err(());
    };
    let Some(span) = group.rule_span else {
        return Err(());
    };
    let location = RuleLocation {
        file: group.source,
        span,
        offsets: &group.rule_offsets,
    };
    analyse_rule(
        model,
        rule,
        Dialect::GroupRule,
        location,
        &format!("group \"{}\"", group.name),
        errors,
    )
}

fn analyse_rule(
    model: &Model,
    text: &str,
    dialect: Dialect,
    location: RuleLocation,
    what: &str,
    errors: &mut Vec<InputError>,
) -> Result<(JoinTypeAnalysis, Span), ()> {
    match membership_rule::parse(text) {
        Ok(expr) => Ok((
            membership_rule::analyse(&expr, dialect),
            trust_type_span(&expr, location),
        )),
        Err(e) => {
            let start = map_inner_offset(location.span, location.offsets, e.offset);
            let end = map_inner_offset(location.span, location.offsets, e.offset + e.len.max(1))
                .max(start + 1)
                .min(location.span.end as usize + 1);
            let file = model.sources.get(location.file);
            errors.push(InputError::at(
                location.file,
                file,
                Span::new(start, end.min(file.len())),
                format!("membership rule of {what} does not parse: {}", e.message),
            ));
            Err(())
        }
    }
}

fn trust_type_span(expr: &membership_rule::Expr, location: RuleLocation) -> Span {
    match membership_rule::trust_type_spans(expr).first() {
        Some(&(start, end)) => Span::new(
            map_inner_offset(location.span, location.offsets, start),
            map_inner_offset(location.span, location.offsets, end),
        ),
        None => location.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InventoryEntry;
    use crate::model::{InlineRule, JoinType, PolicyKind};
    use crate::source::Span;

    /// A policy with no settings and no assignments, for the scope's questions about one.
    fn bare_policy(name: &str, kind: PolicyKind) -> Policy {
        Policy {
            id: None,
            name: name.into(),
            kind,
            source: SourceId(0),
            span: Span::default(),
            name_span: Span::default(),
            settings: Vec::new(),
            assignments: Vec::new(),
            assignments_exported: true,
            gpo: None,
        }
    }

    /// An OU that blocks inheritance keeps a GPO linked above it from meeting one linked at or
    /// below it, unless the upper link is enforced (which then wins).
    #[test]
    fn links_across_an_ou_that_blocks_inheritance_do_not_meet_unless_enforced() {
        let link = |som_path: &str, enforced: bool| GpoLink {
            som_path: som_path.to_string(),
            som_name: String::new(),
            enabled: true,
            enforced,
            order: None,
        };
        let placed = |link: &GpoLink| {
            let ou = crate::config::canonical_ou(&link.som_path);
            let depth = ou.matches('/').count();
            PlacedLink {
                link: leaked(link.clone()),
                ou,
                depth,
            }
        };
        let blocking = Inventory {
            block_inheritance: vec!["contoso.com/kiosks".to_string()],
            ..Inventory::default()
        };
        let root = placed(&link("contoso.com", false));
        let root_enforced = placed(&link("contoso.com", true));
        let kiosks = placed(&link("contoso.com/Kiosks", false));
        let kiosk_room = placed(&link("contoso.com/Kiosks/Lobby", false));
        let computers = placed(&link("contoso.com/Computers", false));
        assert!(link_winner(&root, &kiosks, &blocking).is_none());
        assert!(link_winner(&kiosk_room, &root, &blocking).is_none());
        // Enforced, the upper link reaches through the block and wins.
        let enforced = link_winner(&root_enforced, &kiosks, &blocking).unwrap();
        assert_eq!(enforced.winner, Some(true));
        // Links below the blocking OU, or on a chain without one, meet as before.
        assert_eq!(
            link_winner(&kiosks, &kiosk_room, &blocking).unwrap().winner,
            Some(false)
        );
        assert_eq!(
            link_winner(&root, &computers, &blocking).unwrap().winner,
            Some(false)
        );
        assert_eq!(
            link_winner(&root, &kiosks, &Inventory::default())
                .unwrap()
                .winner,
            Some(false)
        );
    }

    /// A link at the domain root reaches every computer of its join types, unless an OU below
    /// blocks inheritance and the link is not enforced: then it reaches them only possibly.
    #[test]
    fn a_block_below_a_root_link_makes_its_reach_uncertain() {
        let gpo = bare_policy("Root GPO", PolicyKind::Gpo);
        let root = |enforced: bool| {
            Target::GpoLink(GpoLink {
                som_path: "contoso.com".into(),
                som_name: "contoso".into(),
                enabled: true,
                enforced,
                order: None,
            })
        };
        let domain = JoinTypeSet::of(&[JoinType::Domain]);
        let ous = |inventory: &mut Inventory| {
            inventory.ous.insert(
                "contoso.com".into(),
                InventoryEntry {
                    join_types: domain,
                    location: crate::source::Location {
                        file: SourceId(0),
                        span: Span::default(),
                    },
                },
            );
        };
        let model = Model::default();
        let mut open = Inventory::default();
        ous(&mut open);
        let mut blocking = open.clone();
        blocking.block_inheritance = vec!["contoso.com/kiosks".into()];
        let reach = |inventory: &Inventory, enforced: bool| {
            let (scope, _) = Scope::new(&model, inventory);
            scope.target_reach(&gpo, &root(enforced)).0
        };
        assert_eq!(reach(&open, false).certain, domain);
        assert_eq!(reach(&blocking, false).certain, JoinTypeSet::EMPTY);
        assert_eq!(reach(&blocking, false).possible, domain);
        assert_eq!(reach(&blocking, true).certain, domain);
    }

    /// A link that lives as long as the test.
    fn leaked(link: GpoLink) -> &'static GpoLink {
        Box::leak(Box::new(link))
    }

    fn group(id: &str, name: &str, membership: Membership) -> Group {
        Group {
            id: Some(id.to_string()),
            name: name.to_string(),
            membership,
            source: SourceId(0),
            span: Span::default(),
            rule_span: None,
            rule_offsets: Vec::new(),
        }
    }

    fn target(id: Option<&str>, name: Option<&str>, rule: Option<&str>) -> Target {
        Target::Group {
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            inline_rule: rule.map(|text| InlineRule {
                text: text.to_string(),
                span: Span::default(),
                offsets: Vec::new(),
            }),
        }
    }

    /// Filter ids are GUIDs that exports spell in either case.
    #[test]
    fn assignment_filters_are_found_whatever_the_case_of_their_reference() {
        use crate::model::{AssignmentFilter, FilterRef};
        let mut model = Model::default();
        model.filters.push(AssignmentFilter {
            id: Some("0f1e2d3c-aaaa-bbbb-cccc-000000000001".into()),
            name: "Entra-joined only".into(),
            platform: None,
            rule: "(device.deviceTrustType -eq \"Azure AD joined\")".into(),
            source: SourceId(0),
            span: Span::default(),
            rule_span: Span::default(),
            rule_offsets: Vec::new(),
        });
        let inventory = Inventory::default();
        let (scope, errors) = Scope::new(&model, &inventory);
        assert!(errors.is_empty(), "{errors:?}");
        let assigned = |reference: &str| {
            let assignment = Assignment {
                target: Target::AllDevices,
                mode: Mode::Include,
                filter: Some(FilterRef {
                    reference: reference.into(),
                    mode: Mode::Include,
                    span: Span::default(),
                }),
                span: Span::default(),
                target_span: Span::default(),
                file: None,
            };
            scope.apply_filter(
                Reach::exact(JoinTypeSet::MDM, JoinTypeSet::EMPTY),
                &assignment,
            )
        };
        let entra = JoinTypeSet::of(&[JoinType::Entra]);
        for reference in [
            "0f1e2d3c-aaaa-bbbb-cccc-000000000001",
            "0F1E2D3C-AAAA-BBBB-CCCC-000000000001",
            "ENTRA-JOINED ONLY",
        ] {
            let reach = assigned(reference);
            assert_eq!(reach.possible, entra, "{reference}");
            assert_eq!(reach.unknown, None, "{reference}");
        }
        let unknown = assigned("0f1e2d3c-aaaa-bbbb-cccc-000000000002");
        assert!(unknown.unknown.is_some());
    }

    #[test]
    fn a_known_group_is_one_resolve_group_knows() {
        let mut model = Model::default();
        model
            .groups
            .push(group("AB-1", "Windows - Entra joined", Membership::Static));
        let rule = "(device.deviceTrustType -eq \"AzureAD\")".to_string();
        let dynamic = Membership::Dynamic {
            rule,
            paused: false,
        };
        model.groups.push(group("cd-2", "Hybrid", dynamic));
        let mut inventory = Inventory::default();
        let entry = InventoryEntry {
            join_types: JoinTypeSet::of(&[JoinType::Entra]),
            location: Location {
                file: SourceId(0),
                span: Span::default(),
            },
        };
        inventory.groups.insert("kiosks".to_string(), entry);
        let (scope, _) = Scope::new(&model, &inventory);
        let policy = bare_policy("p", PolicyKind::SettingsCatalog);
        let targets = [
            (target(Some("ab-1"), None, None), true),
            (target(Some("AB-1"), None, None), true),
            (target(None, Some("HYBRID"), None), true),
            (target(Some("x"), Some("Kiosks"), None), true),
            (target(Some("KIOSKS"), None, None), true),
            (
                target(Some("x"), None, Some("device.deviceOSType -eq \"Windows\"")),
                true,
            ),
            (target(Some("x"), None, Some("not a rule")), true),
            (target(Some("x"), Some("y"), None), false),
            (Target::AllDevices, true),
        ];
        for (target, known) in targets {
            let resolved = scope
                .resolve_group(&policy, &target)
                .is_none_or(|g| g.known);
            assert_eq!(resolved, known, "{target:?}");
            assert_eq!(scope.group_is_known(&target), known, "{target:?}");
        }
    }
}
