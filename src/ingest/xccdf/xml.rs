//! A small element tree over quick-xml's event reader, with byte spans into the decoded file.
//!
//! Used by the STIG readers (XCCDF, `.ckl`): those files are a few MB at most, and a tree with
//! exact spans makes the readers short. Elements are matched by namespace URI and local name,
//! never by prefix. There is no DTD processing: entity references other than the five
//! predefined ones and character references are kept as written.
//!
//! Text is decoded by [`decode`], which also returns the map from each decoded byte to its byte
//! in the file, so that a phrase found in decoded text (`Value: 0`) can be pointed at exactly.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::source::Span;

/// One XML element.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// Namespace URI, when the name is bound to one.
    pub ns: Option<String>,
    /// Local name (prefix removed).
    pub name: String,
    /// Attributes by local name, values decoded.
    pub attrs: Vec<(String, String)>,
    /// The whole element, start tag to end tag.
    pub span: Span,
    /// Between the start and the end tag (empty for `<x/>`).
    pub content: Span,
    pub children: Vec<Element>,
}

impl Element {
    /// True when the element has this local name and (when `ns` is given) namespace URI.
    pub fn is(&self, ns: Option<&str>, name: &str) -> bool {
        self.name == name && (ns.is_none() || self.ns.as_deref() == ns)
    }

    /// The first child with this local name in namespace `ns` (any namespace when `None`).
    pub fn child(&self, ns: Option<&str>, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child with this local name in namespace `ns` (any namespace when `None`).
    pub fn children_named<'e>(
        &'e self,
        ns: Option<&'e str>,
        name: &'e str,
    ) -> impl Iterator<Item = &'e Element> + 'e {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// An attribute's decoded value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's text, decoded, with its offset map.
    pub fn text(&self, file_text: &str) -> Decoded {
        decode(file_text, self.content)
    }

    /// The element's text, decoded and trimmed.
    pub fn trimmed_text(&self, file_text: &str) -> String {
        self.text(file_text).text.trim().to_string()
    }
}

/// Why a document could not be read: where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct XmlError {
    pub span: Span,
    pub message: String,
}

/// Deeper nesting is refused (no STIG format nests more than a dozen levels; the limit keeps a
/// hostile file from exhausting the stack when the tree is walked or dropped).
const MAX_DEPTH: usize = 256;

/// A reader of `text` (a whole decoded file) that starts after its leading byte order marks,
/// and their length in bytes, to add to the reader's positions. quick-xml skips a byte order
/// mark at the start without counting it in its positions, and a file saved with several BOMs
/// still starts with some once decoded; read after all of them, every span points into `text`.
pub(crate) fn reader_after_byte_order_marks(text: &str) -> (usize, NsReader<&[u8]>) {
    let bom = text.len() - text.trim_start_matches('\u{feff}').len();
    (bom, NsReader::from_str(&text[bom..]))
}

/// Parse `text` (a whole decoded file) into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let (bom, mut reader) = reader_after_byte_order_marks(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = bom + reader.buffer_position() as usize;
        let event = reader.read_event();
        let after = bom + reader.buffer_position() as usize;
        match event {
            Ok(Event::Start(start)) => {
                if stack.len() >= MAX_DEPTH {
                    let message = format!("elements are nested more than {MAX_DEPTH} deep");
                    return Err(error(before, after, &message));
                }
                let (ns, _) = reader.resolver().resolve_element(start.name());
                stack.push(open(&ns, &start, before, after)?);
            }
            Ok(Event::Empty(start)) => {
                let (ns, _) = reader.resolver().resolve_element(start.name());
                let element = open(&ns, &start, before, after)?;
                attach(element, &mut stack, &mut root);
            }
            Ok(Event::End(_)) => {
                let Some(mut element) = stack.pop() else {
                    return Err(error(before, after, "unexpected closing tag"));
                };
                element.content.end = before as u32;
                element.span.end = after as u32;
                attach(element, &mut stack, &mut root);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = bom + reader.error_position() as usize;
                return Err(error(at, at, &format!("invalid XML: {e}")));
            }
        }
    }
    if let Some(open) = stack.first() {
        let start = open.span.start as usize;
        return Err(error(
            start,
            start + 1 + open.name.len(),
            &format!("unexpected end of file: <{}> is not closed", open.name),
        ));
    }
    root.ok_or_else(|| error(0, 0, "no XML element found"))
}

