//! `[check.local_group_replaced]`: local group membership (Policy CSP LocalUsersAndGroups, the
//! Settings Catalog's and account protection's "Local user group membership") that never
//! applies because another item replaces the same group's members on the same devices.
//!
//! Each item of the collection names local groups and an action: Replace (`add_restrict`, the
//! group's members become the item's list) or Update (`add_update`, `remove_update`: members
//! added or removed, the others left alone). "If the same group is configured with both
//! Replace and Update, then Replace will win" (the CSP's documentation), and Intune reports no
//! conflict. So an Update's additions that the Replace's list lacks are never made, and its
//! removals of members the Replace's list holds never happen: that is what this check reports.
//! Two Replaces of one group are `conflicting-setting-values`' business.
//!
//! The reader keys each item's settings by the item (`..._accessgroup_users[administrators
//! add_update #35f9f949]`: its groups, then its action unless it replaces; see
//! `ingest::intune`), so the items are read back from the keys.

use super::Rule;
use super::engine::value_part_location;
use super::engine::{AssignmentReach, Occurrences};
use super::engine::{Context, definite_overlap, overlapping, policy_ref, reach_profiles};
use super::principals::{contains_principal, principals};
use crate::finding::{Finding, Label, fingerprint};
use crate::ingest::intune::local_groups::{LOCAL_GROUPS, group_name, restricted_groups};
use crate::model::{Policy, Setting, Value};
use crate::scope::EffectiveAssignment;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    Replace,
    Add,
    Remove,
}

/// One item of one policy's local group collection.
pub(super) struct Item<'m> {
    pub(super) policy: usize,
    /// The local groups it configures, as the reader keys them (lower case, `administrators`).
    pub(super) groups: Vec<&'m str>,
    pub(super) action: Action,
    /// Its member list (`..._users`); None when it lists none.
    pub(super) users: Option<&'m Setting>,
    /// Its action setting (Replace, Update), where a finding about an Update points.
    action_setting: &'m Setting,
    /// What its settings' keys say of it (`administrators add_update #35f9f949`).
    entity: &'m str,
}

impl<'m> Item<'m> {
    pub(super) fn members(&self) -> Vec<String> {
        self.users
            .and_then(|users| principals(&users.value))
            .unwrap_or_default()
    }

    fn shares_a_group_with(&self, other: &Item) -> Option<&str> {
        self.groups
            .iter()
            .copied()
            .find(|g| other.groups.contains(g))
    }

    /// Its member list, else its action: where a label about the item points.
    pub(super) fn list_or_action(&self) -> &'m Setting {
        self.users.unwrap_or(self.action_setting)
    }
}

pub(super) fn replaced_updates(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    item_settings: &Occurrences,
    findings: &mut Vec<Finding>,
) {
    let items = all_items(item_settings);
    let (replaces, updates): (Vec<&Item>, Vec<&Item>) = items
        .iter()
        .partition(|item| item.action == Action::Replace);
    if replaces.is_empty() || updates.is_empty() {
        return;
    }
    let reaches = reach_profiles(effective);
    for update in &updates {
        for replace in &replaces {
            let Some(group) = update.shares_a_group_with(replace) else {
                continue;
            };
            let Some(overlap) = certain_overlap(&reaches, update.policy, replace.policy) else {
                continue;
            };
            let pair = Pair {
                update,
                replace,
                group,
                overlap,
            };
            if let Some(finding) = pair.finding(rule, ctx, effective) {
                findings.push(finding);
            }
        }
    }
}

/// Every policy's local group items, in policy order, from the settings of local group items
/// (found by the engine, in policy order).
pub(super) fn all_items<'m>(item_settings: &Occurrences<'m>) -> Vec<Item<'m>> {
    item_settings
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|settings| policy_items(settings[0].0, settings.iter().map(|(_, s)| *s)))
        .collect()
}

