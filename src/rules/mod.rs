//! Rules are data: one TOML file each (`rules/*.toml` embedded at build time, plus the user's
//! own folders). Loading has two phases, as in cargo-deny: parse with spans, then validate and
//! collect positioned diagnostics; a broken rule file never stops the run.

pub mod controls;
pub mod engine;
mod exports;
mod local_group_channels;
mod local_group_gpos;
mod local_groups;
pub mod principals;
mod schema;

use std::fmt;
use std::path::Path;

use regex::Regex;

use crate::catalog::Catalog;
use crate::model::Name;
use crate::model::{InputError, JoinType, JoinTypeSet, Value};
use crate::source::{SourceFile, SourceId, Sources, Span};

pub use schema::RawRule;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "note" => Some(Severity::Note),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value predicate from a rule file.
#[derive(Clone, Debug)]
pub enum Predicate {
    Any,
    Eq(Value),
    Ne(Value),
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Lt(i64),
    Le(i64),
    Gt(i64),
    Ge(i64),
    Matches(Regex),
}

impl Predicate {
    pub fn matches(&self, value: &Value) -> bool {
        match self {
            Predicate::Any => true,
            Predicate::Eq(v) => values_equal(value, v),
            Predicate::Ne(v) => !values_equal(value, v),
            Predicate::In(vs) => vs.iter().any(|v| values_equal(value, v)),
            Predicate::NotIn(vs) => !vs.iter().any(|v| values_equal(value, v)),
            Predicate::Lt(n) => value.as_int().is_some_and(|i| i < *n),
            Predicate::Le(n) => value.as_int().is_some_and(|i| i <= *n),
            Predicate::Gt(n) => value.as_int().is_some_and(|i| i > *n),
            Predicate::Ge(n) => value.as_int().is_some_and(|i| i >= *n),
            Predicate::Matches(re) => match value {
                Value::Str(s) | Value::Choice(s) => re.is_match(s),
                other => re.is_match(&other.to_string()),
            },
        }
    }
}

/// Equality across sources: numbers compare numerically whatever their spelling (`0`, `"0"`,
/// `" 00"`, `false`), two numeric strings included, so that the relation is transitive
/// (`"01"` and `"1"` both equal `1`) and agrees with the conflict rule's value classes
/// (`engine::value_class`); lists of `Name=Value` flags (hardened UNC paths) as sets of flags
/// (`model::flag_set`); other strings exactly.
/// [`values_equal`] for two values of the setting `key`: user rights compare as sets of
/// principals, names and SIDs alike (a GPO report's `BUILTIN\Administrators` is GptTmpl.inf's
/// `*S-1-5-32-544`, and a name that a GPO report of the run gives a SID for is that SID:
/// `CONTOSO\Domain Admins` is `*S-1-5-21-...-512`), in any order.
pub fn setting_values_equal(
    key: &str,
    a: &Value,
    b: &Value,
    names: &principals::PrincipalNames,
) -> bool {
    if principals::is_user_right(key)
        && let (Some(p), Some(q)) = (
            principals::principal_set(a, names),
            principals::principal_set(b, names),
        )
    {
        return p == q;
    }
    values_equal(a, b)
}

