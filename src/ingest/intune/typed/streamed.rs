//! A long list file of policies (a Graph list response of a whole tenant: one file of hundreds
//! of megabytes) read window by window, its whole text never held.
//!
//! Read whole, such a file costs its size in memory on top of the model (a 265 MB list peaked
//! at 353 MB where the same policies in one file each peak at about 110 MB), and a buffer of
//! that size is faulted in page by page. Here the file's head is read to find the list's
//! `[` and its first item; the rest is split into windows of about [`WINDOW_BYTES`], each
//! starting at an item (guessed as [`Fast::chunk_starts`] guesses, from a small probe of the
//! file at the window's share); each window is read, checked to be UTF-8, and parsed on its
//! own core, then dropped. A window's last item must end where the next window starts, which
//! confirms the guess. What is around the list (the wrapper object's annotations) is read as
//! the whole-file reader reads it, with the list left out.
//!
//! Anything unusual declines, and the file is then read whole, as any other: a head that is
//! not a list of policies, text that is not UTF-8, a guess that proves wrong, an item the fast
//! path declines, a file that changes while it is read. When this reader accepts, its result
//! is the whole-file reader's (a test holds the two to each other, lines and columns
//! included).

use std::fs::File;

use rayon::prelude::*;

use super::{
    Chunk, Fast, after_blank, item_opening, list_in, mentions_catalog_policy, next_item_start,
};
use crate::catalog::Catalog;
use crate::ingest::Parsed;
use crate::ingest::intune::cursor::Cursor;
use crate::model::Policy;
use crate::source::{self, SourceId};

/// The windows a long list is read in are about this long.
pub(crate) const WINDOW_BYTES: usize = 4 << 20;

/// How much of the file's start is read to find the list and its first item.
const HEAD_BYTES: usize = 64 << 10;

/// How far back from a found brace a probe looks for the comma before it.
const PROBE_BACK: usize = 256;

/// A probe for an item's start reads this much at first, doubling up to [`PROBE_MAX`].
const PROBE_BYTES: usize = 16 << 10;
const PROBE_MAX: usize = 4 << 20;

/// What a long list file gave.
pub(crate) struct ReadList {
    pub(crate) parsed: Parsed,
    /// The start of every line after the first, in runs (one per window and the parts
    /// around them).
    pub(crate) line_starts: Vec<Vec<u32>>,
    /// An offset in each line that holds a character that is not ASCII, ascending.
    pub(crate) wide: Vec<u32>,
}

/// The policies of a long list file of `size` bytes, or None to have the file read whole (see
/// the module docs).
pub(crate) fn read(
    file: &File,
    size: usize,
    id: SourceId,
    catalog: &Catalog,
    window_bytes: usize,
) -> Option<ReadList> {
    let head_bytes = read_at(file, 0, size.min(HEAD_BYTES))?;
    let head = utf8_head(&head_bytes)?;
    // The typed reader reads only files that mention a catalog policy; a list of policies does
    // so in its first item, and a list of anything else is better declined before it is read.
    if !mentions_catalog_policy(head) {
        return None;
    }
    let list = ListHead::find(head)?;
    let starts = item_starts(file, size, &list, window_bytes)?;
    let windows: Vec<Window> = (0..starts.len())
        .into_par_iter()
        .map(|k| {
            let end = starts.get(k + 1).copied();
            read_window(
                file,
                (starts[k], end.unwrap_or(size)),
                end.is_none(),
                &list,
                id,
                catalog,
            )
        })
        .collect::<Option<_>>()?;
    let head_part = &head.as_bytes()[..list.first];
    let mut line_starts = vec![source::line_starts(head_part, 0)];
    let mut wide = source::wide_offsets(head_part, 0);
    let mut items = Vec::new();
    let mut tail = String::new();
    for window in windows {
        items.extend(window.policies);
        line_starts.push(window.line_starts);
        wide.extend(window.wide);
        if let Some(rest) = window.rest {
            tail = rest;
        }
    }
    let policies = around_the_list(&head[..=list.open], &tail, items)?;
    let close = size - tail.len();
    line_starts.push(source::line_starts(tail.as_bytes(), close));
    // (The last window's wide lines took in the tail's.)
    let parsed = Parsed {
        policies,
        ..Parsed::default()
    };
    Some(ReadList {
        parsed,
        line_starts,
        wide,
    })
}