/// `[check.restricted_groups_beside_local_groups]`: a policy setting Restricted Groups
/// (`RestrictedGroups/ConfigureGroupMembership`) and one configuring local user group
/// membership certainly reach the same devices (or are one policy). "Don't apply both policies
/// to the same device, it's unsupported and may yield unpredictable results" (the RestrictedGroups
/// CSP's documentation). One finding per pair of policies, at the Restricted Groups value.
pub(super) fn restricted_groups_beside(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    (restricted_settings, item_settings): (&Occurrences, &Occurrences),
    findings: &mut Vec<Finding>,
) {
    // A policy's first Restricted Groups setting (a policy has one, but a hand-made export
    // may repeat it).
    let restricted: Vec<(usize, &Setting)> = restricted_settings
        .chunk_by(|a, b| a.0 == b.0)
        .map(|settings| settings[0])
        .collect();
    if restricted.is_empty() {
        return;
    }
    let items = all_items(item_settings);
    if items.is_empty() {
        return;
    }
    let reaches = reach_profiles(effective);
    for &(policy, setting) in &restricted {
        // The first item of each other policy (items are in policy order).
        let mut seen = None;
        for item in &items {
            if seen == Some(item.policy) {
                continue;
            }
            seen = Some(item.policy);
            if let Some(overlap) = certain_overlap(&reaches, policy, item.policy) {
                findings.push(beside_finding(
                    rule,
                    ctx,
                    effective,
                    (policy, setting),
                    item,
                    overlap,
                ));
            }
        }
    }
}

/// A Restricted Groups setting (the catalog keys the Settings Catalog's and OMA-URI's alike).
pub(super) fn is_restricted_groups(key: &str) -> bool {
    key.eq_ignore_ascii_case(
        "./Device/Vendor/MSFT/Policy/Config/RestrictedGroups/ConfigureGroupMembership",
    )
}

fn beside_finding(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    (policy, setting): (usize, &Setting),
    item: &Item,
    overlap: Option<(usize, usize)>,
) -> Finding {
    let policies = &ctx.model.policies;
    let (restricting, configuring) = (&policies[policy], &policies[item.policy]);
    let group = group_name(item.groups[0]);
    let mut related = vec![Label {
        location: configuring.value_location(item.action_setting),
        message: format!(
            "{} configures the members of the local group {group} here",
            if overlap.is_none() {
                "the same policy".to_string()
            } else {
                format!("\"{}\"", configuring.name)
            }
        ),
    }];
    let (whom, where_, reach) = match overlap {
        None => ("also configures".to_string(), "", String::new()),
        Some(through) => {
            let (labels, reach) = assignment_labels(
                ctx,
                effective,
                [
                    (policy, "Restricted Groups is assigned here"),
                    (item.policy, "local user group membership is assigned here"),
                ],
                through,
            );
            related.extend(labels);
            (
                format!("\"{}\" configures", configuring.name),
                " on the same devices",
                reach,
            )
        }
    };
    let message = format!(
        "\"{}\" sets Restricted Groups (RestrictedGroups/ConfigureGroupMembership), and {whom} \
         local user group membership (LocalUsersAndGroups, the local group {group}){where_}: \
         Windows does not support both on one device, and which members a group ends with is \
         unpredictable{reach}",
        restricting.name,
    );
    let mut identities = [restricting.identity(), configuring.identity()];
    identities.sort();
    Finding {
        related,
        policy: Some(policy_ref(restricting)),
        setting: Some(setting.key.clone()),
        ..Finding::new(
            rule,
            message,
            Label {
                location: restricted_location(ctx, restricting, setting, item.groups[0]),
                message: "Restricted Groups set here".to_string(),
            },
            fingerprint(&[&rule.id, identities[0], identities[1], &setting.key]),
        )
    }
}

/// Where a Restricted Groups document sets `group` (its `accessgroup` element), else the whole
/// document.
fn restricted_location(
    ctx: &Context,
    policy: &Policy,
    setting: &Setting,
    group: &str,
) -> crate::source::Location {
    let element = match &setting.value {
        Value::Str(xml) => restricted_groups(xml)
            .unwrap_or_default()
            .into_iter()
            .find(|g| g.group == group)
            .map(|g| g.element),
        _ => None,
    };
    match element {
        Some(element) => value_part_location(ctx, policy, setting, element),
        None => policy.value_location(setting),
    }
}

