//! The engine: the few primitives every rule file is built from, implemented once.

use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;

use super::principals::{PrincipalNames, is_user_right, principal_set};
use super::{Check, Predicate, Rule, setting_values_equal};
use crate::catalog::Catalog;
use crate::finding::{Finding, Label, MemberPrefix, PolicyRef, fingerprint, member};
use crate::model::{JoinTypeSet, Model, Name, Policy, PolicyKind, Setting, Target, Value};
use crate::scope::{
    Channel, EffectiveAssignment, Evidence, GpoLinks, Scope, channel, target_label,
};

/// Everything a check needs to look at.
pub struct Context<'a, 'm> {
    pub model: &'m Model,
    pub scope: &'a Scope<'m>,
    pub catalog: &'a Catalog,
    /// Severity of "control configured nowhere" findings (`[baselines] missing`).
    pub missing_controls: Option<super::Severity>,
    /// Per setting key, the ids of the baseline controls about it (built on first use).
    control_ids: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    /// The names and SIDs the run's GPO reports give together.
    pub principal_names: PrincipalNames,
}

impl<'a, 'm> Context<'a, 'm> {
    pub fn new(
        model: &'m Model,
        scope: &'a Scope<'m>,
        catalog: &'a Catalog,
        missing_controls: Option<super::Severity>,
    ) -> Context<'a, 'm> {
        Context {
            model,
            scope,
            catalog,
            missing_controls,
            control_ids: std::sync::OnceLock::new(),
            principal_names: PrincipalNames::of(model),
        }
    }
}

/// Run the rules `wanted` keeps (all of `rules` stay visible to the checks that look at other
/// rules); findings come back in a deterministic order.
pub fn run(rules: &[Rule], wanted: impl Fn(&Rule) -> bool, ctx: &Context) -> Vec<Finding> {
    // Per policy, on all cores (collected in policy order): what its assignments reach.
    let effective: Vec<Vec<EffectiveAssignment>> = ctx
        .model
        .policies
        .par_iter()
        .map(|p| ctx.scope.effective_assignments(p))
        .collect();
    crate::timings::phase("assignments");
    let chosen: Vec<&Rule> = rules.iter().filter(|rule| wanted(rule)).collect();
    // Each policy's settings by key, for the rules that compare policies: built once, on all
    // cores, before the rules start (not lazily behind a lock, which a rayon thread waiting
    // inside the build could re-enter through another rule's job).
    let compares_policies = |rule: &&Rule| {
        matches!(
            rule.check,
            Check::Conflict { .. } | Check::ChannelConflict { .. } | Check::Overridden
        )
    };
    let singles: Vec<SingleSettings> = if chosen.iter().any(compares_policies) {
        let singles = ctx.model.policies.par_iter().map(single_settings).collect();
        crate::timings::phase("setting lists");
        singles
    } else {
        Vec::new()
    };
    // Rules are independent of each other's findings: they run at once (one rule's serial
    // parts fill the cores another leaves idle), and their findings are joined. The GPO-Intune
    // channel rules run after the others: their index of the Intune settings GPOs set and the
    // conflict rule's key index are the two largest working sets, both built on all cores, so
    // running them together saved little time and raised the peak (10k `full`: 150 → 141-144 MiB
    // peak RSS, 699 → 720 ms median; the Graph-shaped tenant has no GPO, so no change there).
    let found = Found::of(ctx.model, &chosen);
    let run_one = |rule: &&Rule| {
        let started = std::time::Instant::now();
        let mut findings = Vec::new();
        let tables = Tables {
            effective: &effective,
            singles: &singles,
            found: &found,
        };
        run_rule(rule, rules, ctx, tables, &mut findings);
        crate::timings::took(&rule.id, started.elapsed());
        findings
    };
    let (channel, others): (Vec<&Rule>, Vec<&Rule>) = chosen
        .iter()
        .partition(|rule| matches!(rule.check, Check::ChannelConflict { .. }));
    let mut per_rule: Vec<Vec<Finding>> = others.par_iter().map(run_one).collect();
    per_rule.extend(channel.iter().map(run_one));
    crate::timings::phase("rules (at once)");
    // Freed before the findings are joined, which then reuses their memory (the run peaks here).
    drop((found, singles, effective));
    let mut findings = joined(per_rule);
    sort_findings(&mut findings, &ctx.model.sources);
    findings
}

/// The rules' findings in one vector: the others appended to the longest one, rather than all
/// copied into a new vector beside them (findings are hundreds of bytes each, and this comes
/// at the peak of a run). The order does not matter: `sort_findings` decides it.
fn joined(mut per_rule: Vec<Vec<Finding>>) -> Vec<Finding> {
    let Some(longest) = (0..per_rule.len()).max_by_key(|&i| per_rule[i].len()) else {
        return Vec::new();
    };
    let mut findings = std::mem::take(&mut per_rule[longest]);
    findings.reserve(per_rule.iter().map(Vec::len).sum());
    for mut rule_findings in per_rule {
        findings.append(&mut rule_findings);
    }
    findings
}

/// What the engine works out once for all the rules it runs.
#[derive(Clone, Copy)]
struct Tables<'t, 'm> {
    /// Per policy, what its assignments reach.
    effective: &'t [Vec<EffectiveAssignment<'m>>],
    /// Per policy, its settings by key (empty unless a rule compares policies).
    singles: &'t [SingleSettings<'m>],
    /// The settings rules look up by key.
    found: &'t Found<'t, 'm>,
}

/// One rule's findings (`rules` is every rule, for the checks that look at the others).
fn run_rule(
    rule: &Rule,
    rules: &[Rule],
    ctx: &Context,
    tables: Tables,
    findings: &mut Vec<Finding>,
) {
    let Tables {
        effective,
        singles,
        found,
    } = tables;
    match &rule.check {
        Check::Forbid {
            setting,
            value,
            join_types,
            ..
        } => {
            let settings = found.get(Lookup::Key(setting));
            forbid(rule, ctx, effective, settings, value, *join_types, findings);
        }
        Check::Conflict {
            policy_kinds,
            merged,
        } => conflict(
            rule,
            ctx,
            (effective, singles),
            (policy_kinds, merged),
            findings,
        ),
        Check::UnknownGroup => unknown_group(rule, ctx, findings),
        Check::IncompleteExport => super::exports::incomplete(rule, ctx, findings),
        Check::ChannelConflict { join_types } => {
            channel_conflict(rule, ctx, effective, singles, *join_types, findings)
        }
        Check::Overridden => overridden(rule, ctx, singles, findings),
        Check::LocalGroupReplaced => {
            let items = found.get(Lookup::LocalGroupItems);
            super::local_groups::replaced_updates(rule, ctx, effective, items, findings)
        }
        Check::RestrictedGroupsBesideLocalGroups => {
            let restricted = found.get(Lookup::RestrictedGroups);
            let items = found.get(Lookup::LocalGroupItems);
            super::local_groups::restricted_groups_beside(
                rule,
                ctx,
                effective,
                (restricted, items),
                findings,
            )
        }
        Check::LocalGroupAcrossChannels => {
            let found = [
                found.get(Lookup::GpoLocalGroups),
                found.get(Lookup::LocalGroupItems),
                found.get(Lookup::RestrictedGroups),
            ];
            super::local_group_channels::across_channels(rule, ctx, effective, found, findings)
        }
        Check::LocalGroupWithinGroupPolicy => {
            let gpo_settings = found.get(Lookup::GpoLocalGroups);
            super::local_group_gpos::within_group_policy(rule, ctx, gpo_settings, findings)
        }
        Check::StoredPassword => {
            let stored = found.get(Lookup::Key(crate::ingest::gpp_passwords::KEY));
            stored_passwords(rule, ctx, stored, findings)
        }
        Check::AutologonPassword => {
            let written = found.get(Lookup::Key(
                crate::ingest::gpp_passwords::AUTOLOGON_PASSWORD_KEY,
            ));
            autologon_passwords(rule, ctx, written, findings)
        }
        Check::BaselineDeviation => {
            super::controls::deviation(rule, ctx, effective, ctx.missing_controls, findings)
        }
        Check::BaselineContradiction => {
            super::controls::contradictions(rule, rules, ctx, effective, findings)
        }
        // Exceptions are audited after every other finding is known (see `exceptions`).
        Check::ExceptionStatus(_) => {}
    }
}

/// Settings with the index of their policy, in policy and setting order.
pub(super) type Occurrences<'m> = [(usize, &'m Setting)];

/// What a rule looks up by setting key, rather than comparing every setting with every other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup<'r> {
    /// The settings with this key (a `forbid` rule's).
    Key(&'r str),
    /// The settings of local group membership items (LocalUsersAndGroups).
    LocalGroupItems,
    /// Restricted Groups (RestrictedGroups/ConfigureGroupMembership).
    RestrictedGroups,
    /// A GPO's local group settings: Restricted Groups (`group_membership:<group>/members` and
    /// `/memberof`) and preference items (`gpp_local_group:...`).
    GpoLocalGroups,
}

