//! `[check.local_group_within_group_policy]`: a GPO's Restricted Groups and a Group Policy
//! Preferences local group item (in the same GPO, or in another one that reaches the same
//! computers) that disagree on a local group's members.
//!
//! Both are Group Policy, but two client-side extensions that know nothing of each other:
//! Restricted Groups is applied by the security settings extension whenever the security policy
//! is processed (when a GPO changes, and every 16 hours even when none does), and the preference
//! item at every Group Policy refresh. So a member the preference item adds that Restricted
//! Groups' "Members of this group" lacks is removed at the next security refresh and added back
//! at the next refresh after it; a member Restricted Groups keeps and the item removes comes and
//! goes the same way. The disagreement is found as between a GPO and Intune
//! ([`super::local_group_channels`]), with Restricted Groups as the side that keeps its list.

use super::Rule;
use super::engine::{Context, Occurrences, policy_ref};
use super::local_group_channels::{
    Dispute, GpoChange, gpo_changes, gpo_does, targeted_items, targeting_label,
};
use crate::finding::{Finding, Label, fingerprint};
use crate::ingest::intune::local_groups::group_name;
use crate::scope::GpoLinks;
use foldhash::HashMap;

pub(super) fn within_group_policy(
    rule: &Rule,
    ctx: &Context,
    gpo_settings: &Occurrences,
    findings: &mut Vec<Finding>,
) {
    let targeted = targeted_items(gpo_settings);
    let names = &ctx.principal_names;
    // Group Policy's changes only (`gpo_changes` leaves out other channels).
    let (mut preferences, mut restricted): (Vec<GpoChange>, Vec<GpoChange>) = (gpo_settings.iter())
        .flat_map(|&found| gpo_changes(ctx, found, &targeted))
        .partition(|change| change.preference);
    if preferences.is_empty() || restricted.is_empty() {
        return;
    }
    // Names the GPO reports give SIDs for compare as those SIDs.
    for change in preferences.iter_mut().chain(restricted.iter_mut()) {
        names.resolve_all(&mut change.members);
    }
    // Each GPO's links, placed once (pairs of entries meet many times).
    let mut links: HashMap<usize, GpoLinks> = HashMap::default();
    for change in preferences.iter().chain(&restricted) {
        let policy = &ctx.model.policies[change.policy];
        links
            .entry(change.policy)
            .or_insert_with(|| GpoLinks::of(policy));
    }
    let inventory = ctx.scope.inventory();
    for item in &preferences {
        for list in restricted.iter().filter(|r| r.group == item.group) {
            let Some(meeting) =
                where_both_apply(ctx, &links, (list.policy, item.policy), inventory)
            else {
                continue;
            };
            let dispute =
                Dispute::between((list.action, &list.members), (item.action, &item.members))
                    .named(names);
            if !dispute.is_empty() {
                findings.push(finding(rule, ctx, (list, item), &dispute, &meeting));
            }
        }
    }
}

/// Where two GPOs both apply: in one GPO everywhere it applies (None for the OU; a GPO whose
/// links were exported and are all disabled or none applies nowhere), else on the OU where
/// their links meet on one chain (None when they meet nowhere).
fn where_both_apply(
    ctx: &Context,
    links: &HashMap<usize, GpoLinks>,
    (a, b): (usize, usize),
    inventory: &crate::config::Inventory,
) -> Option<Option<String>> {
    if a == b {
        let unlinked = ctx.model.policies[a].assignments_exported && links[&a].is_empty();
        return (!unlinked).then_some(None);
    }
    let meeting = links[&a].precedence(&links[&b], inventory)?;
    Some(Some(meeting.shared_ou().to_string()))
}

fn finding(
    rule: &Rule,
    ctx: &Context,
    (list, item): (&GpoChange, &GpoChange),
    dispute: &Dispute,
    meeting: &Option<String>,
) -> Finding {
    let names = &ctx.principal_names;
    let policies = &ctx.model.policies;
    let (restricting, preferring) = (&policies[list.policy], &policies[item.policy]);
    let group = group_name(&list.group);
    let (list_does, list_label) = gpo_does(list, &group, names);
    let (item_does, item_label) = gpo_does(item, &group, names);
    let (who, where_) = match meeting {
        None => (
            "and also".to_string(),
            "wherever the GPO applies".to_string(),
        ),
        Some(ou) => (
            format!("and GPO \"{}\"", preferring.name),
            format!("on the computers of OU {ou}, where both apply"),
        ),
    };
    let message = format!(
        "GPO \"{}\" {list_does}, {who} {item_does}; {where_}, Restricted Groups applies its \
         entry whenever the security policy is processed and the preference item its change at \
         every refresh: {}",
        restricting.name,
        dispute.consequence("the preference item", "Restricted Groups"),
    );
    let related = std::iter::once(Label {
        location: restricting.value_location(list.setting),
        message: list_label,
    })
    .chain(targeting_label(preferring, item))
    .collect();
    Finding {
        related,
        policy: Some(policy_ref(preferring)),
        setting: Some(item.setting.key.clone()),
        ..Finding::new(
            rule,
            message,
            Label {
                location: preferring.value_location(item.setting),
                message: item_label,
            },
            fingerprint(&[
                &rule.id,
                restricting.identity(),
                preferring.identity(),
                &list.setting.key,
                &item.setting.key,
                &list.group,
            ]),
        )
    }
}
