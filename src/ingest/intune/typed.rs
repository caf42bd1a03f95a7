//! The typed fast path for the bulk of a tenant: Graph Settings Catalog policy files, and
//! (module `groups`) Entra groups files.
//!
//! A tenant export is mostly one `deviceManagementConfigurationPolicy` object per file (with
//! its `@odata.type`, or without it as a saved Graph `$entity` response or an IntuneCD backup
//! writes it), or a list of them (a Graph list response `{"value": [...]}`, a JSON array), and
//! a full AST of every file (the reference reader in the parent module) costs about twice a typed
//! pass (architecture.md, "Speed"). Such files are therefore read by a [`Cursor`] into the few
//! typed structs below, field by field; the `settings` list is mapped to [`Setting`]s item by
//! item as it is read, so no tree of the whole file is built. Every value a diagnostic may
//! point at is kept as a [`Raw`]: a slice of the file's own text, so its byte span is its
//! offset in that text, exact, with no second parse and no JSON pointer to resolve later
//! (docs/performance.md, "Decisions").
//!
//! The fast path accepts or declines, and never reports. Anything outside the common shape
//! makes it decline: a missing or mistyped field, a duplicate or escaped key, an instance without
//! `@odata.type`, JSON that serde_json would reject. The reference reader then reads the file
//! and says what is wrong with it. When the fast path accepts, its result is the reference
//! reader's, field for field: the setting constructors are shared, and tests compare both
//! readers on every fixture and corpus file (a fuzz target does so on arbitrary input).

use std::borrow::Cow;

use rayon::prelude::*;

mod groups;
pub(super) mod streamed;

use super::cursor::Cursor;
use super::untyped::{Untyped, UntypedKeys};
use super::{
    ALL_ZERO_GUID, CATALOG_INSTANCE, GRAPH, INSTANCE_KINDS, Reader, TargetKind, number_value,
    target_kind,
};
use crate::catalog::Catalog;
use crate::ingest::Parsed;
use crate::ingest::json;
use crate::model::{
    Assignment, FilterRef, InlineRule, Mode, Policy, PolicyKind, Setting, Target, Value,
};
use crate::source::{SourceFile, SourceId, Span};

/// A JSON value as written in the file: a slice of the file's text.
type Raw<'a> = &'a str;

/// A field that may be absent, `null` or a value: `Some(None)` is an explicit `null`.
type Nullable<T> = Option<Option<T>>;

