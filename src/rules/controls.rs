//! Checks against baseline controls (STIG, CIS, baselint TOML): deviations, and controls that
//! contradict a join-type rule.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::engine::{
    Context, catalog_title, policy_ref, possible_reach, setting_title, value_text,
};
use super::principals::{principals, same_account};
use super::{Check, Predicate, Rule, Severity, values_equal};
use crate::finding::{Finding, Label, fingerprint};
use crate::model::{
    Control, ControlCheck, Expectation, JoinTypeSet, Policy, Setting, Value, flag_list,
};
use crate::scope::EffectiveAssignment;

/// Does a value meet an expectation?
pub fn satisfies(expected: &Expectation, value: &Value) -> bool {
    match expected {
        Expectation::OneOf(values) => values.iter().any(|v| values_equal(v, value)),
        Expectation::AtMost(n) => value.as_int().is_some_and(|i| i <= *n),
        Expectation::AtLeast(n) => value.as_int().is_some_and(|i| i >= *n),
        Expectation::Between(lo, hi) => value.as_int().is_some_and(|i| *lo <= i && i <= *hi),
        Expectation::Absent => matches!(value, Value::NotConfigured),
        Expectation::Matches(re) => match value {
            Value::Str(s) => re.is_match(s),
            other => re.is_match(&other.to_string()),
        },
        Expectation::Principals(allowed) => principals(value).is_some_and(|have| {
            have.iter()
                .all(|p| allowed.iter().any(|a| same_account(a, p)))
        }),
        Expectation::Includes(required) => principals(value).is_some_and(|have| {
            required
                .iter()
                .all(|r| have.iter().any(|p| same_account(p, r)))
        }),
        Expectation::Flags(required) => sets_flags(value, required),
        Expectation::Contains(texts) => texts.iter().all(|t| has_entry_containing(value, t)),
    }
}

/// Does a list (or a single text) hold an entry that contains `text`, in any ASCII case?
fn has_entry_containing(value: &Value, text: &str) -> bool {
    let contains = |entry: &str| {
        let (entry, text) = (entry.as_bytes(), text.trim().as_bytes());
        text.is_empty()
            || entry
                .windows(text.len())
                .any(|w| w.eq_ignore_ascii_case(text))
    };
    match value {
        Value::List(entries) => entries.iter().any(|e| has_entry_containing(e, text)),
        Value::Str(entry) | Value::Choice(entry) => contains(entry),
        _ => false,
    }
}

/// The account lockout duration GptTmpl.inf writes as -1 (a GPO report as 4294967295, which the
/// readers read as -1): locked out until an administrator unlocks the account, the "0" of the
/// Group Policy editor (MS-GPSB, account lockout settings: "-1 or 1 to 99,999"). No duration is
/// longer, so it meets any lower bound.
const LOCKOUT_DURATION: &str = crate::model::LOCKOUT_DURATION_KEY;

/// A value as bounds compare it: the lockout duration "until unlocked" as the longest there is.
fn comparable<'v>(key: &str, value: &'v Value) -> std::borrow::Cow<'v, Value> {
    if key == LOCKOUT_DURATION && value.as_int() == Some(-1) {
        std::borrow::Cow::Owned(Value::Int(i64::MAX))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Does a value set every one of these `Name=Value` flags (names in any case)?
fn sets_flags(value: &Value, required: &[String]) -> bool {
    let (Value::Str(text) | Value::Choice(text)) = value else {
        return false;
    };
    let Some(have) = flag_list(text) else {
        return false;
    };
    required
        .iter()
        .filter_map(|r| r.split_once('='))
        .all(|(name, wanted)| {
            have.iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(name.trim()) && *v == wanted.trim())
        })
}