/// The list's `items`, once what is around it (`before` up to its `[`, `after` from its `]`)
/// is read as the whole-file reader reads it, the list left out; None when it declines.
fn around_the_list(before: &str, after: &str, items: Vec<Policy>) -> Option<Vec<Policy>> {
    let outline = format!("{before}{after}");
    let mut items = Some(items);
    list_in(&mut Cursor::new(&outline), |cursor| {
        cursor.expect(b'[')?;
        cursor.expect(b']')?;
        items.take()
    })
}

/// Where a list opens in the head of its file.
struct ListHead {
    /// Its `[`.
    open: usize,
    /// How deep its items are (1 for a top-level array, 2 in a list response).
    depth: u32,
    /// Its first item's `{`.
    first: usize,
    /// A line end, the first item's indent and its `{`: how every item's line starts.
    opening: Vec<u8>,
}

impl ListHead {
    /// The list of a file's head, as the whole-file reader would find it: JSON whose first
    /// value is a list or a list response, read as far as its first item. None for anything
    /// else, or when the head is too short to tell.
    fn find(head: &str) -> Option<ListHead> {
        // What `detect` and the typed reader check first.
        if crate::ingest::detect_text(head) != crate::ingest::Format::GraphJson {
            return None;
        }
        let bytes = head.as_bytes();
        let body = head.trim_start_matches(super::JSON_WHITESPACE);
        if !body.starts_with(['{', '[']) {
            return None;
        }
        let mut found = None;
        let _ = list_in(&mut Cursor::new(head), |cursor| {
            if cursor.peek()? == b'[' {
                found = Some((cursor.pos(), cursor.depth() + 1));
            }
            None::<Vec<()>>
        });
        let (open, depth) = found?;
        let first = after_blank(bytes, open + 1);
        Some(ListHead {
            open,
            depth,
            first,
            opening: item_opening(bytes, first)?.to_vec(),
        })
    }
}

/// Where the windows start: the first item, then for each further share of the file the
/// first item start a probe finds there (a guess each, confirmed by the window before it).
/// None when the list is too short for two windows.
fn item_starts(
    file: &File,
    size: usize,
    list: &ListHead,
    window_bytes: usize,
) -> Option<Vec<usize>> {
    let windows = (size - list.first) / window_bytes.max(1);
    if windows < 2 {
        return None;
    }
    let share = |k: usize| list.first + k * (size - list.first) / windows;
    let probed: Vec<Option<usize>> = (1..windows)
        .into_par_iter()
        .map(|k| probe_start(file, share(k), size, &list.opening))
        .collect();
    let mut starts = vec![list.first];
    // A share whose probe found nothing, or the start the share before found, adds none.
    for start in probed.into_iter().flatten() {
        if start > *starts.last().expect("the first item") {
            starts.push(start);
        }
    }
    (starts.len() > 1).then_some(starts)
}

/// The first place at or after `from` where a line holds only `opening` (a line end, the
/// first item's indent, `{`) after a comma: the `{`'s offset. The probe reads a little of the
/// file, and more while it finds none; None when it finds none within [`PROBE_MAX`] bytes.
fn probe_start(file: &File, from: usize, size: usize, opening: &[u8]) -> Option<usize> {
    let back = from.min(PROBE_BACK);
    let finder = memchr::memmem::Finder::new(opening);
    let mut probe = PROBE_BYTES;
    loop {
        let end = size.min(from + probe);
        let bytes = read_at(file, from - back, end - (from - back))?;
        if let Some(brace) = next_item_start(&bytes, back, &finder) {
            return Some(from - back + brace);
        }
        if end == size || probe >= PROBE_MAX {
            return None;
        }
        probe *= 2;
    }
}

