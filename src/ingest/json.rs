//! Small helpers over the `jsonc-parser` AST shared by the JSON readers.
//!
//! # Span conventions
//!
//! * The span of a JSON node is the node's full extent in the file: a string's span INCLUDES its
//!   quotes (`"…_0"`), an object's span runs from `{` to `}`. `Setting::span`,
//!   `Setting::name_span`, `Policy::name_span`, `Assignment::target_span` and `FilterRef::span`
//!   all follow this rule.
//! * Spans of rule TEXT (`Group::rule_span`, `AssignmentFilter::rule_span`, `InlineRule::span`)
//!   EXCLUDE the quotes: they start at the first character after the opening quote, so the
//!   offsets map from [`string_offsets`] (or the identity when it is empty) translate an offset
//!   in the decoded rule straight to a file offset with [`crate::model::map_inner_offset`].
//! * A file whose top level is a JSON string holding JSON (double-encoded) is parsed a second
//!   time; a [`TextMap`] maps every offset of the inner text back to the bytes of the file, so
//!   spans from either level point at real bytes of the file.
//!
//! Parsing is strict JSON (no comments, trailing commas, single quotes...): the inputs are Graph
//! exports, and a file Intune would reject should be reported, not guessed at.

use std::ops::Range;

use jsonc_parser::ast::{Object, StringLit, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::errors::{ParseError, ParseErrorKind};
use jsonc_parser::{CollectOptions, ParseOptions, ParseStringErrorKind};

use crate::model::InputError;
use crate::source::{SourceFile, SourceId, Span};

/// Strict RFC 8259 JSON: every leniency of `jsonc-parser` turned off.
pub fn strict_options() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parse `text` as strict JSON into an AST (`Ok(None)` for an empty or blank text).
pub fn parse(text: &str) -> Result<Option<Value<'_>>, ParseError> {
    jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict_options())
        .map(|result| result.value)
}

/// How offsets in the text an AST was parsed from map to byte offsets in the file.
///
/// The identity for ordinary files; for the text decoded from a JSON string literal, `base` is
/// the file offset of the first character after the literal's opening quote and `offsets` is the
/// literal's [`string_offsets`] map (empty when it had no escapes).
#[derive(Clone, Copy, Debug)]
pub struct TextMap<'m> {
    base: usize,
    offsets: &'m [u32],
}

impl<'m> TextMap<'m> {
    /// Offsets in the parsed text are file offsets.
    pub const IDENTITY: TextMap<'static> = TextMap {
        base: 0,
        offsets: &[],
    };

    /// The map for text decoded from a string literal whose content starts at file offset `base`.
    pub fn inner(base: usize, offsets: &'m [u32]) -> TextMap<'m> {
        TextMap { base, offsets }
    }

    pub fn is_identity(&self) -> bool {
        self.base == 0 && self.offsets.is_empty()
    }

    /// File offset of an offset in the parsed text.
    pub fn offset(&self, inner: usize) -> usize {
        if self.offsets.is_empty() {
            self.base + inner
        } else {
            let i = inner.min(self.offsets.len() - 1);
            self.base + self.offsets[i] as usize
        }
    }

    /// File span of a range in the parsed text.
    pub fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.offset(range.start), self.offset(range.end))
    }
}

/// One parsed JSON text and where it sits in its file: everything needed to turn AST nodes into
/// spans and input errors.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'t> {
    pub id: SourceId,
    pub file: &'t SourceFile,
    /// The text the AST was parsed from (the file's text, or a decoded inner string).
    pub text: &'t str,
    pub map: TextMap<'t>,
}

/// A string node read with its content span and offset map (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct StrContent<'v> {
    /// The decoded value.
    pub value: &'v str,
    /// The content in the file, quotes excluded.
    pub span: Span,
    /// Decoded byte offset -> offset from `span.start`; empty when that is the identity.
    pub offsets: Vec<u32>,
}

