//! The engine: the few primitives every rule file is built from, implemented once.

use std::collections::HashMap;

use super::{Check, Predicate, Rule, values_equal};
use crate::catalog::Catalog;
use crate::finding::{Finding, Label, PolicyRef, fingerprint};
use crate::model::{JoinTypeSet, Model, Policy, Setting, Target};
use crate::scope::{EffectiveAssignment, Evidence, Scope, target_label};

/// Everything a check needs to look at.
pub struct Context<'a, 'm> {
    pub model: &'m Model,
    pub scope: &'a Scope<'m>,
    pub catalog: &'a Catalog,
}

/// Run every rule; findings come back in a deterministic order.
pub fn run(rules: &[Rule], ctx: &Context) -> Vec<Finding> {
    let effective: Vec<Vec<EffectiveAssignment>> = ctx
        .model
        .policies
        .iter()
        .map(|p| ctx.scope.effective_assignments(p))
        .collect();
    let mut findings = Vec::new();
    for rule in rules {
        match &rule.check {
            Check::Forbid {
                setting,
                value,
                join_types,
                ..
            } => forbid(
                rule,
                ctx,
                &effective,
                setting,
                value,
                *join_types,
                &mut findings,
            ),
            Check::Conflict { policy_kinds } => {
                conflict(rule, ctx, &effective, policy_kinds, &mut findings)
            }
            Check::UnknownGroup => unknown_group(rule, ctx, &mut findings),
        }
    }
    findings.sort_by(|a, b| {
        let path = |f: &Finding| {
            ctx.model
                .sources
                .get(f.primary.location.file)
                .display_path
                .clone()
        };
        (path(a), a.primary.location.span, &a.rule, &a.fingerprint).cmp(&(
            path(b),
            b.primary.location.span,
            &b.rule,
            &b.fingerprint,
        ))
    });
    findings
}

fn policy_ref(policy: &Policy) -> PolicyRef {
    PolicyRef {
        name: policy.name.clone(),
        id: policy.id.clone(),
        source: policy.kind.name().to_string(),
    }
}

fn value_text(setting: &Setting) -> String {
    match &setting.value_label {
        Some(label) => format!("{} ({label})", setting.value),
        None => setting.value.to_string(),
    }
}

fn setting_title(ctx: &Context, setting: &Setting) -> String {
    ctx.catalog
        .resolve(&setting.key)
        .map(|d| d.title.trim_end_matches('.').to_string())
        .unwrap_or_else(|| setting.raw_name.clone())
}

fn target_identity(target: &Target) -> String {
    match target {
        Target::Group { id, name, .. } => id
            .clone()
            .or_else(|| name.clone())
            .unwrap_or_default()
            .to_lowercase(),
        Target::AllDevices => "all-devices".to_string(),
        Target::AllLicensedUsers => "all-users".to_string(),
        Target::GpoLink(link) => format!("link:{}", link.som_path.to_lowercase()),
        Target::Other(kind) => kind.clone(),
    }
}

fn target_phrase(ea: &EffectiveAssignment) -> String {
    match (&ea.assignment.target, &ea.group) {
        (Target::Group { .. }, Some(group)) => format!("group \"{}\"", group.name),
        (target, _) => target_label(target),
    }
}

/// Labels that explain how an assignment reaches devices: the assignment, then the evidence.
fn reach_labels(policy: &Policy, ea: &EffectiveAssignment, reached: JoinTypeSet) -> Vec<Label> {
    let mut labels = vec![Label {
        location: policy.target_location(ea.assignment),
        message: format!("assigned to {}", target_phrase(ea)),
    }];
    match ea.group.as_ref().and_then(|g| g.evidence.as_ref()) {
        Some(Evidence::Rule { location, .. }) => labels.push(Label {
            location: *location,
            message: format!(
                "membership rule of {} admits {} devices",
                target_phrase(ea),
                reached.describe()
            ),
        }),
        Some(Evidence::Inventory { location }) => labels.push(Label {
            location: *location,
            message: format!(
                "[inventory.groups] declares {} as holding {} devices",
                target_phrase(ea),
                reached.describe()
            ),
        }),
        None => {}
    }
    labels
}

