//! `[check.local_group_across_channels]`: a GPO's Restricted Groups or Group Policy Preferences
//! local group items and an Intune policy's local user group membership (LocalUsersAndGroups,
//! or the RestrictedGroups CSP) that disagree on a local group's members, on devices both
//! channels may reach (hybrid-joined ones).
//!
//! Restricted Groups' "Members of this group" replaces the group's members with its list
//! whenever the security policy is processed, and "This group is a member of" adds the
//! restricted group to the local groups it lists; a preference item adds or removes members,
//! or replaces them all, at every refresh (`ingest::gpp_local_groups` says which items it
//! reads); a LocalUsersAndGroups item replaces a group's members too, or adds or removes
//! some, at every Intune sync. Neither channel knows of the other, and
//! ControlPolicyConflict/MDMWinsOverGP does not decide between them (the Policy CSP gives
//! LocalUsersAndGroups no Group Policy equivalent), so a member one adds and the other removes
//! comes and goes. Lists that agree, an Update that adds only members the GPO's list
//! holds or removes only members it lacks, two additions, two removals, are no conflict.
//!
//! Principals compare by SID where a GPO report of the run names it (`PrincipalNames`), and
//! messages name them so. Only certain disagreements count: a domain account's name no report
//! gives a SID for and a SID on the other side may be one account, so neither is counted
//! missing from the other list. A GPO report does not tell an empty "Members of this group"
//! from one left undefined, so an empty GPO list is not compared.

use super::Rule;
use super::engine::{
    Context, Occurrences, policy_ref, possible_reach, reach_labels, value_part_location,
};
use super::local_groups::{Action, all_items};
use super::principals::{PrincipalNames, contains_principal, may_be_same_principal, principals};
use crate::finding::{Finding, Label, fingerprint};
use crate::ingest::gpp_local_groups::{self, Relation};
use crate::ingest::intune::local_groups::{group_name, group_option, restricted_groups};
use crate::model::{JoinTypeSet, Policy, Setting, Value};
use crate::scope::{Channel, EffectiveAssignment, channel};
use foldhash::HashMap;

/// A GPO setting that changes a local group's members: Restricted Groups
/// (`group_membership:<group>/<relation>`) or a Group Policy Preferences local group item
/// (`gpp_local_group:<group>/<item>/<relation>`), the group as the GPO names it (a SID or a
/// name, in lower case).
pub(super) enum GpoGroupKey<'k> {
    /// Restricted Groups: "Members of this group" (`members`) or "This group is a member of"
    /// (`memberof`).
    Restricted { group: &'k str, memberof: bool },
    /// A preference item's members, additions or removals, or its item-level targeting.
    Preference(gpp_local_groups::ItemKey<'k>),
}

impl GpoGroupKey<'_> {
    pub(super) fn of(key: &str) -> Option<GpoGroupKey<'_>> {
        if let Some(item) = gpp_local_groups::parse_key(key) {
            return Some(GpoGroupKey::Preference(item));
        }
        let (group, relation) = key.strip_prefix("group_membership:")?.rsplit_once('/')?;
        let memberof = match relation {
            "members" => false,
            "memberof" => true,
            _ => return None,
        };
        (!group.is_empty()).then_some(GpoGroupKey::Restricted { group, memberof })
    }
}

/// What a GPO does to one local group's members: Restricted Groups' "Members of this group"
/// replaces them (`Replace`), "This group is a member of" adds the restricted group to it
/// (`Add`); a preference item replaces them, adds or removes some.
pub(super) struct GpoChange<'m> {
    pub(super) policy: usize,
    pub(super) setting: &'m Setting,
    /// The group as local group items name it (`administrators` for `S-1-5-32-544`).
    pub(super) group: String,
    pub(super) action: Action,
    pub(super) members: Vec<String>,
    /// From a Group Policy Preferences item (else Restricted Groups).
    pub(super) preference: bool,
    /// The preference item's item-level targeting (`.../targeted`), when it has some.
    pub(super) targeting: Option<&'m Setting>,
}

/// The preference items with item-level targeting: (GPO, item) and the setting that says so.
pub(super) type Targeted<'m> = HashMap<(usize, &'m str), &'m Setting>;

pub(super) fn targeted_items<'m>(gpo_settings: &Occurrences<'m>) -> Targeted<'m> {
    (gpo_settings.iter())
        .filter_map(|&(policy, setting)| match GpoGroupKey::of(&setting.key)? {
            GpoGroupKey::Preference(item) if item.relation == Relation::Targeted => {
                Some(((policy, item.item), setting))
            }
            _ => None,
        })
        .collect()
}