impl<'t> Doc<'t> {
    /// A document over the whole decoded file.
    pub fn file(id: SourceId, file: &'t SourceFile) -> Doc<'t> {
        Doc {
            id,
            file,
            text: file.text(),
            map: TextMap::IDENTITY,
        }
    }

    /// File span of a node (strings include their quotes).
    pub fn span(&self, node: &impl Ranged) -> Span {
        let range = node.range();
        self.map.span(range.start..range.end)
    }

    /// The decoded value of a string node, its content span (quotes excluded) and offset map.
    pub fn str_content<'v>(&self, lit: &'v StringLit<'_>) -> StrContent<'v> {
        let raw = &self.text[lit.range.start..lit.range.end];
        let local = string_offsets(raw);
        let content = lit.range.start + 1..lit.range.end - 1;
        let span = self.map.span(content.clone());
        let offsets = if self.map.is_identity() {
            local
        } else {
            self.compose_offsets(&local, content.start, span.start as usize, lit.value.len())
        };
        StrContent {
            value: &lit.value,
            span,
            offsets,
        }
    }

    /// Offsets of a string inside a mapped text, composed with the map to the file.
    fn compose_offsets(
        &self,
        local: &[u32],
        start: usize,
        file_start: usize,
        len: usize,
    ) -> Vec<u32> {
        let to_file = |i: usize| {
            let in_text = start
                + if local.is_empty() {
                    i
                } else {
                    local[i] as usize
                };
            (self.map.offset(in_text) - file_start) as u32
        };
        let composed: Vec<u32> = (0..=len).map(to_file).collect();
        let identity = composed.iter().enumerate().all(|(i, &o)| o as usize == i);
        if identity { Vec::new() } else { composed }
    }

    /// An input error at `span` of this file.
    pub fn error(&self, span: Span, message: impl Into<String>) -> InputError {
        input_error(self.id, self.file, span, message)
    }

    /// An input error pointing at a node.
    pub fn error_at(&self, node: &impl Ranged, message: impl Into<String>) -> InputError {
        self.error(self.span(node), message)
    }

    /// The input error for a failed parse of this document's text.
    pub fn parse_error(&self, err: &ParseError) -> InputError {
        let described = describe_parse_error(self.text, err);
        let mut message = format!("invalid JSON: {}", described.message);
        if let Some((what, at)) = described.opened {
            let (line, column) = self.file.line_col(self.map.offset(at));
            message.push_str(&format!(
                " (the {what} opened at line {line}, column {column} is not closed)"
            ));
        }
        self.error(self.map.span(described.range), message)
    }
}

/// An [`InputError`] at a span of a decoded file (see [`InputError::at`]).
pub fn input_error(
    id: SourceId,
    file: &SourceFile,
    span: Span,
    message: impl Into<String>,
) -> InputError {
    InputError::at(id, file, span, message)
}

/// A parse error turned into words and a position in the parsed text.
struct DescribedError {
    range: Range<usize>,
    message: String,
    /// For truncated input: what was left open ("object"...) and where it starts.
    opened: Option<(&'static str, usize)>,
}

fn describe_parse_error(text: &str, err: &ParseError) -> DescribedError {
    let range = err.range().start..err.range().end;
    let end = text.trim_end().len();
    let at_end = |message: &str, opened| DescribedError {
        range: end..end,
        message: message.to_string(),
        opened,
    };
    match err.kind() {
        ParseErrorKind::UnterminatedObject => {
            at_end("unexpected end of file", Some(("object", range.start)))
        }
        ParseErrorKind::UnterminatedArray => {
            at_end("unexpected end of file", Some(("array", range.start)))
        }
        ParseErrorKind::String(ParseStringErrorKind::UnterminatedStringLiteral) => {
            at_end("unexpected end of file", Some(("string", range.start)))
        }
        _ if range.start >= end => {
            let opened = innermost_container(text, end).map(|(b, at)| (container_name(b), at));
            at_end("unexpected end of file", opened)
        }
        kind => DescribedError {
            message: describe_kind(text, kind, range.clone()),
            range,
            opened: None,
        },
    }
}

fn describe_kind(text: &str, kind: &ParseErrorKind, range: Range<usize>) -> String {
    let token = text.get(range.clone()).unwrap_or("").trim();
    match kind {
        ParseErrorKind::ExpectedComma => expected_separator(text, range.start),
        ParseErrorKind::UnexpectedTokenInObject
        | ParseErrorKind::UnexpectedCloseBrace
        | ParseErrorKind::UnexpectedCloseBracket
        | ParseErrorKind::UnexpectedColon
        | ParseErrorKind::UnexpectedComma
        | ParseErrorKind::UnexpectedWord
        | ParseErrorKind::UnexpectedToken => unexpected_token(text, range.start, token),
        ParseErrorKind::ExpectedColonAfterObjectKey => {
            "expected ':' after the property name".into()
        }
        ParseErrorKind::ExpectedObjectValue => "expected a value after ':'".into(),
        ParseErrorKind::ExpectedStringObjectProperty => {
            format!("expected a property name in double quotes, found `{token}`")
        }
        ParseErrorKind::TrailingCommasNotAllowed => "trailing comma".into(),
        ParseErrorKind::MultipleRootJsonValues => {
            format!("unexpected `{token}` after the end of the JSON value")
        }
        ParseErrorKind::CommentsNotAllowed => "comments are not allowed in JSON".into(),
        ParseErrorKind::SingleQuotedStringsNotAllowed => "strings must use double quotes".into(),
        other => lower_first(&other.to_string()),
    }
}

/// "expected ',' or '}'" / "expected ',' or ']'" depending on the enclosing container.
fn expected_separator(text: &str, pos: usize) -> String {
    match innermost_container(text, pos) {
        Some((b'[', _)) => "expected ',' or ']'".into(),
        _ => "expected ',' or '}'".into(),
    }
}

/// A token where it does not belong: after a value the parser wanted a separator; after `{` or
/// `,` in an object, a property name; otherwise, a value.
fn unexpected_token(text: &str, pos: usize, token: &str) -> String {
    let previous = text[..pos].trim_end().bytes().last();
    let container = innermost_container(text, pos).map(|(b, _)| b);
    let after_value = !matches!(previous, None | Some(b'{' | b'[' | b',' | b':'));
    match (container, after_value) {
        (Some(b'{'), true) => format!("expected ',' or '}}', found `{token}`"),
        (Some(b'['), true) => format!("expected ',' or ']', found `{token}`"),
        (Some(b'{'), false) if previous != Some(b':') => {
            format!("expected a property name in double quotes, found `{token}`")
        }
        _ => format!("expected a JSON value, found `{token}`"),
    }
}

fn container_name(bracket: u8) -> &'static str {
    if bracket == b'[' { "array" } else { "object" }
}

/// The innermost `{` or `[` still open at byte `pos` and its offset (strings skipped). Only
/// used on errors.
fn innermost_container(text: &str, pos: usize) -> Option<(u8, usize)> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.as_bytes()[..pos.min(text.len())].iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => stack.push((b, i)),
            b'}' | b']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.last().copied()
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The map from each byte offset of a string literal's DECODED value to the byte offset in the
/// literal, counted from the first character after the opening quote.
///
/// `raw_literal` is the literal as it appears in the text, quotes included. The map has one entry
/// per decoded byte plus one for the end (the closing quote). All bytes produced by one escape
/// (`\"`, `\\`, `\u0027`, a surrogate pair) map to the escape's backslash. Returns an empty Vec
/// when the literal has no escapes: the map is then the identity (see
/// [`crate::model::map_inner_offset`]).
pub fn string_offsets(raw_literal: &str) -> Vec<u32> {
    let content = strip_quotes(raw_literal);
    if !content.contains('\\') {
        return Vec::new();
    }
    let bytes = content.as_bytes();
    let mut offsets = Vec::with_capacity(content.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        // Text up to the next escape is copied as it is: each byte maps to itself.
        let run_end = memchr::memchr(b'\\', &bytes[i..]).map_or(bytes.len(), |at| i + at);
        offsets.extend(i as u32..run_end as u32);
        i = run_end;
        if i + 1 < bytes.len() {
            let (decoded_len, consumed) = escape_lengths(content, i);
            offsets.extend(std::iter::repeat_n(i as u32, decoded_len));
            i += consumed;
        } else if i < bytes.len() {
            // A backslash that ends the content, which no JSON string has: kept as written.
            offsets.push(i as u32);
            i += 1;
        }
    }
    offsets.push(bytes.len() as u32);
    offsets
}

fn strip_quotes(raw: &str) -> &str {
    let Some(quote) = raw.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return raw;
    };
    let inner = &raw[1..];
    inner.strip_suffix(quote).unwrap_or(inner)
}