/// Do two values mean the same? Numbers however written (`1`, `"01"`, `true`), flag lists in
/// any order, text in any ASCII case, lists item by item.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        // Text: numbers as numbers, flag lists as sets, anything else in any ASCII case, as
        // Windows compares registry string data (paths, names, `Block`).
        (Value::Str(x), Value::Str(y)) => match (a.as_int(), b.as_int()) {
            (Some(p), Some(q)) => p == q,
            _ => match (crate::model::flag_set(x), crate::model::flag_set(y)) {
                (Some(p), Some(q)) => p == q,
                _ => x.eq_ignore_ascii_case(y),
            },
        },
        _ => match (a.as_int(), b.as_int()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// What a rule checks: one of the engine's primitives.
#[derive(Clone, Debug)]
pub enum Check {
    /// A setting with a value matching `value` must not reach devices of `join_types`.
    Forbid {
        setting: String,
        setting_title: String,
        value: Predicate,
        join_types: JoinTypeSet,
    },
    /// One setting gets different values from policies whose populations certainly overlap.
    /// `merged`: settings Intune merges across policies into one value (Defender's exclusion
    /// lists), which are never in conflict; by their catalog keys.
    Conflict {
        policy_kinds: Vec<String>,
        merged: Vec<crate::model::Name>,
    },
    /// An assignment targets a group that no groups export or inventory knows.
    UnknownGroup,
    /// Group Policy and MDM set one setting to different values on devices of these join types.
    ChannelConflict { join_types: JoinTypeSet },
    /// A GPO's value is overridden by a higher-precedence GPO on the same OU chain.
    Overridden,
    /// A policy sets a baseline control's setting to a value the control does not allow.
    BaselineDeviation,
    /// A baseline control asks for a value a `forbid` rule forbids for a join type in scope.
    BaselineContradiction,
    /// An Update of a local group's members (LocalUsersAndGroups) that a Replace of the same
    /// group undoes on devices both reach.
    LocalGroupReplaced,
    /// Restricted Groups and local user group membership (two CSPs Windows does not support
    /// together) on devices both reach.
    RestrictedGroupsBesideLocalGroups,
    /// A GPO's Restricted Groups or preference local group items and an Intune policy's local
    /// user group membership disagree on one local group's members on devices both channels
    /// may reach.
    LocalGroupAcrossChannels,
    /// A GPO's Restricted Groups and a preference local group item (the same GPO's, or one
    /// reaching the same computers) disagree on one local group's members.
    LocalGroupWithinGroupPolicy,
    /// A password stored in a Group Policy Preferences item (`cpassword`), linked or not.
    StoredPassword,
    /// An automatic logon password a GPO writes in clear text (Winlogon `DefaultPassword`),
    /// linked or not.
    AutologonPassword,
    /// Exceptions in this state (expired, expiring, unused, incomplete).
    ExceptionStatus(crate::exceptions::Status),
    /// An export that holds only part of what Graph has: a list response saved without its
    /// next pages, a Settings Catalog policy without all its settings.
    IncompleteExport,
}

/// A validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: Name,
    pub code: Option<Name>,
    pub severity: Severity,
    pub summary: Name,
    pub rationale: String,
    pub fix: Name,
    pub references: Vec<String>,
    pub check: Check,
    /// The rule file (for diagnostics about the rule itself).
    pub origin: String,
    pub builtin: bool,
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The rule files shipped in the binary: (file name, contents).
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULES
}

/// Load the built-in rules (from the binary) and every `*.toml` in `extra_dirs`.
/// Rule files become sources so their errors can point into them.
pub fn load_all(
    extra_dirs: &[std::path::PathBuf],
    sources: &mut Sources,
    catalog: &Catalog,
) -> (Vec<Rule>, Vec<InputError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in builtin_files() {
        let file = SourceFile::from_text(
            Path::new(&format!("rules/{name}")),
            text.to_string(),
            crate::source::Encoding::Utf8,
        );
        let id = sources.add(file);
        load_one(id, sources.get(id), true, catalog, &mut rules, &mut errors);
    }
    for dir in extra_dirs {
        load_dir(dir, sources, catalog, &mut rules, &mut errors);
    }
    check_unique_ids(&rules, &mut errors);
    (rules, errors)
}

/// Load one rule from text, as if it were a file of a user's rule folder named `name`. For tools
/// and fuzzing: `load_all` with a temporary folder would reload the built-in rules every time.
pub fn load_text(
    name: &str,
    text: String,
    sources: &mut Sources,
    catalog: &Catalog,
) -> (Option<Rule>, Vec<InputError>) {
    let file = SourceFile::from_text(Path::new(name), text, crate::source::Encoding::Utf8);
    let id = sources.add(file);
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    load_one(id, sources.get(id), false, catalog, &mut rules, &mut errors);
    (rules.pop(), errors)
}

