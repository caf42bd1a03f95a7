//! `baselint inspect`: what baselint read from each file, before any rule runs.

use serde::Serialize;

use crate::Outcome;
use crate::model::{Assignment, Mode, Policy, Setting, Target};
use crate::report::{Position, position};
use crate::source::Location;

#[derive(Serialize)]
struct Inspection {
    version: u32,
    policies: Vec<PolicyView>,
    groups: Vec<GroupView>,
    controls: usize,
    exceptions: usize,
    errors: Vec<String>,
}

#[derive(Serialize)]
struct PolicyView {
    name: String,
    id: Option<String>,
    kind: &'static str,
    #[serde(flatten)]
    position: Position,
    settings: Vec<SettingView>,
    assignments: Vec<AssignmentView>,
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

fn inspection(outcome: &Outcome) -> Inspection {
    let model = &outcome.model;
    Inspection {
        version: 1,
        policies: model
            .policies
            .iter()
            .map(|p| PolicyView {
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
            })
            .collect(),
        groups: model
            .groups
            .iter()
            .map(|g| GroupView {
                name: g.name.clone(),
                id: g.id.clone(),
                membership: match &g.membership {
                    crate::model::Membership::Static => "static".to_string(),
                    crate::model::Membership::Dynamic { rule, paused } => {
                        format!("{}{rule}", if *paused { "(paused) " } else { "" })
                    }
                },
            })
            .collect(),
        controls: model.controls.len(),
        exceptions: model.exceptions.len(),
        errors: model
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.position(), e.message))
            .collect(),
    }
}

/// The inspection as JSON.
pub fn render_json(outcome: &Outcome) -> String {
    let mut text = serde_json::to_string_pretty(&inspection(outcome)).expect("serialises");
    text.push('\n');
    text
}

/// The inspection as text: one block per policy.
pub fn render_text(outcome: &Outcome) -> String {
    let view = inspection(outcome);
    let mut out = String::new();
    for p in &view.policies {
        out.push_str(&format!(
            "{} [{}]{}\n  {}\n",
            p.name,
            p.kind,
            p.id.as_deref()
                .map(|id| format!(" {id}"))
                .unwrap_or_default(),
            p.position.path_line_column(&p.position.path)
        ));
        for s in &p.settings {
            out.push_str(&format!(
                "  setting  {} = {}  ({})\n",
                s.key,
                s.value,
                s.position.path_line_column(&s.position.path)
            ));
        }
        for a in &p.assignments {
            let filter = a
                .filter
                .as_deref()
                .map(|f| format!(", filter {f}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {}{filter}  ({})\n",
                a.mode,
                a.target,
                a.position.path_line_column(&a.position.path)
            ));
        }
        if p.assignments.is_empty() {
            out.push_str("  not assigned / not linked\n");
        }
        out.push('\n');
    }
    for g in &view.groups {
        out.push_str(&format!(
            "group {}{}: {}\n",
            g.name,
            g.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            g.membership
        ));
    }
    out.push_str(&format!(
        "{} policies, {} groups, {} baseline controls, {} exceptions, {} input errors\n",
        view.policies.len(),
        view.groups.len(),
        view.controls,
        view.exceptions,
        view.errors.len()
    ));
    for e in &view.errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out
}