/// (decoded UTF-8 length, escape length in the literal) of the escape starting at `i`.
fn escape_lengths(content: &str, i: usize) -> (usize, usize) {
    if content.as_bytes()[i + 1] != b'u' {
        return (1, 2);
    }
    let Some(first) = unicode_escape(content, i) else {
        return (1, 2);
    };
    if (0xD800..0xDC00).contains(&first)
        && unicode_escape(content, i + 6).is_some_and(|low| (0xDC00..0xE000).contains(&low))
    {
        return (4, 12);
    }
    let decoded = char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER);
    (decoded.len_utf8(), 6)
}

/// The code unit of the `\\uXXXX` escape starting at `at` (its backslash), if one does.
pub(crate) fn unicode_escape(text: &str, at: usize) -> Option<u32> {
    text.get(at..)?
        .starts_with("\\u")
        .then(|| hex4(text, at + 2))
        .flatten()
}

fn hex4(content: &str, at: usize) -> Option<u32> {
    let digits = content.get(at..at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A property's value by exact (case-sensitive) name.
pub fn get<'b, 'a>(obj: &'b Object<'a>, name: &str) -> Option<&'b Value<'a>> {
    obj.properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .map(|p| &p.value)
}

/// A property's value by ASCII case-insensitive name (portal import shapes write `TemplateId`).
pub fn get_ignore_case<'b, 'a>(obj: &'b Object<'a>, name: &str) -> Option<&'b Value<'a>> {
    get(obj, name).or_else(|| {
        obj.properties
            .iter()
            .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
            .map(|p| &p.value)
    })
}

/// True when the object has a property of that exact name.
pub fn has(obj: &Object<'_>, name: &str) -> bool {
    get(obj, name).is_some()
}

/// An OData annotation or action key (`@odata.type`, `x@odata.type`, `#microsoft.graph.assign`).
pub fn is_annotation(key: &str) -> bool {
    key.contains('@') || key.starts_with('#')
}

/// The value of a string node.
pub fn as_str<'b>(value: &'b Value<'_>) -> Option<&'b str> {
    value.as_string_lit().map(|s| s.value.as_ref())
}

/// The string value of a property, when it is a string.
pub fn get_str<'b>(obj: &'b Object<'_>, name: &str) -> Option<&'b str> {
    get(obj, name).and_then(as_str)
}

/// [`get_str`] of a property named in any case (see [`get_ignore_case`]).
pub fn get_str_ignore_case<'b>(obj: &'b Object<'_>, name: &str) -> Option<&'b str> {
    get_ignore_case(obj, name).and_then(as_str)
}

/// The value of an integer number node (`None` for fractions and out-of-range numbers).
pub fn as_i64(value: &Value<'_>) -> Option<i64> {
    value.as_number_lit().and_then(|n| n.value.parse().ok())
}

/// The value of a boolean node.
pub fn as_bool(value: &Value<'_>) -> Option<bool> {
    value.as_boolean_lit().map(|b| b.value)
}

/// A short name of a node's JSON type, for messages ("expected a string, found a number").
pub fn type_name(value: &Value<'_>) -> &'static str {
    match value {
        Value::StringLit(_) => "a string",
        Value::NumberLit(_) => "a number",
        Value::BooleanLit(_) => "a boolean",
        Value::Object(_) => "an object",
        Value::Array(_) => "an array",
        Value::NullKeyword(_) => "null",
    }
}

/// What stands where an object or an array was expected, for an error message: its
/// [`type_name`], or, for a string PowerShell's `ConvertTo-Json` writes in place of a value nested
/// deeper than its `-Depth`, what happened and how to export again. Exports made with
/// `ConvertTo-Json` and no `-Depth` (it is 2 unless given) hold such strings at every level
/// below the cut, and say nothing else about it.
pub fn found(value: &Value<'_>) -> &'static str {
    match as_str(value) {
        Some(text) if written_past_depth(text) => {
            "a string that PowerShell's ConvertTo-Json writes for a value nested deeper than its \
             -Depth (2 unless given): the export is cut short here; export it again with \
             `ConvertTo-Json -Depth 100`"
        }
        _ => type_name(value),
    }
}

/// The text `ConvertTo-Json` writes for an object past its depth: a PowerShell object's own
/// text (`@{settingDefinitionId=...; choiceSettingValue=}`, several joined by spaces for a
/// list), or a .NET or Graph SDK type's name (`System.Object[]`,
/// `System.Collections.Hashtable`, `Microsoft.Graph.PowerShell.Models.MicrosoftGraph...`).
fn written_past_depth(text: &str) -> bool {
    let type_name = |prefix: &str| {
        text.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
    };
    (text.starts_with("@{") && text.ends_with('}'))
        || type_name("System.")
        || type_name("Microsoft.Graph.")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::map_inner_offset;
    use crate::source::Encoding;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text(Path::new("t.json"), text.to_string(), Encoding::Utf8)
    }

    fn parse_error(text: &str) -> InputError {
        let f = file(text);
        let err = parse(f.text()).unwrap_err();
        Doc::file(SourceId(0), &f).parse_error(&err)
    }

    #[test]
    fn string_offsets_map_escapes_to_their_backslash() {
        let raw = r#""a\"b\u0027c""#;
        let offsets = string_offsets(raw);
        // decoded: a " b ' c
        assert_eq!(offsets, vec![0, 1, 3, 4, 10, 11]);
        let decoded = "a\"b'c";
        assert_eq!(offsets.len(), decoded.len() + 1);
        let content = Span::new(1, raw.len() - 1);
        let c = decoded.find('c').unwrap();
        assert_eq!(&raw[map_inner_offset(content, &offsets, c)..][..1], "c");
        let quote = decoded.find('\'').unwrap();
        assert!(raw[map_inner_offset(content, &offsets, quote)..].starts_with("\\u0027"));
    }

    #[test]
    fn string_offsets_is_empty_without_escapes_and_handles_multibyte() {
        assert!(string_offsets(r#""device.deviceTrustType -eq 'AzureAD'""#).is_empty());
        let offsets = string_offsets(r#""é\n€\ud83d\ude00x""#);
        // é (2 bytes) \n (1) € (3) 😀 (4 from a 12-byte surrogate pair) x (1)
        assert_eq!(offsets, vec![0, 1, 2, 4, 5, 6, 7, 7, 7, 7, 19, 20]);
    }

    #[test]
    fn str_content_in_a_double_encoded_text_points_at_file_bytes() {
        let text = r#""{\"rule\": \"a\\\"b\"}""#;
        let f = file(text);
        let outer = parse(f.text()).unwrap().unwrap();
        let lit = outer.as_string_lit().unwrap();
        let outer_offsets = string_offsets(&text[lit.range.start..lit.range.end]);
        let doc = Doc {
            id: SourceId(0),
            file: &f,
            text: &lit.value,
            map: TextMap::inner(lit.range.start + 1, &outer_offsets),
        };
        let inner = parse(doc.text).unwrap().unwrap();
        let rule = get(inner.as_object().unwrap(), "rule").unwrap();
        let content = doc.str_content(rule.as_string_lit().unwrap());
        assert_eq!(content.value, "a\"b");
        assert_eq!(f.slice(doc.span(rule)), r#"\"a\\\"b\""#);
        assert_eq!(f.slice(content.span), r#"a\\\"b"#);
        let b = map_inner_offset(content.span, &content.offsets, 2);
        assert_eq!(&text[b..b + 1], "b");
        let quote = map_inner_offset(content.span, &content.offsets, 1);
        assert_eq!(&text[quote..quote + 4], r#"\\\""#);
    }

    #[test]
    fn truncated_json_reports_end_of_file_and_the_open_object() {
        let err = parse_error("{\n  \"name\": \"x\",\n  \"settings\": [\n");
        assert_eq!(
            err.message,
            "invalid JSON: unexpected end of file (the array opened at line 3, column 15 is not closed)"
        );
        assert_eq!((err.line, err.column), (Some(3), Some(16)));
    }

    #[test]
    fn missing_comma_points_after_the_previous_value() {
        let err = parse_error("{\n  \"a\": 1\n  \"b\": 2\n}");
        assert_eq!(err.message, "invalid JSON: expected ',' or '}'");
        assert_eq!((err.line, err.column), (Some(2), Some(9)));
        let err = parse_error("[1, 2 3]");
        assert_eq!(err.message, "invalid JSON: expected ',' or ']'");
        let err = parse_error("{\"a\": 1 ]");
        assert_eq!(err.message, "invalid JSON: expected ',' or '}', found `]`");
        assert_eq!(err.column, Some(9));
    }

    #[test]
    fn strictness_and_other_errors_have_clear_messages() {
        assert_eq!(
            parse_error("{\"a\": 1,}").message,
            "invalid JSON: trailing comma"
        );
        assert_eq!(
            parse_error("{\"a\": True}").message,
            "invalid JSON: expected a JSON value, found `True`"
        );
        assert_eq!(
            parse_error("{} x").message,
            "invalid JSON: unexpected `x` after the end of the JSON value"
        );
        assert_eq!(
            parse_error("{\"a\" 1}").message,
            "invalid JSON: expected ':' after the property name"
        );
        assert!(parse_error("// c\n{}").message.contains("comments"));
        assert!(
            parse_error("{\"a\": \"x")
                .message
                .contains("the string opened at line 1")
        );
        assert_eq!(
            parse_error("{\"a\": {\"b\":").message,
            "invalid JSON: unexpected end of file (the object opened at line 1, column 7 is not closed)"
        );
    }

    /// Strings `ConvertTo-Json` writes past its depth are told apart from strings that are
    /// only in the wrong place.
    #[test]
    fn strings_written_past_convertto_json_depth_are_named() {
        let found_for = |json: &str| found(&parse(json).unwrap().unwrap());
        for cut in [
            r#""@{settingDefinitionId=device_vendor_msft_x; choiceSettingValue=}""#,
            r#""@{a=1} @{b=2}""#,
            r#""System.Collections.Hashtable""#,
            r#""System.Object[]""#,
            r#""Microsoft.Graph.PowerShell.Models.MicrosoftGraphDeviceManagementConfigurationSettingInstance""#,
        ] {
            assert!(
                found_for(cut).contains("ConvertTo-Json -Depth 100"),
                "{cut}"
            );
        }
        for plain in [
            r#""device_vendor_msft_x""#,
            r#""@{ unclosed""#,
            r#""System.""#,
            r#""System. Out of order""#,
            r#""Microsoft.Graph is down""#,
            r#""""#,
        ] {
            assert_eq!(found_for(plain), "a string", "{plain}");
        }
        assert_eq!(found_for("[1]"), "an array");
        assert_eq!(found_for("null"), "null");
    }

    #[test]
    fn property_lookup_is_exact_or_case_insensitive() {
        let f = file(r##"{"TemplateId": "t", "name@odata.type": "#String", "name": "n"}"##);
        let v = parse(f.text()).unwrap().unwrap();
        let obj = v.as_object().unwrap();
        assert!(get(obj, "templateId").is_none());
        assert_eq!(
            get_ignore_case(obj, "templateId").and_then(as_str),
            Some("t")
        );
        assert_eq!(get_str(obj, "name"), Some("n"));
        assert!(
            obj.properties
                .iter()
                .filter(|p| is_annotation(p.name.as_str()))
                .count()
                == 1
        );
        let doc = Doc::file(SourceId(0), &f);
        assert_eq!(f.slice(doc.span(get(obj, "name").unwrap())), "\"n\"");
    }
}