fn load_dir(
    dir: &Path,
    sources: &mut Sources,
    catalog: &Catalog,
    rules: &mut Vec<Rule>,
    errors: &mut Vec<InputError>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError::about(
                crate::source::display_path(dir),
                format!("cannot read rules folder: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        match crate::ingest::read_source(&path) {
            Ok(file) => {
                let id = sources.add(file);
                load_one(id, sources.get(id), false, catalog, rules, errors);
            }
            Err(e) => errors.push(e),
        }
    }
}

fn load_one(
    id: SourceId,
    file: &SourceFile,
    builtin: bool,
    catalog: &Catalog,
    rules: &mut Vec<Rule>,
    errors: &mut Vec<InputError>,
) {
    match schema::parse(file.text()) {
        Ok(raw) => match schema::validate(raw, catalog) {
            Ok(mut rule) => {
                rule.origin = file.display_path.clone();
                rule.builtin = builtin;
                rules.push(rule);
            }
            Err(problems) => errors.extend(
                problems
                    .into_iter()
                    .map(|(span, message)| rule_error(id, file, span, message)),
            ),
        },
        Err((span, message)) => errors.push(rule_error(id, file, span, message)),
    }
}

fn rule_error(id: SourceId, file: &SourceFile, span: Option<Span>, message: String) -> InputError {
    InputError::in_file(id, file, span, format!("invalid rule file: {message}"))
}

fn check_unique_ids(rules: &[Rule], errors: &mut Vec<InputError>) {
    let mut seen = std::collections::HashMap::new();
    for rule in rules {
        if let Some(first) = seen.insert(rule.id.clone(), rule.origin.clone()) {
            errors.push(InputError::about(
                rule.origin.clone(),
                format!(
                    "invalid rule file: rule id `{}` is already defined in {first}",
                    rule.id
                ),
            ));
        }
    }
}

/// Parse a join-type name list from a rule file (shared with the schema).
pub(crate) fn join_type_set(names: &[String]) -> Result<JoinTypeSet, String> {
    names.iter().try_fold(JoinTypeSet::EMPTY, |set, name| {
        JoinType::parse(name).map(|j| set.with(j)).ok_or_else(|| {
            format!("unknown join type `{name}`: expected entra, hybrid, domain or registered")
        })
    })
}

impl fmt::Display for Predicate {
    /// Reads after "sets X to": "0", "a value below 5"...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |vs: &[Value]| {
            vs.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Predicate::Any => f.write_str("any value"),
            Predicate::Eq(v) => write!(f, "{v}"),
            Predicate::Ne(v) => write!(f, "a value other than {v}"),
            Predicate::In(vs) => write!(f, "one of {}", list(vs)),
            Predicate::NotIn(vs) => write!(f, "a value other than {}", list(vs)),
            Predicate::Lt(n) => write!(f, "a value below {n}"),
            Predicate::Le(n) => write!(f, "a value of at most {n}"),
            Predicate::Gt(n) => write!(f, "a value above {n}"),
            Predicate::Ge(n) => write!(f, "a value of at least {n}"),
            Predicate::Matches(re) => write!(f, "a value matching /{re}/"),
        }
    }
}

