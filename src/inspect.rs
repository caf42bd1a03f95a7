//! `baselint inspect`: what baselint read from each file, before any rule runs.

use serde::Serialize;

use crate::Outcome;
use crate::model::{Assignment, Mode, Policy, Setting, Target};
use crate::report::{Position, position};
use crate::source::Location;

#[derive(Serialize)]
struct PolicyView {
    name: String,
    id: Option<String>,
    kind: &'static str,
    #[serde(flatten)]
    position: Position,
    settings: Vec<SettingView>,
    assignments: Vec<AssignmentView>,
    /// False when the export holds no assignments or links (a GPO backup without its report,
    /// a SYSVOL folder): then nothing is known of where the policy applies.
    assignments_exported: bool,
    /// Other copies of a GPO the run read and linted as this one (older backups and reports,
    /// a report merged into its folder): where each names it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    other_copies: Vec<Position>,
    /// When a GPO's copy was exported and its version, where the copy says them: what decides
    /// which copy of a GPO read more than once is linted.
    #[serde(skip_serializing_if = "Option::is_none")]
    exported_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<crate::model::GpoVersion>,
}

#[derive(Serialize)]
struct SettingView {
    key: String,
    name: String,
    value: String,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct AssignmentView {
    mode: &'static str,
    target: String,
    filter: Option<String>,
    #[serde(flatten)]
    position: Position,
}

/// An export that holds only part of what Graph returned (rule `export-incomplete`).
#[derive(Serialize)]
struct IncompleteView {
    what: String,
    #[serde(flatten)]
    position: Position,
}

fn incomplete_view(outcome: &Outcome, incomplete: &crate::model::Incomplete) -> IncompleteView {
    use crate::model::Missing;
    let policy = (incomplete.policy(&outcome.model)).map_or("?", |p| p.name.as_str());
    let what = match &incomplete.missing {
        Missing::Pages { items, total, .. } => match total {
            Some(total) => format!("one page of a Graph list: {items} of {total} objects"),
            None if *items == 1 => "one page of a Graph list: 1 object, more not exported".into(),
            None => format!("one page of a Graph list: {items} objects, more not exported"),
        },
        Missing::Settings {
            declared, exported, ..
        } => format!("policy \"{policy}\": {exported} of its {declared} settings"),
        Missing::CollectionPage { collection, items } => {
            format!("policy \"{policy}\": {items} of its {collection}, more not exported")
        }
        Missing::EncryptedValue { uri, .. } => {
            format!("policy \"{policy}\": the value of {uri} is encrypted")
        }
    };
    IncompleteView {
        what,
        position: position(&outcome.model.sources, incomplete.location),
    }
}

#[derive(Serialize)]
struct GroupView {
    name: String,
    id: Option<String>,
    membership: String,
}

fn setting_view(outcome: &Outcome, policy: &Policy, setting: &Setting) -> SettingView {
    let value = match &setting.value_label {
        Some(label) => format!("{} ({label})", setting.value),
        None => setting.value.to_string(),
    };
    SettingView {
        key: setting.key.to_string(),
        name: setting.raw_name.to_string(),
        value,
        position: position(&outcome.model.sources, policy.value_location(setting)),
    }
}

fn target_text(model: &crate::model::Model, target: &Target) -> String {
    match target {
        Target::Group { id, name, .. } => {
            let exported = id.as_deref().and_then(|id| {
                model
                    .groups
                    .iter()
                    .find(|g| g.id.as_deref().is_some_and(|g| g.eq_ignore_ascii_case(id)))
            });
            match (name.as_deref(), exported, id.as_deref()) {
                (Some(name), _, _) => format!("group {name}"),
                (None, Some(group), Some(id)) => format!("group {} ({id})", group.name),
                (None, _, id) => format!("group {}", id.unwrap_or("?")),
            }
        }
        Target::AllDevices => "all devices".to_string(),
        Target::AllLicensedUsers => "all users".to_string(),
        Target::GpoLink(link) => format!(
            "link to {}{}{}",
            link.som_path,
            if link.enabled { "" } else { " (disabled)" },
            if link.enforced { " (enforced)" } else { "" }
        ),
        Target::Other(kind) => kind.clone(),
        Target::Unassigned(types) => format!(
            "nothing yet: checked as if assigned to {} devices (unassigned)",
            types.describe()
        ),
    }
}

fn assignment_view(outcome: &Outcome, policy: &Policy, assignment: &Assignment) -> AssignmentView {
    AssignmentView {
        mode: match assignment.mode {
            Mode::Include => "include",
            Mode::Exclude => "exclude",
        },
        target: target_text(&outcome.model, &assignment.target),
        filter: assignment.filter.as_ref().map(|f| {
            let mode = if f.mode == Mode::Include {
                "include"
            } else {
                "exclude"
            };
            format!("{mode} {}", f.reference)
        }),
        position: position(&outcome.model.sources, policy.target_location(assignment)),
    }
}

/// A policy as the inspection shows it.
fn policy_view(outcome: &Outcome, p: &Policy) -> PolicyView {
    let model = &outcome.model;
    PolicyView {
        name: p.name.clone(),
        id: p.id.clone(),
        kind: p.kind.name(),
        position: position(
            &model.sources,
            Location {
                file: p.source,
                span: p.name_span,
            },
        ),
        settings: p
            .settings
            .iter()
            .map(|s| setting_view(outcome, p, s))
            .collect(),
        assignments: p
            .assignments
            .iter()
            .map(|a| assignment_view(outcome, p, a))
            .collect(),
        assignments_exported: p.assignments_exported,
        other_copies: (p.gpo.iter())
            .flat_map(|gpo| &gpo.other_copies)
            .map(|&location| position(&model.sources, location))
            .collect(),
        exported_at: p.gpo.as_ref().and_then(|gpo| gpo.exported_at.clone()),
        version: p.gpo.as_ref().and_then(|gpo| gpo.version),
    }
}

fn group_view(g: &crate::model::Group) -> GroupView {
    GroupView {
        name: g.name.clone(),
        id: g.id.clone(),
        membership: match &g.membership {
            crate::model::Membership::Static => "static".to_string(),
            crate::model::Membership::Dynamic { rule, paused } => {
                format!("{}{rule}", if *paused { "(paused) " } else { "" })
            }
        },
    }
}

fn errors(outcome: &Outcome) -> Vec<String> {
    (outcome.model.errors.iter())
        .map(|e| format!("{}: {}", e.position(), e.message))
        .collect()
}

/// The inspection, its policies and groups made one at a time as they are written (a tenant's
/// is tens of megabytes: made whole first, it took more memory than the model).
struct Inspection<'o>(&'o Outcome);

