//! The fast path for Entra groups files: a Graph `groups` list response (`{"value": [...]}`,
//! annotations beside it), an array of groups, one group, or a group template
//! (`{"groups": [...]}`).
//!
//! A large organisation's groups export is one file of tens of thousands of groups (tens of
//! megabytes), and the reference reader's tree parses it on one core at about 70 MB/s: at 80k
//! groups, most of a run. The cursor reads it at several times that. As for policies, it
//! accepts only what the reference reader reads without a word, and the same way: a group is
//! what `classify` calls one (its `@odata.type`, or without one what the reference reader's
//! own [`UntypedKeys::shape`] says of its keys), and is built as `entra_groups::read_group`
//! builds it. Anything else declines.

use std::borrow::Cow;

use super::{Fast, Fields, LIST_CHUNK_BYTES, Raw, flag, once, read_fields, string_value};
use crate::ingest::entra_groups::{GroupFields, build_group};
use crate::ingest::intune::GRAPH;
use crate::ingest::intune::cursor::Cursor;
use crate::ingest::intune::untyped::{Untyped, UntypedKeys};
use crate::ingest::json;
use crate::model::Group;

/// Cheap refusal of files that hold no group.
pub(super) fn mentions_group(body: &str) -> bool {
    memchr::memmem::find(body.as_bytes(), b"\"displayName\"").is_some()
}

/// Keys that make a top-level object a list wrapper or a migration table for the reference
/// reader (`value` and `groups` are read as lists by [`Fast::top_object`]): an object without
/// `@odata.type` that has one is declined, wherever it is.
const WRAPPER_KEYS: [&str; 5] = ["value", "groups", "filters", "TenantId", "Objects"];

/// The keys of a group the reference reader takes in any case.
const GROUP_KEYS: [&str; 6] = [
    "displayName",
    "id",
    "groupTypes",
    "membershipRule",
    "membershipRuleProcessingState",
    "securityEnabled",
];

/// Whether the items of a list are classified (a list response, an array) or read as groups
/// whatever they look like (a group template's `groups`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    Classified,
    Template,
}

impl<'t> Fast<'t, '_> {
    /// The groups of a whole file, or decline.
    pub(super) fn group_file(&self, cursor: &mut Cursor<'t>) -> Option<Vec<Group>> {
        let groups = if cursor.peek()? == b'[' {
            self.groups(cursor, Items::Classified)?
        } else {
            self.top_object(cursor)?
        };
        cursor.end()?;
        Some(groups)
    }

    /// A top-level object: a list wrapper (`value` or `groups`, with annotations only), else
    /// one group. Which one shows only at its end, so both are read as they come.
    fn top_object(&self, cursor: &mut Cursor<'t>) -> Option<Vec<Group>> {
        let mut doc = GroupDoc::default();
        let mut value = None;
        let mut template = None;
        let (_, body) = cursor.with_text(|cursor| {
            cursor.object(|cursor, key| match key {
                "value" => once(&mut value, self.groups(cursor, Items::Classified)),
                "groups" => once(&mut template, self.groups(cursor, Items::Template)),
                // A page of a longer list: the reference reader notes what is missing.
                key if crate::ingest::intune::is_next_link(key) => None,
                _ => doc.field(key, cursor),
            })
        })?;
        match (value, template) {
            (Some(groups), None) | (None, Some(groups)) if !doc.plain_keys => Some(groups),
            (None, None) => Some(vec![self.classified_group(&doc, body)?]),
            _ => None,
        }
    }

    /// An array of groups.
    fn groups(&self, cursor: &mut Cursor<'t>, items: Items) -> Option<Vec<Group>> {
        self.groups_in_chunks(cursor, items, LIST_CHUNK_BYTES)
    }

    /// An array of groups, a long one in chunks of about `chunk_bytes` on all cores.
    fn groups_in_chunks(
        &self,
        cursor: &mut Cursor<'t>,
        items: Items,
        chunk_bytes: usize,
    ) -> Option<Vec<Group>> {
        self.list_items(cursor, chunk_bytes, &|fast, cursor| {
            let (doc, body) = cursor.with_text(read_fields::<GroupDoc>)?;
            match items {
                Items::Classified => fast.classified_group(&doc, body),
                Items::Template => fast.group(&doc, body),
            }
        })
    }

    /// An object the reference reader classifies as a group, read as it reads one.
    fn classified_group(&self, doc: &GroupDoc<'t>, body: Raw<'t>) -> Option<Group> {
        let is_group = match doc.odata_type {
            Some(raw) => string_value(raw)?.strip_prefix(GRAPH) == Some("group"),
            None => !doc.wrapper_key && doc.untyped.shape() == Some(Untyped::Group),
        };
        if !is_group {
            return None;
        }
        self.group(doc, body)
    }

    /// A group as `entra_groups::read_group` makes it (with the same [`build_group`]);
    /// decline where it reports an error.
    fn group(&self, doc: &GroupDoc<'t>, body: Raw<'t>) -> Option<Group> {
        let (name, _) = self.string(doc.display_name)?;
        let dynamic = match doc.group_types {
            None | Some("null") => None,
            Some(raw) => Some(names_dynamic_membership(raw)?),
        };
        let paused = optional_str(doc.processing_state)?
            .is_some_and(|state| state.eq_ignore_ascii_case("Paused"));
        let rule = match doc.membership_rule {
            None | Some("null") => None,
            Some(raw) => Some((string_value(raw)?, raw)),
        };
        let id = optional_str(doc.id)?;
        let fields = GroupFields {
            id: id.as_deref(),
            name: &name,
            dynamic,
            paused,
            rule: rule.as_ref().map(|(text, raw)| self.str_content(text, raw)),
            source: self.id,
            span: self.span(body),
        };
        build_group(fields).ok()
    }
}