/// Read a Graph Settings Catalog policy file or an Entra groups file, or decline with `None`
/// (see the module docs).
pub(super) fn read(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Option<Parsed> {
    let text = file.text();
    let body = text.trim_matches(JSON_WHITESPACE);
    if !(body.starts_with('{') || body.starts_with('[')) {
        return None;
    }
    let fast = Fast::new(text, id, catalog);
    // Cheap refusal of everything else (filters, other policy types) by the names each shape
    // needs.
    let mut out = Parsed::default();
    if mentions_catalog_policy(body) {
        out.policies = recording_lines(file, |cursor| {
            fast.whole_policy(cursor).map(|policy| vec![policy])
        })
        // A list of policies, which the first try declines at its first key or bracket.
        .or_else(|| recording_lines(file, |cursor| fast.policy_list(cursor)))?;
    } else if groups::mentions_group(body) {
        out.groups = recording_lines(file, |cursor| fast.group_file(cursor))?;
    } else {
        return None;
    }
    Some(out)
}

/// Read a file with a cursor that notes where its lines start as it goes (into a vector each
/// thread reuses): when `read` accepts, the file takes them as its line index and needs no
/// second scan for it.
fn recording_lines<'t, T>(
    file: &'t SourceFile,
    read: impl FnOnce(&mut Cursor<'t>) -> Option<T>,
) -> Option<T> {
    thread_local! {
        static LINE_STARTS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let mut cursor = Cursor::recording_lines(file.text(), LINE_STARTS.take());
    let result = read(&mut cursor);
    let line_starts = cursor.into_line_starts();
    if result.is_some() {
        file.offer_line_starts(&line_starts);
    }
    // A long list file's vector (23 MB for one of 265 MB) is not kept for the run's files of
    // tens of kilobytes.
    if line_starts.capacity() <= KEPT_LINE_STARTS {
        LINE_STARTS.set(line_starts);
    }
    result
}

/// The most line starts a thread's reused vector keeps room for between files.
const KEPT_LINE_STARTS: usize = 1 << 20;

const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// A list of policies or groups is read in chunks of about this size (at most four per thread)
/// on all cores, when it is long enough for two.
const LIST_CHUNK_BYTES: usize = 4 << 20;

/// How a list's item is read: shared by the threads that read its chunks.
type ListItem<'f, 't, T> = dyn Fn(&Fast<'t, '_>, &mut Cursor<'t>) -> Option<T> + Sync + 'f;

/// What reading one chunk of a long list gave.
enum Chunk<'t, T> {
    /// Its items, and the cursor where it stopped (the next chunk's start, or the `]`).
    Read(Vec<T>, Cursor<'t>),
    /// An item declined: the list declines if the chunk starts at an item.
    Declined,
    /// It did not stop at the next chunk's start: that start is no item's.
    Misaligned,
}

/// The policy type, or (for exports without `@odata.type`: a saved Graph `$entity`, IntuneCD)
/// a setting instance's key.
fn mentions_catalog_policy(body: &str) -> bool {
    let bytes = body.as_bytes();
    memchr::memmem::find(bytes, b"deviceManagementConfigurationPolicy\"").is_some()
        || memchr::memmem::find(bytes, b"\"settingDefinitionId\"").is_some()
}

/// What the fast path reads with: the file's text (for spans) and the reference reader's
/// setting constructors.
struct Fast<'t, 'c> {
    text: &'t str,
    /// Where `text` starts in the file: 0, or a window's offset (see [`streamed`]).
    base: usize,
    id: SourceId,
    reader: Reader<'c>,
}

impl<'t, 'c> Fast<'t, 'c> {
    fn new(text: &'t str, id: SourceId, catalog: &'c Catalog) -> Fast<'t, 'c> {
        Fast::window(text, 0, id, catalog)
    }

    /// A reader of a window of the file: `text` is the file's bytes from `base`.
    fn window(text: &'t str, base: usize, id: SourceId, catalog: &'c Catalog) -> Fast<'t, 'c> {
        Fast {
            text,
            base,
            id,
            reader: Reader {
                catalog,
                out: Parsed::default(),
            },
        }
    }
}

impl<'t> Fast<'t, '_> {
    /// The span of a value: where its text sits in the file's text.
    fn span(&self, raw: Raw<'_>) -> Span {
        let start = self.offset(raw);
        Span::new(start, start + raw.len())
    }

    /// Where a slice of the text starts in the file.
    fn offset(&self, raw: Raw<'_>) -> usize {
        let start = raw.as_ptr() as usize - self.text.as_ptr() as usize;
        debug_assert!(start + raw.len() <= self.text.len());
        self.base + start
    }

    /// A string value and its span; None (decline) for anything else.
    fn string<'a>(&self, raw: Option<Raw<'a>>) -> Option<(Cow<'a, str>, Span)> {
        let raw = raw?;
        Some((string_value(raw)?, self.span(raw)))
    }

    /// The file's policy, with its settings and assignments: the file read to its end.
    fn whole_policy(&self, cursor: &mut Cursor<'t>) -> Option<Policy> {
        let policy = self.policy_object(cursor)?;
        cursor.end()?;
        Some(policy)
    }

    /// The policies of a Graph list response (`{"value": [...]}`, annotations beside it) or of
    /// a top-level array: every item must be a policy the fast path reads, or it declines.
    fn policy_list(&self, cursor: &mut Cursor<'t>) -> Option<Vec<Policy>> {
        list_in(cursor, |cursor| self.policy_items(cursor, LIST_CHUNK_BYTES))
    }

    /// The policies of a list, at its `[`.
    fn policy_items(&self, cursor: &mut Cursor<'t>, chunk_bytes: usize) -> Option<Vec<Policy>> {
        self.list_items(cursor, chunk_bytes, &|fast, cursor| {
            fast.policy_object(cursor)
        })
    }

    /// The items of a list, at its `[`, each read by `item`. A long list (a Graph list
    /// response of a whole tenant is one file of hundreds of megabytes) is read in chunks of
    /// about `chunk_bytes` on all cores; see [`Fast::chunk_starts`] for where they start, and
    /// how a start that is no item's is caught.
    fn list_items<T: Send>(
        &self,
        cursor: &mut Cursor<'t>,
        chunk_bytes: usize,
        item: &ListItem<'_, 't, T>,
    ) -> Option<Vec<T>> {
        let starts = self.chunk_starts(cursor.pos(), chunk_bytes);
        if starts.len() > 1
            && let Some(read) = self.chunked_items(cursor, &starts, item)
        {
            return read;
        }
        list_of(cursor, |cursor| item(self, cursor))
    }

    /// Where the chunks of a long list at `open` (its `[`) start: its first item, then for
    /// each further chunk the first place at or after its share of the text where a line
    /// holds only an opening brace indented as the first item is, after a comma. In a
    /// pretty-printed list that is an item's start (a raw line end is never inside a string,
    /// and nested objects are indented deeper), but nothing makes a file pretty: every start
    /// is only a guess, which the chunk before it confirms by ending its last item exactly
    /// there. One start (or none) when the list is short or not written one item per line.
    fn chunk_starts(&self, open: usize, chunk_bytes: usize) -> Vec<usize> {
        let bytes = self.text.as_bytes();
        let open = after_blank(bytes, open);
        if bytes.get(open) != Some(&b'[') {
            return Vec::new();
        }
        let first = after_blank(bytes, open + 1);
        let chunks = (bytes.len() - first) / chunk_bytes.max(1);
        let chunks = chunks.min(4 * rayon::current_num_threads());
        let (Some(opening), true) = (item_opening(bytes, first), chunks > 1) else {
            return vec![first];
        };
        let finder = memchr::memmem::Finder::new(opening);
        let mut starts = vec![first];
        for k in 1..chunks {
            let from = (first + k * (bytes.len() - first) / chunks).max(starts[k - 1] + 1);
            match next_item_start(bytes, from, &finder) {
                Some(start) => starts.push(start),
                None => break,
            }
        }
        starts
    }

    /// The items of a list read in chunks from `starts` (the cursor at the list's `[`), on all
    /// cores: the items in list order and the cursor past the list, as [`list_of`] leaves them.
    /// `Some(None)` when an item declines (its chunk starts where the chunk before ended, so
    /// at an item: the list declines); None, the cursor left where it was, when a start
    /// proves to be no item's (the caller then reads the list in one go).
    fn chunked_items<T: Send>(
        &self,
        cursor: &mut Cursor<'t>,
        starts: &[usize],
        item: &ListItem<'_, 't, T>,
    ) -> Option<Option<Vec<T>>> {
        // The list's opening, by a cursor of its own: the lines up to the first item, and one
        // level deeper, as the chunks' cursors (forked from it) must be.
        let mut opening = cursor.fork_at(cursor.pos());
        opening.expect(b'[')?;
        opening.enter()?;
        opening.skip_whitespace();
        debug_assert_eq!(opening.pos(), starts[0]);
        let chunks: Vec<(Cursor<'t>, Option<usize>)> = starts
            .iter()
            .enumerate()
            .map(|(k, &start)| (opening.fork_at(start), starts.get(k + 1).copied()))
            .collect();
        let read: Vec<Chunk<'t, T>> = chunks
            .into_par_iter()
            .map(|(chunk, stop)| self.chunk(chunk, stop, item))
            .collect();
        // The first chunk that did not read to its end decides.
        match read.iter().find(|chunk| !matches!(chunk, Chunk::Read(..))) {
            Some(Chunk::Declined) => return Some(None),
            Some(_) => return None,
            None => {}
        }
        let mut items = Vec::new();
        let mut read_to = |end: Cursor<'t>| {
            let pos = end.pos();
            cursor.skip_to(pos, &end.into_line_starts());
        };
        read_to(opening);
        for chunk in read {
            if let Chunk::Read(chunk_items, end) = chunk {
                items.extend(chunk_items);
                read_to(end);
            }
        }
        // The last chunk stands at the list's `]`.
        Some(cursor.expect(b']').map(|()| items))
    }

    /// The items of one chunk: from the cursor's position until it stands at `stop` (the
    /// next chunk's start) after a comma, or (the last chunk, `stop` None) at the list's `]`.
    fn chunk<T>(
        &self,
        mut cursor: Cursor<'t>,
        stop: Option<usize>,
        item: &ListItem<'_, 't, T>,
    ) -> Chunk<'t, T> {
        let mut items = Vec::new();
        loop {
            let Some(read) = item(self, &mut cursor) else {
                return Chunk::Declined;
            };
            items.push(read);
            match (cursor.peek(), stop) {
                (Some(b','), _) => {
                    cursor.expect(b',');
                }
                (Some(b']'), None) => return Chunk::Read(items, cursor),
                (Some(b']'), Some(_)) => return Chunk::Misaligned,
                _ => return Chunk::Declined,
            }
            if let Some(stop) = stop {
                cursor.skip_whitespace();
                match cursor.pos().cmp(&stop) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => return Chunk::Read(items, cursor),
                    std::cmp::Ordering::Greater => return Chunk::Misaligned,
                }
            }
        }
    }

    /// A policy object, with its settings and assignments.
    fn policy_object(&self, cursor: &mut Cursor<'t>) -> Option<Policy> {
        let ((doc, settings), body) = cursor.with_text(|cursor| self.policy_doc(cursor))?;
        let mut policy = self.policy(&doc, body)?;
        policy.settings = settings;
        if let Some(assignments) = doc.assignments {
            self.assignments(assignments, &mut policy)?;
        }
        Some(policy)
    }

    /// The policy itself: type, name and id, as the reference reader takes them.
    fn policy(&self, doc: &PolicyDoc<'_>, body: &str) -> Option<Policy> {
        let catalog_policy = match doc.odata_type {
            Some(raw) => {
                string_value(raw)?.strip_prefix(GRAPH)
                    == Some("deviceManagementConfigurationPolicy")
            }
            None => doc.untyped_catalog_policy(),
        };
        if !catalog_policy || (doc.tenant_id && doc.objects) || doc.settings_missing() {
            return None;
        }
        let name = doc
            .name
            .filter(|raw| raw.starts_with('"'))
            .or(doc.display_name);
        let (name, name_span) = self.string(name)?;
        let id = doc
            .id
            .and_then(string_value)
            .filter(|id| !id.is_empty())
            .map(Cow::into_owned);
        let start = self.offset(body);
        Some(Policy {
            id,
            name: name.into_owned(),
            kind: PolicyKind::SettingsCatalog,
            source: self.id,
            span: Span::new(start, start + body.len()),
            name_span,
            settings: Vec::new(),
            assignments: Vec::new(),
            assignments_exported: false,
            gpo: None,
        })
    }

    /// One setting instance and, recursively, its children (as `Reader::read_instance`).
    fn instance(&self, instance: &Instance<'_>, out: &mut Vec<Setting>) -> Option<()> {
        let kind = instance_kind(instance.odata_type?)?;
        let (definition, name_span) = self.string(instance.definition)?;
        let definition = (definition.as_ref(), name_span);
        match kind {
            "ChoiceSettingInstance" => {
                if let Some(choice) = nested(&instance.choice) {
                    self.choice(definition, choice, out)?;
                }
            }
            "SimpleSettingInstance" => {
                if let Some(simple) = nested(&instance.simple)
                    && let Some((raw, span)) = self.simple_value(simple)?
                {
                    out.push(self.reader.simple_setting(definition, raw, span));
                }
            }
            "SimpleSettingCollectionInstance" => {
                if let Some(raw) = instance.simple_collection
                    && let Some(list) = array(raw)?
                {
                    self.simple_collection(definition, list, out)?;
                }
            }
            "ChoiceSettingCollectionInstance" => {
                if let Some(raw) = instance.choice_collection
                    && let Some(list) = array(raw)?
                {
                    self.choice_collection(definition, list, out)?;
                }
            }
            "GroupSettingCollectionInstance" => {
                // `null` items are skipped, as the reference reader does.
                let values = nested(&instance.group_collection).into_iter().flatten();
                let names_values = self.reader.value_list(definition.0);
                for value in values.flatten() {
                    let start = out.len();
                    self.children(&value.children, out)?;
                    self.reader
                        .group_item(definition.0, names_values, out, start);
                }
            }
            _ => {
                if let Some(group) = nested(&instance.group) {
                    self.children(&group.children, out)?;
                }
            }
        }
        Some(())
    }

    fn children(
        &self,
        children: &Nullable<Vec<Instance<'_>>>,
        out: &mut Vec<Setting>,
    ) -> Option<()> {
        for child in nested(children).into_iter().flatten() {
            self.instance(child, out)?;
        }
        Some(())
    }

    /// A choice value: the setting (when it has an option), then its children.
    fn choice(
        &self,
        definition: (&str, Span),
        choice: &ChoiceValue<'_>,
        out: &mut Vec<Setting>,
    ) -> Option<()> {
        if let Some((option, span)) = self.optional_string(choice.value)? {
            out.push(self.reader.choice_setting(definition, &option, span));
        }
        self.children(&choice.children, out)
    }

    /// A simple value as the reference reader's `scalar_value` takes it, with its span.
    fn simple_value(&self, simple: &SimpleValue<'_>) -> Option<Option<(Value, Span)>> {
        let Some(raw) = simple.value else {
            return Some(None);
        };
        let value_type = simple.odata_type.and_then(string_value);
        let value_type = value_type.as_deref().unwrap_or_default();
        // A secret may be encrypted, which the reference reader notes.
        if value_type.ends_with("SecretSettingValue") {
            return None;
        }
        let integer = value_type.ends_with("IntegerSettingValue");
        Some(scalar(raw, integer)?.map(|value| (value, self.span(raw))))
    }

    fn simple_collection(
        &self,
        definition: (&str, Span),
        list: Raw<'_>,
        out: &mut Vec<Setting>,
    ) -> Option<()> {
        let values = list_of(&mut Cursor::new(list), read_fields::<SimpleValue>)?;
        let mut items = Vec::with_capacity(values.len());
        for simple in &values {
            if let Some((value, _)) = self.simple_value(simple)? {
                items.push(value);
            }
        }
        out.push(
            self.reader
                .collection_setting(definition, items, self.span(list)),
        );
        Some(())
    }

    fn choice_collection(
        &self,
        definition: (&str, Span),
        list: Raw<'_>,
        out: &mut Vec<Setting>,
    ) -> Option<()> {
        let values = list_of(&mut Cursor::new(list), read_fields::<ChoiceValue>)?;
        let mut items = Vec::with_capacity(values.len());
        let mut children = Vec::new();
        for choice in &values {
            if let Some((option, _)) = self.optional_string(choice.value)? {
                items.push(self.reader.choice_value(definition.0, &option).1);
            }
            self.children(&choice.children, &mut children)?;
        }
        out.push(
            self.reader
                .collection_setting(definition, items, self.span(list)),
        );
        out.append(&mut children);
        Some(())
    }

    /// The `assignments` array, as `Reader::read_assignment_list` reads it.
    fn assignments(&self, raw: Raw<'_>, policy: &mut Policy) -> Option<()> {
        let Some(list) = array(raw)? else {
            return Some(());
        };
        // Each item kept whole first: an assignment's span is its object.
        let items = list_of(&mut Cursor::new(list), Cursor::value)?;
        policy.assignments_exported = true;
        policy.assignments.reserve(items.len());
        for item in items {
            policy.assignments.push(self.assignment(item)?);
        }
        Some(())
    }

    /// One assignment, as the reference reader's `read_assignment` takes it.
    fn assignment(&self, raw: Raw<'_>) -> Option<Assignment> {
        if !raw.starts_with('{') {
            return None;
        }
        let mut cursor = Cursor::new(raw);
        let doc = read_fields::<AssignmentDoc>(&mut cursor)?;
        cursor.end()?;
        let target = doc.target?;
        let type_node = match target.odata_type {
            Some(node) => Some((string_value(node)?, node)),
            None => None,
        };
        let type_name = type_node
            .as_ref()
            .map(|(t, _)| t.strip_prefix(GRAPH).unwrap_or(t));
        let group_id = self.optional_string(target.group_id)?;
        let group_name = self.optional_string(target.group_name)?;
        let has_group = group_id.is_some() || group_name.is_some();
        let (target_value, mode) = match target_kind(type_name, has_group)? {
            TargetKind::Group(mode) => (self.group_target(&target, &group_id, &group_name)?, mode),
            TargetKind::Other(target) => (target, Mode::Include),
        };
        let target_span = match (&group_id, &group_name, &type_node) {
            (Some((_, span)), _, _) | (None, Some((_, span)), _) => *span,
            (None, None, Some((_, node))) => self.span(node),
            (None, None, None) => return None,
        };
        Some(Assignment {
            target: target_value,
            mode,
            filter: self.filter_ref(&target)?,
            span: self.span(raw),
            target_span,
            file: None,
        })
    }

    /// A string field that may be absent or null (`groupId`, a choice's option id):
    /// `Some(None)` then, decline for another type.
    fn optional_string<'a>(&self, raw: Option<Raw<'a>>) -> Option<Option<(Cow<'a, str>, Span)>> {
        match raw {
            None => Some(None),
            Some("null") => Some(None),
            Some(raw) => self.string(Some(raw)).map(Some),
        }
    }

    /// A group target: its id and/or name, and the membership rule IntuneCD writes inline.
    fn group_target(
        &self,
        target: &TargetDoc<'_>,
        id: &Option<(Cow<'_, str>, Span)>,
        name: &Option<(Cow<'_, str>, Span)>,
    ) -> Option<Target> {
        if id.is_none() && name.is_none() {
            return None;
        }
        let inline_rule = match self.optional_string(target.membership_rule)? {
            Some((text, span)) if !text.trim().is_empty() => {
                let json::StrContent { span, offsets, .. } =
                    self.str_content(&text, self.slice(span));
                Some(InlineRule {
                    offsets,
                    text: text.into_owned(),
                    span,
                })
            }
            _ => None,
        };
        Some(Target::Group {
            id: id.as_ref().map(|(id, _)| id.to_string()),
            name: name.as_ref().map(|(name, _)| name.to_string()),
            inline_rule,
        })
    }

    /// The assignment filter of a target, when its type is include or exclude and it names one.
    fn filter_ref(&self, target: &TargetDoc<'_>) -> Option<Option<FilterRef>> {
        let kind = target.filter_type.and_then(string_value);
        let mode = match kind.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("include") => Mode::Include,
            Some(t) if t.eq_ignore_ascii_case("exclude") => Mode::Exclude,
            _ => return Some(None),
        };
        Some(match self.optional_string(target.filter_id)? {
            Some((id, span)) if !id.is_empty() && id != ALL_ZERO_GUID => Some(FilterRef {
                reference: id.into_owned(),
                mode,
                span,
            }),
            _ => None,
        })
    }

    /// A string's decoded text with its content span (quotes excluded) and offset map, as the
    /// reference reader's `Doc::str_content` gives them.
    fn str_content<'v>(&self, text: &'v str, raw: Raw<'_>) -> json::StrContent<'v> {
        let literal = self.span(raw);
        json::StrContent {
            value: text,
            span: Span::new(literal.start as usize + 1, literal.end as usize - 1),
            offsets: json::string_offsets(raw),
        }
    }

    /// The text of a span of the file.
    fn slice(&self, span: Span) -> &str {
        let range = span.range();
        &self.text[range.start - self.base..range.end - self.base]
    }
}