/// What a check does, in one sentence.
pub fn describe_check(check: &Check) -> String {
    match check {
        Check::Forbid {
            setting,
            setting_title,
            value,
            join_types,
        } => format!(
            "Fires for every policy that sets {setting_title} (`{setting}`) to {value} and whose assignments, after exclusions and filters, may reach {} devices.",
            join_types.describe()
        ),
        Check::Conflict {
            policy_kinds,
            merged,
        } => {
            let kinds = if policy_kinds.is_empty() {
                "any".to_string()
            } else {
                policy_kinds.join(", ")
            };
            let merged = if merged.is_empty() {
                String::new()
            } else {
                let keys: Vec<String> = merged.iter().map(|k| format!("`{k}`")).collect();
                format!(
                    " Settings Intune merges across policies into one value are not compared: {}.",
                    keys.join(", ")
                )
            };
            format!(
                "Fires when two policies (kinds: {kinds}) set one setting to different values and certainly reach the same devices: both assigned to the same group, or one reaching every device the other may reach (for example all devices, or every Entra-joined device against a group limited to Entra-joined devices).{merged}"
            )
        }
        Check::UnknownGroup => "Fires for every assignment whose group is in no groups export and not declared in `[inventory.groups]`.".to_string(),
        Check::ChannelConflict { join_types } => format!(
            "Fires when a GPO and an Intune policy that may both reach {} devices set one setting to different values, and says which one wins where the documentation says so (ControlPolicyConflict/MDMWinsOverGP).",
            join_types.describe()
        ),
        Check::BaselineDeviation => "Fires for every policy setting whose value a control of a selected baseline does not allow for the join types the policy reaches (per-join-type expectations first). With `[baselines] missing = \"note\"` or `\"warning\"`, also for controls that no policy configures.".to_string(),
        Check::BaselineContradiction => "Fires for every baseline control that asks, for a join type the fleet has, for a value that a join-type rule (a `forbid` check such as the PKU2U rules) forbids for that join type.".to_string(),
        Check::ExceptionStatus(status) => format!(
            "Fires for every exception in `exceptions.toml` whose state is `{}` on the day of the run (`--today`).",
            status.name()
        ),
        Check::LocalGroupReplaced => "Fires when an item of an Intune policy's local user group membership (LocalUsersAndGroups) updates a local group, adding members that another item's Replace of that group does not list or removing members it lists, and both items certainly reach the same devices (or are in one policy): the Replace wins, so the Update's change never applies.".to_string(),
        Check::RestrictedGroupsBesideLocalGroups => "Fires when an Intune policy that sets Restricted Groups (RestrictedGroups/ConfigureGroupMembership) and one that configures local user group membership (LocalUsersAndGroups) certainly reach the same devices, or are one policy: once per pair of policies, at the Restricted Groups value.".to_string(),
        Check::LocalGroupAcrossChannels => "Fires when a GPO's Restricted Groups set a local group's members (\"Members of this group\", a list that is not empty) or add a group to it (\"This group is a member of\"), or a Group Policy Preferences local group item replaces, adds or removes members, and an Intune policy replaces that group's members with another list (an item of its local user group membership, LocalUsersAndGroups, or its Restricted Groups, RestrictedGroups/ConfigureGroupMembership), adds members the GPO keeps out or removes members it keeps in, and both may reach hybrid-joined devices: once per GPO entry and Intune item, at the GPO's entry. A preference item with item-level targeting is compared and said to apply only where its filters match; items applied once, disabled, Create and Delete items are not. Principals compare by SID where a GPO report of the run names them; a name and a SID that may still be one account are not counted as a disagreement.".to_string(),
        Check::AutologonPassword => "Fires for every GPO that writes the registry value automatic logon reads its password from (HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\DefaultPassword, not empty), through a preference registry item, Registry.pol or a security template, in a GPO report, backup or SYSVOL folder, whether the GPO is linked, enabled or filtered or not: the password is in clear text in its files in SYSVOL. baselint keeps no copy of the password, and the human report masks it where it quotes the file.".to_string(),
        Check::StoredPassword => "Fires for every password a GPO stores in a Group Policy Preferences item (a `cpassword` attribute of a local user, scheduled task, service, mapped drive, data source or printer item) in a GPO report, backup or SYSVOL folder (every preference file of either half), whether the GPO is linked, enabled or filtered or not: its files in SYSVOL are readable by every domain user. The human report masks the encrypted bytes it quotes.".to_string(),
        Check::LocalGroupWithinGroupPolicy => "Fires when a GPO's Restricted Groups set a local group's members or add a group to it, and a Group Policy Preferences local group item, in the same GPO or in one whose links meet its links on one OU chain (inheritance blocking and enforced links as Group Policy applies them), adds members the list lacks, removes members it keeps, or replaces them with another list: once per Restricted Groups entry and preference item, at the item's members. Principals compare by SID where a GPO report of the run names them.".to_string(),
        Check::Overridden => "Fires when two GPOs linked on one OU chain set one setting to different values: the value of the GPO with lower precedence never applies where both reach.".to_string(),
        Check::IncompleteExport => "Fires for every Graph list response (`{\"value\": [...]}`) that names a next page in `@odata.nextLink`, at that link, for every Settings Catalog policy whose `settingCount` is more than the settings its export holds, at that count, for every policy whose expanded assignments (or another collection of its own) name a next page in `assignments@odata.nextLink`, at that link, and for every custom OMA-URI value Graph encrypted (`isEncrypted`), at the masked value.".to_string(),
    }
}