impl Lookup<'_> {
    fn takes(&self, key: &str) -> bool {
        match self {
            Lookup::Key(wanted) => *wanted == key,
            Lookup::LocalGroupItems => super::local_groups::is_item_setting(key),
            Lookup::RestrictedGroups => super::local_groups::is_restricted_groups(key),
            Lookup::GpoLocalGroups => super::local_group_channels::GpoGroupKey::of(key).is_some(),
        }
    }
}

/// The settings every chosen rule looks up, found in one pass over the model's settings on all
/// cores: each `forbid` rule and the local group rules used to walk every setting of the
/// tenant on their own (3.5 to 9 ms each on 10k policies, eight walks in all).
struct Found<'r, 'm> {
    lookups: Vec<Lookup<'r>>,
    /// Per lookup, its settings and their policies' indices, in policy and setting order.
    settings: Vec<Vec<(usize, &'m Setting)>>,
}

impl<'r, 'm> Found<'r, 'm> {
    fn of(model: &'m Model, rules: &[&'r Rule]) -> Found<'r, 'm> {
        let mut lookups = Vec::new();
        for rule in rules {
            let wanted: &[Lookup] = match &rule.check {
                Check::Forbid { setting, .. } => &[Lookup::Key(setting)],
                Check::LocalGroupReplaced => &[Lookup::LocalGroupItems],
                Check::RestrictedGroupsBesideLocalGroups => {
                    &[Lookup::RestrictedGroups, Lookup::LocalGroupItems]
                }
                Check::LocalGroupAcrossChannels => &[
                    Lookup::GpoLocalGroups,
                    Lookup::LocalGroupItems,
                    Lookup::RestrictedGroups,
                ],
                Check::LocalGroupWithinGroupPolicy => &[Lookup::GpoLocalGroups],
                Check::StoredPassword => &[Lookup::Key(crate::ingest::gpp_passwords::KEY)],
                Check::AutologonPassword => &[Lookup::Key(
                    crate::ingest::gpp_passwords::AUTOLOGON_PASSWORD_KEY,
                )],
                _ => &[],
            };
            for lookup in wanted {
                if !lookups.contains(lookup) {
                    lookups.push(*lookup);
                }
            }
        }
        Found::of_lookups(model, lookups)
    }

    fn of_lookups(model: &'m Model, lookups: Vec<Lookup<'r>>) -> Found<'r, 'm> {
        let mut settings = vec![Vec::new(); lookups.len()];
        if lookups.is_empty() {
            return Found { lookups, settings };
        }
        let hits: Vec<(usize, usize, &Setting)> = model
            .policies
            .par_iter()
            .enumerate()
            .flat_map_iter(|(index, policy)| {
                let lookups = &lookups;
                policy.settings.iter().flat_map(move |setting| {
                    let key = setting.key.as_str();
                    (0..lookups.len())
                        .filter(move |&n| lookups[n].takes(key))
                        .map(move |n| (n, index, setting))
                })
            })
            .collect();
        for (n, index, setting) in hits {
            settings[n].push((index, setting));
        }
        crate::timings::phase("setting lookups");
        Found { lookups, settings }
    }

    /// The settings found for `lookup` (none when no chosen rule asked for it).
    fn get(&self, lookup: Lookup) -> &Occurrences<'m> {
        self.lookups
            .iter()
            .position(|l| *l == lookup)
            .map_or(&[], |n| &self.settings[n])
    }
}

/// The report order: by file, position, rule and fingerprint (stable whatever the input order).
pub fn sort_findings(findings: &mut [Finding], sources: &crate::source::Sources) {
    // The files ranked by path once (equal paths, equal ranks), so that ordering two findings
    // compares integers, not paths.
    let mut files: Vec<u32> = findings.iter().map(|f| f.primary.location.file.0).collect();
    files.sort_unstable();
    files.dedup();
    let path = |file: u32| {
        sources
            .get(crate::source::SourceId(file))
            .display_path
            .as_str()
    };
    files.sort_by(|a, b| path(*a).cmp(path(*b)));
    let ids = files.iter().max().map_or(0, |&max| max as usize + 1);
    let mut rank = vec![0u32; ids];
    let mut current = 0;
    for (n, &file) in files.iter().enumerate() {
        if n > 0 && path(file) != path(files[n - 1]) {
            current += 1;
        }
        rank[file as usize] = current;
    }
    // Sort compact keys, not the findings themselves (hundreds of bytes each); the index
    // last keeps findings with equal keys in their order (a stable sort).
    let mut keys: Vec<_> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let location = f.primary.location;
            let rank = rank[location.file.0 as usize];
            (
                rank,
                location.span,
                f.rule.as_str(),
                f.fingerprint.as_str(),
                i,
            )
        })
        .collect();
    keys.sort_unstable();
    // Where each finding goes; then the findings are swapped into place (no second vector of
    // tens of megabytes, and nothing moves when they were in order already).
    let mut destination = vec![0; keys.len()];
    for (to, key) in keys.iter().enumerate() {
        destination[key.4] = to;
    }
    for i in 0..findings.len() {
        while destination[i] != i {
            let to = destination[i];
            findings.swap(i, to);
            destination.swap(i, to);
        }
    }
}

pub(crate) fn policy_ref(policy: &Policy) -> PolicyRef {
    PolicyRef {
        name: policy.name.clone(),
        id: policy.id.clone(),
        source: policy.kind.name(),
    }
}

/// A value as findings quote it: with its label where the catalog has one; a choice the
/// catalog does not label by its option (the rest of the option id repeats the setting's name,
/// which the finding gives already).
pub(crate) fn value_text(setting: &Setting) -> String {
    match (&setting.value_label, &setting.value) {
        (Some(label), value) => format!("{value} ({label})"),
        (None, Value::Choice(choice)) => {
            match crate::model::choice_option(&setting.raw_name, choice) {
                Some(option) => format!("option {option}"),
                None => setting.value.to_string(),
            }
        }
        (None, value) => value.to_string(),
    }
}

/// [`value_text`], a user right's principals by the names a GPO report of the run gives their
/// SIDs (`["CONTOSO\\Domain Admins"]` for `["*S-1-5-21-...-512"]`), others as written.
pub(crate) fn value_text_named(ctx: &Context, setting: &Setting) -> String {
    let names = &ctx.principal_names;
    match &setting.value {
        Value::List(items) if setting.value_label.is_none() && is_user_right(&setting.key) => {
            let named = (items.iter()).map(|item| match item {
                Value::Str(s) => Value::Str(names.name_of(s).unwrap_or(s).to_string()),
                other => other.clone(),
            });
            Value::List(named.collect()).to_string()
        }
        _ => value_text(setting),
    }
}

pub(crate) fn setting_title(ctx: &Context, setting: &Setting) -> String {
    catalog_title(ctx, &setting.key).unwrap_or_else(|| written_title(setting))
}

/// A setting the catalog does not know, named as its policy writes it, with the entity its key
/// adds for an item of a group collection (`..._accessgroup_users[administrators]`: which local
/// group; see `ingest::intune`).
pub(crate) fn written_title(setting: &Setting) -> String {
    let entity = setting
        .key
        .strip_prefix("intune:")
        .filter(|key| key.ends_with(']'))
        .and_then(|key| key.rfind('[').map(|at| &key[at..]));
    match entity {
        Some(entity) => format!("{}{entity}", setting.raw_name),
        None => setting.raw_name.to_string(),
    }
}

/// Where a part of a string setting's value is in its file: `range` is a byte range of the
/// decoded value (an element of the XML document an OMA-URI value holds, say). The literal is
/// read again (parsed files keep no text) and its escapes mapped, so the span names the bytes
/// as written; the whole value's location when the literal does not read back as the value (a
/// file changed since, or a value that is no JSON string).
pub(crate) fn value_part_location(
    ctx: &Context,
    policy: &Policy,
    setting: &Setting,
    range: std::ops::Range<usize>,
) -> crate::source::Location {
    let whole = policy.value_location(setting);
    let Value::Str(value) = &setting.value else {
        return whole;
    };
    if range.start > range.end || range.end > value.len() {
        return whole;
    }
    let file = ctx.model.sources.get(whole.file);
    let literal = if file.is_released() {
        file.read_excerpts(&[whole.span.range()])
            .and_then(|mut parts| parts.pop())
    } else {
        Some(file.slice(whole.span).to_string())
    };
    let reads_back = literal.as_deref().is_some_and(|literal| {
        literal.starts_with('"')
            && serde_json::from_str::<String>(literal).is_ok_and(|decoded| decoded == *value)
    });
    let Some(literal) = literal.filter(|_| reads_back) else {
        return whole;
    };
    let offsets = crate::ingest::json::string_offsets(&literal);
    let inner = crate::ingest::json::TextMap::inner(whole.span.start as usize + 1, &offsets);
    crate::source::Location {
        file: whole.file,
        span: inner.span(range),
    }
}