impl Serialize for Inspection<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let outcome = self.0;
        let model = &outcome.model;
        let mut state = serializer.serialize_struct("Inspection", 7)?;
        state.serialize_field("version", &1u32)?;
        state.serialize_field(
            "policies",
            &Each(|| model.policies.iter().map(|p| policy_view(outcome, p))),
        )?;
        state.serialize_field("groups", &Each(|| model.groups.iter().map(group_view)))?;
        state.serialize_field("controls", &model.controls.len())?;
        state.serialize_field("exceptions", &model.exceptions.len())?;
        state.serialize_field(
            "incomplete",
            &Each(|| (model.incomplete.iter()).map(|i| incomplete_view(outcome, i))),
        )?;
        state.serialize_field("errors", &errors(outcome))?;
        state.end()
    }
}

/// A sequence serialised from the items an iterator makes.
struct Each<F>(F);

impl<F, I> Serialize for Each<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// The inspection as JSON, written as it is made.
pub fn write_json(outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::pretty(&mut *out);
    Inspection(outcome).serialize(&mut serializer)?;
    out.write_all(b"\n")
}

/// The inspection as text, one block per policy, written as it is made.
pub fn write_text(outcome: &Outcome, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let model = &outcome.model;
    for p in model.policies.iter().map(|p| policy_view(outcome, p)) {
        write_policy(&p, out)?;
    }
    for g in model.groups.iter().map(group_view) {
        writeln!(
            out,
            "group {}{}: {}",
            g.name,
            g.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            g.membership
        )?;
    }
    for i in (model.incomplete.iter()).map(|i| incomplete_view(outcome, i)) {
        writeln!(
            out,
            "incomplete export {}:{}:{}: {}",
            i.position.path, i.position.line, i.position.column, i.what
        )?;
    }
    let errors = errors(outcome);
    writeln!(
        out,
        "{} policies, {} groups, {} baseline controls, {} exceptions, {} input errors",
        model.policies.len(),
        model.groups.len(),
        model.controls.len(),
        model.exceptions.len(),
        errors.len()
    )?;
    for e in &errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}

/// One policy's block of the text inspection.
fn write_policy(p: &PolicyView, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{} [{}]{}\n  {}",
        p.name,
        p.kind,
        p.id.as_deref()
            .map(|id| format!(" {id}"))
            .unwrap_or_default(),
        p.position.path_line_column(&p.position.path)
    )?;
    for s in &p.settings {
        writeln!(
            out,
            "  setting  {} = {}  ({})",
            s.key,
            s.value,
            s.position.path_line_column(&s.position.path)
        )?;
    }
    for a in &p.assignments {
        let filter = a
            .filter
            .as_deref()
            .map(|f| format!(", filter {f}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {}{filter}  ({})",
            a.mode,
            a.target,
            a.position.path_line_column(&a.position.path)
        )?;
    }
    let version = (p.version.as_ref())
        .map(|v| format!("version {} (computer), {} (user)", v.computer, v.user));
    let exported = p.exported_at.as_ref().map(|at| format!("exported {at}"));
    let copy_facts: Vec<String> = exported.into_iter().chain(version).collect();
    if !copy_facts.is_empty() {
        writeln!(out, "  {}", copy_facts.join(", "))?;
    }
    for copy in &p.other_copies {
        writeln!(
            out,
            "  also read from  {}  (linted as this one)",
            copy.path_line_column(&copy.path)
        )?;
    }
    if !p.assignments_exported {
        writeln!(out, "  assignments and links not in the export")?;
    } else if p.assignments.is_empty() {
        writeln!(out, "  not assigned / not linked")?;
    }
    writeln!(out)
}