/// An expectation as a phrase: "0", "one of 1, 2", "at most 5".
pub fn describe(expected: &Expectation) -> String {
    let list = |vs: &[Value]| {
        vs.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    match expected {
        Expectation::OneOf(vs) => list(vs),
        Expectation::AtMost(n) => format!("at most {n}"),
        Expectation::AtLeast(n) => format!("at least {n}"),
        Expectation::Between(lo, hi) => format!("between {lo} and {hi}"),
        Expectation::Absent => "not configured".to_string(),
        Expectation::Matches(re) => format!("a value matching /{re}/"),
        Expectation::Principals(p) => format!("only [{}]", p.join(", ")),
        Expectation::Includes(p) => format!("at least [{}]", p.join(", ")),
        Expectation::Flags(f) => {
            format!("\"{}\" (in any order, other flags allowed)", f.join(", "))
        }
        Expectation::Contains(texts) => {
            let quoted: Vec<String> = texts.iter().map(|t| format!("{t:?}")).collect();
            let entries = if quoted.len() == 1 {
                "an entry"
            } else {
                "entries"
            };
            format!("a list with {entries} containing {}", quoted.join(" and "))
        }
    }
}

/// All ids of a control, for messages and exception matching.
pub fn control_ids(control: &Control) -> Vec<String> {
    std::iter::once(control.id.clone())
        .chain(control.aliases.iter().cloned())
        .collect()
}

/// "Microsoft_Windows_11_STIG V2R6 WN11-SO-000185 (V-253459)": the baseline, the control id and
/// the group id people also quote (STIG V- numbers).
fn control_name(control: &Control) -> String {
    let quoted: Vec<&str> = control
        .aliases
        .iter()
        .filter(|a| a.starts_with("V-"))
        .map(String::as_str)
        .take(1)
        .collect();
    if quoted.is_empty() {
        format!("{} {}", control.baseline, control.id)
    } else {
        format!(
            "{} {} ({})",
            control.baseline,
            control.id,
            quoted.join(", ")
        )
    }
}

/// The settings controls check, by key.
fn checks_by_key<'m>(ctx: &Context<'_, 'm>) -> HashMap<&'m str, Vec<ControlCheck<'m>>> {
    let mut index: HashMap<&str, Vec<ControlCheck>> = HashMap::new();
    for check in ctx.model.controls.iter().flat_map(Control::checks) {
        index.entry(check.key.as_str()).or_default().push(check);
    }
    index
}

/// How a finding names the setting of a control that checks several (`, setting <its catalog
/// title> (<its key>),` after the control's title: the settings of one STIG rule often share a
/// title, as SmartScreen's switch and level do); nothing for a control that checks one (the
/// control's title says which).
fn which_setting(ctx: &Context, check: &ControlCheck) -> String {
    if check.control.also.is_empty() {
        return String::new();
    }
    match catalog_title(ctx, check.key) {
        Some(title) => format!(", setting {title} ({}),", check.key),
        None => format!(", setting {},", check.key),
    }
}

/// `baseline-deviation`: a policy reaching a population the control applies to sets the
/// control's setting to a value the control does not allow; optionally, controls configured
/// by no policy.
pub fn deviation(
    rule: &Rule,
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    missing: Option<Severity>,
    findings: &mut Vec<Finding>,
) {
    use rayon::prelude::*;
    if ctx.model.controls.is_empty() {
        return;
    }
    let index = checks_by_key(ctx);
    // Per policy on all cores (collected in policy order): its deviations, and the keys of
    // the controls it configures.
    let per_policy: Vec<(Vec<Finding>, Vec<&str>)> = ctx
        .model
        .policies
        .par_iter()
        .zip(effective)
        .map(|(policy, assignments)| policy_deviations(rule, ctx, &index, policy, assignments))
        .collect();
    let mut configured: HashSet<&str> = HashSet::new();
    for (found, keys) in per_policy {
        findings.extend(found);
        configured.extend(keys);
    }
    if let Some(severity) = missing {
        for check in ctx.model.controls.iter().flat_map(Control::checks) {
            let Some(expected) = check.expected() else {
                continue;
            };
            let absent_ok = satisfies(expected, &Value::NotConfigured);
            if !absent_ok && !configured.contains(check.key.as_str()) {
                findings.push(missing_finding(rule, ctx, &check, severity));
            }
        }
    }
}

/// One policy's deviations from the controls, and the keys of the controls it configures.
fn policy_deviations<'m>(
    rule: &Rule,
    ctx: &Context,
    index: &HashMap<&str, Vec<ControlCheck>>,
    policy: &'m Policy,
    assignments: &[EffectiveAssignment],
) -> (Vec<Finding>, Vec<&'m str>) {
    let mut found = Vec::new();
    let mut configured = Vec::new();
    let reach = possible_reach(assignments);
    if reach.is_empty() {
        return (found, configured);
    }
    for setting in &policy.settings {
        let Some(checks) = index.get(setting.key.as_str()) else {
            continue;
        };
        if !ctx.scope.setting_applies(policy, setting) {
            continue;
        }
        for check in checks {
            let applies = reach.intersection(check.control.applies_to);
            if applies.is_empty() {
                continue;
            }
            configured.push(setting.key.as_str());
            let deviating = deviating_join_types(check, &setting.value, applies);
            if !deviating.is_empty() {
                found.push(deviation_finding(
                    rule, ctx, policy, setting, check, deviating,
                ));
            }
        }
    }
    (found, configured)
}