/// A setting's title as the catalog gives it, without its final full stop.
pub(crate) fn catalog_title(ctx: &Context, key: &str) -> Option<String> {
    ctx.catalog
        .resolve(key)
        .map(|d| d.title.trim_end_matches('.').to_string())
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
        Target::Unassigned(_) => "unassigned".to_string(),
    }
}

fn target_phrase(ea: &EffectiveAssignment) -> String {
    match (&ea.assignment.target, &ea.group) {
        (Target::Group { .. }, Some(group)) => format!("group \"{}\"", group.name),
        (target, _) => target_label(target),
    }
}

/// Labels that explain how an assignment reaches devices: the assignment, then the evidence.
pub(super) fn reach_labels(
    policy: &Policy,
    ea: &EffectiveAssignment,
    reached: JoinTypeSet,
) -> Vec<Label> {
    let message = match &ea.assignment.target {
        Target::Unassigned(_) => format!(
            "not assigned yet: checked as reaching {} devices (`unassigned`)",
            ea.reach.possible.describe()
        ),
        _ => format!("assigned to {}", target_phrase(ea)),
    };
    let mut labels = vec![Label {
        location: policy.target_location(ea.assignment),
        message,
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

fn forbid(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    settings: &Occurrences,
    predicate: &Predicate,
    join_types: JoinTypeSet,
    findings: &mut Vec<Finding>,
) {
    for &(index, setting) in settings {
        let policy = &ctx.model.policies[index];
        if !predicate.matches(&setting.value) || !ctx.scope.setting_applies(policy, setting) {
            continue;
        }
        for ea in &effective[index] {
            let reached = ea.reach.possible.intersection(join_types);
            if reached.is_empty() {
                continue;
            }
            findings.push(forbid_finding(rule, ctx, policy, setting, ea, reached));
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
        related: reach_labels(policy, ea, reached),
        notes: reach_notes(ea, reached),
        policy: Some(policy_ref(policy)),
        setting: Some(setting.key.clone()),
        controls: controls_for_key(ctx, &setting.key),
        join_types: reached,
        targets: target_names(ea),
        ..Finding::new(
            rule,
            format!(
                "policy \"{}\" sets {} to {} and {may} {} devices through {}",
                policy.name,
                setting_title(ctx, setting),
                value_text(setting),
                reached.describe(),
                target_phrase(ea)
            ),
            Label {
                location: policy.value_location(setting),
                message: format!("set to {} here", value_text(setting)),
            },
            fingerprint(&[
                &rule.id,
                policy.identity(),
                &setting.key,
                &target_identity(&ea.assignment.target),
            ]),
        )
    }
}

/// `[check.stored_password]`: every password a GPO stores in a preference item, linked or not
/// (SYSVOL is readable by every domain user, whatever the GPO's links and filtering).
fn stored_passwords(rule: &Rule, ctx: &Context, stored: &Occurrences, findings: &mut Vec<Finding>) {
    for &(index, setting) in stored {
        let policy = &ctx.model.policies[index];
        let Value::Str(item) = &setting.value else {
            continue;
        };
        let message = format!(
            "GPO \"{}\" stores the password of {item} in a Group Policy Preferences item: \
             every domain user can read it in SYSVOL and decrypt it",
            policy.name
        );
        let label = "the password, encrypted with a key Microsoft published";
        findings.push(password_finding(
            rule,
            (policy, setting),
            message,
            label,
            Some(item),
        ));
    }
}

/// A finding at a password a GPO keeps in SYSVOL (the setting's value), about its GPO; its
/// fingerprint names the item (`item` where there is one, and the setting's raw name: an
/// item's uid, a value's path).
fn password_finding(
    rule: &Rule,
    (policy, setting): (&Policy, &Setting),
    message: String,
    label: &str,
    item: Option<&str>,
) -> Finding {
    let mut identity = vec![&*rule.id, policy.identity(), &*setting.key];
    identity.extend(item);
    identity.push(&setting.raw_name);
    Finding {
        policy: Some(policy_ref(policy)),
        setting: Some(setting.key.clone()),
        ..Finding::new(
            rule,
            message,
            Label {
                location: policy.value_location(setting),
                message: label.to_string(),
            },
            fingerprint(&identity),
        )
    }
}

/// `[check.autologon_password]`: every GPO that writes an automatic logon password, linked or
/// not (its files in SYSVOL hold it in clear text, whatever the GPO's links and filtering).
fn autologon_passwords(
    rule: &Rule,
    ctx: &Context,
    written: &Occurrences,
    findings: &mut Vec<Finding>,
) {
    let gpos = written
        .iter()
        .filter(|(index, _)| ctx.model.policies[*index].kind == PolicyKind::Gpo);
    for &(index, setting) in gpos {
        let policy = &ctx.model.policies[index];
        if !matches!(&setting.value, Value::Str(text) if !text.is_empty()) {
            continue;
        }
        let account = autologon_account(policy)
            .map(|name| format!(" of \"{name}\""))
            .unwrap_or_default();
        let written = match setting.file.map(|f| ctx.model.sources.get(f)) {
            Some(file) => file
                .path
                .file_name()
                .map_or_else(String::new, |n| format!(" ({})", n.to_string_lossy())),
            None => String::new(),
        };
        let message = format!(
            "GPO \"{}\" writes the automatic logon password{account} in clear text{written}: \
             every domain user can read it in SYSVOL",
            policy.name
        );
        let label = "the password, in clear text";
        findings.push(password_finding(
            rule,
            (policy, setting),
            message,
            label,
            None,
        ));
    }
}

/// The account a GPO's automatic logon signs in as (its `DefaultUserName`), when it sets one.
fn autologon_account(policy: &Policy) -> Option<&str> {
    let user = (policy.settings.iter())
        .find(|s| *s.key == *crate::ingest::gpp_passwords::AUTOLOGON_USER_KEY)?;
    match &user.value {
        Value::Str(name) if !name.trim().is_empty() => Some(name.trim()),
        _ => None,
    }
}

/// Ids of every loaded baseline control about a setting (so exceptions can name controls).
fn controls_for_key(ctx: &Context, key: &str) -> Vec<String> {
    let index = ctx.control_ids.get_or_init(|| {
        let mut index: HashMap<String, Vec<String>> = HashMap::new();
        for check in ctx
            .model
            .controls
            .iter()
            .flat_map(crate::model::Control::checks)
        {
            let ids = index.entry(check.key.to_string()).or_default();
            ids.extend(super::controls::control_ids(check.control));
        }
        for ids in index.values_mut() {
            ids.sort();
            ids.dedup();
        }
        index
    });
    index.get(key).cloned().unwrap_or_default()
}

/// Names and ids a finding reaches devices through (for exception scopes).
fn target_names(ea: &EffectiveAssignment) -> Vec<String> {
    let mut names = Vec::new();
    match &ea.assignment.target {
        Target::Group { id, name, .. } => names.extend(id.iter().chain(name.iter()).cloned()),
        Target::GpoLink(link) => names.push(link.som_path.clone()),
        _ => {}
    }
    if let Some(group) = &ea.group
        && !names.iter().any(|name| *name == *group.name)
    {
        names.push(group.name.to_string());
    }
    names
}

/// A policy's settings that occur once in it (repeated keys are collection items, such as
/// firewall rules, and are not comparable one to one), found by sorting them by key hash. Each
/// entry carries its key's hash. The lists are alive while the rules run, at the peak of a
/// run, so an entry is 16 bytes: what else a rule needs it reads through the setting.
struct SingleSettings<'m>(Vec<Single<'m>>);

struct Single<'m> {
    /// The key's hash: lists are ordered by it (then by the key), and the conflict index is
    /// keyed by it, so that long registry paths are hashed once and rarely compared.
    hash: u64,
    setting: &'m Setting,
}

impl<'m> Single<'m> {
    /// The setting's key (read through the setting: a copy of the reference here would make
    /// every entry of every policy's list 16 bytes longer, and the lists peak with the rules).
    fn key(&self) -> &'m str {
        &self.setting.key
    }

    /// The order a setting list is sorted in, so that repeated keys are neighbours (any total
    /// order on keys would do; the hash decides most comparisons).
    fn order(&self, other: &Single) -> std::cmp::Ordering {
        self.hash
            .cmp(&other.hash)
            .then_with(|| self.key().cmp(other.key()))
    }
}

/// The hash of a setting key (seeded once per run, so crafted keys cannot be made to collide).
fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher;
    static STATE: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(Default::default).hash_one(key)
}