/// The changes of one local group setting of a GPO that applies.
pub(super) fn gpo_changes<'m>(
    ctx: &Context,
    (policy, setting): (usize, &'m Setting),
    targeted: &Targeted<'m>,
) -> Vec<GpoChange<'m>> {
    let gpo = &ctx.model.policies[policy];
    if channel(gpo) != Channel::GroupPolicy || !ctx.scope.setting_applies(gpo, setting) {
        return Vec::new();
    }
    let Some(key) = GpoGroupKey::of(&setting.key) else {
        return Vec::new();
    };
    let listed = principals(&setting.value).unwrap_or_default();
    let (preference, targeting) = match &key {
        GpoGroupKey::Preference(item) => (true, targeted.get(&(policy, item.item)).copied()),
        GpoGroupKey::Restricted { .. } => (false, None),
    };
    let change = |group: &str, action, members| GpoChange {
        policy,
        setting,
        group: group_option(group),
        action,
        members,
        preference,
        targeting,
    };
    match key {
        GpoGroupKey::Preference(item) => {
            let action = match item.relation {
                Relation::Members => Action::Replace,
                Relation::Add => Action::Add,
                Relation::Remove => Action::Remove,
                Relation::Targeted => return Vec::new(),
            };
            vec![change(item.group, action, listed)]
        }
        // Not compared when empty: a report does not tell it from "Members" left undefined.
        GpoGroupKey::Restricted {
            memberof: false, ..
        } if listed.is_empty() => Vec::new(),
        GpoGroupKey::Restricted {
            group,
            memberof: false,
        } => vec![change(group, Action::Replace, listed)],
        GpoGroupKey::Restricted {
            group,
            memberof: true,
        } => {
            let restricted = restricted_name(group);
            (listed.iter())
                .map(|local| change(local, Action::Add, vec![restricted.clone()]))
                .collect()
        }
    }
}

/// The restricted group as its key names it, a SID in capitals as Windows writes it (the key
/// holds the SID when the GPO gives one, so that it compares with SIDs elsewhere).
fn restricted_name(key_group: &str) -> String {
    if key_group.starts_with("s-1-") {
        key_group.to_ascii_uppercase()
    } else {
        key_group.to_string()
    }
}

pub(super) fn across_channels(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    found: [&Occurrences; 3],
    findings: &mut Vec<Finding>,
) {
    let [gpo_settings, item_settings, restricted_settings] = found;
    // Only hybrid-joined devices take both Group Policy and Intune.
    let both = JoinTypeSet::GROUP_POLICY.intersection(JoinTypeSet::MDM);
    let reach = |policy: usize| possible_reach(&effective[policy]).intersection(both);
    let names = &ctx.principal_names;
    let targeted = targeted_items(gpo_settings);
    let mut gpo: Vec<GpoChange> = (gpo_settings.iter())
        .flat_map(|&found| gpo_changes(ctx, found, &targeted))
        .filter(|change| !reach(change.policy).is_empty())
        .collect();
    if gpo.is_empty() {
        return;
    }
    let mut intune = intune_changes(ctx, item_settings, restricted_settings);
    // Names the GPO reports give SIDs for compare as those SIDs.
    let gpo_members = gpo.iter_mut().map(|c| &mut c.members);
    for members in gpo_members.chain(intune.iter_mut().map(|c| &mut c.members)) {
        names.resolve_all(members);
    }
    for g in &gpo {
        for i in intune.iter().filter(|i| i.group == g.group) {
            let devices = reach(g.policy).intersection(reach(i.policy));
            let dispute = Dispute::between((g.action, &g.members), (i.action, &i.members));
            let dispute = dispute.named(names);
            if !devices.is_empty() && !dispute.is_empty() {
                let mut found = finding(rule, ctx, (g, i), &dispute, (devices, names));
                let reached = [g.policy, i.policy].map(|p| reaching(ctx, effective, p, devices));
                found.related.extend(reached.into_iter().flatten());
                findings.push(found);
            }
        }
    }
}

/// What an Intune policy does to one local group's members.
struct IntuneChange<'m> {
    policy: usize,
    /// The group as local group items name it (`administrators`).
    group: String,
    action: Action,
    members: Vec<String>,
    /// Where a label about it points: the item's member list (else its action), or the
    /// Restricted Groups document.
    setting: &'m Setting,
    /// The group's `accessgroup` element (a byte range of the decoded value) when the change
    /// is a RestrictedGroups/ConfigureGroupMembership document's; None for a
    /// LocalUsersAndGroups item.
    element: Option<std::ops::Range<usize>>,
}