/// What one window of a list gave.
struct Window {
    policies: Vec<Policy>,
    /// The file offsets where its lines start.
    line_starts: Vec<u32>,
    /// An offset in each of its lines that holds a character that is not ASCII.
    wide: Vec<u32>,
    /// For the last window, the file's text from the list's `]` on.
    rest: Option<String>,
}

/// Read the items of the window `range` (from an item's start to the next window's, or, for
/// the `last`, to the file's end): None when it is not UTF-8, an item declines, or the items
/// do not end exactly at the next window's start (for the last, at the list's `]`).
fn read_window(
    file: &File,
    (start, end): (usize, usize),
    last: bool,
    list: &ListHead,
    id: SourceId,
    catalog: &Catalog,
) -> Option<Window> {
    // Each thread reads its windows into one buffer: windows allocated and freed one after
    // another would leave their pages among the model's, held to the end of the run.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.resize(end - start, 0);
        let read = crate::positioned::read_exact_at(file, buffer, start as u64).ok();
        let window = read.and_then(|()| parse_window(buffer, start, last, list, id, catalog));
        // A window far longer than most (where probes found no item start) is not kept for
        // the rest of the run.
        if buffer.capacity() > 2 * WINDOW_BYTES {
            *buffer = Vec::new();
        }
        window
    })
}

/// [`read_window`] once the window's bytes are read.
fn parse_window(
    bytes: &[u8],
    start: usize,
    last: bool,
    list: &ListHead,
    id: SourceId,
    catalog: &Catalog,
) -> Option<Window> {
    let text = std::str::from_utf8(bytes).ok()?;
    let fast = Fast::window(text, start, id, catalog);
    let cursor = Cursor::window(text, list.depth, Vec::new());
    let stop = (!last).then_some(text.len());
    let Chunk::Read(policies, cursor) =
        fast.chunk(cursor, stop, &|fast, cursor| fast.policy_object(cursor))
    else {
        return None;
    };
    let close = cursor.pos();
    let line_starts = cursor
        .into_line_starts()
        .into_iter()
        .map(|at| at + start as u32)
        .collect();
    Some(Window {
        policies,
        line_starts,
        wide: source::wide_offsets(bytes, start),
        rest: last.then(|| text[close..].to_string()),
    })
}

/// `len` bytes of the file from `offset`; None when it has fewer (it changed since its size
/// was taken) or cannot be read.
fn read_at(file: &File, offset: usize, len: usize) -> Option<Vec<u8>> {
    crate::positioned::read_at(file, offset as u64, len).ok()
}