impl<'m> SingleSettings<'m> {
    fn iter(&self) -> impl Iterator<Item = (&'m str, &'m Setting)> + '_ {
        self.0.iter().map(|single| (single.key(), single.setting))
    }
}

fn single_settings(policy: &Policy) -> SingleSettings<'_> {
    let mut all: Vec<Single> = policy
        .settings
        .iter()
        .map(|s| Single {
            hash: key_hash(&s.key),
            setting: s,
        })
        .collect();
    all.sort_by(Single::order);
    let mut once = Vec::with_capacity(all.len());
    let mut entries = all.into_iter().peekable();
    while let Some(entry) = entries.next() {
        let mut repeated = false;
        while entries.next_if(|next| next.order(&entry).is_eq()).is_some() {
            repeated = true;
        }
        if !repeated {
            once.push(entry);
        }
    }
    SingleSettings(once)
}

/// Devices two policies certainly both reach, through the pair of their assignments that
/// `overlapping` found: a shared group, or one reaching every device of every join type the
/// other may reach (an unknown group may hold any device, so only "all devices" certainly
/// overlaps it).
pub(super) fn definite_overlap(x: &EffectiveAssignment, y: &EffectiveAssignment) -> String {
    let same_group =
        matches!((&x.group, &y.group), (Some(g), Some(h)) if g.name.eq_ignore_ascii_case(&h.name));
    let (phrase_x, phrase_y) = (target_phrase(x), target_phrase(y));
    // Two "All devices" assignments, say.
    if same_group || (x.group.is_none() && y.group.is_none() && phrase_x == phrase_y) {
        return format!("both are assigned to {phrase_x}");
    }
    let shared = x.reach.possible.intersection(y.reach.possible);
    format!(
        "{} devices get both ({phrase_x} and {phrase_y})",
        shared.describe(),
    )
}

/// An effective assignment as the pairwise overlap test needs it: its group, interned
/// case-insensitively (comparing two is comparing integers), and the join types it reaches.
#[derive(Clone, Copy)]
pub(super) struct AssignmentReach {
    group: Option<u32>,
    possible: JoinTypeSet,
    certain: JoinTypeSet,
}

/// Per policy, its effective assignments (in the same order) as [`AssignmentReach`]es.
pub(super) fn reach_profiles(effective: &[Vec<EffectiveAssignment>]) -> Vec<Vec<AssignmentReach>> {
    let mut groups: HashMap<String, u32> = HashMap::new();
    let mut intern = |name: &str| {
        let next = groups.len() as u32;
        *groups.entry(name.to_ascii_lowercase()).or_insert(next)
    };
    effective
        .iter()
        .map(|assignments| {
            assignments
                .iter()
                .map(|ea| AssignmentReach {
                    group: ea.group.as_ref().map(|g| intern(&g.name)),
                    possible: ea.reach.possible,
                    certain: ea.reach.certain,
                })
                .collect()
        })
        .collect()
}

/// The first pair of assignments (their indices, in assignment order) through which two
/// policies certainly reach the same devices: a shared group, or one covering every device the
/// other may reach.
pub(super) fn overlapping(a: &[AssignmentReach], b: &[AssignmentReach]) -> Option<(usize, usize)> {
    let covers = |x: &AssignmentReach, y: &AssignmentReach| {
        !y.possible.is_empty() && y.possible.difference(x.certain).is_empty()
    };
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if x.possible.is_empty() || y.possible.is_empty() {
                continue;
            }
            let same_group = x.group.is_some() && x.group == y.group;
            if same_group || covers(x, y) || covers(y, x) {
                return Some((i, j));
            }
        }
    }
    None
}

fn conflict(
    rule: &Rule,
    ctx: &Context,
    (effective, all_singles): (&[Vec<EffectiveAssignment>], &[SingleSettings]),
    (kinds, merged): (&[String], &[crate::model::Name]),
    findings: &mut Vec<Finding>,
) {
    let eligible: Vec<usize> = (0..ctx.model.policies.len())
        .filter(|&i| {
            kinds.is_empty() || kinds.iter().any(|k| k == ctx.model.policies[i].kind.name())
        })
        .collect();
    // The reach profiles (a serial pass over every assignment) while the key index is built.
    let (by_key, reaches) = rayon::join(
        || settings_by_key_and_value(&eligible, all_singles, &ctx.principal_names),
        || reach_profiles(effective),
    );
    // A merged setting's values become one superset on the device: different values there
    // are no conflict.
    let mut keys: Vec<_> = by_key
        .into_iter()
        .flatten()
        .filter(|(key, b)| b.len() > 1 && !merged.iter().any(|m| **m == *key.key))
        .collect();
    keys.sort_by(|a, b| a.0.key.cmp(b.0.key));
    let pairs = Pairs {
        rule,
        ctx,
        effective,
        reaches: &reaches,
    };
    // Keys are independent: compare their policies on all cores, collected in key order.
    let found: Vec<Vec<Finding>> = keys
        .into_par_iter()
        .map(|(_, buckets)| pairs.key_conflicts(buckets))
        .collect();
    findings.extend(found.into_iter().flatten());
}

/// Per key, the policies that set it, bucketed by value: only policies in different buckets
/// can conflict, and most policies of a tenant agree on most settings. Built on all cores:
/// each takes the keys whose hash falls to it (the maps share no key, and each bucket lists
/// its policies in order).
fn settings_by_key_and_value<'m>(
    eligible: &[usize],
    singles: &[SingleSettings<'m>],
    names: &PrincipalNames,
) -> Vec<KeyMap<'m, ValueBuckets<'m>>> {
    let shards = rayon::current_num_threads() as u64;
    (0..shards)
        .into_par_iter()
        .map(|shard| {
            let mut by_key: KeyMap<ValueBuckets> = KeyMap::default();
            for &i in eligible {
                for single in singles[i].0.iter().filter(|s| s.hash % shards == shard) {
                    let key = HashedKey {
                        hash: single.hash,
                        key: single.key(),
                    };
                    by_key
                        .entry(key)
                        .or_default()
                        .entry(setting_class(single.setting, names))
                        .or_default()
                        .push((i, single.setting));
                }
            }
            by_key
        })
        .collect()
}

/// What comparing the policies of one key needs.
struct Pairs<'r, 'c, 'a, 'm, 'e> {
    rule: &'r Rule,
    ctx: &'c Context<'a, 'm>,
    effective: &'e [Vec<EffectiveAssignment<'m>>],
    reaches: &'e [Vec<AssignmentReach>],
}

impl Pairs<'_, '_, '_, '_, '_> {
    /// The conflicts over one key: every pair of policies in different value buckets that
    /// certainly reach the same devices.
    fn key_conflicts(&self, buckets: ValueBuckets) -> Vec<Finding> {
        let mut buckets: Vec<Vec<(usize, &Setting)>> = buckets.into_values().collect();
        buckets.sort_by_key(|bucket| bucket[0].0);
        let mut findings = Vec::new();
        // What every finding of this key says alike, worked out on its first finding.
        let mut shared: Option<KeyTexts> = None;
        let mut values: HashMap<*const Setting, String> = HashMap::new();
        for (n, left) in buckets.iter().enumerate() {
            for right in &buckets[n + 1..] {
                for &x in left {
                    for &y in right {
                        // The policy read later carries the finding.
                        let ((pa, a), (pb, b)) = if x.0 < y.0 { (x, y) } else { (y, x) };
                        let Some((i, j)) = overlapping(&self.reaches[pa], &self.reaches[pb]) else {
                            continue;
                        };
                        let overlap =
                            definite_overlap(&self.effective[pa][i], &self.effective[pb][j]);
                        let texts = shared.get_or_insert_with(|| KeyTexts::of(self.ctx, b));
                        for setting in [a, b] {
                            values
                                .entry(std::ptr::from_ref(setting))
                                .or_insert_with(|| value_text_named(self.ctx, setting));
                        }
                        let value = |s: &Setting| values[&std::ptr::from_ref(s)].as_str();
                        findings.push(conflict_finding(
                            self.rule,
                            self.ctx,
                            (pa, a, value(a)),
                            (pb, b, value(b)),
                            texts,
                            overlap,
                        ));
                    }
                }
            }
        }
        findings
    }
}

/// A map by setting key whose hash was computed with the setting lists (never hashed again).
type KeyMap<'m, V> = std::collections::HashMap<HashedKey<'m>, V, BuildPassThrough>;

#[derive(Clone, Copy, Debug)]
struct HashedKey<'m> {
    hash: u64,
    key: &'m str,
}

impl PartialEq for HashedKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.key == other.key
    }
}

impl Eq for HashedKey<'_> {}

impl std::hash::Hash for HashedKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hashes a [`HashedKey`] to the hash it carries.
#[derive(Clone, Copy, Default)]
struct BuildPassThrough;

