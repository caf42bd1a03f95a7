//! A validating JSON cursor for the typed fast path: reads a value where it stands, hands
//! back object keys and the text of values as slices of the input, and builds no tree.
//!
//! serde_json's typed pass cost about three times a bare tokenise on a tenant's Settings
//! Catalog policies (visitor calls, `RawValue` wrapping, a second parse of every string that is
//! used); this cursor reads them at about the cost of a tokenise (docs/performance.md, "How
//! the time and memory came down"). It accepts RFC 8259 JSON only, and never more than
//! serde_json does: grammar, string escapes and control characters, number syntax and
//! whitespace as serde_json checks them, with a lower nesting bound. Every method returns
//! `None` for anything else, so that the fast path declines and the reference reader reports.

use crate::ingest::json::unicode_escape;

/// Deeper nesting declines (serde_json stops at 128; Graph policies nest about 10 deep).
const MAX_DEPTH: u32 = 100;

/// A position in a JSON text (or a slice of one: every slice it returns is a slice of its
/// input, so spans computed from their addresses stay offsets in the whole file).
pub(super) struct Cursor<'t> {
    text: &'t str,
    pos: usize,
    depth: u32,
    /// Where each line after the first starts, when recorded (see [`Cursor::recording_lines`]).
    line_starts: Option<Vec<u32>>,
}

impl<'t> Cursor<'t> {
    pub(super) fn new(text: &'t str) -> Cursor<'t> {
        Cursor {
            text,
            pos: 0,
            depth: 0,
            line_starts: None,
        }
    }

    /// A cursor that also records where the lines of `text` start, into `line_starts` (cleared
    /// first): JSON has line ends only in whitespace, which the cursor reads byte by byte
    /// anyway, so a file it reads to the end needs no second scan for its line index.
    pub(super) fn recording_lines(text: &'t str, mut line_starts: Vec<u32>) -> Cursor<'t> {
        line_starts.clear();
        Cursor {
            line_starts: Some(line_starts),
            ..Cursor::new(text)
        }
    }

    /// A cursor over a window of a file that starts inside `depth` levels of arrays and
    /// objects (the items of a long list, read window by window), recording line starts.
    pub(super) fn window(text: &'t str, depth: u32, line_starts: Vec<u32>) -> Cursor<'t> {
        Cursor {
            depth,
            ..Cursor::recording_lines(text, line_starts)
        }
    }

    /// How many arrays and objects the position is inside.
    pub(super) fn depth(&self) -> u32 {
        self.depth
    }

    /// The line starts recorded so far (empty when not recording), and the vector back.
    pub(super) fn into_line_starts(self) -> Vec<u32> {
        self.line_starts.unwrap_or_default()
    }

    /// A cursor over the same text from `pos`, as deep as this one, recording line starts
    /// when this one does (into a vector of its own): it reads a part of the text this one
    /// skips over (see [`Cursor::skip_to`]).
    pub(super) fn fork_at(&self, pos: usize) -> Cursor<'t> {
        Cursor {
            text: self.text,
            pos,
            depth: self.depth,
            line_starts: self.line_starts.as_ref().map(|_| Vec::new()),
        }
    }

    /// Continue at `pos`, past text other cursors read: their line starts (in text order, all
    /// between this cursor's position and `pos`) are recorded as if this one had read it.
    pub(super) fn skip_to(&mut self, pos: usize, line_starts: &[u32]) {
        debug_assert!(pos >= self.pos);
        if let Some(starts) = &mut self.line_starts {
            starts.extend_from_slice(line_starts);
        }
        self.pos = pos;
    }

    /// The position in the text.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    /// Skip JSON whitespace, noting line ends (`\n`, `\r\n`, a lone `\r`) when recording.
    /// Pretty-printed exports indent with runs of spaces: those are skipped eight at a time.
    #[inline]
    pub(super) fn skip_whitespace(&mut self) {
        // Most calls stand on a token already, or on the one space after a colon.
        let bytes = self.bytes();
        let at = self.pos;
        match bytes.get(at) {
            Some(&b) if b > b' ' => return,
            Some(b' ') if bytes.get(at + 1).is_some_and(|&b| b > b' ') => {
                self.pos = at + 1;
                return;
            }
            _ => {}
        }
        self.skip_whitespace_run();
    }

    #[inline(never)]
    fn skip_whitespace_run(&mut self) {
        const SPACES: u64 = u64::from_le_bytes(*b"        ");
        let bytes = self.bytes();
        let mut at = self.pos;
        loop {
            // The spaces here, eight at a time: the first byte of a word that is not a space
            // ends the run of spaces.
            if let Some(word) = bytes.get(at..at + 8) {
                let others = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ SPACES;
                if others == 0 {
                    at += 8;
                    continue;
                }
                at += (others.trailing_zeros() / 8) as usize;
            } else {
                while bytes.get(at) == Some(&b' ') {
                    at += 1;
                }
            }
            match bytes.get(at) {
                Some(b'\t') => at += 1,
                Some(b'\n') => {
                    at += 1;
                    self.line_starts_at(at);
                }
                Some(b'\r') => {
                    at += 1;
                    if bytes.get(at) != Some(&b'\n') {
                        self.line_starts_at(at);
                    }
                }
                _ => break,
            }
        }
        self.pos = at;
    }

    fn line_starts_at(&mut self, at: usize) {
        if let Some(starts) = &mut self.line_starts {
            starts.push(at as u32);
        }
    }

    /// The next byte after whitespace, not consumed.
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes().get(self.pos).copied()
    }

    /// Consume `byte` after whitespace, or fail.
    pub(super) fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// True (and consumed) when the next value is `null`.
    pub(super) fn null(&mut self) -> bool {
        self.skip_whitespace();
        let found = self.bytes()[self.pos..].starts_with(b"null");
        if found {
            self.pos += 4;
        }
        found
    }

    /// Only whitespace is left.
    pub(super) fn end(&mut self) -> Option<()> {
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(())
    }

    /// Skip the next value and return its text.
    pub(super) fn value(&mut self) -> Option<&'t str> {
        self.skip_whitespace();
        let start = self.pos;
        self.skip_value()?;
        Some(&self.text[start..self.pos])
    }