/// Every Intune local group change: the local group items' (one per group an item names) and
/// the Restricted Groups documents' (each group a Replace).
fn intune_changes<'m>(
    ctx: &Context<'_, 'm>,
    item_settings: &Occurrences<'m>,
    restricted_settings: &Occurrences<'m>,
) -> Vec<IntuneChange<'m>> {
    let mdm = |policy: usize| channel(&ctx.model.policies[policy]) == Channel::Mdm;
    let mut changes = Vec::new();
    for item in all_items(item_settings)
        .into_iter()
        .filter(|i| mdm(i.policy))
    {
        for &group in &item.groups {
            changes.push(IntuneChange {
                policy: item.policy,
                group: group.to_string(),
                action: item.action,
                members: item.members(),
                setting: item.list_or_action(),
                element: None,
            });
        }
    }
    for &(policy, setting) in restricted_settings.iter().filter(|(p, _)| mdm(*p)) {
        let Value::Str(xml) = &setting.value else {
            continue;
        };
        for restricted in restricted_groups(xml).unwrap_or_default() {
            changes.push(IntuneChange {
                policy,
                group: restricted.group,
                action: Action::Replace,
                members: restricted.members,
                setting,
                element: Some(restricted.element),
            });
        }
    }
    changes
}

/// How a policy reaches `devices`: its first assignment (or GPO link) that may, and the
/// evidence.
fn reaching(
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    policy: usize,
    devices: JoinTypeSet,
) -> Vec<Label> {
    (effective[policy].iter())
        .find(|ea| !ea.reach.possible.intersection(devices).is_empty())
        .map(|ea| reach_labels(&ctx.model.policies[policy], ea, devices))
        .unwrap_or_default()
}

/// The members the two channels keep changing.
pub(super) struct Dispute {
    /// Members the other side adds that the list's side lacks (the list's side removes them
    /// again).
    added: Vec<String>,
    /// Members of the list's side that the other side removes (the list's side adds them
    /// again).
    removed: Vec<String>,
}

impl Dispute {
    /// What two changes of one group undo of each other: `list`'s (a Group Policy change,
    /// Restricted Groups' where two GPOs meet) and `other`'s (the later, which `list` undoes
    /// in turn).
    pub(super) fn between(
        (list_action, g): (Action, &[String]),
        (other_action, i): (Action, &[String]),
    ) -> Dispute {
        let (added, removed) = match (list_action, other_action) {
            (Action::Replace, Action::Replace) => {
                (certainly_outside(i, g), certainly_outside(g, i))
            }
            (Action::Replace, Action::Add) => (certainly_outside(i, g), Vec::new()),
            (Action::Replace, Action::Remove) => (Vec::new(), certainly_inside(i, g)),
            // Group Policy adds its members: a Replace without them, or a removal, undoes it.
            (Action::Add, Action::Replace) => (Vec::new(), certainly_outside(g, i)),
            (Action::Add, Action::Remove) => (Vec::new(), certainly_inside(g, i)),
            // Group Policy removes its members: Intune adding one, or keeping it in a Replace,
            // brings it back.
            (Action::Remove, Action::Add | Action::Replace) => (certainly_inside(i, g), Vec::new()),
            (Action::Add, Action::Add) | (Action::Remove, Action::Remove) => {
                (Vec::new(), Vec::new())
            }
        };
        Dispute { added, removed }
    }

    /// The members as messages name them.
    pub(super) fn named(self, names: &PrincipalNames) -> Dispute {
        let named = |members: Vec<String>| members.iter().map(|m| names.display(m)).collect();
        Dispute {
            added: named(self.added),
            removed: named(self.removed),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// What happens on the devices, as the message ends, the sides named (`Intune`, `Group
    /// Policy`).
    pub(super) fn consequence(&self, other: &str, list: &str) -> String {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!(
                "{} added by {other} and removed again by {list}",
                self.added.join(", ")
            ));
        }
        if !self.removed.is_empty() {
            parts.push(format!(
                "{} removed by {other} and added again by {list}",
                self.removed.join(", ")
            ));
        }
        parts.join("; ")
    }
}

/// The members of `list` that are certainly not in `other`: a name and a SID baselint cannot
/// resolve may be one account, so neither counts as missing from the other's list.
fn certainly_outside(list: &[String], other: &[String]) -> Vec<String> {
    (list.iter())
        .filter(|m| !other.iter().any(|o| may_be_same_principal(m, o)))
        .cloned()
        .collect()
}

/// The members of `list` that are certainly in `other`.
fn certainly_inside(list: &[String], other: &[String]) -> Vec<String> {
    (list.iter())
        .filter(|m| contains_principal(other, m))
        .cloned()
        .collect()
}