/// Whether two policies certainly reach the same devices: through their assignments `i` and
/// `j` (`Some(Some((i, j)))`), by being one policy (`Some(None)`), or not certainly (None).
fn certain_overlap(
    reaches: &[Vec<AssignmentReach>],
    a: usize,
    b: usize,
) -> Option<Option<(usize, usize)>> {
    if a == b {
        return Some(None);
    }
    overlapping(&reaches[a], &reaches[b]).map(Some)
}

/// The labels of the two assignments (`through`) by which two policies certainly reach the
/// same devices, each with its message, and the clause that says so (`; both are assigned
/// to ...`).
fn assignment_labels(
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    policies: [(usize, &str); 2],
    (i, j): (usize, usize),
) -> (Vec<Label>, String) {
    let [(a, a_says), (b, b_says)] = policies;
    let (x, y) = (&effective[a][i], &effective[b][j]);
    let label = |policy: usize, assignment: &EffectiveAssignment, message: &str| Label {
        location: ctx.model.policies[policy].target_location(assignment.assignment),
        message: message.to_string(),
    };
    let labels = vec![label(a, x, a_says), label(b, y, b_says)];
    (labels, format!("; {}", definite_overlap(x, y)))
}

/// A policy's local group items, from the keys of its local group item settings: one per
/// action setting, with the member list of the same entity.
fn policy_items<'m>(
    index: usize,
    settings: impl Iterator<Item = &'m Setting> + Clone,
) -> Vec<Item<'m>> {
    let mut items: Vec<Item> = settings
        .clone()
        .filter_map(|setting| match item_child(&setting.key) {
            Some(("action", entity)) => item_of(entity, index, setting),
            _ => None,
        })
        .collect();
    for setting in settings {
        if let Some(("users", entity)) = item_child(&setting.key)
            && let Some(item) = items.iter_mut().find(|item| item.entity == entity)
        {
            item.users = Some(setting);
        }
    }
    items
}

/// A setting of a local group item (its action, its member list...).
pub(super) fn is_item_setting(key: &str) -> bool {
    item_child(key).is_some()
}

/// The child (`action`, `users`...) and the entity (`administrators add_update #35f9f949`) of
/// a local group item's setting key.
fn item_child(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("intune:")?;
    let collection = rest.get(..LOCAL_GROUPS.len())?;
    if !collection.eq_ignore_ascii_case(LOCAL_GROUPS) {
        return None;
    }
    let rest = rest[LOCAL_GROUPS.len()..].strip_prefix('_')?;
    rest.strip_suffix(']')?.split_once('[')
}

/// An item from its action setting's entity: its groups, then its action word unless it
/// replaces (`administrators,remotedesktopusers add_update #hash`).
fn item_of<'m>(entity: &'m str, policy: usize, action_setting: &'m Setting) -> Option<Item<'m>> {
    let mut words = entity.split(' ');
    let groups: Vec<&str> = words.next()?.split(',').filter(|g| !g.is_empty()).collect();
    let action = match words.next() {
        None => Action::Replace,
        Some("add_update") => Action::Add,
        Some("remove_update") => Action::Remove,
        Some(_) => return None,
    };
    (!groups.is_empty()).then_some(Item {
        policy,
        groups,
        action,
        users: None,
        action_setting,
        entity,
    })
}

/// An Update and a Replace of one group whose policies certainly reach the same devices.
struct Pair<'i, 'm> {
    update: &'i Item<'m>,
    replace: &'i Item<'m>,
    group: &'m str,
    /// The pair of assignments through which both reach the same devices; None when both
    /// items are in one policy.
    overlap: Option<(usize, usize)>,
}