/// The head of a file as text: UTF-8 but for a character its end cuts.
fn utf8_head(bytes: &[u8]) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::json;

    use super::*;
    use crate::source::SourceFile;

    const PKU2U: &str = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests";

    /// A Settings Catalog policy as Graph writes it, with `n` in its name, id and values.
    fn policy(n: usize) -> serde_json::Value {
        let choice = json!({"settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": PKU2U,
            "choiceSettingValue": {"value": format!("{PKU2U}_{}", n % 2), "children": []}
        }});
        let simple = json!({"settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": format!("vendor_msft_custom_{}", n % 7),
            "simpleSettingValue": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
                "value": n
            }
        }});
        let group = json!({
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": format!("00000000-0000-0000-0000-{n:012}")
            }
        });
        json!({
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
            "id": format!("policy-{n}"),
            "name": format!("Policy {n} \\u0041"),
            "description": "x".repeat(n % 50),
            "settings": [choice, simple],
            "assignments": [group]
        })
    }

    /// A Graph list response of `count` policies (annotations around the list), pretty-printed.
    fn list_response(count: usize) -> String {
        let value: Vec<_> = (0..count).map(policy).collect();
        let response = json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies",
            "@odata.count": count,
            "value": value,
            "@odata.deltaLink": "https://graph.microsoft.com/beta/delta"
        });
        serde_json::to_string_pretty(&response).unwrap()
    }

    /// A file of the test's own in the temporary directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, text: impl AsRef<[u8]>) -> TempFile {
            let path = std::env::temp_dir().join(format!(
                "baselint-streamed-{}-{name}.json",
                std::process::id()
            ));
            std::fs::write(&path, text).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// The list read window by window (windows of `window_bytes`): its policies (as debug
    /// text), the file as the pipeline keeps it, and the file on disk (which columns read
    /// again), removed when dropped.
    fn streamed(text: &str, window_bytes: usize) -> Option<(String, SourceFile, TempFile)> {
        streamed_bytes(text.as_bytes(), window_bytes)
    }

    fn streamed_bytes(bytes: &[u8], window_bytes: usize) -> Option<(String, SourceFile, TempFile)> {
        let file = TempFile::new(&window_bytes.to_string(), bytes);
        let open = File::open(&file.0).unwrap();
        let size = bytes.len();
        let read = read(&open, size, SourceId(4), Catalog::builtin(), window_bytes)?;
        let source = SourceFile::streamed(&file.0, size, &read.line_starts, &read.wide);
        Some((format!("{:#?}", read.parsed.policies), source, file))
    }

    /// The list read whole by the typed reader: its policies and the file.
    fn whole(text: &str) -> (String, SourceFile) {
        let file = SourceFile::decode(Path::new("list.json"), text.as_bytes()).unwrap();
        let parsed = super::super::read(SourceId(4), &file, Catalog::builtin()).unwrap();
        (format!("{:#?}", parsed.policies), file)
    }

    /// A long list read in windows gives what it gives read whole: the same policies, spans,
    /// lines and columns, whatever the windows' size, in a list response and a bare array,
    /// with `\r\n` line ends too, and with names that are not ASCII (columns count code
    /// points, read again from the lines that hold them).
    #[test]
    fn long_lists_read_in_windows_as_read_whole() {
        let response = list_response(60);
        let array = {
            let items: Vec<_> = (0..45)
                .map(|n| serde_json::to_string_pretty(&policy(n)).unwrap())
                .collect();
            format!("[\n{}\n]\n", items.join(",\n"))
        };
        let crlf = response.replace('\n', "\r\n");
        let accented = response.replace("\"Policy 1", "\"Politique é€𝄞 1");
        assert_ne!(accented, response);
        for text in [&response, &array, &crlf, &accented] {
            let (policies, file) = whole(text);
            for window in [700, 2_000, 5_555, text.len() / 3] {
                let (read, source, _on_disk) = streamed(text, window)
                    .unwrap_or_else(|| panic!("declined with windows of {window}"));
                assert_eq!(read, policies, "windows of {window}");
                assert_eq!(
                    source.line_count(),
                    file.line_count(),
                    "windows of {window}"
                );
                for offset in (0..=text.len()).step_by(13).chain([text.len()]) {
                    assert_eq!(
                        source.line_col(offset),
                        file.line_col(offset),
                        "offset {offset}"
                    );
                }
            }
        }
    }

    /// Whatever is unusual declines, and the file is then read whole: text that is not UTF-8,
    /// an item the fast path declines, a list on one line, a guessed start inside an item,
    /// a key beside the list that is no annotation, anything after the list response, a list
    /// too short for two windows, a head that is no list.
    #[test]
    fn unusual_lists_decline() {
        let response = list_response(60);
        let last_name = "Policy 59 \\\\u0041";
        assert!(response.contains(last_name));
        // Every item's second setting opens on a line at the items' indent, after a comma: a
        // probe takes such a line for an item's start, and the window before it does not end
        // there (the whole-file reader reads it, as JSON it is).
        let between_settings = "},\n        {\n          \"settingInstance\"";
        assert_eq!(response.matches(between_settings).count(), 60);
        let nested_like_items =
            response.replace(between_settings, "},\n    {\n          \"settingInstance\"");
        assert_eq!(whole(&nested_like_items).0.matches("Policy {").count(), 60);
        let cases = [
            ("an item declines", {
                // The last item becomes a policy of another kind.
                let kind = "\"#microsoft.graph.deviceManagementConfigurationPolicy\"";
                let at = response.rfind(kind).unwrap();
                let other = "\"#microsoft.graph.windows10CustomConfiguration\"";
                format!("{}{other}{}", &response[..at], &response[at + kind.len()..])
            }),
            (
                "one line",
                serde_json::to_string(
                    &serde_json::from_str::<serde_json::Value>(&response).unwrap(),
                )
                .unwrap(),
            ),
            ("a guessed start inside an item", nested_like_items),
            (
                "a key beside the list",
                response.replacen("\"@odata.deltaLink\"", "\"deltaLink\"", 1),
            ),
            (
                "a page of a longer list",
                response.replacen("\"@odata.deltaLink\"", "\"@odata.nextLink\"", 1),
            ),
            ("after the response", format!("{response}\n{{}}")),
            ("too short", list_response(2)),
            ("no list", serde_json::to_string_pretty(&policy(1)).unwrap()),
        ];
        for (case, text) in cases {
            assert_ne!(text, response, "{case}");
            assert!(streamed(&text, 2_000).is_none(), "{case}");
        }
        let mut not_utf8 = response.clone().into_bytes();
        let at = response.rfind(last_name).unwrap();
        not_utf8[at] = 0xFF;
        assert!(streamed_bytes(&not_utf8, 2_000).is_none(), "not UTF-8");
        // The decline cases are not read in windows by accident of their layout: each differs
        // from a list that is read in windows by the one thing its name says.
        assert!(streamed(&response, 2_000).is_some());
    }

    /// A list file over the size from which the pipeline reads lists window by window: the
    /// model, lines and columns are those of the file read whole, and the file is kept as a
    /// released one (its text re-read for a report); with a character that is not ASCII too.
    #[test]
    fn the_pipeline_reads_long_list_files_in_windows() {
        let item = serde_json::to_string_pretty(&policy(7))
            .unwrap()
            .replace('\n', "\n    ");
        let count = (17 << 20) / item.len() + 1;
        let items: Vec<String> = (0..count)
            .map(|n| item.replace("policy-7", &format!("policy-{n}")))
            .collect();
        let text = format!(
            "{{\n  \"value\": [\n    {}\n  ]\n}}\n",
            items.join(",\n    ")
        );
        let accented = text.replacen("Policy 7", "Politique é", 1);
        for (case, text) in [("ASCII", &text), ("not ASCII", &accented)] {
            let (policies, file) = whole(text);
            let path = TempFile::new(case, text);
            let catalog = Catalog::builtin();
            let max = crate::ingest::MAX_FILE_SIZE;
            let opened = crate::ingest::open_within(&path.0, max).unwrap();
            let windowed = crate::ingest::prepare_streamed(&path.0, &opened, SourceId(0), catalog);
            assert!(windowed.is_some(), "{case}");
            let mut model = crate::model::Model::default();
            crate::ingest::load_file(&path.0, true, &mut model, catalog);
            assert!(model.errors.is_empty(), "{case}: {:?}", model.errors);
            assert_eq!(model.policies.len(), count, "{case}");
            let source = model.sources.get(model.policies[0].source);
            assert!(source.is_released());
            let read = format!("{:#?}", model.policies)
                .replace("SourceId(\n            0,", "SourceId(\n            4,");
            assert!(read == policies, "{case}: the policies differ");
            assert_eq!(source.line_count(), file.line_count());
            let name = model.policies[0].name_span.start as usize;
            for offset in (0..=text.len())
                .step_by(4099)
                .chain([text.len(), name + 12])
            {
                assert_eq!(
                    source.line_col(offset),
                    file.line_col(offset),
                    "offset {offset}"
                );
            }
            // A report re-reads the text, and each span shows what it shows read whole.
            let setting = &model.policies[count - 1].settings[0];
            assert_eq!(source.slice(setting.span), file.slice(setting.span));
        }
    }
}
