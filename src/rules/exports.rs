//! `[check.incomplete_export]`: exports that say they hold only part of what Graph returned.
//!
//! Graph returns lists a page at a time and names the next page in `@odata.nextLink`; a
//! Settings Catalog policy says how many settings it has (`settingCount`); an encrypted custom
//! OMA-URI value is exported as a mask (`isEncrypted`). The readers note a list saved with a
//! next page, a policy saved with fewer settings or with the first page of its assignments,
//! and a masked value (`Model::incomplete`);
//! this check reports each, and `assignment-to-unknown-group` points at a groups export that is
//! one page of a longer list.

use super::Rule;
use super::engine::{Context, policy_ref};
use crate::finding::{Finding, Label, fingerprint};
use crate::model::{Missing, Policy};
use crate::source::Location;

/// The note for an unknown group when a groups export is one page of a longer list (a page
/// the model's groups were read from): the group may be on a page that was not exported. None
/// when no such page was read.
pub(super) fn partial_groups_note(ctx: &Context) -> Option<String> {
    let holds_groups = |file| ctx.model.groups.iter().any(|g| g.source == file);
    let pages: Vec<&str> = (ctx.model.incomplete.iter())
        .filter(|i| matches!(i.missing, Missing::Pages { .. }) && holds_groups(i.location.file))
        .map(|i| ctx.model.sources.get(i.location.file).display_path.as_str())
        .collect();
    (!pages.is_empty()).then(|| {
        format!(
            "the groups export {} is one page of a longer list: the group may be on a page \
             that was not exported",
            pages.join(", ")
        )
    })
}

/// A finding for every export that holds only part of what Graph has: at the
/// `@odata.nextLink` of a list response saved without its next pages, at the `settingCount` of
/// a policy saved with fewer settings, at a policy's `assignments@odata.nextLink` (or another
/// paged collection's), at an encrypted OMA-URI value's mask.
pub(super) fn incomplete(rule: &Rule, ctx: &Context, findings: &mut Vec<Finding>) {
    for incomplete in &ctx.model.incomplete {
        let location = incomplete.location;
        let policy = incomplete.policy(ctx.model);
        findings.extend(match (&incomplete.missing, policy) {
            (Missing::Pages { items, list, total }, _) => {
                Some(missing_pages(rule, ctx, location, *items, list, *total))
            }
            (
                Missing::Settings {
                    declared, exported, ..
                },
                Some(policy),
            ) => Some(missing_settings(
                rule, policy, location, *declared, *exported,
            )),
            (Missing::CollectionPage { collection, items }, Some(policy)) => {
                Some(collection_page(rule, policy, location, collection, *items))
            }
            (Missing::EncryptedValue { uri, .. }, Some(policy)) => {
                Some(encrypted_value(rule, policy, location, uri))
            }
            // A policy the model dropped (an intent's companion file beside the intent).
            (_, None) => None,
        });
    }
}

fn missing_pages(
    rule: &Rule,
    ctx: &Context,
    location: Location,
    items: usize,
    list: &Option<String>,
    total: Option<u64>,
) -> Finding {
    let file = ctx.model.sources.get(location.file);
    let mut objects = match items {
        1 => "1 object".to_string(),
        n => format!("{n} objects"),
    };
    if let Some(total) = total {
        objects.push_str(&format!(" of the list's {total}"));
    }
    let named = match list {
        Some(list) => format!("the Graph list `{list}`"),
        None => "a Graph list response".to_string(),
    };
    let message = format!(
        "{} is one page of {named}: it holds {objects} and names the next page in \
         `@odata.nextLink`, which is not exported",
        file.display_path
    );
    let primary = Label {
        location,
        message: "next page not exported".to_string(),
    };
    // The list, or else the file's name: not its path, which depends on where baselint runs.
    let name = std::path::Path::new(&file.display_path)
        .file_name()
        .map(|name| name.to_string_lossy());
    let identity = list.as_deref().map(Into::into).or(name).unwrap_or_default();
    Finding {
        notes: vec![
            "baselint lints only what the files hold: the policies, groups and filters of the \
             pages after this one are unknown to it (an assignment to one of those groups shows \
             as an unknown group), so a clean run says nothing about them"
                .to_string(),
        ],
        ..Finding::new(rule, message, primary, fingerprint(&[&rule.id, &identity]))
    }
}

fn missing_settings(
    rule: &Rule,
    policy: &Policy,
    location: Location,
    declared: u64,
    exported: usize,
) -> Finding {
    let message = format!(
        "policy \"{}\" has {declared} settings (`settingCount`) and its export holds {}",
        policy.name,
        match exported {
            0 => "none".to_string(),
            n => n.to_string(),
        }
    );
    let why = if exported == 0 {
        "a policy read from `GET /deviceManagement/configurationPolicies` comes without its \
         settings: export it with `$expand=settings`, or its settings from \
         `/configurationPolicies/{id}/settings` (every page)"
    } else {
        "`/configurationPolicies/{id}/settings` returns a page at a time: an export that did not \
         follow `@odata.nextLink` stops after the first page. If settings were taken out of \
         this file on purpose, correct `settingCount`"
    };
    let primary = Label {
        location,
        message: format!("{declared} settings, {exported} exported"),
    };
    Finding {
        notes: vec![
            why.to_string(),
            "the settings not in the file are never linted".to_string(),
        ],
        policy: Some(policy_ref(policy)),
        ..Finding::new(
            rule,
            message,
            primary,
            fingerprint(&[&rule.id, policy.identity(), "settings"]),
        )
    }
}

fn collection_page(
    rule: &Rule,
    policy: &Policy,
    location: Location,
    collection: &str,
    items: usize,
) -> Finding {
    let held = match items {
        0 => "none".to_string(),
        n => n.to_string(),
    };
    let message = format!(
        "policy \"{}\" holds {held} of its {collection} and names their next page in \
         `{collection}@odata.nextLink`, which is not exported",
        policy.name
    );
    let primary = Label {
        location,
        message: format!("next page of {collection} not exported"),
    };
    let unseen = match collection {
        "assignments" => {
            "the assignments on later pages are never linted: the devices they reach are \
             unknown to baselint (a PKU2U or LAPS rule sees only the first page's groups), so a \
             clean run says nothing about them"
        }
        _ => "what is on the later pages is never linted",
    };
    Finding {
        notes: vec![
            unseen.to_string(),
            format!(
                "Graph pages a policy's expanded {collection} too: export them from \
                 `.../{{id}}/{collection}`, following `@odata.nextLink` until a response has none"
            ),
        ],
        policy: Some(policy_ref(policy)),
        ..Finding::new(
            rule,
            message,
            primary,
            fingerprint(&[&rule.id, policy.identity(), collection]),
        )
    }
}

fn encrypted_value(rule: &Rule, policy: &Policy, location: Location, uri: &str) -> Finding {
    let message = format!(
        "policy \"{}\" sets {uri} to a value Graph encrypted in this export (`isEncrypted`): \
         the export holds a mask, not the value",
        policy.name
    );
    let primary = Label {
        location,
        message: "value encrypted".to_string(),
    };
    Finding {
        notes: vec![
            "the setting is not linted: export the value decrypted \
             (`/deviceConfigurations/{id}/getOmaSettingPlainTextValue(secretReferenceValueId=...)`, \
             as IntuneCD and IntuneBackupAndRestore do)"
                .to_string(),
        ],
        policy: Some(policy_ref(policy)),
        ..Finding::new(
            rule,
            message,
            primary,
            fingerprint(&[&rule.id, policy.identity(), &uri.to_ascii_lowercase()]),
        )
    }
}