/// Whether a `groupTypes` array names `DynamicMembership` (other items are ignored, as the
/// reference reader ignores them); decline when it is no array.
fn names_dynamic_membership(raw: Raw<'_>) -> Option<bool> {
    if !raw.starts_with('[') {
        return None;
    }
    let mut dynamic = false;
    let mut cursor = Cursor::new(raw);
    cursor.array(|cursor| {
        let item = cursor.value()?;
        if let Some(name) = optional_str(Some(item))? {
            dynamic |= name.eq_ignore_ascii_case("DynamicMembership");
        }
        Some(())
    })?;
    Some(dynamic)
}

/// A field the reference reader takes only when it is a string (`get_str`): its decoded text,
/// `Some(None)` when absent or of another type, and decline for a string serde_json will not
/// decode (which the reference reader might).
fn optional_str(raw: Option<Raw<'_>>) -> Option<Option<Cow<'_, str>>> {
    match raw {
        Some(raw) if raw.starts_with('"') => string_value(raw).map(Some),
        _ => Some(None),
    }
}

/// A group object (only what the model takes from it) and the keys that tell its shape.
#[derive(Default)]
struct GroupDoc<'a> {
    odata_type: Option<Raw<'a>>,
    display_name: Option<Raw<'a>>,
    id: Option<Raw<'a>>,
    group_types: Option<Raw<'a>>,
    membership_rule: Option<Raw<'a>>,
    processing_state: Option<Raw<'a>>,
    /// The keys the reference reader classifies an object without `@odata.type` by.
    untyped: UntypedKeys,
    /// One of [`WRAPPER_KEYS`].
    wrapper_key: bool,
    /// A key that is no annotation: a top-level object with one is no list wrapper.
    plain_keys: bool,
}