impl std::hash::BuildHasher for BuildPassThrough {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for &b in bytes {
            self.0 = self.0.rotate_left(5) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Policies (index, setting) that set one key, by value class.
type ValueBuckets<'m> = HashMap<ValueClass<'m>, Vec<(usize, &'m Setting)>>;

/// A value's equality class for `values_equal`: numbers whatever their spelling, strings in
/// any ASCII case, lists element by element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ValueClass<'m> {
    Int(i64),
    Str(Caseless<'m>),
    /// Two or more `Name=Value` flags, as `model::flag_set` orders them.
    Flags(Box<[(String, String)]>),
    List(Box<[ValueClass<'m>]>),
    /// A user right's principals, as `principals::principal_set` orders them.
    Principals(Box<[String]>),
    Choice(&'m str),
    NotConfigured,
}

/// Text that compares and hashes in any ASCII case, as Windows compares registry string data
/// (`%SystemRoot%\System32\LogFiles` is `%systemroot%\system32\logfiles`).
#[derive(Clone, Copy, Debug)]
struct Caseless<'m>(&'m str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

impl std::hash::Hash for Caseless<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

/// A setting's equality class for `setting_values_equal`: a user right's principals as a set.
fn setting_class<'m>(setting: &'m Setting, names: &PrincipalNames) -> ValueClass<'m> {
    if is_user_right(&setting.key)
        && let Some(set) = principal_set(&setting.value, names)
    {
        return ValueClass::Principals(set.into_boxed_slice());
    }
    value_class(&setting.value)
}

fn value_class(value: &Value) -> ValueClass<'_> {
    match value {
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(i) => ValueClass::Int(i),
            Err(_) => match crate::model::flag_set(s) {
                Some(flags) => ValueClass::Flags(flags.into_boxed_slice()),
                None => ValueClass::Str(Caseless(s)),
            },
        },
        Value::List(items) => ValueClass::List(items.iter().map(value_class).collect()),
        Value::Choice(c) => ValueClass::Choice(c),
        Value::NotConfigured => ValueClass::NotConfigured,
        Value::Int(i) => ValueClass::Int(*i),
        Value::Bool(b) => ValueClass::Int(i64::from(*b)),
    }
}

/// What the conflicts over one key say alike: the setting's title where the catalog knows it
/// (else each finding names the setting as its policy writes it) and the controls about it.
struct KeyTexts {
    title: Option<String>,
    controls: Vec<String>,
}

impl KeyTexts {
    fn of(ctx: &Context, setting: &Setting) -> KeyTexts {
        KeyTexts {
            title: catalog_title(ctx, &setting.key),
            controls: controls_for_key(ctx, &setting.key),
        }
    }
}

fn conflict_finding(
    rule: &Rule,
    ctx: &Context,
    (pa, a, value_a): (usize, &Setting, &str),
    (pb, b, value_b): (usize, &Setting, &str),
    texts: &KeyTexts,
    overlap: String,
) -> Finding {
    let (first, second) = (&ctx.model.policies[pa], &ctx.model.policies[pb]);
    let mut identities = [first.identity(), second.identity()];
    identities.sort();
    // As `setting_title` says it.
    let written;
    let title = match texts.title.as_deref() {
        Some(title) => title,
        None => {
            written = written_title(b);
            &written
        }
    };
    Finding {
        related: vec![Label {
            location: first.value_location(a),
            message: format!("\"{}\" sets {value_a} here", first.name),
        }],
        policy: Some(policy_ref(second)),
        setting: Some(b.key.clone()),
        controls: texts.controls.clone(),
        ..Finding::new(
            rule,
            format!(
                "\"{}\" sets {title} to {value_b} but \"{}\" sets it to {value_a}; {overlap}",
                second.name, first.name,
            ),
            Label {
                location: second.value_location(b),
                message: format!("set to {value_b} here"),
            },
            fingerprint(&[&rule.id, identities[0], identities[1], &b.key]),
        )
    }
}

fn unknown_group(rule: &Rule, ctx: &Context, findings: &mut Vec<Finding>) {
    // A groups export saved without its later pages may be why a group is unknown.
    let partial_note = super::exports::partial_groups_note(ctx);
    for policy in &ctx.model.policies {
        for assignment in &policy.assignments {
            if !matches!(assignment.target, Target::Group { .. })
                || ctx.scope.group_is_known(&assignment.target)
            {
                continue;
            }
            let label = target_label(&assignment.target);
            let message = format!(
                "policy \"{}\" is assigned to group {label}, which no groups export or inventory knows",
                policy.name
            );
            let primary = Label {
                location: policy.target_location(assignment),
                message: "unknown group".to_string(),
            };
            let fingerprint = fingerprint(&[
                &rule.id,
                policy.identity(),
                &target_identity(&assignment.target),
            ]);
            let mut notes = vec![
                "without the group's membership, baselint cannot tell which devices this assignment reaches"
                    .to_string(),
            ];
            notes.extend(partial_note.clone());
            findings.push(Finding {
                notes,
                policy: Some(policy_ref(policy)),
                targets: vec![label],
                ..Finding::new(rule, message, primary, fingerprint)
            });
        }
    }
}

/// Join types a policy may reach, over all its effective assignments.
pub(crate) fn possible_reach(assignments: &[EffectiveAssignment]) -> JoinTypeSet {
    assignments
        .iter()
        .fold(JoinTypeSet::EMPTY, |set, ea| set.union(ea.reach.possible))
}

/// Settings of one channel (Group Policy or MDM) by key, with the policy and what it reaches.
type ChannelIndex<'m> = HashMap<&'m str, Vec<(usize, &'m Setting, JoinTypeSet)>>;

/// The settings of one channel that `wanted_setting` takes.
fn channel_index<'m>(
    ctx: &Context<'_, 'm>,
    effective: &[Vec<EffectiveAssignment>],
    singles: &[SingleSettings<'m>],
    join_types: JoinTypeSet,
    gpo: bool,
    wanted_setting: impl Fn(&Single<'m>) -> bool,
) -> ChannelIndex<'m> {
    let mut index = ChannelIndex::default();
    for (i, policy) in ctx.model.policies.iter().enumerate() {
        let wanted = if gpo {
            Channel::GroupPolicy
        } else {
            Channel::Mdm
        };
        if channel(policy) != wanted || policy.kind == PolicyKind::Compliance {
            continue;
        }
        let reached = possible_reach(&effective[i]).intersection(join_types);
        if reached.is_empty() {
            continue;
        }
        for single in singles[i].0.iter().filter(|single| wanted_setting(single)) {
            let (key, setting) = (single.key(), single.setting);
            if ctx.scope.setting_applies(policy, setting) {
                index.entry(key).or_default().push((i, setting, reached));
            }
        }
    }
    index
}

/// What the documentation says about which channel wins for one setting on these devices;
/// `switch` is what the Intune side sets ControlPolicyConflict/MDMWinsOverGP to.
fn channel_winner(
    ctx: &Context,
    switch: &[(usize, &Setting, JoinTypeSet)],
    key: &str,
    devices: JoinTypeSet,
) -> String {
    let uri = ctx
        .catalog
        .resolve(key)
        .filter(|def| def.registry.is_some())
        .and_then(|def| def.oma_uri.as_deref())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Windows LAPS reads its policy from the first root that holds a value, the CSP's before
    // Group Policy's, and never mixes roots ("Configure policy settings for Windows LAPS").
    if uri.starts_with("./device/vendor/msft/laps/") {
        return "the Intune value wins, and the GPO's other Windows LAPS values are ignored too: Windows LAPS reads its policy from the CSP's settings when any is set, never from two sources".to_string();
    }
    let policy_csp = uri.starts_with("./device/vendor/msft/policy/config/")
        || uri.starts_with("./user/vendor/msft/policy/config/");
    if !policy_csp {
        return "ControlPolicyConflict/MDMWinsOverGP does not cover this setting (it is not a Policy CSP setting with a Group Policy equivalent), and the documentation does not say which value wins".to_string();
    }
    let enabling = switch.iter().find(|(_, s, reached)| {
        s.value.as_int() == Some(1) && !reached.intersection(devices).is_empty()
    });
    match enabling {
        Some((i, _, _)) => format!(
            "the Intune value wins: ControlPolicyConflict/MDMWinsOverGP = 1 reaches these devices through \"{}\", which blocks the Group Policy value of Policy CSP settings",
            ctx.model.policies[*i].name
        ),
        None => "no policy sets ControlPolicyConflict/MDMWinsOverGP = 1 for these devices, so the documentation does not define which value wins (in practice the last writer, usually the periodic Group Policy refresh)".to_string(),
    }
}

/// The key of ControlPolicyConflict/MDMWinsOverGP, which decides whether MDM wins.
fn mdm_wins_key<'c>(ctx: &Context<'c, '_>) -> Option<&'c str> {
    ctx.catalog
        .resolve("./Device/Vendor/MSFT/Policy/Config/ControlPolicyConflict/MDMWinsOverGP")
        .map(|def| def.key.as_str())
}

/// An Intune setting a GPO's setting disagrees with: the policy, its setting and the devices
/// both may reach.
type Disagreeing<'m> = (usize, &'m Setting, JoinTypeSet);

fn channel_conflict<'m>(
    rule: &Rule,
    ctx: &Context<'_, 'm>,
    effective: &[Vec<EffectiveAssignment>],
    singles: &[SingleSettings<'m>],
    join_types: JoinTypeSet,
    findings: &mut Vec<Finding>,
) {
    let gp = channel_index(ctx, effective, singles, join_types, true, |_| true);
    if gp.is_empty() {
        // No GPO reaches these devices: nothing to compare the Intune settings with.
        return;
    }
    // The Intune side only for the keys GPOs set and the switch that decides which channel
    // wins: an index of every Intune setting would hold most of the tenant while the other
    // rules build theirs.
    let mdm_wins = mdm_wins_key(ctx);
    // The hashes of those keys first: most Intune settings are of other keys, and are passed
    // over without reading the setting itself (one cache miss each, 40-55 ms at 10k `full`).
    let wanted: std::collections::HashSet<u64, BuildPassThrough> =
        (gp.keys().copied().chain(mdm_wins)).map(key_hash).collect();
    let mdm = channel_index(ctx, effective, singles, join_types, false, |single| {
        wanted.contains(&single.hash)
            && (gp.contains_key(single.key()) || mdm_wins == Some(single.key()))
    });
    // Looked up once here, not for every finding.
    let switch = mdm_wins
        .and_then(|key| mdm.get(key))
        .map_or(&[][..], Vec::as_slice);
    let mut keys: Vec<&str> = gp.keys().copied().filter(|k| mdm.contains_key(k)).collect();
    keys.sort_unstable();
    // Keys are independent: on all cores, findings joined in key order.
    let found: Vec<Vec<Finding>> = keys
        .par_iter()
        .map(|&key| {
            let by_value = SameValues::of(&mdm[key], &ctx.principal_names);
            // One finding per GPO setting, whatever the number of Intune policies it
            // disagrees with: a pair per finding grows with the square of the tenant
            // (docs/performance.md).
            gp[key]
                .iter()
                .filter_map(|&(gi, gs, greach)| {
                    let disagreeing = by_value.disagreeing(key, &gs.value, greach);
                    if disagreeing.is_empty() {
                        return None;
                    }
                    let devices = disagreeing
                        .iter()
                        .fold(JoinTypeSet::EMPTY, |all, d| all.union(d.2));
                    let winner = channel_winner(ctx, switch, key, devices);
                    Some(channel_finding(
                        rule,
                        ctx,
                        (gi, gs),
                        &disagreeing,
                        devices,
                        winner,
                    ))
                })
                .collect()
        })
        .collect();
    findings.extend(found.into_iter().flatten());
}

/// The Intune settings of one key, grouped by identical value: a GPO setting is compared with
/// each group once, not with each policy, and most policies of a tenant agree on most settings.
struct SameValues<'e, 'm> {
    entries: &'e [(usize, &'m Setting, JoinTypeSet)],
    /// Each value (as written in the model) and the positions in `entries` that have it.
    groups: Vec<(&'m Value, Vec<usize>)>,
    /// How user rights' principals compare.
    names: &'e PrincipalNames,
}

impl<'e, 'm> SameValues<'e, 'm> {
    fn of(
        entries: &'e [(usize, &'m Setting, JoinTypeSet)],
        names: &'e PrincipalNames,
    ) -> SameValues<'e, 'm> {
        let mut slots: HashMap<&Value, usize> = HashMap::new();
        let mut groups: Vec<(&Value, Vec<usize>)> = Vec::new();
        for (at, &(_, setting, _)) in entries.iter().enumerate() {
            let slot = *slots.entry(&setting.value).or_insert_with(|| {
                groups.push((&setting.value, Vec::new()));
                groups.len() - 1
            });
            groups[slot].1.push(at);
        }
        SameValues {
            entries,
            groups,
            names,
        }
    }

    /// The Intune settings that differ from `value` (`setting_values_equal`) on devices both reach,
    /// with those devices, in the order of `entries`. Identical values compare alike, so
    /// one comparison decides for a whole group.
    fn disagreeing(&self, key: &str, value: &Value, reach: JoinTypeSet) -> Vec<Disagreeing<'m>> {
        let mut found: Vec<(usize, JoinTypeSet)> = Vec::new();
        for (group_value, positions) in &self.groups {
            if setting_values_equal(key, value, group_value, self.names) {
                continue;
            }
            found.extend(positions.iter().filter_map(|&at| {
                let devices = reach.intersection(self.entries[at].2);
                (!devices.is_empty()).then_some((at, devices))
            }));
        }
        found.sort_unstable_by_key(|&(at, _)| at);
        found
            .into_iter()
            .map(|(at, devices)| (self.entries[at].0, self.entries[at].1, devices))
            .collect()
    }
}