/// Word-wrap each paragraph to `width` columns.
pub fn wrap_paragraphs(text: &str, width: usize) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            let mut lines: Vec<String> = Vec::new();
            for word in paragraph.split_whitespace() {
                match lines.last_mut() {
                    Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                        line.push(' ');
                        line.push_str(word);
                    }
                    _ => lines.push(word.to_string()),
                }
            }
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The documentation `baselint explain` prints.
pub fn explain(rule: &Rule) -> String {
    let mut out = format!("# {}", rule.id);
    if let Some(code) = &rule.code {
        out.push_str(&format!(" ({code})"));
    }
    out.push_str(&format!(
        "\n\nSeverity: {}\n\n{}\n\n## Why\n\n{}\n\n## What it checks\n\n{}\n\n## How to fix\n\n{}\n",
        rule.severity,
        rule.summary,
        wrap_paragraphs(&rule.rationale, 100),
        wrap_paragraphs(&describe_check(&rule.check), 100),
        wrap_paragraphs(&rule.fix, 100)
    ));
    if !rule.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &rule.references {
            out.push_str(&format!("- {r}\n"));
        }
    }
    out.push_str(&format!("\nDefined in {}\n", rule.origin));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_whatever_their_spelling_and_text_in_any_case() {
        let s = |t: &str| Value::Str(t.into());
        for (a, b) in [
            (s("01"), s("1")),
            (s(" 1 "), Value::Int(1)),
            (s("0"), Value::Bool(false)),
            (s("-0"), s("0")),
            (s("01"), s("1 ")),
            // Flags: the same set in another order, spacing or case.
            (
                s("RequireMutualAuthentication=1, RequireIntegrity=1"),
                s("RequireIntegrity=1,requiremutualauthentication=1"),
            ),
            // Windows compares registry text in any case: enum words, one flag, paths.
            (s("Block"), s("block")),
            (s("RequireIntegrity=1"), s("requireintegrity=1")),
            (
                s(r"%SystemRoot%\System32\logfiles\firewall\domainfw.log"),
                s(r"%systemroot%\system32\LogFiles\Firewall\domainfw.log"),
            ),
        ] {
            assert!(values_equal(&a, &b) && values_equal(&b, &a), "{a:?} {b:?}");
        }
        for (a, b) in [
            (s("1.0"), s("1")),
            (s("x1"), s("1")),
            (s("Block "), s("block")),
            (
                s("RequireMutualAuthentication=1, RequireIntegrity=1"),
                s("RequireMutualAuthentication=1, RequireIntegrity=1, RequirePrivacy=1"),
            ),
            (s("RequireIntegrity=1, A=1"), s("RequireIntegrity=0, A=1")),
            (s("RequireIntegrity=1"), s("RequireIntegrity=0")),
        ] {
            assert!(!values_equal(&a, &b), "{a:?} {b:?}");
        }
        // A predicate asks the same: a baseline's "1" is met by a policy's "01".
        assert!(Predicate::Eq(s("1")).matches(&s("01")));
    }

    #[test]
    fn load_text_reads_one_rule_and_positions_its_errors() {
        let catalog = Catalog::builtin();
        let (name, text) = builtin_files()[0];
        let mut sources = Sources::default();
        let (rule, errors) = load_text(name, text.to_string(), &mut sources, catalog);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(!rule.expect("a built-in rule loads").builtin);

        let broken = text.replacen("id = ", "id = 3 #", 1);
        let (rule, errors) = load_text("mine.toml", broken, &mut sources, catalog);
        assert!(rule.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "mine.toml");
        assert!(errors[0].location.is_some() && errors[0].line.is_some());
    }
}