/// The first position at or after `at` that is not JSON whitespace.
fn after_blank(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b" \t\r\n".contains(b)) {
        at += 1;
    }
    at
}

/// How the lines of a list's items open, from its first item at `first`: a line end, the
/// item's indent, `{`. None when that item is no object opening a line of its own.
fn item_opening(bytes: &[u8], first: usize) -> Option<&[u8]> {
    if bytes.get(first) != Some(&b'{') {
        return None;
    }
    let line = bytes[..first].iter().rposition(|&b| b == b'\n')?;
    Some(&bytes[line..=first])
}

/// The `{` of the first line at or after `from` that holds only an item's opening (what
/// `finder` finds: see [`item_opening`]) after a comma: a guess at an item's start, which
/// only the item before it ending there confirms.
fn next_item_start(bytes: &[u8], from: usize, finder: &memchr::memmem::Finder) -> Option<usize> {
    let mut at = from;
    while let Some(found) = finder.find(&bytes[at..]) {
        let line = at + found;
        if bytes[..line].trim_ascii_end().last() == Some(&b',') {
            return Some(line + finder.needle().len() - 1);
        }
        at = line + 1;
    }
    None
}

/// The list of a Graph list response (`{"value": [...]}`, annotations beside it) or a
/// top-level array, read by `items` at its `[`; the file read to its end.
fn list_in<'t, T>(
    cursor: &mut Cursor<'t>,
    mut items: impl FnMut(&mut Cursor<'t>) -> Option<Vec<T>>,
) -> Option<Vec<T>> {
    let mut list = None;
    if cursor.peek()? == b'[' {
        list = Some(items(cursor)?);
    } else {
        // The reference reader's wrapper: no key but `value` and annotations.
        cursor.object(|cursor, key| match key {
            "value" if list.is_none() => {
                list = Some(items(cursor)?);
                Some(())
            }
            // A page of a longer list: the reference reader notes what is missing.
            key if super::is_next_link(key) => None,
            key if json::is_annotation(key) => cursor.skip(),
            _ => None,
        })?;
    }
    cursor.end()?;
    list
}