/// How many of the other policies a grouped finding labels and names; the rest are counted,
/// so that a finding stays small whatever the size of the tenant.
const LISTED_AT_MOST: usize = 5;

/// `to 1 in "A", "B"; to 0 in "C" and 3 more`: the policies of `settings` by value (in the
/// order first met), the first [`LISTED_AT_MOST`] named, the others counted.
fn listing(ctx: &Context, settings: &[(usize, &Setting)]) -> String {
    struct ByValue<'p> {
        value: String,
        named: Vec<&'p str>,
        unnamed: usize,
    }
    let mut groups: Vec<ByValue> = Vec::new();
    let mut slots: HashMap<String, usize> = HashMap::new();
    // A grouped finding may stand for thousands of policies with a value or two among them:
    // each value is spelled once.
    let mut spelled: HashMap<(&Value, Option<&Name>), usize> = HashMap::new();
    for (n, &(i, setting)) in settings.iter().enumerate() {
        let written = (&setting.value, setting.value_label.as_ref());
        let slot = *spelled.entry(written).or_insert_with(|| {
            let value = value_text_named(ctx, setting);
            *slots.entry(value.clone()).or_insert_with(|| {
                groups.push(ByValue {
                    value,
                    named: Vec::new(),
                    unnamed: 0,
                });
                groups.len() - 1
            })
        });
        if n < LISTED_AT_MOST {
            groups[slot].named.push(&ctx.model.policies[i].name);
        } else {
            groups[slot].unnamed += 1;
        }
    }
    let described: Vec<String> = groups
        .iter()
        .map(|group| {
            let named: Vec<String> = group.named.iter().map(|n| format!("\"{n}\"")).collect();
            let policies = match (named.is_empty(), group.unnamed) {
                (false, 0) => named.join(", "),
                (false, more) => format!("{} and {more} more", named.join(", ")),
                (true, 1) => "1 other policy".to_string(),
                (true, more) => format!("{more} other policies"),
            };
            format!("to {} in {policies}", group.value)
        })
        .collect();
    described.join("; ")
}

fn channel_finding(
    rule: &Rule,
    ctx: &Context,
    (gi, gs): (usize, &Setting),
    disagreeing: &[Disagreeing],
    devices: JoinTypeSet,
    winner: String,
) -> Finding {
    let gpo = &ctx.model.policies[gi];
    let related = disagreeing
        .iter()
        .take(LISTED_AT_MOST)
        .map(|&(mi, ms, _)| {
            let mdm = &ctx.model.policies[mi];
            Label {
                location: mdm.value_location(ms),
                message: format!(
                    "Intune policy \"{}\" sets {} here",
                    mdm.name,
                    value_text_named(ctx, ms)
                ),
            }
        })
        .collect();
    let others = match disagreeing {
        [(mi, ms, _)] => format!(
            "Intune policy \"{}\" sets it to {}, and both may reach",
            ctx.model.policies[*mi].name,
            value_text_named(ctx, ms)
        ),
        _ => {
            let settings: Vec<(usize, &Setting)> =
                disagreeing.iter().map(|&(mi, ms, _)| (mi, ms)).collect();
            format!(
                "{} Intune policies set it otherwise ({}), and they may reach",
                disagreeing.len(),
                listing(ctx, &settings)
            )
        }
    };
    // One fact per Intune policy, so that `--since` sees a policy added to the group.
    let prefix = MemberPrefix::new(&[&rule.id, gpo.identity()]);
    let members = disagreeing
        .iter()
        .map(|&(mi, _, _)| prefix.member(&[ctx.model.policies[mi].identity(), &gs.key]))
        .collect();
    Finding {
        related,
        members,
        policy: Some(policy_ref(gpo)),
        setting: Some(gs.key.clone()),
        join_types: devices,
        ..Finding::new(
            rule,
            format!(
                "GPO \"{}\" sets {} to {} but {others} {} devices; {winner}",
                gpo.name,
                setting_title(ctx, gs),
                value_text_named(ctx, gs),
                devices.describe()
            ),
            Label {
                location: gpo.value_location(gs),
                message: format!("Group Policy sets {} here", value_text_named(ctx, gs)),
            },
            fingerprint(&[&rule.id, gpo.identity(), &gs.key]),
        )
    }
}