fn error(start: usize, end: usize, message: &str) -> XmlError {
    XmlError {
        span: Span::new(start, end.max(start)),
        message: message.to_string(),
    }
}

fn open(
    ns: &ResolveResult<'_>,
    start: &BytesStart<'_>,
    before: usize,
    after: usize,
) -> Result<Element, XmlError> {
    let ns = match ns {
        ResolveResult::Bound(ns) => Some(ns.as_ref().to_string()),
        _ => None,
    };
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr =
            attr.map_err(|e| error(before, after, &format!("invalid XML attribute: {e}")))?;
        attrs.push((
            attr.key.local_name().as_ref().to_string(),
            decode_str(&attr.value).text,
        ));
    }
    Ok(Element {
        ns,
        name: start.local_name().as_ref().to_string(),
        attrs,
        span: Span::new(before, after),
        content: Span::new(after, after),
        children: Vec::new(),
    })
}

fn attach(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => {}
    }
}

/// Decoded text and where each byte of it is in the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    pub text: String,
    /// File offset of each decoded byte, plus one entry for the end.
    pub offsets: Vec<u32>,
}

impl Decoded {
    /// File offset of a decoded offset.
    pub fn offset(&self, at: usize) -> usize {
        self.offsets[at.min(self.offsets.len() - 1)] as usize
    }

    /// File span of a range of the decoded text.
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        let start = self.offset(range.start);
        Span::new(start, self.offset(range.end).max(start))
    }

    fn push(&mut self, text: &str, at: usize) {
        self.offsets
            .extend((0..text.len()).map(|i| (at + i) as u32));
        self.text.push_str(text);
    }
}

/// Decode the text of `span` in `file_text`: entity and character references, CDATA sections,
/// line ends (`\r\n` and `\r` become `\n`); comments, processing instructions and nested tags are
/// skipped.
pub fn decode(file_text: &str, span: Span) -> Decoded {
    let raw = file_text.get(span.range()).unwrap_or("");
    let mut out = decode_str(raw);
    for offset in &mut out.offsets {
        *offset += span.start;
    }
    out
}

/// [`decode`] over a string on its own (offsets relative to its start).
pub fn decode_str(raw: &str) -> Decoded {
    let mut out = Decoded {
        text: String::with_capacity(raw.len()),
        offsets: Vec::with_capacity(raw.len() + 1),
    };
    let mut i = 0;
    while i < raw.len() {
        i = decode_one(raw, i, &mut out);
    }
    out.offsets.push(raw.len() as u32);
    out
}

/// Decode the piece of `raw` starting at `i`; returns where the next piece starts.
fn decode_one(raw: &str, i: usize, out: &mut Decoded) -> usize {
    let rest = &raw[i..];
    if let Some(body) = rest.strip_prefix("<![CDATA[") {
        let len = body.find("]]>").unwrap_or(body.len());
        out.push(&body[..len], i + 9);
        return (i + 9 + len + 3).min(raw.len());
    }
    if rest.starts_with('<') {
        let close = if rest.starts_with("<!--") { "-->" } else { ">" };
        return rest
            .find(close)
            .map_or(raw.len(), |end| i + end + close.len());
    }
    if rest.starts_with('&')
        && let Some((decoded, len)) = reference(rest)
    {
        out.push(decoded.encode_utf8(&mut [0; 4]), i);
        return i + len;
    }
    if rest.starts_with('\r') {
        out.push("\n", i);
        return i + if rest.starts_with("\r\n") { 2 } else { 1 };
    }
    let c = rest.chars().next().unwrap_or(' ');
    out.push(c.encode_utf8(&mut [0; 4]), i);
    i + c.len_utf8()
}