/// The value of a present field, `None` when absent or null.
fn nested<T>(field: &Nullable<T>) -> Option<&T> {
    field.as_ref().and_then(Option::as_ref)
}

/// An array field: `Some(None)` for null, `Some(Some(raw))` for an array; decline otherwise.
fn array(raw: Raw<'_>) -> Option<Option<Raw<'_>>> {
    match raw.as_bytes().first() {
        Some(b'[') => Some(Some(raw)),
        _ if raw == "null" => Some(None),
        _ => None,
    }
}

/// The decoded text of a JSON string; None when the value is not a string.
fn string_value(text: Raw<'_>) -> Option<Cow<'_, str>> {
    let content = text.strip_prefix('"')?.strip_suffix('"')?;
    if memchr::memchr(b'\\', content.as_bytes()).is_some() {
        serde_json::from_str::<String>(text).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(content))
    }
}

/// The instance kind its `@odata.type` names; decline for anything else (the reference reader
/// reports unknown types and infers missing ones).
fn instance_kind(raw: Raw<'_>) -> Option<&'static str> {
    let odata_type = string_value(raw)?;
    let rest = odata_type.strip_prefix(CATALOG_INSTANCE)?;
    INSTANCE_KINDS
        .iter()
        .find(|(kind, _)| *kind == rest)
        .map(|(kind, _)| *kind)
}

/// A scalar setting value as the reference reader's `scalar_value` makes it: `Some(None)` for
/// null; decline for objects and arrays.
fn scalar(text: Raw<'_>, integer: bool) -> Option<Option<Value>> {
    Some(Some(match text.as_bytes().first()? {
        b'"' => {
            let s = string_value(text)?;
            if integer {
                s.trim()
                    .parse()
                    .map_or_else(|_| Value::Str(s.to_string()), Value::Int)
            } else {
                Value::Str(s.into_owned())
            }
        }
        b't' => Value::Bool(true),
        b'f' => Value::Bool(false),
        b'n' => return Some(None),
        b'-' | b'0'..=b'9' => number_value(text),
        _ => return None,
    }))
}

// ---- the typed structs and how they are read ----

impl<'t> Fast<'t, '_> {
    /// The policy object, with its `settings` turned into [`Setting`]s item by item as they
    /// are read: no tree of the whole list is built, and each item is mapped while it is in
    /// the cache.
    fn policy_doc(&self, cursor: &mut Cursor<'t>) -> Option<(PolicyDoc<'t>, Vec<Setting>)> {
        // The settings go to a vector each thread reuses, then are copied at their exact
        // number (one allocation per policy, not a growing vector shrunk afterwards).
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<Setting>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SCRATCH.with_borrow_mut(|settings| {
            settings.clear();
            let mut doc = PolicyDoc::default();
            let mut seen_settings = false;
            cursor.object(|cursor, key| match key {
                // A Graph list response (`{"value": [...]}`): the reference reader's, and
                // better declined before skipping the whole list.
                "value" => None,
                "settings" if std::mem::replace(&mut seen_settings, true) => None,
                "settings" => {
                    doc.untyped.note(key);
                    self.settings(cursor, settings, &mut doc.items)
                }
                _ => doc.field(key, cursor),
            })?;
            let mut exact = Vec::with_capacity(settings.len());
            exact.append(settings);
            Some((doc, exact))
        })
    }

    /// The `settings` array (or `null`), each item mapped to settings as soon as it is read
    /// and counted in `items`.
    fn settings(
        &self,
        cursor: &mut Cursor<'t>,
        out: &mut Vec<Setting>,
        items: &mut usize,
    ) -> Option<()> {
        if cursor.null() {
            return Some(());
        }
        cursor.array(|cursor| {
            *items += 1;
            // A `null` instance is skipped; a missing one declines (a bare instance, or an
            // error the reference reader reports).
            let item = read_fields::<Item>(cursor)?;
            match item.instance? {
                Some(instance) => self.instance(&instance, out),
                None => Some(()),
            }
        })
    }
}

/// A `deviceManagementConfigurationPolicy` object (only what the model takes from it; its
/// `settings` are read by [`Fast::policy_doc`]).
#[derive(Default)]
struct PolicyDoc<'a> {
    odata_type: Option<Raw<'a>>,
    name: Option<Raw<'a>>,
    display_name: Option<Raw<'a>>,
    id: Option<Raw<'a>>,
    assignments: Option<Raw<'a>>,
    /// The policy's own count of its settings.
    setting_count: Option<Raw<'a>>,
    /// The items of `settings` read.
    items: usize,
    /// IntuneManagement's migration table carries both (the reference reader skips it).
    tenant_id: bool,
    objects: bool,
    /// The keys the reference reader classifies an object without `@odata.type` by.
    untyped: UntypedKeys,
}

impl PolicyDoc<'_> {
    /// What the reference reader reads as a Settings Catalog policy when it has no
    /// `@odata.type` (an endpoint-security intent otherwise, or another shape).
    fn untyped_catalog_policy(&self) -> bool {
        self.untyped.shape() == Some(Untyped::SettingsCatalog)
    }

    /// The policy counts more settings than its export holds (the reference reader notes it).
    fn settings_missing(&self) -> bool {
        self.setting_count
            .and_then(|raw| raw.parse::<u64>().ok())
            .is_some_and(|declared| declared > self.items as u64)
    }
}

/// One item of `settings`: `{"id": .., "settingInstance": {..}}`.
#[derive(Default)]
struct Item<'a> {
    instance: Nullable<Instance<'a>>,
}

/// A setting instance; only the value property its type names is read.
#[derive(Default)]
struct Instance<'a> {
    odata_type: Option<Raw<'a>>,
    definition: Option<Raw<'a>>,
    choice: Nullable<ChoiceValue<'a>>,
    simple: Nullable<SimpleValue<'a>>,
    /// Collections are kept whole: the setting's span is the array.
    simple_collection: Option<Raw<'a>>,
    choice_collection: Option<Raw<'a>>,
    group_collection: Nullable<Vec<Option<GroupValue<'a>>>>,
    group: Nullable<GroupValue<'a>>,
}