    /// Read the next value with `read`, and return its text beside what `read` made of it.
    pub(super) fn with_text<T>(
        &mut self,
        read: impl FnOnce(&mut Cursor<'t>) -> Option<T>,
    ) -> Option<(T, &'t str)> {
        self.skip_whitespace();
        let start = self.pos;
        let value = read(self)?;
        Some((value, &self.text[start..self.pos]))
    }

    /// Skip the next value.
    pub(super) fn skip(&mut self) -> Option<()> {
        self.skip_whitespace();
        self.skip_value()
    }

    fn skip_value(&mut self) -> Option<()> {
        match *self.bytes().get(self.pos)? {
            b'"' => self.skip_string().map(drop),
            b'{' => self.members(true, |cursor, _| cursor.skip()),
            b'[' => self.array(Cursor::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.bytes()[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
        })
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as serde_json checks it.
    fn skip_number(&mut self) -> Option<()> {
        let bytes = self.bytes();
        let mut at = self.pos;
        let digits = |mut at: usize| {
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            at
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at = digits(at + 1),
            _ => return None,
        }
        if bytes.get(at) == Some(&b'.') {
            let end = digits(at + 1);
            if end == at + 1 {
                return None;
            }
            at = end;
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            let end = digits(at);
            if end == at {
                return None;
            }
            at = end;
        }
        self.pos = at;
        Some(())
    }

    /// Skip a string at its opening quote; true when it holds an escape.
    fn skip_string(&mut self) -> Option<bool> {
        let bytes = self.bytes();
        let mut at = self.pos + 1;
        let mut escaped = false;
        loop {
            at = special_byte(bytes, at);
            match *bytes.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    at += match *bytes.get(at + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' => unicode_escape_len(self.text, at)?,
                        _ => return None,
                    };
                }
                // A control character: JSON strings may not hold one unescaped.
                _ => return None,
            }
        }
    }

    /// Read an object: `field` is called with each key, as written, and must consume its
    /// value. A key with escapes fails (keys are compared as written; the reference reader
    /// decodes them).
    pub(super) fn object(
        &mut self,
        field: impl FnMut(&mut Cursor<'t>, &'t str) -> Option<()>,
    ) -> Option<()> {
        self.members(false, field)
    }

    /// An object's members; keys with escapes fail unless `escaped_keys` (a skipped object).
    fn members(
        &mut self,
        escaped_keys: bool,
        mut field: impl FnMut(&mut Cursor<'t>, &'t str) -> Option<()>,
    ) -> Option<()> {
        self.sequence(b'{', b'}', |cursor| {
            if cursor.peek()? != b'"' {
                return None;
            }
            let start = cursor.pos + 1;
            if cursor.skip_string()? && !escaped_keys {
                return None;
            }
            let key = &cursor.text[start..cursor.pos - 1];
            cursor.expect(b':')?;
            field(cursor, key)
        })
    }

    /// Read an array: `item` is called for each element and must consume it.
    pub(super) fn array(&mut self, item: impl FnMut(&mut Cursor<'t>) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', item)
    }

    /// What objects and arrays share: `open`, then elements read by `element` (which must
    /// consume each) separated by commas, then `close`; one level deeper meanwhile.
    #[inline(always)]
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut element: impl FnMut(&mut Cursor<'t>) -> Option<()>,
    ) -> Option<()> {
        self.expect(open)?;
        self.enter()?;
        if self.peek()? != close {
            loop {
                element(self)?;
                match self.peek()? {
                    b',' => self.pos += 1,
                    byte if byte == close => break,
                    _ => return None,
                }
            }
        }
        self.pos += 1;
        self.depth -= 1;
        Some(())
    }

    /// One level deeper, past an array's or object's opening byte (fails beyond the bound).
    pub(super) fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }
}