fn deviating_join_types(check: &ControlCheck, value: &Value, applies: JoinTypeSet) -> JoinTypeSet {
    let value = &comparable(check.key, value);
    applies
        .iter()
        .filter(|&j| {
            check
                .expectation_for(j)
                .is_some_and(|e| !satisfies(e, value))
        })
        .fold(JoinTypeSet::EMPTY, JoinTypeSet::with)
}

/// The expectations of a check for some join types, each with the join types that have it
/// (in join-type order), so that a message says each value once.
fn expectations_by_join_type<'c>(
    check: &ControlCheck<'c>,
    join_types: JoinTypeSet,
) -> Vec<(&'c Expectation, JoinTypeSet)> {
    let mut groups: Vec<(&Expectation, JoinTypeSet)> = Vec::new();
    for join_type in join_types.iter() {
        let Some(expected) = check.expectation_for(join_type) else {
            continue;
        };
        match groups.iter_mut().find(|(e, _)| *e == expected) {
            Some((_, set)) => *set = set.with(join_type),
            None => groups.push((expected, JoinTypeSet::EMPTY.with(join_type))),
        }
    }
    groups
}

fn deviation_finding(
    rule: &Rule,
    ctx: &Context,
    policy: &Policy,
    setting: &Setting,
    check: &ControlCheck,
    deviating: JoinTypeSet,
) -> Finding {
    let control = check.control;
    let expected: Vec<String> = expectations_by_join_type(check, deviating)
        .into_iter()
        .map(|(e, join_types)| format!("{} for {} devices", describe(e), join_types.describe()))
        .collect();
    Finding {
        related: vec![Label {
            location: check.location(),
            message: format!("{} expects {}", control_name(control), expected.join(", ")),
        }],
        policy: Some(policy_ref(policy)),
        setting: Some(setting.key.clone()),
        controls: control_ids(control),
        join_types: deviating,
        ..Finding::new(
            rule,
            format!(
                "policy \"{}\" sets {} to {}, but {} ({}) expects {}",
                policy.name,
                setting_title(ctx, setting),
                value_text(setting),
                control_name(control),
                control.title,
                expected.join(", ")
            ),
            Label {
                location: policy.value_location(setting),
                message: format!("set to {} here", value_text(setting)),
            },
            fingerprint(&[&rule.id, &control.id, policy.identity(), &setting.key]),
        )
    }
}

fn missing_finding(
    rule: &Rule,
    ctx: &Context,
    check: &ControlCheck,
    severity: Severity,
) -> Finding {
    let control = check.control;
    Finding {
        severity,
        setting: Some(check.key.clone()),
        controls: control_ids(control),
        join_types: control.applies_to,
        ..Finding::new(
            rule,
            format!(
                "{} ({}){} is configured by no policy that reaches {} devices",
                control_name(control),
                control.title,
                which_setting(ctx, check),
                control.applies_to.describe()
            ),
            Label {
                location: check.location(),
                message: "configured nowhere".to_string(),
            },
            fingerprint(&part_identity(check, &[&rule.id, &control.id, "missing"])),
        )
    }
}

