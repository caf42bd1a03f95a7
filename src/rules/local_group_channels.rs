//! `[check.local_group_across_channels]`: a GPO's Restricted Groups and an Intune policy's local
//! user group membership (LocalUsersAndGroups) that disagree on a local group's members, on
//! devices both channels may reach (hybrid-joined ones).
//!
//! Restricted Groups' "Members of this group" replaces the group's members with its list
//! whenever the security policy is processed; a LocalUsersAndGroups item replaces them too, or
//! adds or removes some, at every Intune sync. Neither channel knows of the other, and
//! ControlPolicyConflict/MDMWinsOverGP does not decide between them (the Policy CSP gives
//! LocalUsersAndGroups no Group Policy equivalent), so a member one adds and the other removes
//! comes and goes. Lists that agree, an Update that adds only members the GPO's list holds or
//! removes only members it lacks, are no conflict.
//!
//! Only certain disagreements count: a domain account's name on one side and a SID on the
//! other may be one account (baselint does not resolve names), so neither is counted missing
//! from the other list. A GPO report does not tell an empty "Members of this group" from one
//! left undefined, so an empty GPO list is not compared.

use super::Rule;
use super::engine::{Context, Occurrences, policy_ref, possible_reach, reach_labels, value_text};
use super::local_groups::{Action, Item, all_items};
use super::principals::{contains_principal, may_be_same_principal, principals};
use crate::finding::{Finding, Label, fingerprint};
use crate::ingest::intune::local_groups::{group_name, group_option};
use crate::model::{JoinTypeSet, Setting};
use crate::scope::{Channel, EffectiveAssignment, channel};

/// The local group of a Restricted Groups member list's key (`group_membership:<group>/members`),
/// as the GPO names it (a SID or a name, in lower case).
pub(super) fn gpo_group_of(key: &str) -> Option<&str> {
    key.strip_prefix("group_membership:")?
        .strip_suffix("/members")
        .filter(|group| !group.is_empty())
}

/// A GPO's Restricted Groups member list for one local group.
struct GpoList<'m> {
    policy: usize,
    setting: &'m Setting,
    /// The group as local group items name it (`administrators` for `S-1-5-32-544`).
    group: String,
    members: Vec<String>,
}

impl<'m> GpoList<'m> {
    fn of(ctx: &Context, (policy, setting): (usize, &'m Setting)) -> Option<GpoList<'m>> {
        let gpo = &ctx.model.policies[policy];
        if channel(gpo) != Channel::GroupPolicy || !ctx.scope.setting_applies(gpo, setting) {
            return None;
        }
        let members = principals(&setting.value).filter(|m| !m.is_empty())?;
        Some(GpoList {
            policy,
            setting,
            group: group_option(gpo_group_of(&setting.key)?),
            members,
        })
    }
}

pub(super) fn across_channels(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    (lists, item_settings): (&Occurrences, &Occurrences),
    findings: &mut Vec<Finding>,
) {
    // Only hybrid-joined devices take both Group Policy and Intune.
    let both = JoinTypeSet::GROUP_POLICY.intersection(JoinTypeSet::MDM);
    let reach = |policy: usize| possible_reach(&effective[policy]).intersection(both);
    let lists: Vec<GpoList> = (lists.iter())
        .filter_map(|&found| GpoList::of(ctx, found))
        .filter(|list| !reach(list.policy).is_empty())
        .collect();
    if lists.is_empty() {
        return;
    }
    let items: Vec<Item> = all_items(item_settings)
        .into_iter()
        .filter(|item| channel(&ctx.model.policies[item.policy]) == Channel::Mdm)
        .collect();
    for list in &lists {
        for item in items
            .iter()
            .filter(|i| i.groups.contains(&list.group.as_str()))
        {
            let devices = reach(list.policy).intersection(reach(item.policy));
            let dispute = Dispute::of(&list.members, item);
            if !devices.is_empty() && !dispute.is_empty() {
                let mut found = finding(rule, ctx, list, item, &dispute, devices);
                found
                    .related
                    .extend(reaching(ctx, effective, list.policy, devices));
                found
                    .related
                    .extend(reaching(ctx, effective, item.policy, devices));
                findings.push(found);
            }
        }
    }
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
struct Dispute {
    /// Members Intune adds that the GPO's list lacks (Group Policy removes them again).
    added: Vec<String>,
    /// Members of the GPO's list that Intune removes (Group Policy adds them again).
    removed: Vec<String>,
}

impl Dispute {
    fn of(gpo: &[String], item: &Item) -> Dispute {
        let listed = item.members();
        let (added, removed) = match item.action {
            Action::Add => (certainly_outside(&listed, gpo), Vec::new()),
            Action::Remove => (Vec::new(), certainly_inside(&listed, gpo)),
            Action::Replace => (
                certainly_outside(&listed, gpo),
                certainly_outside(gpo, &listed),
            ),
        };
        Dispute { added, removed }
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// What happens on the devices, as the message ends.
    fn consequence(&self) -> String {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!(
                "{} added by Intune and removed again by Group Policy",
                self.added.join(", ")
            ));
        }
        if !self.removed.is_empty() {
            parts.push(format!(
                "{} removed by Intune and added again by Group Policy",
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

/// What the Intune item does to the group, as the message says it (`replaces them with
/// ["A"]`, `adds B to that group`).
fn intune_does(item: &Item) -> String {
    let members = item.members().join(", ");
    match item.action {
        Action::Replace => match item.users {
            Some(users) => format!("replaces them with {}", value_text(users)),
            None => "replaces them with no one".to_string(),
        },
        Action::Add => format!("adds {members} to that group"),
        Action::Remove => format!("removes {members} from that group"),
    }
}

fn finding(
    rule: &Rule,
    ctx: &Context,
    list: &GpoList,
    item: &Item,
    dispute: &Dispute,
    devices: JoinTypeSet,
) -> Finding {
    let (gpo, intune) = (
        &ctx.model.policies[list.policy],
        &ctx.model.policies[item.policy],
    );
    let group = group_name(&list.group);
    let does = intune_does(item);
    let message = format!(
        "GPO \"{}\" sets the members of the local group {group} to {} (Restricted Groups), and \
         Intune policy \"{}\" {does} (local user group membership); both may reach {} devices, \
         where each channel applies its own list again and again: {}",
        gpo.name,
        value_text(list.setting),
        intune.name,
        devices.describe(),
        dispute.consequence(),
    );
    let intune_setting = item.list_or_action();
    Finding {
        related: vec![Label {
            location: intune.value_location(intune_setting),
            message: format!("Intune policy \"{}\" {does} here", intune.name),
        }],
        policy: Some(policy_ref(gpo)),
        setting: Some(list.setting.key.clone()),
        join_types: devices,
        ..Finding::new(
            rule,
            message,
            Label {
                location: gpo.value_location(list.setting),
                message: format!("Restricted Groups sets the members of {group} here"),
            },
            fingerprint(&[
                &rule.id,
                gpo.identity(),
                intune.identity(),
                &list.setting.key,
                &intune_setting.key,
            ]),
        )
    }
}