#[derive(Default)]
struct ChoiceValue<'a> {
    value: Option<Raw<'a>>,
    children: Nullable<Vec<Instance<'a>>>,
}

#[derive(Default)]
struct SimpleValue<'a> {
    odata_type: Option<Raw<'a>>,
    value: Option<Raw<'a>>,
}

#[derive(Default)]
struct GroupValue<'a> {
    children: Nullable<Vec<Instance<'a>>>,
}

/// One item of `assignments`: `{"id": .., "target": {..}}`.
#[derive(Default)]
struct AssignmentDoc<'a> {
    /// Must be an object: `null` and other types decline (the reference reader reports them).
    target: Option<TargetDoc<'a>>,
}

#[derive(Default)]
struct TargetDoc<'a> {
    odata_type: Option<Raw<'a>>,
    group_id: Option<Raw<'a>>,
    group_name: Option<Raw<'a>>,
    membership_rule: Option<Raw<'a>>,
    filter_type: Option<Raw<'a>>,
    filter_id: Option<Raw<'a>>,
}

/// An object read key by key: known keys fill a field (once: a duplicate declines), others
/// are skipped. `field` must consume the key's value.
trait Fields<'t>: Default {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()>;
}

/// An object through its [`Fields`]; anything but an object declines.
fn read_fields<'t, T: Fields<'t>>(cursor: &mut Cursor<'t>) -> Option<T> {
    let mut fields = T::default();
    cursor.object(|cursor, key| fields.field(key, cursor))?;
    Some(fields)
}

/// An array of items read by `item`; anything but an array declines.
fn list_of<'t, T>(
    cursor: &mut Cursor<'t>,
    mut item: impl FnMut(&mut Cursor<'t>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut items = Vec::new();
    cursor.array(|cursor| {
        items.push(item(cursor)?);
        Some(())
    })?;
    Some(items)
}

/// A value that may be `null` (`None` then), else read by `read`.
fn nullable<'t, T>(
    cursor: &mut Cursor<'t>,
    read: impl FnOnce(&mut Cursor<'t>) -> Option<T>,
) -> Option<Option<T>> {
    if cursor.null() {
        Some(None)
    } else {
        read(cursor).map(Some)
    }
}

/// Fill a field once; a second occurrence of the key declines (the reference reader takes the
/// first, and reports nothing: such files are rare enough to leave to it).
fn once<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

/// Note that a key is present, whatever its value.
fn flag(present: &mut bool, cursor: &mut Cursor<'_>) -> Option<()> {
    *present = true;
    cursor.skip()
}

/// Instances as the `children` of a value: `null` or an array of objects.
fn children<'t>(cursor: &mut Cursor<'t>) -> Option<Option<Vec<Instance<'t>>>> {
    nullable(cursor, |cursor| list_of(cursor, read_fields::<Instance>))
}

impl<'t> Fields<'t> for PolicyDoc<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        // Noted whatever else is read of the key (`name` is both).
        self.untyped.note(key);
        match key {
            "@odata.type" => once(&mut self.odata_type, cursor.value()),
            "name" => once(&mut self.name, cursor.value()),
            "displayName" => once(&mut self.display_name, cursor.value()),
            "id" => once(&mut self.id, cursor.value()),
            "assignments" => once(&mut self.assignments, cursor.value()),
            "settingCount" => once(&mut self.setting_count, cursor.value()),
            "TenantId" => flag(&mut self.tenant_id, cursor),
            "Objects" => flag(&mut self.objects, cursor),
            // A paged collection: the reference reader notes what is missing.
            key if super::paged_collection(key).is_some() => None,
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for Item<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "settingInstance" => once(
                &mut self.instance,
                nullable(cursor, read_fields::<Instance>),
            ),
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for Instance<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "@odata.type" => once(&mut self.odata_type, cursor.value()),
            "settingDefinitionId" => once(&mut self.definition, cursor.value()),
            "choiceSettingValue" => once(
                &mut self.choice,
                nullable(cursor, read_fields::<ChoiceValue>),
            ),
            "simpleSettingValue" => once(
                &mut self.simple,
                nullable(cursor, read_fields::<SimpleValue>),
            ),
            "simpleSettingCollectionValue" => once(&mut self.simple_collection, cursor.value()),
            "choiceSettingCollectionValue" => once(&mut self.choice_collection, cursor.value()),
            "groupSettingCollectionValue" => {
                let group = |cursor: &mut Cursor<'t>| nullable(cursor, read_fields::<GroupValue>);
                let list = nullable(cursor, |cursor| list_of(cursor, group));
                once(&mut self.group_collection, list)
            }
            "groupSettingValue" => {
                once(&mut self.group, nullable(cursor, read_fields::<GroupValue>))
            }
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for ChoiceValue<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "value" => once(&mut self.value, cursor.value()),
            "children" => once(&mut self.children, children(cursor)),
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for SimpleValue<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "@odata.type" => once(&mut self.odata_type, cursor.value()),
            "value" => once(&mut self.value, cursor.value()),
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for GroupValue<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "children" => once(&mut self.children, children(cursor)),
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for AssignmentDoc<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "target" => once(&mut self.target, read_fields::<TargetDoc>(cursor)),
            _ => cursor.skip(),
        }
    }
}