fn overridden(
    rule: &Rule,
    ctx: &Context,
    all_singles: &[SingleSettings],
    findings: &mut Vec<Finding>,
) {
    let gpos: Vec<usize> = (0..ctx.model.policies.len())
        .filter(|&i| channel(&ctx.model.policies[i]) == Channel::GroupPolicy)
        .collect();
    let links: Vec<GpoLinks> = gpos
        .iter()
        .map(|&i| GpoLinks::of(&ctx.model.policies[i]))
        .collect();
    let inventory = ctx.scope.inventory();
    // Only GPOs that set one key can override each other on it: compare the GPOs of each key,
    // not every pair of GPOs (which grew with the square of the GPOs). Within a key, pairs
    // come in GPO order, as a loop over every pair would meet them, so each finding's first
    // overriding GPO and the order of the others are the same.
    let mut by_key: HashMap<&str, Vec<(usize, &Setting)>> = HashMap::new();
    for (n, &i) in gpos.iter().enumerate() {
        for (key, setting) in all_singles[i].iter() {
            by_key.entry(key).or_default().push((n, setting));
        }
    }
    let mut keys: Vec<(&str, Vec<(usize, &Setting)>)> = by_key
        .into_iter()
        .filter(|(_, set)| set.len() > 1)
        .collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // One finding per overridden setting of a GPO, found at its first overriding GPO, with
    // the others counted in.
    let mut overridden: Vec<Overridden> = Vec::new();
    let mut by_setting: HashMap<(usize, &str), usize> = HashMap::new();
    for (_, set) in &keys {
        for (k, &(n, sa)) in set.iter().enumerate() {
            for &(m, sb) in &set[k + 1..] {
                let (ia, ib) = (gpos[n], gpos[m]);
                let (a, b) = (&ctx.model.policies[ia], &ctx.model.policies[ib]);
                if setting_values_equal(&sa.key, &sa.value, &sb.value, &ctx.principal_names)
                    || !ctx.scope.setting_applies(a, sa)
                    || !ctx.scope.setting_applies(b, sb)
                {
                    continue;
                }
                let Some(precedence) = links[n].precedence(&links[m], inventory) else {
                    continue;
                };
                // The loser's value is the one that never applies (`a`'s when unknown).
                let (lose, win) = if precedence.winner == Some(true) {
                    ((ib, sb), (ia, sa))
                } else {
                    ((ia, sa), (ib, sb))
                };
                match by_setting.entry((lose.0, lose.1.key.as_str())) {
                    std::collections::hash_map::Entry::Occupied(slot) => {
                        overridden[*slot.get()].others.push(win);
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(overridden.len());
                        overridden.push(Overridden {
                            finding: override_finding(rule, ctx, lose, win, &precedence),
                            lose: lose.0,
                            key: lose.1.key.as_str(),
                            others: Vec::new(),
                        });
                    }
                }
            }
        }
    }
    findings.extend(overridden.into_iter().map(|o| o.finish(ctx)));
}

/// A GPO's overridden setting: the finding of the first GPO found to override it, and the
/// other GPOs (policy index, setting) that set it to other values on its OU chain.
struct Overridden<'m> {
    finding: Finding,
    /// The losing GPO and the setting's key.
    lose: usize,
    key: &'m str,
    others: Vec<(usize, &'m Setting)>,
}

impl Overridden<'_> {
    fn finish(mut self, ctx: &Context) -> Finding {
        if self.others.is_empty() {
            return self.finding;
        }
        let labels = self.others.iter().take(LISTED_AT_MOST).map(|&(i, s)| {
            let policy = &ctx.model.policies[i];
            Label {
                location: policy.value_location(s),
                message: format!("\"{}\" sets {} here", policy.name, value_text_named(ctx, s)),
            }
        });
        self.finding.related.extend(labels);
        let (rule, key) = (&self.finding.rule, &self.key);
        let prefix = MemberPrefix::new(&[rule, ctx.model.policies[self.lose].identity()]);
        let members: Vec<u64> = self
            .others
            .iter()
            .map(|&(i, _)| prefix.member(&[ctx.model.policies[i].identity(), key]))
            .collect();
        self.finding.members.extend(members);
        let more = match self.others.len() {
            1 => "1 more GPO linked on its OU chain sets".to_string(),
            n => format!("{n} more GPOs linked on its OU chain set"),
        };
        let listed = listing(ctx, &self.others);
        self.finding
            .message
            .push_str(&format!("; {more} it otherwise ({listed})"));
        self.finding
    }
}