/// How a finding says what an Update does, and what becomes of it.
struct Wording {
    verb: &'static str,
    preposition: &'static str,
    undone: &'static str,
}

impl Action {
    fn wording(self) -> Option<Wording> {
        match self {
            Action::Add => Some(Wording {
                verb: "adds",
                preposition: "to",
                undone: "never added",
            }),
            Action::Remove => Some(Wording {
                verb: "removes",
                preposition: "from",
                undone: "never removed",
            }),
            Action::Replace => None,
        }
    }
}

impl Pair<'_, '_> {
    /// The members of the Update that the Replace undoes: those it adds that the Replace's
    /// list lacks, or those it removes that the list holds.
    fn undone_members(&self) -> Vec<String> {
        let kept = self.replace.members();
        let adds = self.update.action == Action::Add;
        self.update
            .members()
            .into_iter()
            .filter(|m| contains_principal(&kept, m) != adds)
            .collect()
    }

    /// Who replaces the group, as the finding names it; the overlap, as the message ends; and
    /// the labels of the two assignments through which both reach the same devices.
    fn replacer_and_overlap(
        &self,
        ctx: &Context,
        effective: &[Vec<EffectiveAssignment>],
    ) -> (String, String, Vec<Label>) {
        let Some(through) = self.overlap else {
            return ("the same policy".to_string(), String::new(), Vec::new());
        };
        let (labels, overlap) = assignment_labels(
            ctx,
            effective,
            [
                (self.update.policy, "the Update is assigned here"),
                (self.replace.policy, "the Replace is assigned here"),
            ],
            through,
        );
        let replacing = &ctx.model.policies[self.replace.policy];
        (format!("\"{}\"", replacing.name), overlap, labels)
    }

    /// The finding, if the Replace undoes part of the Update.
    fn finding(
        &self,
        rule: &Rule,
        ctx: &Context,
        effective: &[Vec<EffectiveAssignment>],
    ) -> Option<Finding> {
        let wording = self.update.action.wording()?;
        let undone = self.undone_members();
        if undone.is_empty() {
            return None;
        }
        let policies = &ctx.model.policies;
        let (updating, replacing) = (
            &policies[self.update.policy],
            &policies[self.replace.policy],
        );
        let group = group_name(self.group);
        let members = undone.join(", ");
        let (replacer, overlap, mut related) = self.replacer_and_overlap(ctx, effective);
        related.insert(
            0,
            Label {
                location: replacing.value_location(self.replace.list_or_action()),
                message: format!(
                    "{replacer} replaces the members of {group} with {} here",
                    members_text(self.replace)
                ),
            },
        );
        let subject = match self.overlap {
            None => "also",
            Some(_) => replacer.as_str(),
        };
        let Wording {
            verb,
            preposition,
            undone: never,
        } = wording;
        let message = format!(
            "\"{}\" {verb} {members} {preposition} the local group {group}, but {subject} \
             replaces that group's members, and a Replace wins over an Update: {members} {} \
             {never}{overlap}",
            updating.name,
            if undone.len() == 1 { "is" } else { "are" },
        );
        // At the Update's action: the choice that makes it an Update (the message names the
        // members, whose list takes several lines).
        let setting = self.update.action_setting;
        let mut identities = [updating.identity(), replacing.identity()];
        identities.sort();
        Some(Finding {
            related,
            policy: Some(policy_ref(updating)),
            setting: Some(setting.key.clone()),
            ..Finding::new(
                rule,
                message,
                Label {
                    location: updating.value_location(setting),
                    message: format!("{verb} {members}: {never}, the Replace in {replacer} wins"),
                },
                fingerprint(&[
                    &rule.id,
                    identities[0],
                    identities[1],
                    &setting.key,
                    &self.replace.list_or_action().key,
                ]),
            )
        })
    }
}

/// A Replace's member list as findings quote values (`["WLapsAdmin"]`); no one when it lists none.
fn members_text(item: &Item) -> String {
    match item.users {
        Some(users) => super::engine::value_text(users),
        None => "no one".to_string(),
    }
}