fn reach_notes(ea: &EffectiveAssignment, reached: JoinTypeSet) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(reason) = &ea.reach.unknown {
        notes.push(format!("join types not known exactly: {reason}"));
    }
    for name in &ea.partial_exclusions {
        notes.push(format!(
            "the exclusion of \"{name}\" does not certainly cover the {} devices reached",
            reached.describe()
        ));
    }
    notes
}

#[allow(clippy::too_many_arguments)]
fn forbid(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    key: &str,
    predicate: &Predicate,
    join_types: JoinTypeSet,
    findings: &mut Vec<Finding>,
) {
    for (policy, assignments) in ctx.model.policies.iter().zip(effective) {
        for setting in policy.settings.iter().filter(|s| s.key == key) {
            if !predicate.matches(&setting.value) {
                continue;
            }
            for ea in assignments {
                let reached = ea.reach.possible.intersection(join_types);
                if reached.is_empty() {
                    continue;
                }
                findings.push(forbid_finding(rule, ctx, policy, setting, ea, reached));
            }
        }
    }
}

fn forbid_finding(
    rule: &Rule,
    ctx: &Context,
    policy: &Policy,
    setting: &Setting,
    ea: &EffectiveAssignment,
    reached: JoinTypeSet,
) -> Finding {
    let may = if ea.reach.unknown.is_some() {
        "may reach"
    } else {
        "reaches"
    };
    Finding {
        rule: rule.id.clone(),
        code: rule.code.clone(),
        severity: rule.severity,
        summary: rule.summary.clone(),
        message: format!(
            "policy \"{}\" sets {} to {} and {may} {} devices through {}",
            policy.name,
            setting_title(ctx, setting),
            value_text(setting),
            reached.describe(),
            target_phrase(ea)
        ),
        primary: Label {
            location: policy.value_location(setting),
            message: format!("set to {} here", value_text(setting)),
        },
        related: reach_labels(policy, ea, reached),
        notes: reach_notes(ea, reached),
        help: rule.fix.clone(),
        policy: Some(policy_ref(policy)),
        setting: Some(setting.key.clone()),
        fingerprint: fingerprint(&[
            &rule.id,
            policy.identity(),
            &setting.key,
            &target_identity(&ea.assignment.target),
        ]),
    }
}

/// Settings that occur once in a policy, by key (repeated keys are collection items, such as
/// firewall rules, and are not comparable one to one).
fn single_settings(policy: &Policy) -> HashMap<&str, &Setting> {
    let mut counts: HashMap<&str, (usize, &Setting)> = HashMap::new();
    for s in &policy.settings {
        counts.entry(s.key.as_str()).or_insert((0, s)).0 += 1;
    }
    counts
        .into_iter()
        .filter(|(_, (n, _))| *n == 1)
        .map(|(k, (_, s))| (k, s))
        .collect()
}

/// Devices two policies certainly both reach: a shared group, or one reaching every device of
/// every join type the other may reach (an unknown group may hold any device, so only "all
/// devices" certainly overlaps it).
fn definite_overlap(a: &[EffectiveAssignment], b: &[EffectiveAssignment]) -> Option<String> {
    let covers = |x: &EffectiveAssignment, y: &EffectiveAssignment| {
        !y.reach.possible.is_empty() && y.reach.possible.difference(x.reach.certain).is_empty()
    };
    for x in a {
        for y in b {
            if x.reach.possible.is_empty() || y.reach.possible.is_empty() {
                continue;
            }
            let same_group = matches!((&x.group, &y.group), (Some(g), Some(h)) if g.name.eq_ignore_ascii_case(&h.name));
            if same_group {
                return Some(format!("both are assigned to {}", target_phrase(x)));
            }
            if covers(x, y) || covers(y, x) {
                let shared = x.reach.possible.intersection(y.reach.possible);
                return Some(format!(
                    "{} devices get both ({} and {})",
                    shared.describe(),
                    target_phrase(x),
                    target_phrase(y)
                ));
            }
        }
    }
    None
}