/// The character a reference (`&amp;`, `&#39;`, `&#x27;`) at the start of `text` stands for,
/// and the reference's length.
fn reference(text: &str) -> Option<(char, usize)> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let name = &text[1..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_has_namespaces_attributes_and_spans() {
        let text = "<?xml version=\"1.0\"?>\n<b:Benchmark xmlns:b=\"urn:x\" id=\"a&amp;b\"><b:Rule id=\"r\"><version>WN11</version></b:Rule><empty/></b:Benchmark>";
        let root = parse(text).unwrap();
        assert!(root.is(Some("urn:x"), "Benchmark"));
        assert_eq!(root.attr("id"), Some("a&b"));
        let rule = root.child(Some("urn:x"), "Rule").unwrap();
        assert_eq!(
            &text[rule.span.range()],
            "<b:Rule id=\"r\"><version>WN11</version></b:Rule>"
        );
        let version = rule.child(None, "version").unwrap();
        assert_eq!(version.ns, None);
        assert_eq!(version.trimmed_text(text), "WN11");
        let empty = root.child(None, "empty").unwrap();
        assert!(empty.content.is_empty());
        assert_eq!(&text[empty.span.range()], "<empty/>");
    }

    /// A file saved with several BOMs still starts with some once decoded; quick-xml skips one
    /// without counting it, so spans must add every one back.
    #[test]
    fn spans_stay_on_their_bytes_after_repeated_byte_order_marks() {
        for boms in 0..3 {
            let text = format!("{}<a><b>Ünï</b></a>", "\u{feff}".repeat(boms));
            let root = parse(&text).unwrap();
            let b = root.child(None, "b").unwrap();
            assert_eq!(&text[b.span.range()], "<b>Ünï</b>", "{boms} BOMs");
        }
    }

    #[test]
    fn decoded_text_maps_back_to_file_bytes() {
        let text = "<a>x &gt; 1\r\nValue: <![CDATA[<0>]]>&#x41;</a>";
        let root = parse(text).unwrap();
        let decoded = root.text(text);
        assert_eq!(decoded.text, "x > 1\nValue: <0>A");
        let at = decoded.text.find("Value").unwrap();
        assert_eq!(&text[decoded.span(at..at + 5).range()], "Value");
        let gt = decoded.text.find('>').unwrap();
        assert_eq!(&text[decoded.span(gt..gt + 1).range()], "&gt;");
        let zero = decoded.text.find('0').unwrap();
        assert_eq!(&text[decoded.span(zero..zero + 1).range()], "0");
        let a = decoded.text.find('A').unwrap();
        assert_eq!(&text[decoded.span(a..a + 1).range()], "&#x41;");
    }

    #[test]
    fn deep_nesting_and_multibyte_text_do_not_panic() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(
            parse(&deep)
                .unwrap_err()
                .message
                .contains("nested more than 256 deep")
        );
        assert_eq!(decode_str("&éééééé;x").text, "&éééééé;x");
    }

    #[test]
    fn unknown_entities_stay_as_written() {
        assert_eq!(decode_str("&nbsp;&#xZZ;&").text, "&nbsp;&#xZZ;&");
    }

    #[test]
    fn broken_documents_are_positioned_errors() {
        let text = "<a>\n  <b></c>\n</a>";
        let err = parse(text).unwrap_err();
        assert!(err.message.contains("invalid XML"), "{}", err.message);
        let err = parse("<a>\n<b>text").unwrap_err();
        assert_eq!(err.message, "unexpected end of file: <a> is not closed");
        assert_eq!(err.span.start, 0);
        assert_eq!(parse("").unwrap_err().message, "no XML element found");
    }
}