/// Members as findings quote a list (`["A", "B"]`), by name where a GPO report gives one.
fn quoted(members: &[String], names: &PrincipalNames) -> String {
    let quoted: Vec<String> = members
        .iter()
        .map(|m| format!("{:?}", names.display(m)))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// Members as a message lists them (`A, B`), by name where a GPO report gives one.
fn listed(members: &[String], names: &PrincipalNames) -> String {
    let named: Vec<String> = members.iter().map(|m| names.display(m)).collect();
    named.join(", ")
}

/// What the GPO does to the group, as the message says it, and as its label does.
pub(super) fn gpo_does(
    change: &GpoChange,
    group: &str,
    names: &PrincipalNames,
) -> (String, String) {
    if change.preference {
        return preference_does(change, group, names);
    }
    match change.action {
        Action::Add => {
            let member = listed(&change.members, names);
            (
                format!(
                    "adds {member} to the local group {group} (Restricted Groups, \"This group is a member of\")"
                ),
                format!("Restricted Groups adds {member} to {group} here"),
            )
        }
        _ => (
            format!(
                "sets the members of the local group {group} to {} (Restricted Groups)",
                quoted(&change.members, names)
            ),
            format!("Restricted Groups sets the members of {group} here"),
        ),
    }
}

/// [`gpo_does`] for a Group Policy Preferences local group item.
fn preference_does(change: &GpoChange, group: &str, names: &PrincipalNames) -> (String, String) {
    let members = listed(&change.members, names);
    let (does, here) = match change.action {
        Action::Replace if change.members.is_empty() => (
            format!("removes every member of the local group {group}"),
            format!("removes every member of {group}"),
        ),
        Action::Replace => (
            format!(
                "sets the members of the local group {group} to {}",
                quoted(&change.members, names)
            ),
            format!("sets the members of {group}"),
        ),
        Action::Add => (
            format!("adds {members} to the local group {group}"),
            format!("adds {members} to {group}"),
        ),
        Action::Remove => (
            format!("removes {members} from the local group {group}"),
            format!("removes {members} from {group}"),
        ),
    };
    let targeting = match change.targeting {
        Some(_) => ", where the item's item-level targeting matches",
        None => "",
    };
    (
        format!("{does} (Group Policy Preferences, Local Users and Groups{targeting})"),
        format!("a Local Users and Groups preference item {here} here"),
    )
}

/// Where a preference item's item-level targeting is, when it has some.
pub(super) fn targeting_label(gpo: &Policy, change: &GpoChange) -> Option<Label> {
    change.targeting.map(|filters| Label {
        location: gpo.value_location(filters),
        message: "the preference item applies only where its item-level targeting matches"
            .to_string(),
    })
}

/// What the Intune policy does to the group, as the message says it (`replaces that group's
/// members with ["A"]`, `adds B to that group`).
fn intune_does(change: &IntuneChange, names: &PrincipalNames) -> String {
    let members = listed(&change.members, names);
    match change.action {
        Action::Replace if change.members.is_empty() => {
            "replaces that group's members with no one".to_string()
        }
        Action::Replace => format!(
            "replaces that group's members with {}",
            quoted(&change.members, names)
        ),
        Action::Add => format!("adds {members} to that group"),
        Action::Remove => format!("removes {members} from that group"),
    }
}

/// The Intune feature a change comes from, as the message names it.
fn intune_feature(change: &IntuneChange) -> &'static str {
    if change.element.is_some() {
        "Restricted Groups, RestrictedGroups/ConfigureGroupMembership"
    } else {
        "local user group membership"
    }
}

fn finding(
    rule: &Rule,
    ctx: &Context,
    (g, i): (&GpoChange, &IntuneChange),
    dispute: &Dispute,
    (devices, names): (JoinTypeSet, &PrincipalNames),
) -> Finding {
    let (gpo, intune) = (&ctx.model.policies[g.policy], &ctx.model.policies[i.policy]);
    let group = group_name(&g.group);
    let (gpo_does, gpo_label) = gpo_does(g, &group, names);
    let does = intune_does(i, names);
    let message = format!(
        "GPO \"{}\" {gpo_does}, and Intune policy \"{}\" {does} ({}); both may reach {} \
         devices, where each channel applies its own setting again and again: {}",
        gpo.name,
        intune.name,
        intune_feature(i),
        devices.describe(),
        dispute.consequence("Intune", "Group Policy"),
    );
    let targeting = targeting_label(gpo, g);
    let changed = match &i.element {
        Some(element) => value_part_location(ctx, intune, i.setting, element.clone()),
        None => intune.value_location(i.setting),
    };
    Finding {
        related: std::iter::once(Label {
            location: changed,
            message: format!("Intune policy \"{}\" {does} here", intune.name),
        })
        .chain(targeting)
        .collect(),
        policy: Some(policy_ref(gpo)),
        setting: Some(g.setting.key.clone()),
        join_types: devices,
        ..Finding::new(
            rule,
            message,
            Label {
                location: gpo.value_location(g.setting),
                message: gpo_label,
            },
            fingerprint(&[
                &rule.id,
                gpo.identity(),
                intune.identity(),
                &g.setting.key,
                &i.setting.key,
                &g.group,
            ]),
        )
    }
}