fn conflict(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    kinds: &[String],
    findings: &mut Vec<Finding>,
) {
    let eligible: Vec<usize> = (0..ctx.model.policies.len())
        .filter(|&i| {
            kinds.is_empty() || kinds.iter().any(|k| k == ctx.model.policies[i].kind.name())
        })
        .collect();
    let singles: Vec<HashMap<&str, &Setting>> = eligible
        .iter()
        .map(|&i| single_settings(&ctx.model.policies[i]))
        .collect();
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (slot, settings) in singles.iter().enumerate() {
        for key in settings.keys() {
            by_key.entry(key).or_default().push(slot);
        }
    }
    let mut keys: Vec<_> = by_key.into_iter().filter(|(_, v)| v.len() > 1).collect();
    keys.sort();
    for (key, slots) in keys {
        for (n, &sa) in slots.iter().enumerate() {
            for &sb in &slots[n + 1..] {
                let (a, b) = (&singles[sa][key], &singles[sb][key]);
                if values_equal(&a.value, &b.value) {
                    continue;
                }
                let (pa, pb) = (eligible[sa], eligible[sb]);
                if let Some(overlap) = definite_overlap(&effective[pa], &effective[pb]) {
                    findings.push(conflict_finding(rule, ctx, (pa, a), (pb, b), overlap));
                }
            }
        }
    }
}

fn conflict_finding(
    rule: &Rule,
    ctx: &Context,
    (pa, a): (usize, &Setting),
    (pb, b): (usize, &Setting),
    overlap: String,
) -> Finding {
    let (first, second) = (&ctx.model.policies[pa], &ctx.model.policies[pb]);
    let mut identities = [first.identity(), second.identity()];
    identities.sort();
    Finding {
        rule: rule.id.clone(),
        code: rule.code.clone(),
        severity: rule.severity,
        summary: rule.summary.clone(),
        message: format!(
            "\"{}\" sets {} to {} but \"{}\" sets it to {}; {overlap}",
            second.name,
            setting_title(ctx, b),
            value_text(b),
            first.name,
            value_text(a)
        ),
        primary: Label {
            location: second.value_location(b),
            message: format!("set to {} here", value_text(b)),
        },
        related: vec![Label {
            location: first.value_location(a),
            message: format!("\"{}\" sets {} here", first.name, value_text(a)),
        }],
        notes: Vec::new(),
        help: rule.fix.clone(),
        policy: Some(policy_ref(second)),
        setting: Some(b.key.clone()),
        fingerprint: fingerprint(&[&rule.id, identities[0], identities[1], &b.key]),
    }
}

fn unknown_group(rule: &Rule, ctx: &Context, findings: &mut Vec<Finding>) {
    for policy in &ctx.model.policies {
        for assignment in &policy.assignments {
            if !matches!(assignment.target, Target::Group { .. })
                || ctx.scope.group_is_known(policy, &assignment.target)
            {
                continue;
            }
            let label = target_label(&assignment.target);
            findings.push(Finding {
                rule: rule.id.clone(),
                code: rule.code.clone(),
                severity: rule.severity,
                summary: rule.summary.clone(),
                message: format!(
                    "policy \"{}\" is assigned to group {label}, which no groups export or inventory knows",
                    policy.name
                ),
                primary: Label {
                    location: policy.target_location(assignment),
                    message: "unknown group".to_string(),
                },
                related: Vec::new(),
                notes: vec![
                    "without the group's membership, baselint cannot tell which devices this assignment reaches".to_string(),
                ],
                help: rule.fix.clone(),
                policy: Some(policy_ref(policy)),
                setting: None,
                fingerprint: fingerprint(&[
                    &rule.id,
                    policy.identity(),
                    &target_identity(&assignment.target),
                ]),
            });
        }
    }
}