fn override_finding(
    rule: &Rule,
    ctx: &Context,
    (li, ls): (usize, &Setting),
    (wi, ws): (usize, &Setting),
    precedence: &crate::scope::Precedence,
) -> Finding {
    let (lose, win) = (&ctx.model.policies[li], &ctx.model.policies[wi]);
    let message = match precedence.winner {
        Some(_) => format!(
            "GPO \"{}\" sets {} to {}, but GPO \"{}\" sets it to {} and wins because {}",
            lose.name,
            setting_title(ctx, ls),
            value_text_named(ctx, ls),
            win.name,
            value_text_named(ctx, ws),
            precedence.reason()
        ),
        None => format!(
            "GPOs \"{}\" and \"{}\" set {} to {} and {}; {}",
            lose.name,
            win.name,
            setting_title(ctx, ls),
            value_text_named(ctx, ls),
            value_text_named(ctx, ws),
            precedence.reason()
        ),
    };
    Finding {
        related: vec![Label {
            location: win.value_location(ws),
            message: format!("\"{}\" sets {} here", win.name, value_text_named(ctx, ws)),
        }],
        members: vec![member(&[
            &rule.id,
            lose.identity(),
            win.identity(),
            &ls.key,
        ])],
        policy: Some(policy_ref(lose)),
        setting: Some(ls.key.clone()),
        ..Finding::new(
            rule,
            message,
            Label {
                location: lose.value_location(ls),
                message: format!("set to {} here", value_text_named(ctx, ls)),
            },
            fingerprint(&[&rule.id, lose.identity(), &ls.key]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Encoding, Location, SourceFile, SourceId, Sources, Span};
    use std::path::Path;

    /// A part of a string value is found in the bytes of its literal, escapes and all; where
    /// the literal does not read back as the value (the file changed since it was parsed, or
    /// bytes that are no JSON string), the finding falls back to the whole value.
    #[test]
    fn value_parts_are_located_in_the_literal_or_fall_back_to_the_whole_value() {
        let text = r#"{"xml": "<a>\u003cb/>\n</a>", "attr": <b/>}"#;
        let mut model = Model::default();
        let source = model.sources.add(SourceFile::from_text(
            Path::new("p.json"),
            text.to_string(),
            Encoding::Utf8,
        ));
        let literal = |needle: &str| {
            let start = text.find(needle).unwrap();
            Span::new(start, start + needle.len())
        };
        let setting = |value: &str, span: Span| Setting {
            key: "k".into(),
            raw_name: "k".into(),
            value: Value::Str(value.to_string()),
            value_label: None,
            span,
            name_span: span,
            file: None,
        };
        let quoted = literal(r#""<a>\u003cb/>\n</a>""#);
        model.policies.push(Policy {
            id: None,
            name: "p".to_string(),
            kind: crate::model::PolicyKind::DeviceConfiguration,
            source,
            span: Span::new(0, text.len()),
            name_span: Span::default(),
            settings: vec![
                setting("<a><b/>\n</a>", quoted),
                // The file now says otherwise.
                setting("<a><c/>\n</a>", quoted),
                // No JSON string: the bytes are the value itself.
                setting("<b/>", literal("<b/>")),
            ],
            assignments: Vec::new(),
            assignments_exported: false,
            gpo: None,
        });
        let inventory = crate::config::Inventory::default();
        let (scope, _) = crate::scope::Scope::new(&model, &inventory);
        let ctx = Context::new(&model, &scope, crate::catalog::Catalog::builtin(), None);
        let policy = &model.policies[0];
        let part = |n: usize, range| {
            let location = value_part_location(&ctx, policy, &policy.settings[n], range);
            &text[location.span.range()]
        };
        // `<b/>` of the decoded value is `\u003cb/>` in the file.
        assert_eq!(part(0, 3..7), r"\u003cb/>");
        assert_eq!(part(1, 3..7), r#""<a>\u003cb/>\n</a>""#);
        assert_eq!(part(2, 0..2), "<b/>");
        // A range past the value is no part of it.
        assert_eq!(part(0, 3..99), r#""<a>\u003cb/>\n</a>""#);
    }

    /// A finding at `file` and `span`, told apart from its equals by its message.
    fn finding_at(
        file: u32,
        span: (usize, usize),
        rule: &str,
        fingerprint: &str,
        n: usize,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            message: n.to_string(),
            primary: Label {
                location: Location {
                    file: SourceId(file),
                    span: Span::new(span.0, span.1),
                },
                message: String::new(),
            },
            fingerprint: fingerprint.into(),
            ..crate::testing::finding()
        }
    }

    /// The report order is a stable sort by display path, span, rule and fingerprint: files
    /// that share a display path rank alike, and equal findings keep their order.
    #[test]
    fn findings_sort_by_path_span_rule_and_fingerprint() {
        let mut sources = Sources::default();
        for path in ["b.json", "a.json", "b.json", "c/a.json", "a.json"] {
            let file = SourceFile::from_text(Path::new(path), String::new(), Encoding::Utf8);
            sources.add(file);
        }
        let mut seed = 0x853C_49E6_748F_EA9Bu64;
        let mut next = move |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound) as usize
        };
        for round in 0..20 {
            let mut findings: Vec<Finding> = (0..next(200) + round)
                .map(|n| {
                    let start = next(4);
                    let span = (start, start + next(3));
                    let rule = ["b-rule", "a-rule"][next(2)];
                    let fingerprint = ["f2", "f1", "f3"][next(3)];
                    finding_at(next(5) as u32, span, rule, fingerprint, n)
                })
                .collect();
            let mut expected = findings.clone();
            expected.sort_by(|a, b| {
                let path = |f: &Finding| sources.get(f.primary.location.file).display_path.as_str();
                (path(a), a.primary.location.span, &a.rule, &a.fingerprint).cmp(&(
                    path(b),
                    b.primary.location.span,
                    &b.rule,
                    &b.fingerprint,
                ))
            });
            sort_findings(&mut findings, &sources);
            assert_eq!(findings, expected);
        }
    }

    /// The settings rules look up come back per lookup in policy and setting order, a key a
    /// policy repeats (a collection's items) every time, and nothing for a lookup no rule made.
    #[test]
    fn lookups_find_every_setting_of_their_key_in_order() {
        let setting = |key: &str, value: i64| Setting {
            key: key.into(),
            raw_name: key.into(),
            value: Value::Int(value),
            value_label: None,
            span: Span::default(),
            name_span: Span::default(),
            file: None,
        };
        let item = format!(
            "intune:{}_action[administrators add_update #1]",
            crate::ingest::intune::local_groups::LOCAL_GROUPS
        );
        let restricted =
            "./device/vendor/msft/policy/config/restrictedgroups/configuregroupmembership";
        let policies = [
            vec![setting("a", 1), setting("b", 2), setting("a", 3)],
            vec![setting("c", 4)],
            vec![setting(restricted, 5), setting(&item, 6), setting("a", 7)],
        ];
        let mut model = Model::default();
        for (n, settings) in policies.into_iter().enumerate() {
            model.policies.push(Policy {
                id: None,
                name: format!("policy {n}"),
                kind: PolicyKind::SettingsCatalog,
                source: SourceId(0),
                span: Span::default(),
                name_span: Span::default(),
                settings,
                assignments: Vec::new(),
                assignments_exported: true,
                gpo: None,
            });
        }
        let lookups = vec![
            Lookup::Key("a"),
            Lookup::LocalGroupItems,
            Lookup::RestrictedGroups,
            Lookup::Key("z"),
        ];
        let found = Found::of_lookups(&model, lookups);
        let values = |lookup| -> Vec<(usize, i64)> {
            found
                .get(lookup)
                .iter()
                .map(|&(policy, s)| (policy, s.value.as_int().unwrap()))
                .collect()
        };
        assert_eq!(values(Lookup::Key("a")), [(0, 1), (0, 3), (2, 7)]);
        assert_eq!(values(Lookup::LocalGroupItems), [(2, 6)]);
        assert_eq!(values(Lookup::RestrictedGroups), [(2, 5)]);
        assert_eq!(values(Lookup::Key("z")), []);
        assert_eq!(values(Lookup::Key("b")), [], "no rule looked up b");
    }

    #[test]
    fn value_classes_agree_with_values_equal() {
        let values = [
            Value::Int(0),
            Value::Str("0".into()),
            Value::Bool(false),
            Value::Int(1),
            Value::Str("1".into()),
            Value::Str("01".into()),
            Value::Str(" 1 ".into()),
            Value::Bool(true),
            Value::Str("Block".into()),
            Value::Choice("x_block".into()),
            Value::List(vec![Value::Str("*S-1-5-32-544".into())]),
            Value::List(vec![Value::Str("*S-1-5-32-545".into())]),
            Value::NotConfigured,
            Value::Str("RequireMutualAuthentication=1, RequireIntegrity=1".into()),
            Value::Str("requireintegrity=1,RequireMutualAuthentication=1".into()),
            Value::Str("RequireMutualAuthentication=1,RequireIntegrity=1,RequirePrivacy=1".into()),
            Value::Str("RequireIntegrity=1".into()),
            Value::Str("requireintegrity=1".into()),
            Value::Str("REQUIREINTEGRITY=1".into()),
            Value::Str("block".into()),
            Value::Str("%SystemRoot%\\System32\\LogFiles\\Firewall\\domainfw.log".into()),
            Value::Str("%systemroot%\\system32\\logfiles\\firewall\\domainfw.log".into()),
            Value::Str("%systemroot%\\system32\\logfiles\\firewall\\publicfw.log".into()),
            Value::List(vec![Value::Str("*s-1-5-32-544".into())]),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(
                    value_class(a) == value_class(b),
                    super::super::values_equal(a, b),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    /// A user right is a set of principals, names and SIDs alike: a GPO report's
    /// `BUILTIN\Administrators` and GptTmpl.inf's `*S-1-5-32-544` do not conflict, nor does a
    /// domain group's name with the SID a GPO report gives for it.
    #[test]
    fn user_rights_compare_as_sets_of_principals() {
        let list = |items: &[&str]| {
            Value::List(items.iter().map(|s| Value::Str((*s).to_string())).collect())
        };
        let values = [
            list(&["BUILTIN\\Administrators"]),
            list(&["*S-1-5-32-544"]),
            list(&["Administrators", "*S-1-5-32-544"]),
            list(&["*S-1-5-32-545", "*S-1-5-32-544"]),
            list(&["BUILTIN\\Administrators", "BUILTIN\\Users"]),
            list(&["*S-1-5-32-546"]),
            list(&[]),
            list(&["*S-1-0-0"]),
            Value::NotConfigured,
            // A name a GPO report of the run gives the SID for.
            list(&["CONTOSO\\Domain Admins"]),
            list(&["*S-1-5-21-1-2-3-512"]),
        ];
        let groups = [0, 0, 0, 1, 1, 2, 3, 3, 3, 4, 4];
        let names = PrincipalNames::from_pairs(&[(
            "S-1-5-21-1-2-3-512".to_string(),
            "CONTOSO\\Domain Admins".to_string(),
        )]);
        let equal = |key: &str, a: &Value, b: &Value| setting_values_equal(key, a, b, &names);
        let setting = |key: &str, value: &Value| Setting {
            key: key.into(),
            raw_name: key.into(),
            value: value.clone(),
            value_label: None,
            span: Span::new(0, 0),
            name_span: Span::new(0, 0),
            file: None,
        };
        let right = "./Device/Vendor/MSFT/Policy/Config/UserRights/AccessFromNetwork";
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                let same = groups[i] == groups[j];
                assert_eq!(equal(right, a, b), same, "{a:?} vs {b:?}");
                assert_eq!(
                    setting_class(&setting(right, a), &names)
                        == setting_class(&setting(right, b), &names),
                    same,
                    "{a:?} vs {b:?}"
                );
                assert_eq!(
                    equal("privilege:semadeupright", a, b),
                    same,
                    "{a:?} vs {b:?}"
                );
            }
        }
        // Other lists keep their order and spelling.
        let other = "hklm\\software\\contoso\\names";
        assert!(!equal(other, &values[0], &values[1]));
        assert!(
            setting_class(&setting(other, &values[0]), &names)
                != setting_class(&setting(other, &values[1]), &names)
        );
        // Without the report, the name and the SID are two principals.
        let unnamed = PrincipalNames::default();
        assert!(!setting_values_equal(
            right,
            &values[9],
            &values[10],
            &unnamed
        ));
    }
}