impl<'t> Fields<'t> for TargetDoc<'t> {
    fn field(&mut self, key: &'t str, cursor: &mut Cursor<'t>) -> Option<()> {
        match key {
            "@odata.type" => once(&mut self.odata_type, cursor.value()),
            "groupId" => once(&mut self.group_id, cursor.value()),
            "groupName" => once(&mut self.group_name, cursor.value()),
            "membershipRule" => once(&mut self.membership_rule, cursor.value()),
            "deviceAndAppManagementAssignmentFilterType" => {
                once(&mut self.filter_type, cursor.value())
            }
            "deviceAndAppManagementAssignmentFilterId" => once(&mut self.filter_id, cursor.value()),
            _ => cursor.skip(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::ingest::intune::read_json_reference;
    use crate::testing::json_files;

    /// Read `text` both ways; when the fast path accepts, its result must be the reference
    /// reader's. Returns whether it accepted.
    pub(super) fn agrees(path: &Path, bytes: &[u8]) -> bool {
        let Ok(file) = SourceFile::decode(path, bytes) else {
            return false;
        };
        let catalog = Catalog::builtin();
        let Some(fast) = read(SourceId(3), &file, catalog) else {
            return false;
        };
        let reference = read_json_reference(SourceId(3), &file, catalog);
        assert_eq!(
            format!("{fast:#?}"),
            format!("{reference:#?}"),
            "{}",
            path.display()
        );
        // The line index the cursor handed over is the one the text gives.
        let fresh = SourceFile::decode(path, bytes).unwrap();
        assert_eq!(file.line_count(), fresh.line_count(), "{}", path.display());
        for offset in (0..=file.len()).step_by(7).chain([file.len()]) {
            assert_eq!(file.line_col(offset), fresh.line_col(offset), "{offset}");
        }
        true
    }

    pub(super) fn text_agrees(text: &str) -> bool {
        agrees(Path::new("inline.json"), text.as_bytes())
    }

    #[test]
    fn agrees_with_the_reference_reader_on_every_fixture_example_and_corpus_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["tests/fixtures", "examples", "../shared/corpus"] {
            json_files(&root.join(dir), &mut files);
        }
        let accepted = files
            .iter()
            .filter(|path| agrees(path, &std::fs::read(path).unwrap()))
            .count();
        // The fixtures and the example alone hold several plain Settings Catalog policies.
        assert!(
            accepted >= 5,
            "the fast path accepted only {accepted} files"
        );
        if !root.join("../shared/corpus").exists() {
            println!("skipping the corpus: ../shared/corpus not found");
        }
    }

    const POLICY_HEAD: &str = r##"{"@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy", "id": "p1", "name": "P", "settings": ["##;

    fn policy(settings: &str, tail: &str) -> String {
        format!("{POLICY_HEAD}{settings}]{tail}}}")
    }

    fn choice(definition: &str, option: &str, children: &str) -> String {
        format!(
            r##"{{"settingInstance": {{"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance", "settingDefinitionId": {definition}, "choiceSettingValue": {{"value": {option}, "children": [{children}]}}}}}}"##
        )
    }

    const PKU2U: &str = "\"device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests\"";
    const PKU2U_0: &str = "\"device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests_0\"";

    #[test]
    fn accepts_every_instance_kind_with_the_reference_spans() {
        let simple = r##"{"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance", "settingDefinitionId": "x_simple", "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": " 42 "}}}"##;
        let collections = r##"{"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance", "settingDefinitionId": "x_list", "simpleSettingCollectionValue": [{"value": "a"}, {"value": null}, {"value": 2.5}]}},
            {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance", "settingDefinitionId": "x_choices", "choiceSettingCollectionValue": [{"value": "x_choices_1", "children": []}, {"value": null}]}},
            {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance", "settingDefinitionId": "x_group", "groupSettingCollectionValue": [null, {"children": [{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance", "settingDefinitionId": "x_inner", "simpleSettingValue": {"value": true}}]}]}},
            {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingInstance", "settingDefinitionId": "x_g", "groupSettingValue": {"children": null}}},
            {"settingInstance": null}"##;
        let child = r##"{"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance", "settingDefinitionId": "x_child", "choiceSettingValue": {"value": "x_child_1"}}"##;
        let nested = choice(PKU2U, PKU2U_0, child);
        let settings = [nested.as_str(), simple, collections].join(",\n");
        let assignments = r##", "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1", "deviceAndAppManagementAssignmentFilterType": "include", "deviceAndAppManagementAssignmentFilterId": "f1"}}, {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]"##;
        let text = policy(&settings, assignments);
        assert!(text_agrees(&text), "declined:\n{text}");
        let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
        let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
        let policy = &parsed.policies[0];
        assert_eq!(policy.settings.len(), 6);
        assert_eq!(policy.assignments.len(), 2);
        assert_eq!(file.slice(policy.settings[0].span), PKU2U_0);
        assert_eq!(file.slice(policy.settings[0].name_span), PKU2U);
        assert_eq!(file.slice(policy.span), text.trim());
    }

    /// The Hardened UNC Paths list becomes the registry values it writes, both ways; children
    /// that are not its `_key`/`_value` pair (here one whose name, cut where the pair's names
    /// end, would split a character) stay as they are.
    #[test]
    fn value_lists_become_registry_values() {
        let list =
            "device_vendor_msft_policy_config_connectivity_hardeneduncpaths_pol_hardenedpaths";
        let simple = |definition: &str, value: &str| {
            format!(
                r##"{{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance", "settingDefinitionId": "{definition}", "simpleSettingValue": {{"value": "{value}"}}}}"##
            )
        };
        let item = |children: [String; 2]| format!(r#"{{"children": [{}]}}"#, children.join(", "));
        let odd = format!("{}é{}", &list[..list.len() - 1], "key");
        let items = [
            item([
                simple(&format!("{list}_key"), r"\\\\*\\SYSVOL"),
                simple(&format!("{list}_value"), "RequireIntegrity=1"),
            ]),
            item([simple(&odd, "x"), simple(&format!("{list}_value"), "y")]),
        ];
        let collection = format!(
            r##"{{"settingInstance": {{"@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance", "settingDefinitionId": "{list}", "groupSettingCollectionValue": [{}]}}}}"##,
            items.join(", ")
        );
        let text = policy(&collection, "");
        assert!(text_agrees(&text), "declined:\n{text}");
        let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
        let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
        let settings = &parsed.policies[0].settings;
        assert_eq!(settings.len(), 3);
        assert_eq!(
            settings[0].key.as_str(),
            "hklm\\software\\policies\\microsoft\\windows\\networkprovider\\hardenedpaths\\\\\\*\\sysvol"
        );
        assert_eq!(settings[0].value, Value::Str("RequireIntegrity=1".into()));
        assert_eq!(file.slice(settings[0].span), "\"RequireIntegrity=1\"");
        assert_eq!(file.slice(settings[0].name_span), r#""\\\\*\\SYSVOL""#);
        assert_eq!(settings[1].raw_name.as_str(), odd);
    }

    #[test]
    fn assignments_agree_in_every_shape_the_reference_reader_accepts() {
        let pku2u = choice(PKU2U, PKU2U_0, "");
        let target = |fields: &str| format!(r#"{{"id": "a", "target": {{{fields}}}}}"#);
        let accepted = [
            target(r##""@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1""##),
            target(
                r##""@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g2", "groupName": "Kiosks""##,
            ),
            target(
                r##""@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget", "groupId": null"##,
            ),
            target(
                r##""@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget""##,
            ),
            target(r##""@odata.type": "groupAssignmentTarget", "groupName": "No prefix""##),
            target(
                r#""groupName": "Untyped", "membershipRule": "(device.deviceTrustType -eq \"AzureAD\")""#,
            ),
            target(r#""groupId": "g3", "membershipRule": "  ""#),
            target(
                r##""@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g4", "deviceAndAppManagementAssignmentFilterType": "Include", "deviceAndAppManagementAssignmentFilterId": "f1""##,
            ),
            target(
                r##""@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g5", "deviceAndAppManagementAssignmentFilterType": "exclude", "deviceAndAppManagementAssignmentFilterId": "00000000-0000-0000-0000-000000000000""##,
            ),
            target(
                r##""@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "deviceAndAppManagementAssignmentFilterType": "none", "deviceAndAppManagementAssignmentFilterId": 7"##,
            ),
        ];
        let list = accepted.join(", ");
        let text = policy(&pku2u, &format!(r#", "assignments": [{list}]"#));
        assert!(text_agrees(&text), "declined:\n{text}");
        assert!(text_agrees(&policy(&pku2u, r#", "assignments": []"#)));
        assert!(text_agrees(&policy(&pku2u, r#", "assignments": null"#)));

        let declined = [
            r#"{"id": "a"}"#.to_string(),
            r#"{"target": null}"#.to_string(),
            r#"{"target": []}"#.to_string(),
            target(r#""groupId": 5"#),
            target(
                r##""@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "groupName": {}"##,
            ),
            target(r##""@odata.type": 1, "groupId": "g""##),
            target(r#""deviceAndAppManagementAssignmentFilterType": "include""#),
            target(r##""@odata.type": "#microsoft.graph.groupAssignmentTarget""##),
            target(r#""groupId": "g", "membershipRule": 3"#),
            target(
                r##""@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g", "deviceAndAppManagementAssignmentFilterType": "include", "deviceAndAppManagementAssignmentFilterId": []"##,
            ),
            "\"not an object\"".to_string(),
        ];
        for item in declined {
            let text = policy(&pku2u, &format!(r#", "assignments": [{item}]"#));
            assert!(!text_agrees(&text), "accepted:\n{text}");
        }
    }

    #[test]
    fn an_inline_rule_with_escapes_keeps_a_map_to_the_file_bytes() {
        let item = r#"{"target": {"groupName": "G", "membershipRule": "device.deviceTrustType -eq \u0022AzureAD\""}}"#;
        let text = policy(
            &choice(PKU2U, PKU2U_0, ""),
            &format!(r#", "assignments": [{item}]"#),
        );
        assert!(text_agrees(&text), "declined:\n{text}");
        let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
        let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
        let Target::Group {
            inline_rule: Some(rule),
            ..
        } = &parsed.policies[0].assignments[0].target
        else {
            panic!("an inline rule")
        };
        assert_eq!(rule.text, "device.deviceTrustType -eq \"AzureAD\"");
        let quote = rule.text.find('"').unwrap();
        let at = crate::model::map_inner_offset(rule.span, &rule.offsets, quote);
        assert!(text[at..].starts_with("\\u0022"));
    }

    #[test]
    fn escapes_decode_and_spans_cover_the_escaped_bytes() {
        let text = policy(
            &choice("\"x_\\u0061\"", "\"x_a_\\u0031\"", ""),
            r#", "name": "ignored""#,
        )
        .replace("\"name\": \"P\"", "\"displayName\": \"P \\\"quoted\\\"\"")
        .replace(", \"name\": \"ignored\"", "");
        assert!(text_agrees(&text), "declined:\n{text}");
        let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
        let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
        assert_eq!(parsed.policies[0].name, "P \"quoted\"");
        let setting = &parsed.policies[0].settings[0];
        assert_eq!(setting.raw_name, "x_a");
        assert_eq!(file.slice(setting.span), "\"x_a_\\u0031\"");
    }

    #[test]
    fn exports_without_odata_type_are_read_as_the_reference_reader_classifies_them() {
        let settings = format!(r#""settings": [{}]"#, choice(PKU2U, PKU2U_0, ""));
        let untyped = |fields: &str| format!("{{{fields}}}");
        // A saved Graph `$entity` and IntuneCD's backups carry no `@odata.type`.
        let accepted = [
            untyped(&format!(
                r#""@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies/$entity", "name": "P", {settings}"#
            )),
            untyped(&format!(
                r#""name": "P", "platforms": "windows10", "technologies": "mdm", "templateReference": {{"templateId": ""}}, {settings}"#
            )),
            untyped(&format!(
                r#""platforms": "windows10", "technologies": "mdm", "displayName": "P", {settings}"#
            )),
            untyped(&format!(
                r#""name": "P", "templateId": "t", "templateReference": null, {settings}"#
            )),
        ];
        for text in &accepted {
            assert!(text_agrees(text), "declined:\n{text}");
        }
        // What the reference reader reads as something else (an intent, a companion file) or
        // reports.
        let declined = [
            untyped(&format!(r#""name": "P", "settingsDelta": [], {settings}"#)),
            untyped(&format!(r#""name": "P", "templateId": "t", {settings}"#)),
            untyped(&format!(r#""name": "P", "TemplateId": "t", {settings}"#)),
            untyped(&settings),
            untyped(&format!(r#""description": "no name", {settings}"#)),
            untyped(&format!(r#""platforms": "windows10", {settings}"#)),
        ];
        for text in &declined {
            assert!(!text_agrees(text), "accepted:\n{text}");
        }
    }

    #[test]
    fn lists_of_policies_are_read_when_every_item_is_one() {
        let pku2u = policy(&choice(PKU2U, PKU2U_0, ""), "");
        let second = policy("", r#", "assignments": [{"target": {"groupId": "g1"}}]"#)
            .replace("\"p1\"", "\"p2\"");
        let untyped =
            r#"{"name": "U", "platforms": "windows10", "technologies": "mdm", "settings": []}"#;
        let items = [pku2u.as_str(), &second, untyped].join(",\n    ");
        let accepted = [
            format!(
                r#"{{"@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies", "value": [
    {items}
], "@odata.count": 3}}"#
            ),
            format!("[{items}]"),
        ];
        for text in &accepted {
            assert!(text_agrees(text), "declined:\n{text}");
            let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
            let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
            let names: Vec<_> = parsed.policies.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["P", "P", "U"]);
            assert_eq!(file.slice(parsed.policies[1].span), second);
        }
        // The fixture (a Graph list of a typed and an untyped policy, as an export writes it).
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/intune-lists/settings_catalog_list.json");
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            agrees(&path, &bytes),
            "the fast path declined {}",
            path.display()
        );
        let file = SourceFile::decode(&path, &bytes).unwrap();
        let parsed = read(SourceId(0), &file, Catalog::builtin()).unwrap();
        let names: Vec<_> = parsed.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Contoso - Device hardening", "Contoso_WIN_D_PKU2U"]);

        let group = r#"{"id": "g", "displayName": "G", "groupTypes": [], "securityEnabled": true}"#;
        let declined = [
            // An item of another kind: the reference reader reads the whole list.
            format!(r#"{{"value": [{pku2u}, {group}]}}"#),
            format!(r#"[{pku2u}, "text"]"#),
            // Not the wrapper the reference reader unwraps.
            format!(r#"{{"value": [{pku2u}], "name": "x"}}"#),
            format!(r#"{{"value": [{pku2u}], "value": []}}"#),
            format!(r#"{{"value": {pku2u}}}"#),
            // A page of a longer list: the reference reader notes the missing pages.
            format!(r#"{{"value": [{pku2u}], "@odata.nextLink": "n"}}"#),
            // Annotations only: a policy without a name, which the reference reader reports.
            r##"{"@odata.context": "x", "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy"}"##.to_string(),
        ];
        for text in &declined {
            assert!(!text_agrees(text), "accepted:\n{text}");
        }
    }

    /// A policy that counts more settings (`settingCount`) than its export holds is left to
    /// the reference reader, which notes it; one whose count is met, or not a number, is read
    /// here as the reference reader reads it.
    #[test]
    fn policies_short_of_their_setting_count_decline() {
        let one = choice(PKU2U, PKU2U_0, "");
        let counted = |count: &str, settings: &str| {
            policy(settings, &format!(r#", "settingCount": {count}"#))
        };
        for met in [
            counted("1", &one),
            counted("0", ""),
            counted("\"7\"", &one),
            counted("1.5", ""),
        ] {
            assert!(text_agrees(&met), "declined:\n{met}");
        }
        for short in [
            counted("2", &one),
            counted("1", ""),
            counted("40", &format!("{one}, {one}")),
        ] {
            assert!(!text_agrees(&short), "accepted:\n{short}");
            let file = SourceFile::decode(Path::new("inline.json"), short.as_bytes()).unwrap();
            let parsed = super::super::read_json_reference(SourceId(0), &file, Catalog::builtin());
            assert!(matches!(
                parsed.incomplete[..],
                [crate::model::Incomplete {
                    missing: crate::model::Missing::Settings { .. },
                    ..
                }]
            ));
        }
    }

    /// A policy whose expanded assignments or settings name a next page
    /// (`assignments@odata.nextLink`) is left to the reference reader, which notes the paged
    /// collection, and only that: a paged `settings` says more than a short `settingCount`.
    #[test]
    fn policies_with_a_paged_collection_decline() {
        use crate::model::{Incomplete, Missing};
        let one = choice(PKU2U, PKU2U_0, "");
        let assignments = r##", "assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]"##;
        let cases = [
            (
                policy(
                    &one,
                    &format!(r#"{assignments}, "assignments@odata.nextLink": "n""#),
                ),
                "assignments",
                1,
            ),
            (
                policy(
                    &one,
                    r#", "settingCount": 9, "settings@odata.nextLink": "n""#,
                ),
                "settings",
                1,
            ),
            (
                format!(
                    r#"{{"value": [{}]}}"#,
                    policy("", r#", "assignments@odata.nextLink": "n""#)
                ),
                "assignments",
                0,
            ),
        ];
        for (text, paged, held) in cases {
            assert!(!text_agrees(&text), "accepted:\n{text}");
            let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
            let parsed = super::super::read_json_reference(SourceId(0), &file, Catalog::builtin());
            let [
                Incomplete {
                    location,
                    missing: Missing::CollectionPage { collection, items },
                },
            ] = &parsed.incomplete[..]
            else {
                panic!("{text}: {:?}", parsed.incomplete);
            };
            assert_eq!((collection.as_str(), *items), (paged, held));
            assert_eq!(
                &text[location.span.start as usize..location.span.end as usize],
                "\"n\""
            );
            assert_eq!(parsed.policies.len(), 1);
        }
    }

    /// A Settings Catalog secret Graph encrypted is a token: the fast path declines every
    /// secret, and the reference reader leaves an encrypted one out (Graph never returns it in
    /// plain text, so nothing is noted) and reads one that is not encrypted.
    #[test]
    fn encrypted_secrets_are_left_out() {
        let secret = |state: &str| {
            format!(
                r##"{{"settingInstance": {{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance", "settingDefinitionId": "x_secret", "simpleSettingValue": {{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSecretSettingValue", "value": "token", "valueState": "{state}"}}}}}}"##
            )
        };
        for (state, kept) in [("encryptedValueToken", 0), ("notEncrypted", 1)] {
            let text = policy(&secret(state), "");
            assert!(!text_agrees(&text), "accepted:\n{text}");
            let file = SourceFile::decode(Path::new("inline.json"), text.as_bytes()).unwrap();
            let parsed = super::super::read_json_reference(SourceId(0), &file, Catalog::builtin());
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            assert_eq!(parsed.policies[0].settings.len(), kept, "{state}");
            assert!(parsed.incomplete.is_empty());
        }
    }

    /// A top-level list read with chunks of `chunk_bytes`: its policies (as their debug text)
    /// and the line starts the cursor recorded; None when it declines.
    fn read_list(text: &str, chunk_bytes: usize) -> Option<(String, Vec<u32>)> {
        let file = SourceFile::decode(Path::new("list.json"), text.as_bytes()).unwrap();
        let fast = Fast::new(file.text(), SourceId(0), Catalog::builtin());
        let mut cursor = Cursor::recording_lines(file.text(), Vec::new());
        let policies = fast.policy_items(&mut cursor, chunk_bytes)?;
        cursor.end()?;
        Some((format!("{policies:?}"), cursor.into_line_starts()))
    }

    /// Where a list's chunks would start, with chunks of one byte (as many as there may be).
    fn starts_of(text: &str) -> Vec<usize> {
        let file = SourceFile::decode(Path::new("list.json"), text.as_bytes()).unwrap();
        let fast = Fast::new(file.text(), SourceId(0), Catalog::builtin());
        fast.chunk_starts(0, 1)
    }

    /// What reading a top-level list of policies in chunks of one byte gives: "read", "declined"
    /// (an item declined) or "misplaced" (a chunk's start is no item's).
    fn chunked_outcome(text: &str) -> &'static str {
        let file = SourceFile::decode(Path::new("list.json"), text.as_bytes()).unwrap();
        let fast = Fast::new(file.text(), SourceId(0), Catalog::builtin());
        let starts = fast.chunk_starts(0, 1);
        let mut cursor = Cursor::new(file.text());
        match fast.chunked_items(&mut cursor, &starts, &|fast, c| fast.policy_object(c)) {
            Some(Some(_)) => "read",
            Some(None) => "declined",
            None => "misplaced",
        }
    }

    /// A pretty-printed list of `count` policies, one item per line at four spaces; `item`
    /// writes the `n`th (its settings on lines of their own).
    fn pretty_list(count: usize, item: impl Fn(usize) -> String) -> String {
        let items: Vec<String> = (0..count).map(item).collect();
        format!("[\n    {}\n]\n", items.join(",\n    "))
    }

    /// A long list is read in chunks on all cores, each chunk's start confirmed by the chunk
    /// before it: the same policies, spans and line starts as one read from start to end;
    /// where a guessed start is inside an item, the list is read in one go; an item that
    /// declines in a later chunk makes the list decline, as it does read in one go.
    #[test]
    fn long_lists_read_in_chunks_as_in_one_go() {
        // Two threads whatever the machine: the chunks' count (four per thread) places them.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build();
        pool.unwrap().install(long_lists_in_chunks);
    }

    fn long_lists_in_chunks() {
        let item = |n: usize| {
            policy(&choice(PKU2U, PKU2U_0, ""), "")
                .replace("\"p1\"", &format!("\"p{n}\""))
                .replace("\"P\"", &format!("\"P{n}\""))
                .replace("\"settings\": [", "\"settings\": [\n        ")
        };
        let aligned = pretty_list(40, item);
        let starts = starts_of(&aligned);
        let (whole, whole_lines) = read_list(&aligned, usize::MAX).unwrap();
        assert!(starts.len() > 1, "no chunks: {starts:?}");
        let item_starts: Vec<usize> = aligned
            .match_indices("\n    {")
            .map(|(at, _)| at + 5)
            .collect();
        assert!(
            starts.iter().all(|start| item_starts.contains(start)),
            "{starts:?}"
        );
        assert_eq!(read_list(&aligned, 1), Some((whole, whole_lines)));
        assert_eq!(chunked_outcome(&aligned), "read");

        // The settings of the second half's items end with an instance on a line of its own
        // at the items' indent, after a comma: a guess that lands there is no item's start,
        // found after chunks that did start at items and were read.
        let fooled = pretty_list(40, |n| {
            let text = item(n);
            let second = choice(PKU2U, PKU2U_0, "");
            if n < 20 {
                return text;
            }
            format!("{},\n    {second}]}}", &text[..text.len() - 2])
        });
        let starts = starts_of(&fooled);
        let (whole, whole_lines) = read_list(&fooled, usize::MAX).unwrap();
        assert!(whole.contains("P39"));
        let item_starts: Vec<usize> = fooled
            .match_indices("},\n    {\"@odata")
            .map(|(at, _)| at + 7)
            .collect();
        let real = |start: &usize| item_starts.contains(start);
        assert!(starts[1..3].iter().all(real), "{starts:?}");
        assert!(!starts.iter().skip(3).all(real), "{starts:?}");
        assert_eq!(read_list(&fooled, 1), Some((whole, whole_lines)));
        assert_eq!(chunked_outcome(&fooled), "misplaced");

        // Item 30 repeats a key (the reference reader takes the first): the list declines.
        let declining = pretty_list(40, |n| {
            let text = item(n);
            if n == 30 {
                format!(r#"{}], "name": "again"}}"#, &text[..text.len() - 2])
            } else {
                text
            }
        });
        assert!(starts_of(&declining).len() > 2);
        assert_eq!(read_list(&declining, usize::MAX), None);
        assert_eq!(read_list(&declining, 1), None);
        assert_eq!(chunked_outcome(&declining), "declined");
    }

    #[test]
    fn declines_what_the_reference_reader_reports_or_reads_otherwise() {
        let pku2u = choice(PKU2U, PKU2U_0, "");
        let cases = [
            // Duplicate key: the reference reader takes the first.
            policy(&pku2u, r#", "name": "again""#),
            // An instance without `@odata.type`: the reference reader infers it.
            policy(&pku2u.replace("\"@odata.type\": \"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance\", ", ""), ""),
            // Wrong types, which the reference reader reports.
            policy(&choice(PKU2U, "0", ""), ""),
            policy(&pku2u.replace("\"children\": []", "\"children\": {}"), ""),
            policy(&pku2u, r#", "assignments": {}"#),
            policy(&pku2u, r#", "assignments": [{"target": "g"}]"#),
            // An unknown instance type.
            policy(&pku2u.replace("ChoiceSettingInstance", "FancySettingInstance"), ""),
            // A bare instance without its `settingInstance` wrapper.
            policy(pku2u.replacen("{\"settingInstance\": ", "", 1).strip_suffix('}').unwrap(), ""),
            // No name.
            policy(&pku2u, "").replace("\"name\": \"P\", ", ""),
            // An escaped key, and other shapes.
            policy(&pku2u, "").replace("\"settings\"", "\"s\\u0065ttings\""),
            policy(&pku2u, "").replace("deviceManagementConfigurationPolicy", "deviceManagementIntent"),
            policy(&pku2u, r#", "TenantId": 1, "Objects": []"#),
            // Invalid JSON.
            policy(&pku2u, ",").to_string(),
            // An unpaired surrogate escape, even in a field the fast path skips: the reference
            // reader's parser rejects the file.
            policy(&pku2u, r#", "description": "\ud800""#),
        ];
        for text in cases {
            assert!(!text_agrees(&text), "accepted:\n{text}");
        }
    }
}