/// The length of the `\uXXXX` escape at `at`, or of the surrogate pair it starts: a high
/// surrogate must be followed by a low one, and a low one must follow a high one. serde_json
/// checks that only when it decodes a string, not when it skips one, but the reference reader's
/// parser rejects an unpaired surrogate anywhere, so the fast path must decline it.
fn unicode_escape_len(text: &str, at: usize) -> Option<usize> {
    match unicode_escape(text, at)? {
        0xD800..=0xDBFF => matches!(unicode_escape(text, at + 6)?, 0xDC00..=0xDFFF).then_some(12),
        0xDC00..=0xDFFF => None,
        _ => Some(6),
    }
}

/// The index of the first `"`, `\` or control character at or after `at` (the length when
/// there is none). Eight bytes at a time: a string's content is scanned as words, the flags
/// of the bytes found in the high bit of each byte (the "has zero byte" trick; a borrow can
/// only flag bytes after the first real match, so the first flag is exact).
fn special_byte(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let flags = flags & HIGH;
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while bytes
        .get(at)
        .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
    {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cursor reads `text` as one value followed by whitespace.
    fn accepts(text: &str) -> bool {
        let mut cursor = Cursor::new(text);
        cursor.value().is_some() && cursor.end().is_some()
    }

    /// serde_json accepts it, and it holds no unpaired surrogate escape (which serde_json
    /// skips, but the reference reader rejects).
    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
            && !crate::ingest::intune::has_unpaired_surrogate(text)
    }

    #[test]
    fn agrees_with_serde_json_on_valid_and_invalid_json() {
        let cases = [
            "{}",
            "[]",
            " { \"a\" : [1, -2.5e+3, 0, true, false, null, \"x\"] } ",
            "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"",
            "\"\u{e9}t\u{e9} \u{1f600}\"",
            "[\"a very long string of more than eight bytes with a \\\" quote\"]",
            "-0",
            "0.5",
            "1E9",
            "1e-9",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1: 2}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "\"tab\there\"",
            "\"line\nbreak\"",
            "\"unterminated",
            "[1 2]",
            "[1] [2]",
            "",
            "   ",
            "\u{feff}{}",
            "{\"a\":{\"b\":[{\"c\":[]}]}}",
            "\t\r\n[\r\n\t1\r\n]\r\n",
            // Surrogate escapes: a pair, and unpaired ones.
            "[\"\\ud83d\\ude00\"]",
            "[\"\\uD83D\\uDE00 \\\\ud800\"]",
            "[\"\\ud800\"]",
            "[\"\\ud800x\"]",
            "[\"\\ud800\\u0041\"]",
            "[\"\\ud800\\ud800\"]",
            "[\"\\udc00\"]",
            "{\"k\": \"\\ude00\\ud83d\"}",
        ];
        for text in cases {
            assert_eq!(accepts(text), serde_accepts(text), "{text:?}");
        }
    }

    #[test]
    fn surrogate_escapes_pass_only_in_pairs() {
        assert!(accepts(r#"["\ud83d\ude00", "\uD83D\uDE00", "\\ud800"]"#));
        for unpaired in [
            r#"["\ud800"]"#,
            r#"["\ud800x"]"#,
            r#"["\ud800\u0041"]"#,
            r#"["\ud800\ud800"]"#,
            r#"["\udc00"]"#,
            r#"{"k": "\ude00\ud83d"}"#,
            // A high surrogate, then a `u` and four hex digits that are no escape (fuzz).
            r#""rle\udaAe\udd13e\udaAehudd130""#,
        ] {
            assert!(!accepts(unpaired), "{unpaired}");
            assert!(
                crate::ingest::intune::has_unpaired_surrogate(unpaired),
                "{unpaired}"
            );
        }
    }

    #[test]
    fn every_truncation_and_byte_flip_of_a_policy_agrees_with_serde_json() {
        let policy = r##"{
    "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
    "name": "P \"q\" \u00e9",
    "settingCount": 2,
    "settings": [
        {"id": "0", "settingInstance": {"value": -1.5e3, "children": [], "x": null}},
        {"id": "1", "settingInstance": {"flag": true, "off": false}}
    ]
}"##;
        for end in 0..policy.len() {
            if let Some(prefix) = policy.get(..end) {
                assert_eq!(accepts(prefix), serde_accepts(prefix), "{prefix:?}");
            }
        }
        let bytes = policy.as_bytes();
        for at in 0..bytes.len() {
            for replacement in [b' ', b'"', b'\\', b'{', b']', b',', b'0', b'e', b'\n', 0x1f] {
                let mut mutated = bytes.to_vec();
                mutated[at] = replacement;
                if let Ok(text) = std::str::from_utf8(&mutated) {
                    assert_eq!(accepts(text), serde_accepts(text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn values_are_slices_of_the_input_and_keys_are_as_written() {
        let text = r#" {"a": [1, {"b": "c"}], "d\u0065": 2} "#;
        let mut cursor = Cursor::new(text);
        let mut seen = Vec::new();
        let result = cursor.object(|cursor, key| {
            seen.push((key, cursor.value()?));
            Some(())
        });
        // An escaped key fails, after the keys before it.
        assert_eq!(result, None);
        assert_eq!(seen, [("a", r#"[1, {"b": "c"}]"#)]);
        let value = seen[0].1;
        let offset = value.as_ptr() as usize - text.as_ptr() as usize;
        assert_eq!(&text[offset..offset + value.len()], value);
    }

    #[test]
    fn recorded_line_starts_are_those_of_the_text() {
        let texts = [
            "{}",
            "\n{\n  \"a\": [1,\r\n    2],\r  \"b\":\n\n\"x\"\r\n}\n",
            "\r\n\r\r\n[\r]\r",
            "[                 \n                  1]",
        ];
        for text in texts {
            let mut cursor = Cursor::recording_lines(text, vec![7]);
            assert!(
                cursor.value().is_some() && cursor.end().is_some(),
                "{text:?}"
            );
            let bytes = text.as_bytes();
            let expected: Vec<u32> = (0..bytes.len())
                .filter(|&i| {
                    bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
                })
                .map(|i| i as u32 + 1)
                .collect();
            assert_eq!(cursor.into_line_starts(), expected, "{text:?}");
        }
        // A cursor that does not record hands back nothing.
        let mut cursor = Cursor::new("[\n1\n]");
        assert!(cursor.value().is_some());
        assert!(cursor.into_line_starts().is_empty());
    }

    #[test]
    fn nesting_deeper_than_the_bound_fails() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(accepts(&deep(MAX_DEPTH as usize)));
        assert!(!accepts(&deep(MAX_DEPTH as usize + 1)));
        assert!(!accepts(&deep(100_000)));
    }

    #[test]
    fn null_is_taken_only_when_whole() {
        let mut cursor = Cursor::new(" null");
        assert!(cursor.null());
        assert!(cursor.end().is_some());
        assert!(!Cursor::new("nul").null());
        assert!(!Cursor::new("\"null\"").null());
    }

    #[test]
    fn the_special_byte_scan_finds_the_first_one_at_any_position() {
        for len in 0..24 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    // Bytes that could borrow into a false flag before the real one.
                    if at > 0 {
                        bytes[at - 1] = 0x21;
                    }
                    assert_eq!(special_byte(&bytes, 0), at, "{bytes:?}");
                }
            }
            assert_eq!(special_byte(&vec![0xC3; len], 0), len);
        }
    }
}