impl<'t> Fields<'t> for GroupDoc<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        self.plain_keys |= !json::is_annotation(key);
        // Noted whatever else is read of the key (`displayName` is both).
        self.untyped.note(key);
        match key {
            "@odata.type" => once(&mut self.odata_type, cursor.value()),
            "displayName" => once(&mut self.display_name, cursor.value()),
            "id" => once(&mut self.id, cursor.value()),
            "groupTypes" => once(&mut self.group_types, cursor.value()),
            "membershipRule" => once(&mut self.membership_rule, cursor.value()),
            "membershipRuleProcessingState" => once(&mut self.processing_state, cursor.value()),
            key if WRAPPER_KEYS.contains(&key) => flag(&mut self.wrapper_key, cursor),
            // A group key in another case (the Graph PowerShell SDK's `DisplayName`), which the
            // reference reader takes.
            key if GROUP_KEYS
                .iter()
                .any(|k| *k != key && k.eq_ignore_ascii_case(key)) =>
            {
                None
            }
            _ => cursor.skip(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tests::{agrees, text_agrees};
    use super::{Fast, Items};
    use crate::catalog::Catalog;
    use crate::ingest::intune::cursor::Cursor;
    use crate::ingest::intune::typed::read;
    use crate::model::Membership;
    use crate::source::{SourceFile, SourceId};

    const DYNAMIC: &str = r#"{"id": "g1", "displayName": "Entra \u0027joined\u0027", "groupTypes": ["DynamicMembership"], "membershipRuleProcessingState": "Paused", "membershipRule": "(device.deviceTrustType -eq \"AzureAD\")"}"#;
    const STATIC: &str = r#"{"id": "g2", "displayName": "Static", "groupTypes": [], "securityEnabled": true, "membershipRule": null, "mail": null}"#;
    const TYPED: &str =
        r##"{"@odata.type": "#microsoft.graph.group", "id": "", "displayName": "Typed"}"##;

    fn groups_of(text: &str) -> Vec<crate::model::Group> {
        let file = SourceFile::decode(Path::new("groups.json"), text.as_bytes()).unwrap();
        read(SourceId(0), &file, Catalog::builtin()).unwrap().groups
    }

    /// A long list of groups read in chunks on all cores gives the groups and line starts of
    /// one read from start to end.
    #[test]
    fn long_lists_of_groups_read_in_chunks_as_in_one_go() {
        let items: Vec<String> = (0..300)
            .map(|n| {
                let group = if n % 3 == 0 { DYNAMIC } else { STATIC };
                group
                    .replace("\"g1\"", &format!("\"g{n}\""))
                    .replace("\"g2\"", &format!("\"g{n}\""))
                    .replace(", \"groupTypes\"", ",\n      \"groupTypes\"")
            })
            .collect();
        let text = format!("[\n    {}\n]\n", items.join(",\n    "));
        let file = SourceFile::decode(Path::new("groups.json"), text.as_bytes()).unwrap();
        let fast = Fast::new(file.text(), SourceId(0), Catalog::builtin());
        let read = |chunk_bytes| {
            let mut cursor = Cursor::recording_lines(file.text(), Vec::new());
            let groups = fast.groups_in_chunks(&mut cursor, Items::Classified, chunk_bytes);
            cursor.end().unwrap();
            (format!("{groups:?}"), cursor.into_line_starts())
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            assert!(fast.chunk_starts(0, 1).len() > 1);
            let whole = read(usize::MAX);
            assert!(whole.0.contains("g299"));
            assert_eq!(read(1), whole);
        });
    }

    #[test]
    fn reads_every_groups_file_shape_as_the_reference_reader() {
        let items = [DYNAMIC, STATIC, TYPED].join(",\n  ");
        let lists = [
            format!(
                "{{\"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata#groups\",\n \"value\": [\n  {items}\n ],\n \"@odata.count\": 3}}"
            ),
            format!("[\n  {items}\n]"),
        ];
        for text in &lists {
            assert!(text_agrees(text), "declined:\n{text}");
            let groups = groups_of(text);
            let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
            assert_eq!(names, ["Entra 'joined'", "Static", "Typed"]);
            let Membership::Dynamic { rule, paused } = &groups[0].membership else {
                panic!("expected a dynamic group");
            };
            assert!(*paused);
            assert_eq!(rule, "(device.deviceTrustType -eq \"AzureAD\")");
            assert_eq!(groups[2].id, None, "an empty id is no id");
        }
        assert!(text_agrees(DYNAMIC));
        // A template: every item is a group, dynamic when it has a rule.
        let template = r#"{"groups": [{"displayName": "T", "membershipRule": "(device.deviceOSType -eq \"Windows\")"},
            {"displayName": "U", "description": "no rule"}]}"#;
        assert!(text_agrees(template));
        let groups = groups_of(template);
        assert!(matches!(groups[0].membership, Membership::Dynamic { .. }));
        assert!(matches!(groups[1].membership, Membership::Static));
    }

    #[test]
    fn every_groups_file_of_the_fixtures_example_and_corpus_is_read() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "tests/fixtures",
            "examples",
            "../shared/corpus/entra-groups",
        ] {
            crate::testing::json_files(&root.join(dir), &mut files);
        }
        let mut read = 0;
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            // Groups files (IntuneCD's assignment report is another shape, left to the
            // reference reader).
            // A page of a longer list too (the reference reader notes it).
            let other_shape = ["\"settings\"", "\"groupName\"", "odata.nextLink"];
            if !text.contains("\"membershipRule\"") || other_shape.iter().any(|k| text.contains(k))
            {
                continue;
            }
            assert!(agrees(path, &bytes), "declined {}", path.display());
            read += 1;
        }
        assert!(read >= 20, "only {read} groups files");
    }

    #[test]
    fn a_group_with_keys_of_other_shapes_is_read_when_they_do_not_make_one() {
        // Each key alone leaves the object a group for the reference reader: the shapes need
        // them in pairs (`name` with `settings`, `rule` with `platform`, `groupName` with
        // `groupType`).
        for extra in [
            r#""name": "n""#,
            r#""rule": "r""#,
            r#""platform": "windows10AndLater""#,
            r#""groupName": "g""#,
            r#""settings": []"#,
            r#""templateReference": null"#,
        ] {
            let text = format!(r#"[{{"displayName": "A", "securityEnabled": true, {extra}}}]"#);
            assert!(text_agrees(&text), "declined:\n{text}");
            assert_eq!(groups_of(&text)[0].name, "A");
        }
    }

    #[test]
    fn declines_what_the_reference_reader_reports_or_reads_otherwise() {
        let cases = [
            // Wrong types, which the reference reader reports.
            r#"[{"displayName": 5, "membershipRule": "x"}]"#,
            r#"[{"displayName": "A", "groupTypes": "DynamicMembership"}]"#,
            r#"[{"displayName": "A", "membershipRule": 1}]"#,
            r##"[{"@odata.type": 1, "displayName": "A", "groupTypes": []}]"##,
            // A dynamic group without its rule.
            r#"[{"displayName": "B", "groupTypes": ["DynamicMembership"]}]"#,
            // A page of a longer list, which the reference reader notes.
            r#"{"value": [{"displayName": "A", "securityEnabled": true}], "@odata.nextLink": "n"}"#,
            // The Graph PowerShell SDK's names, which the reference reader takes.
            r#"[{"DisplayName": "A", "GroupTypes": [], "SecurityEnabled": true}]"#,
            r#"[{"displayName": "A", "securityEnabled": true, "MembershipRule": "x"}]"#,
            // Other shapes and unclassified objects.
            r#"[{"displayName": "F", "rule": "(device.model -eq \"x\")", "platform": "windows10AndLater"}]"#,
            r#"[{"groupName": "R", "groupType": "Static", "displayName": "R", "securityEnabled": true}]"#,
            r#"[{"displayName": "N", "description": "no group key"}]"#,
            r##"[{"@odata.type": "#microsoft.graph.user", "displayName": "U", "securityEnabled": true}]"##,
            r#"[{"displayName": "A", "securityEnabled": true}, "text"]"#,
            // Not the wrappers the reference reader unwraps, or a duplicate key.
            r#"{"value": [{"displayName": "A", "securityEnabled": true}], "name": "x"}"#,
            r#"{"value": [], "groups": [{"displayName": "A"}]}"#,
            r#"[{"displayName": "A", "displayName": "B", "securityEnabled": true}]"#,
            // A string serde_json does not decode (a lone surrogate).
            r#"[{"id": "\ud800", "displayName": "A", "securityEnabled": true}]"#,
            // Not JSON (the reference reader's parser takes comments).
            "[{\"displayName\": \"A\", \"securityEnabled\": true} // x\n]",
        ];
        for text in cases {
            assert!(!text_agrees(text), "accepted:\n{text}");
        }
    }
}