/// A fingerprint's parts for a finding about one setting of a control: the control's own
/// setting keeps the parts a control with one setting has, so that its fingerprints stay the
/// same; a further setting adds its key.
fn part_identity<'a>(check: &'a ControlCheck, parts: &[&'a str]) -> Vec<&'a str> {
    let mut parts = parts.to_vec();
    if check.part > 0 {
        parts.push(check.key.as_str());
    }
    parts
}

/// Join types the fleet has in scope: reached by some assignment or declared in the inventory.
fn fleet_join_types(effective: &[Vec<EffectiveAssignment>]) -> JoinTypeSet {
    effective
        .iter()
        .map(|a| possible_reach(a))
        .fold(JoinTypeSet::EMPTY, JoinTypeSet::union)
}

/// `baseline-contradicts-join-type`: a control asks, for devices of a join type the fleet has,
/// for a value that a join-type rule (a `forbid` check) forbids for that join type.
pub fn contradictions(
    rule: &Rule,
    rules: &[Rule],
    ctx: &Context,
    effective: &[Vec<EffectiveAssignment>],
    findings: &mut Vec<Finding>,
) {
    let fleet = fleet_join_types(effective);
    for check in ctx.model.controls.iter().flat_map(Control::checks) {
        for forbidding in rules {
            let Check::Forbid {
                setting,
                value,
                join_types,
                ..
            } = &forbidding.check
            else {
                continue;
            };
            if setting.as_str() != check.key.as_str() {
                continue;
            }
            let clash = join_types
                .intersection(check.control.applies_to)
                .intersection(fleet)
                .iter()
                .filter(|&j| check.expectation_for(j).is_some_and(|e| demands(e, value)))
                .fold(JoinTypeSet::EMPTY, JoinTypeSet::with);
            if !clash.is_empty() {
                findings.push(contradiction_finding(rule, ctx, &check, forbidding, clash));
            }
        }
    }
}

/// True when every value the expectation allows is one the predicate forbids.
fn demands(expected: &Expectation, forbidden: &Predicate) -> bool {
    match expected {
        Expectation::OneOf(values) => {
            !values.is_empty() && values.iter().all(|v| forbidden.matches(v))
        }
        _ => false,
    }
}

fn contradiction_finding(
    rule: &Rule,
    ctx: &Context,
    check: &ControlCheck,
    forbidding: &Rule,
    clash: JoinTypeSet,
) -> Finding {
    let control = check.control;
    let expected = check.expected().map(describe).unwrap_or_default();
    Finding {
        notes: vec![format!(
            "the fleet has {} devices in scope of this baseline",
            clash.describe()
        )],
        setting: Some(check.key.clone()),
        controls: control_ids(control),
        join_types: clash,
        ..Finding::new(
            rule,
            format!(
                "{} ({}){} asks for {expected}, which `{}` forbids for {} devices: {}",
                control_name(control),
                control.title,
                which_setting(ctx, check),
                forbidding.id,
                clash.describe(),
                forbidding.summary
            ),
            Label {
                location: check.location(),
                message: format!("asks for {expected}"),
            },
            fingerprint(&part_identity(
                check,
                &[&rule.id, &control.id, &forbidding.id],
            )),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::Str((*s).to_string())).collect())
    }

    /// GptTmpl.inf's -1 (a GPO report's 4294967295) locks an account until an administrator
    /// unlocks it: longer than CIS's 15 minutes, not shorter.
    #[test]
    fn a_lockout_until_unlocked_meets_any_lower_bound() {
        let at_least_15 = Expectation::AtLeast(15);
        let forever = Value::Int(-1);
        assert!(satisfies(
            &at_least_15,
            &comparable(LOCKOUT_DURATION, &forever)
        ));
        assert!(!satisfies(
            &at_least_15,
            &comparable(LOCKOUT_DURATION, &Value::Int(5))
        ));
        assert!(satisfies(
            &at_least_15,
            &comparable(LOCKOUT_DURATION, &Value::Int(30))
        ));
        // Only the lockout duration reads -1 so.
        let other = "system_access:lockoutbadcount";
        assert!(!satisfies(&at_least_15, &comparable(other, &forever)));
    }

    #[test]
    fn principals_mean_only_these_and_includes_mean_at_least_these() {
        let only = Expectation::Principals(vec!["Administrators".into(), "S-1-5-32-555".into()]);
        assert!(satisfies(&only, &rights(&["*S-1-5-32-544"])));
        assert!(satisfies(&only, &Value::NotConfigured));
        assert!(!satisfies(&only, &rights(&["*S-1-5-32-544", "*S-1-1-0"])));
        // "No one", as Intune policies write it.
        let nobody = Expectation::Principals(Vec::new());
        for written in [
            &["*S-1-0-0"][..],
            &["\"\""],
            &["\\\"\\\""],
            &[""],
            &["Nobody"],
            &[],
        ] {
            assert!(satisfies(&nobody, &rights(written)), "{written:?}");
        }
        assert!(!satisfies(&nobody, &rights(&["*S-1-0-0", "*S-1-5-32-544"])));
        // A service SID and its name.
        let profile = Expectation::Principals(vec![
            "Administrators".into(),
            "NT SERVICE\\WdiServiceHost".into(),
        ]);
        assert!(satisfies(
            &profile,
            &rights(&[
                "*S-1-5-32-544",
                "*S-1-5-80-3139157870-2983391045-3678747466-658725712-1809340420"
            ])
        ));
        assert!(!satisfies(
            &profile,
            &rights(&["*S-1-5-32-544", "*S-1-5-80"])
        ));
        // A domain's groups by name, as the STIG writes them, and by SID, as GptTmpl.inf does.
        let domain =
            Expectation::Includes(vec!["Enterprise Admins".into(), "Domain Admins".into()]);
        let sid = |rid: &str| format!("*S-1-5-21-1004336348-1177238915-682003330-{rid}");
        assert!(satisfies(&domain, &rights(&[&sid("512"), &sid("519")])));
        assert!(satisfies(
            &domain,
            &rights(&["CONTOSO\\Domain Admins", &sid("519")])
        ));
        assert!(!satisfies(&domain, &rights(&[&sid("512"), &sid("1131")])));
        assert!(!satisfies(
            &domain,
            &rights(&[&sid("512"), "*S-1-5-32-519"])
        ));
        let singular =
            Expectation::Includes(vec!["Enterprise Admin".into(), "Domain Admin".into()]);
        assert!(satisfies(&singular, &rights(&[&sid("512"), &sid("519")])));
        let only_admins =
            Expectation::Principals(vec!["Administrators".into(), "Domain Admins".into()]);
        assert!(satisfies(
            &only_admins,
            &rights(&["*S-1-5-32-544", &sid("512")])
        ));
        assert!(!satisfies(
            &only_admins,
            &rights(&["*S-1-5-32-544", &sid("513")])
        ));
        let at_least = Expectation::Includes(vec!["Guests".into(), "S-1-5-113".into()]);
        assert!(satisfies(
            &at_least,
            &rights(&["*S-1-5-32-546", "*S-1-5-113", "*S-1-5-32-544"])
        ));
        assert!(!satisfies(&at_least, &rights(&["*S-1-5-113"])));
        assert!(!satisfies(&at_least, &Value::NotConfigured));
    }

    /// HardeningKitty's `RegistryList`: some entry contains the text, in any ASCII case.
    #[test]
    fn contains_means_an_entry_holding_each_text() {
        let sbp2 = Expectation::Contains(vec!["7ebefbc0-3200-11d2-b4c2-00a0C9697d07".into()]);
        let list =
            |items: &[&str]| Value::List(items.iter().map(|i| Value::Str(i.to_string())).collect());
        assert!(satisfies(
            &sbp2,
            &list(&[
                "{d48179be-ec20-11d1-b6b8-00c04fa372a7}",
                "{7EBEFBC0-3200-11D2-B4C2-00A0C9697D07}"
            ])
        ));
        assert!(!satisfies(
            &sbp2,
            &list(&["{d48179be-ec20-11d1-b6b8-00c04fa372a7}"])
        ));
        assert!(!satisfies(&sbp2, &list(&[])));
        assert!(!satisfies(&sbp2, &Value::NotConfigured));
        assert!(!satisfies(&sbp2, &Value::Int(1)));
        assert!(satisfies(
            &sbp2,
            &Value::Str("7ebefbc0-3200-11d2-b4c2-00a0c9697d07".into())
        ));
        let both = Expectation::Contains(vec![r"PCI\CC_0C0A".into(), r"PCI\CC_0C0010".into()]);
        assert!(satisfies(&both, &list(&[r"pci\cc_0c0010", r"PCI\CC_0C0A"])));
        assert!(!satisfies(&both, &list(&[r"PCI\CC_0C0A"])));
        assert_eq!(
            describe(&sbp2),
            "a list with an entry containing \"7ebefbc0-3200-11d2-b4c2-00a0C9697d07\""
        );
    }

    #[test]
    fn flags_are_set_in_any_order_spacing_and_case_with_others_besides() {
        let hardened = Expectation::Flags(vec![
            "RequireMutualAuthentication=1".into(),
            "RequireIntegrity=1".into(),
        ]);
        let holds = |text: &str| satisfies(&hardened, &Value::Str(text.into()));
        assert!(holds("RequireMutualAuthentication=1, RequireIntegrity=1"));
        assert!(holds(
            "RequireIntegrity=1,RequireMutualAuthentication=1,RequirePrivacy=1"
        ));
        assert!(holds(
            " requiremutualauthentication = 1 ,REQUIREINTEGRITY=1"
        ));
        assert!(!holds("RequireMutualAuthentication=1"));
        assert!(!holds("RequireMutualAuthentication=1, RequireIntegrity=0"));
        assert!(!holds("RequireMutualAuthentication=1; RequireIntegrity=1"));
        assert!(!holds(""));
        assert!(!satisfies(&hardened, &Value::NotConfigured));
        assert!(!satisfies(&hardened, &Value::Int(1)));
    }

    #[test]
    fn numeric_expectations_compare_values_of_any_spelling() {
        assert!(satisfies(
            &Expectation::OneOf(vec![Value::Int(0)]),
            &Value::Str("0".into())
        ));
        assert!(satisfies(&Expectation::AtMost(5), &Value::Int(5)));
        assert!(!satisfies(&Expectation::AtLeast(5), &Value::Int(3)));
        assert!(satisfies(&Expectation::Between(1, 2), &Value::Int(2)));
        assert!(satisfies(&Expectation::Absent, &Value::NotConfigured));
        assert!(!satisfies(&Expectation::Absent, &Value::Int(0)));
    }
}
