//! Source files: decoded once, addressed by byte spans.
//!
//! Every input is decoded to UTF-8 exactly once (UTF-8, UTF-8 with BOM, UTF-16LE/BE with BOM,
//! and BOM-less UTF-16LE as GPMC writes `GPO.cmt`). All spans in the model are byte ranges into
//! that decoded text; line and column are computed from a line-start index when a report needs
//! them. Columns are 1-based and count Unicode code points (SARIF `unicodeCodePoints`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A byte range into the decoded text of one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// A span relative to `self`'s start (for sub-strings whose offsets are known).
    pub fn sub(self, start: usize, end: usize) -> Span {
        Span::new(self.start as usize + start, self.start as usize + end)
    }
}

/// A position in a file: which file, which bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: SourceId,
    pub span: Span,
}

/// How the bytes of a file were encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16LeNoBom,
    Utf16Be,
    /// A binary file (Registry.pol) shown as a text listing baselint renders; spans point into
    /// the listing, which names each entry's byte offset in the real file, and
    /// [`SourceFile::file_bytes`] maps them to the file's own bytes.
    BinaryListing,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE with BOM",
            Encoding::Utf16LeNoBom => "UTF-16LE without BOM",
            Encoding::Utf16Be => "UTF-16BE with BOM",
            Encoding::BinaryListing => "binary (shown as a listing)",
        })
    }
}

/// Why the bytes of a file could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the raw file.
    pub byte_offset: usize,
    /// What is wrong there.
    pub message: String,
    /// What to do about it, where that can be told.
    pub hint: Option<&'static str>,
}

/// One decoded input file.
///
/// The text is needed while the file is parsed and, afterwards, only for the few spans a report
/// shows. A file read from disk can therefore [`release`](SourceFile::release) its text once
/// parsed: it keeps its line index (line and column of any span stay exact without the text),
/// and [`text`](SourceFile::text) re-reads and re-decodes the file the first time a report asks
/// for its bytes. This keeps peak memory near the size of the model, not of the input.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as given or found by the walk (used to re-read and to display).
    pub path: PathBuf,
    /// Path shown to users: relative to the working directory where possible, `/` separators.
    pub display_path: String,
    pub encoding: Encoding,
    text: String,
    /// Length of the decoded text (kept when the text is released).
    len: usize,
    /// The text re-read after [`SourceFile::release`]; `None` inside when the file changed or
    /// vanished since it was parsed.
    reloaded: Option<OnceLock<Option<String>>>,
    /// Built on first use, or handed over by a parser that saw every line end
    /// ([`SourceFile::offer_line_starts`]); always built before the text is released.
    lines: OnceLock<LineIndex>,
    /// The text is ASCII (noted while it is hot in the cache, for [`SourceFile::release`]).
    ascii: bool,
    /// Of a released file that is not ASCII, the lines (0-based, ascending) that hold a
    /// character that is not: a column there counts code points, read from the file again.
    wide_lines: Box<[u32]>,
    /// Of a released UTF-16 file that is not ASCII, where each of `wide_lines` starts and ends
    /// (its line end included) in the file, in bytes.
    wide_line_bytes: Box<[(u32, u32)]>,
    /// The file's length in bytes when it was read (for a released file: a file of another
    /// length has changed since).
    file_len: u64,
    /// For a [`Encoding::BinaryListing`]: which bytes of the real file each piece of the
    /// listing shows (see [`SourceFile::file_bytes`]).
    listed_bytes: Option<Box<[ListedBytes]>>,
}

/// A piece of a binary file's listing and the bytes of the real file it shows (an entry's
/// line and its record, a value name and its UTF-16 bytes, rendered data and its raw bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListedBytes {
    /// The piece, in the listing's text.
    pub listing: Span,
    /// The bytes it shows, in the real file.
    pub file: Span,
}

/// A file whose bytes could not be decoded, with the bytes back (to position the error).
#[derive(Debug)]
pub struct DecodeFailure {
    pub error: DecodeError,
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// Decode `bytes`, sniffing the encoding from the BOM or the first bytes.
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<SourceFile, DecodeError> {
        let (text, encoding) = decode_bytes(bytes)?;
        Ok(SourceFile::from_text(path, text, encoding))
    }

    /// Like [`SourceFile::decode`], reusing the buffer for UTF-8 files (no copy of the text).
    pub fn decode_vec(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, DecodeFailure> {
        if sniff(&bytes) != Encoding::Utf8 {
            return SourceFile::decode(path, &bytes)
                .map_err(|error| DecodeFailure { error, bytes });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::from_text(path, text, Encoding::Utf8)),
            Err(e) => Err(DecodeFailure {
                error: invalid_utf8(e.as_bytes(), e.utf8_error(), 0),
                bytes: e.into_bytes(),
            }),
        }
    }

    pub fn from_text(path: &Path, text: String, encoding: Encoding) -> SourceFile {
        SourceFile {
            path: path.to_path_buf(),
            display_path: display_path(path),
            encoding,
            len: text.len(),
            ascii: text.is_ascii(),
            text,
            ..placeholder()
        }
    }

    /// A UTF-8 file parsed from windows of its bytes, its whole text never held (a long
    /// list file): as a [released](SourceFile::release) file, with the start of every line
    /// after the first, as its parser saw them.
    /// The starts come in runs (a window's each), one after another; `wide` holds an offset
    /// in each line that holds a character that is not ASCII (ascending).
    pub fn streamed(path: &Path, len: usize, line_starts: &[Vec<u32>], wide: &[u32]) -> SourceFile {
        let lines = LineIndex::from_runs(line_starts);
        let file = SourceFile {
            len,
            file_len: len as u64,
            ascii: wide.is_empty(),
            wide_lines: wide_lines(&lines, wide),
            reloaded: Some(OnceLock::new()),
            ..SourceFile::from_text(path, String::new(), Encoding::Utf8)
        };
        file.lines.get_or_init(|| lines);
        file
    }

    /// A listing of a binary file (see [`Encoding::BinaryListing`]) with the file bytes each
    /// of its pieces shows. Pieces nest (an entry's line holds its key, value name and data).
    pub fn binary_listing(
        path: &Path,
        listing: String,
        mut pieces: Vec<ListedBytes>,
    ) -> SourceFile {
        // By start, the outer of two pieces that start together first: the innermost piece
        // holding a point is then the last holding it among those that start at or before it.
        pieces.sort_unstable_by_key(|p| (p.listing.start, std::cmp::Reverse(p.listing.end)));
        SourceFile {
            listed_bytes: Some(pieces.into_boxed_slice()),
            ..SourceFile::from_text(path, listing, Encoding::BinaryListing)
        }
    }

    /// For a listing of a binary file, the bytes of the real file that a span of the listing
    /// shows: from the start of the innermost piece holding the span's start to the end of the
    /// innermost piece holding its end (a span over several entries' data runs from the first
    /// entry's data to the last's). `None` for text files, whose spans are their own bytes.
    pub fn file_bytes(&self, span: Span) -> Option<Span> {
        let pieces = self.listed_bytes.as_deref()?;
        // The piece holding the span's first byte (for an empty span, its position).
        let starting = pieces.partition_point(|p| p.listing.start <= span.start);
        let first = pieces[..starting]
            .iter()
            .rev()
            .find(|p| span.start < p.listing.end || p.listing == span)?;
        // The piece holding its last byte.
        let last = if span.is_empty() {
            first
        } else {
            let ending = pieces.partition_point(|p| p.listing.start < span.end);
            pieces[..ending]
                .iter()
                .rev()
                .find(|p| span.end <= p.listing.end)
                .unwrap_or(first)
        };
        let end = last.file.end.max(first.file.start);
        Some(Span::new(first.file.start as usize, end as usize))
    }

    /// The decoded text (re-read from disk if it was released; empty if the file has changed
    /// since it was parsed, so that no span ever shows other bytes than those it was read from).
    pub fn text(&self) -> &str {
        match &self.reloaded {
            None => &self.text,
            Some(cell) => cell.get_or_init(|| self.reread()).as_deref().unwrap_or(""),
        }
    }

    /// The text, without keeping it: borrowed when the file holds it, else read again and
    /// handed over (a report quoting thousands of files then holds each only while it needs
    /// it). Empty if the file has changed since it was parsed, as [`SourceFile::text`].
    pub fn text_unkept(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match &self.reloaded {
            None => Cow::Borrowed(&self.text),
            Some(cell) => match cell.get() {
                Some(text) => Cow::Borrowed(text.as_deref().unwrap_or("")),
                None => Cow::Owned(self.reread().unwrap_or_default()),
            },
        }
    }

    /// Length in bytes of the decoded text.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drop the text of a parsed file to save memory; [`SourceFile::text`] re-reads it on
    /// demand. Kept as is: files not read from disk (built-in rules, Registry.pol listings),
    /// and, where files cannot be read at an offset (neither Unix nor Windows), files that are
    /// not ASCII. A column counts code points: in a
    /// file that is not ASCII, the lines that hold other characters are noted, and a column
    /// there reads its line again (a tenant's policies often have an accent or a typographic
    /// quote in a name or description, GPO reports in the explanations of their settings:
    /// keeping every such file's text doubled a run's memory).
    pub fn release(&mut self) {
        let rereadable = !matches!(self.encoding, Encoding::BinaryListing)
            && !self.path.as_os_str().is_empty()
            && (self.ascii || crate::positioned::SUPPORTED);
        if rereadable && self.reloaded.is_none() {
            self.lines();
            self.file_len = (self.bom_len() + self.units_before(&[self.len])[0]) as u64;
            if !self.ascii {
                self.wide_lines = wide_lines(self.lines(), &wide_offsets(self.text.as_bytes(), 0));
                if !self.is_utf8() {
                    let bounds: Vec<usize> = (self.wide_lines.iter())
                        .flat_map(|&line| {
                            let (start, end) = self.line_bounds(line as usize).unwrap_or((0, 0));
                            [start, end]
                        })
                        .collect();
                    let bytes: Vec<u32> = (self.units_before(&bounds).into_iter())
                        .map(|bytes| (self.bom_len() + bytes) as u32)
                        .collect();
                    self.wide_line_bytes = bytes.chunks_exact(2).map(|b| (b[0], b[1])).collect();
                }
            }
            self.text = String::new();
            self.reloaded = Some(OnceLock::new());
        }
    }

    /// How a UTF-16 file's pairs of bytes make a code unit.
    fn utf16_unit(&self) -> fn([u8; 2]) -> u16 {
        match self.encoding {
            Encoding::Utf16Be => u16::from_be_bytes,
            _ => u16::from_le_bytes,
        }
    }

    fn is_utf8(&self) -> bool {
        matches!(self.encoding, Encoding::Utf8 | Encoding::Utf8Bom)
    }

    /// The bytes of the file before its text.
    fn bom_len(&self) -> usize {
        match self.encoding {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            _ => 0,
        }
    }

    /// How many bytes of the file hold the text before each of the `offsets` (ascending),
    /// the BOM left out: the offset itself in UTF-8, two bytes per UTF-16 unit.
    fn units_before(&self, offsets: &[usize]) -> Vec<usize> {
        if self.is_utf8() || self.ascii {
            let unit = if self.is_utf8() { 1 } else { 2 };
            return offsets.iter().map(|&offset| offset * unit).collect();
        }
        let mut at = 0;
        let mut units = 0;
        offsets
            .iter()
            .map(|&offset| {
                units += self.text[at..offset].encode_utf16().count();
                at = offset;
                2 * units
            })
            .collect()
    }

    /// True when the text was released and has not been re-read.
    pub fn is_released(&self) -> bool {
        self.reloaded
            .as_ref()
            .is_some_and(|cell| cell.get().is_none())
    }

    fn reread(&self) -> Option<String> {
        let bytes = std::fs::read(&self.path).ok()?;
        // UTF-8 in place (no second copy of the text); anything else decoded.
        let (text, encoding) = match sniff(&bytes) {
            Encoding::Utf8 => (String::from_utf8(bytes).ok()?, Encoding::Utf8),
            _ => decode_bytes(&bytes).ok()?,
        };
        (encoding == self.encoding && text.len() == self.len && text.is_ascii() == self.ascii)
            .then_some(text)
    }

    /// The line index, built from the text the first time it is needed.
    fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// Take the start of every line but the first, in order, from a parser that saw every line
    /// end of the text (`\n`, `\r\n`, a lone `\r`), instead of scanning the text again. Ignored
    /// when the index is already built.
    pub(crate) fn offer_line_starts(&self, starts: &[u32]) {
        self.lines.get_or_init(|| LineIndex::from_starts(starts));
        debug_assert_eq!(self.lines.get().map(LineIndex::len), Some(starts.len() + 1));
    }

    /// 1-based line and column (in Unicode code points) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let (line, start) = self.lines().line_of(offset as u32);
        let start = start as usize;
        if let Some(reloaded) = &self.reloaded {
            let column = match reloaded.get() {
                Some(Some(text)) => code_points(text, start, offset),
                // One byte per code point on a line that is all ASCII.
                _ if self.wide_lines.binary_search(&(line as u32)).is_err() => offset - start,
                _ => self.wide_column(start, offset).unwrap_or(offset - start),
            };
            return (line + 1, column + 1);
        }
        (line + 1, code_points(&self.text, start, offset) + 1)
    }

    /// The code points from a wide line's start (at `start`) to `offset` (moved back to a
    /// character's boundary), read again from the file; None when it has changed since.
    fn wide_column(&self, start: usize, offset: usize) -> Option<usize> {
        if self.is_utf8() {
            let read = self.read_again(std::slice::from_ref(&(start..offset)))?;
            let read = read.into_iter().next()?;
            // Up to the offset's character (the offset may be inside one).
            let valid = match std::str::from_utf8(&read) {
                Ok(text) => text.len(),
                Err(e) => e.valid_up_to(),
            };
            return Some(String::from_utf8_lossy(&read[..valid]).chars().count());
        }
        // UTF-16: no more units than UTF-8 bytes to the offset.
        let from = self.utf16_offset(start)?;
        let end = (from + 2 * (offset - start)).min(self.file_len as usize);
        let read = self.read_file(std::slice::from_ref(&(from..end)))?;
        let read = read.into_iter().next()?;
        let unit = self.utf16_unit();
        let units = read.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
        let mut bytes = 0;
        let mut count = 0;
        for decoded in char::decode_utf16(units) {
            bytes += decoded.map_or(3, char::len_utf8);
            if bytes > offset - start {
                break;
            }
            count += 1;
        }
        Some(count)
    }

    /// The text of a span, clamped to the file.
    pub fn slice(&self, span: Span) -> &str {
        let text = self.text();
        let end = (span.end as usize).min(text.len());
        let start = (span.start as usize).min(end);
        text.get(start..end).unwrap_or("")
    }

    /// The text of a 1-based line, without its line end; empty past the last line.
    pub fn line(&self, line: usize) -> &str {
        self.line_in(self.text(), line)
    }

    /// [`SourceFile::line`] of `text`, this file's text as [`SourceFile::text_unkept`] gave it.
    pub fn line_in<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(start) = line.checked_sub(1).and_then(|i| self.lines().start(i)) else {
            return "";
        };
        let end = self.lines().start(line).map_or(text.len(), |e| e as usize);
        text.get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.lines().len()
    }

    /// The 0-based line holding a byte offset.
    pub fn line_index_of(&self, offset: usize) -> usize {
        self.lines().line_of(offset.min(self.len) as u32).0
    }

    /// Where a 0-based line starts and ends (its line end included); None past the last line.
    pub fn line_bounds(&self, line: usize) -> Option<(usize, usize)> {
        let start = self.lines().start(line)? as usize;
        let end = self
            .lines()
            .start(line + 1)
            .map_or(self.len, |e| e as usize);
        Some((start, end))
    }

    /// Whether [`SourceFile::read_excerpts`] can read parts of the text from disk: a released
    /// UTF-8 or UTF-16 file.
    pub fn excerptable(&self) -> bool {
        crate::positioned::SUPPORTED
            && self.is_released()
            && matches!(
                self.encoding,
                Encoding::Utf8
                    | Encoding::Utf8Bom
                    | Encoding::Utf16Le
                    | Encoding::Utf16LeNoBom
                    | Encoding::Utf16Be
            )
    }

    /// Parts of the text of a released UTF-8 file, read again from disk without the rest: a
    /// report quoting a few lines of a list file of hundreds of megabytes reads those lines.
    /// Each range must start and end on a character's boundary. None when the file has
    /// changed since it was parsed (another length, bytes that are not ASCII in an ASCII
    /// file, or not UTF-8), so that no span shows other bytes than those it was read from.
    pub fn read_excerpts(&self, ranges: &[std::ops::Range<usize>]) -> Option<Vec<String>> {
        if !self.is_utf8() {
            return self.read_utf16_excerpts(ranges);
        }
        let read = self.read_again(ranges)?;
        read.into_iter()
            .map(|bytes| {
                // An ASCII file that is no longer is another file.
                if self.ascii && !bytes.is_ascii() {
                    return None;
                }
                String::from_utf8(bytes).ok()
            })
            .collect()
    }

    /// [`SourceFile::read_excerpts`] of a UTF-16 file, whose ranges must start and end at a
    /// line's start or end: that is where the file offsets of its text are known.
    fn read_utf16_excerpts(&self, ranges: &[std::ops::Range<usize>]) -> Option<Vec<String>> {
        let in_file: Vec<std::ops::Range<usize>> = ranges
            .iter()
            .map(|r| Some(self.utf16_offset(r.start)?..self.utf16_offset(r.end)?))
            .collect::<Option<_>>()?;
        let read = self.read_file(&in_file)?;
        read.into_iter()
            .zip(ranges)
            .map(|(bytes, range)| {
                let text = decode_utf16(&bytes, 0, self.utf16_unit()).ok()?;
                // Text of another length, or not ASCII in an ASCII file, is another file's.
                let same = text.len() == range.len() && (!self.ascii || text.is_ascii());
                same.then_some(text)
            })
            .collect()
    }

    /// Where the text at `offset`, a line's start or end, is in a released UTF-16 file (in
    /// bytes). The lines between two that are not ASCII take two bytes per character.
    fn utf16_offset(&self, offset: usize) -> Option<usize> {
        let bom = self.bom_len();
        if self.ascii {
            return Some(bom + 2 * offset);
        }
        let line = self.line_index_of(offset);
        let (start, end) = self.line_bounds(line)?;
        let wide = self.wide_lines.partition_point(|&w| (w as usize) < line);
        if self.wide_lines.get(wide) == Some(&(line as u32)) {
            let (start_byte, end_byte) = *self.wide_line_bytes.get(wide)?;
            return match offset {
                _ if offset == start => Some(start_byte as usize),
                _ if offset == end => Some(end_byte as usize),
                _ => None,
            };
        }
        // From the end of the last line before it that is not ASCII, or the file's start.
        let (text_from, byte_from) = match wide.checked_sub(1) {
            None => (0, bom),
            Some(before) => {
                let line_end = self.line_bounds(self.wide_lines[before] as usize)?.1;
                (line_end, self.wide_line_bytes.get(before)?.1 as usize)
            }
        };
        Some(byte_from + 2 * offset.checked_sub(text_from)?)
    }

    /// The bytes of `ranges` of the text of a released UTF-8 file, read again from disk; None
    /// when it has another length than it had.
    fn read_again(&self, ranges: &[std::ops::Range<usize>]) -> Option<Vec<Vec<u8>>> {
        if !self.is_utf8() {
            return None;
        }
        let bom = self.bom_len();
        let in_file: Vec<_> = ranges.iter().map(|r| r.start + bom..r.end + bom).collect();
        self.read_file(&in_file)
    }

    /// Byte ranges of a released file, read again; None when it has another length than it
    /// had.
    fn read_file(&self, ranges: &[std::ops::Range<usize>]) -> Option<Vec<Vec<u8>>> {
        self.reloaded.as_ref()?;
        let file = std::fs::File::open(&self.path).ok()?;
        if file.metadata().ok()?.len() != self.file_len {
            return None;
        }
        (ranges.iter())
            .map(|range| crate::positioned::read_at(&file, range.start as u64, range.len()).ok())
            .collect()
    }

    /// Where context of `lines_before` lines above the line of `offset` starts: that line's
    /// 0-based number and byte offset (the first line's when the file has fewer lines above).
    pub fn context_start(&self, offset: usize, lines_before: usize) -> (usize, usize) {
        let (line, _) = self.lines().line_of(offset.min(self.len) as u32);
        let first = line.saturating_sub(lines_before);
        let start = self.lines().start(first).unwrap_or(0) as usize;
        (first, start)
    }
}

/// The start (from `base`) of every line of `bytes` after the first: after a `\n`, and after
/// a `\r` that no `\n` follows.
pub(crate) fn line_starts(bytes: &[u8], base: usize) -> Vec<u32> {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .map(|i| (base + i + 1) as u32)
        .collect()
}

/// An offset (from `base`) in each line of `bytes` that holds a byte that is not ASCII: the
/// first such byte of the line.
pub(crate) fn wide_offsets(bytes: &[u8], base: usize) -> Vec<u32> {
    let mut wide = Vec::new();
    let mut at = 0;
    while let Some(found) = first_not_ascii(&bytes[at..]) {
        wide.push((base + at + found) as u32);
        at += found;
        at = memchr::memchr2(b'\n', b'\r', &bytes[at..]).map_or(bytes.len(), |end| at + end + 1);
    }
    wide
}

/// The lines (ascending, each once) of `wide` offsets (ascending, see [`wide_offsets`]).
fn wide_lines(lines: &LineIndex, wide: &[u32]) -> Box<[u32]> {
    let mut wide_lines: Vec<u32> = wide.iter().map(|&at| lines.line_of(at).0 as u32).collect();
    wide_lines.dedup();
    wide_lines.into_boxed_slice()
}

/// Where the first byte that is not ASCII is (whole blocks checked at once: such bytes are
/// rare in an export, so most of the text is skipped a block at a time).
fn first_not_ascii(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    let mut at = 0;
    for block in bytes.chunks(BLOCK) {
        if !block.is_ascii() {
            return block.iter().position(|b| !b.is_ascii()).map(|i| at + i);
        }
        at += block.len();
    }
    None
}

/// The code points of `text[start..offset]`, `offset` moved back to a character's boundary.
fn code_points(text: &str, start: usize, offset: usize) -> usize {
    let mut boundary = offset.min(text.len());
    while !text.is_char_boundary(boundary) {
        boundary -= 1;
    }
    text.get(start..boundary)
        .map_or(0, |part| part.chars().count())
}

/// Where the lines of a text start, in about a byte per line: each line's length as a varint
/// (LEB128), with the absolute start of every 32nd line as a checkpoint. A tenant export has
/// millions of lines and keeps this index for every file (positions stay exact after the text
/// is released), so four bytes per line would be a sixth of the model.
///
/// A line ends at `\n`, `\r\n` or a lone `\r` (some exports mix CRLF and LF; old Mac files use
/// CR).
#[derive(Clone, Debug, Default)]
struct LineIndex {
    /// The length of every line but the last, in order, as varints (seven bits a byte, low
    /// bits first, the high bit set on every byte but a length's last).
    lengths: Vec<u8>,
    /// For lines 0, 32, 64...: the line's start and where its length begins in `lengths`.
    checkpoints: Vec<(u32, u32)>,
    lines: u32,
}

impl LineIndex {
    const EVERY: usize = 32;

    fn new(text: &str) -> LineIndex {
        LineIndex::from_starts(&line_starts(text.as_bytes(), 0))
    }

    /// The index of a text whose lines after the first start at `starts` (ascending). Both
    /// vectors are sized before they are written, at their exact size (they live as long as the
    /// file), and each 32-line block is encoded in a loop of its own: this runs for every line
    /// of every file read.
    fn from_starts(starts: &[u32]) -> LineIndex {
        let long = |length: u32| length >= 0x80;
        let mut previous = 0u32;
        let mut extra = 0usize;
        for &start in starts {
            let mut length = start - previous;
            previous = start;
            while long(length) {
                extra += 1;
                length >>= 7;
            }
        }
        let mut lengths = vec![0u8; starts.len() + extra];
        let mut checkpoints = Vec::with_capacity(starts.len() / Self::EVERY + 1);
        checkpoints.push((0, 0));
        let mut at = 0usize;
        for (chunk, block) in starts.chunks(Self::EVERY).enumerate() {
            let base = chunk * Self::EVERY;
            let mut previous = if base == 0 { 0 } else { starts[base - 1] };
            for &start in block {
                let mut length = start - previous;
                previous = start;
                while long(length) {
                    lengths[at] = (length as u8) | 0x80;
                    at += 1;
                    length >>= 7;
                }
                lengths[at] = length as u8;
                at += 1;
            }
            if block.len() == Self::EVERY {
                checkpoints.push((previous, at as u32));
            }
        }
        LineIndex {
            lengths,
            checkpoints,
            lines: starts.len() as u32 + 1,
        }
    }

    /// [`LineIndex::from_starts`] of the starts of `runs` one after another (ascending), without
    /// joining them first: a long list file read window by window holds its line starts per
    /// window, tens of megabytes in all. `from_starts` keeps its own loop: written as this one
    /// over a single run, it took 27.9M instructions instead of 12.5M on the 1k tenant
    /// (callgrind), where it runs once per file.
    fn from_runs(runs: &[Vec<u32>]) -> LineIndex {
        let starts = || runs.iter().flatten().copied();
        let varint_bytes = |length: u32| (32 - length.leading_zeros()).max(1).div_ceil(7) as usize;
        let mut previous = 0u32;
        let mut size = 0usize;
        let mut lines = 0usize;
        for start in starts() {
            size += varint_bytes(start - previous);
            previous = start;
            lines += 1;
        }
        let mut lengths = Vec::with_capacity(size);
        let mut checkpoints = Vec::with_capacity(lines / Self::EVERY + 1);
        checkpoints.push((0, 0));
        previous = 0;
        for (n, start) in starts().enumerate() {
            let mut length = start - previous;
            previous = start;
            while length >= 0x80 {
                lengths.push((length as u8) | 0x80);
                length >>= 7;
            }
            lengths.push(length as u8);
            if (n + 1) % Self::EVERY == 0 {
                checkpoints.push((previous, lengths.len() as u32));
            }
        }
        LineIndex {
            lengths,
            checkpoints,
            lines: lines as u32 + 1,
        }
    }

    fn len(&self) -> usize {
        self.lines as usize
    }

    /// The 0-based line holding `offset`, and that line's start.
    fn line_of(&self, offset: u32) -> (usize, u32) {
        let k = self
            .checkpoints
            .partition_point(|&(start, _)| start <= offset)
            - 1;
        let (mut start, mut at) = self.checkpoints[k];
        let mut line = k * Self::EVERY;
        while line + 1 < self.len() && (line + 1) % Self::EVERY != 0 {
            let (length, next) = self.length_at(at);
            if start + length > offset {
                break;
            }
            (start, at, line) = (start + length, next, line + 1);
        }
        (line, start)
    }

    /// The start of a 0-based line, None past the last line.
    fn start(&self, line: usize) -> Option<u32> {
        if line >= self.len() {
            return None;
        }
        let (mut start, mut at) = self.checkpoints[line / Self::EVERY];
        for _ in 0..line % Self::EVERY {
            let (length, next) = self.length_at(at);
            (start, at) = (start + length, next);
        }
        Some(start)
    }

    /// The varint at `at` in `lengths`, and where the next one begins.
    fn length_at(&self, mut at: u32) -> (u32, u32) {
        let mut value = 0u32;
        let mut shift = 0;
        loop {
            let byte = self.lengths[at as usize];
            at += 1;
            value |= u32::from(byte & 0x7F) << shift;
            if byte < 0x80 {
                return (value, at);
            }
            shift += 7;
        }
    }
}

/// Paths for display: relative to the working directory when below it, always with `/`.
pub fn display_path(path: &Path) -> String {
    // A Windows path rooted without a drive (`\tenant`) is on the working directory's drive: with
    // it, it shows as the paths made absolute do (a config's files), not in a form of its own.
    let on_drive;
    let path = if path.has_root() && !path.is_absolute() {
        on_drive = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        &on_drive
    } else {
        path
    };
    let path = without_verbatim(path);
    let relative = with_working_directory(|cwd| {
        cwd.and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(&path)
            .to_path_buf()
    });
    let shown = relative.to_string_lossy().replace('\\', "/");
    shown
        .strip_prefix("./")
        .map(str::to_string)
        .unwrap_or(shown)
}

/// A path without the verbatim prefix Windows' `canonicalize` gives (`\\?\C:\x` is `C:\x`,
/// `\\?\UNC\server\share` is `\\server\share`): the form a user writes and reads. Elsewhere,
/// where `\` is a file name's character, the path as it is.
pub fn without_verbatim(path: &Path) -> std::borrow::Cow<'_, Path> {
    // Every file's display path comes through here: elsewhere, not even its text is looked at.
    if !cfg!(windows) {
        return path.into();
    }
    match path.to_str().and_then(strip_verbatim) {
        Some(plain) => PathBuf::from(plain).into(),
        None => path.into(),
    }
}

/// [`without_verbatim`] of a Windows path's text; None when it has no verbatim prefix (or one
/// of a device or volume, which has no plainer form).
fn strip_verbatim(text: &str) -> Option<String> {
    if let Some(share) = text.strip_prefix(r"\\?\UNC\") {
        return Some(format!(r"\\{share}"));
    }
    let drive = text.strip_prefix(r"\\?\")?;
    let letter = drive.as_bytes().first()?;
    (letter.is_ascii_alphabetic() && drive.as_bytes().get(1) == Some(&b':'))
        .then(|| drive.to_string())
}

/// The working directory, read once rather than once per file (a system call each), and again
/// after [`working_directory_changed`].
static WORKING_DIRECTORY: std::sync::RwLock<Option<Option<PathBuf>>> = std::sync::RwLock::new(None);

fn with_working_directory<T>(f: impl FnOnce(Option<&Path>) -> T) -> T {
    let known = WORKING_DIRECTORY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(cwd) = &*known {
        return f(cwd.as_deref());
    }
    drop(known);
    let cwd = std::env::current_dir().ok();
    let result = f(cwd.as_deref());
    *WORKING_DIRECTORY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cwd);
    result
}

/// Say that the process changed its working directory (display paths are relative to it).
pub fn working_directory_changed() {
    *WORKING_DIRECTORY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// The encoding a file's first bytes announce: a BOM, the NUL pattern of BOM-less UTF-16LE,
/// else UTF-8.
fn sniff(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Encoding::Utf8Bom
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else if looks_like_bomless_utf16le(bytes) {
        Encoding::Utf16LeNoBom
    } else {
        Encoding::Utf8
    }
}

fn decode_bytes(bytes: &[u8]) -> Result<(String, Encoding), DecodeError> {
    let encoding = sniff(bytes);
    let text = match encoding {
        Encoding::Utf8Bom => decode_utf8(&bytes[3..], 3),
        Encoding::Utf16Le => decode_utf16(&bytes[2..], 2, u16::from_le_bytes),
        Encoding::Utf16Be => decode_utf16(&bytes[2..], 2, u16::from_be_bytes),
        Encoding::Utf16LeNoBom => decode_utf16(bytes, 0, u16::from_le_bytes),
        Encoding::Utf8 | Encoding::BinaryListing => decode_utf8(bytes, 0),
    }?;
    Ok((text, encoding))
}

/// Text formats start with an ASCII character; in BOM-less UTF-16LE it is followed by a NUL.
fn looks_like_bomless_utf16le(bytes: &[u8]) -> bool {
    bytes.len() >= 4
        && bytes.len().is_multiple_of(2)
        && bytes[0].is_ascii()
        && bytes[0] != 0
        && bytes[1] == 0
        && bytes[3] == 0
}

fn decode_utf8(bytes: &[u8], base: usize) -> Result<String, DecodeError> {
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|e| invalid_utf8(bytes, e, base))
}

/// The error for `bytes` (from `base` in the file) that are not UTF-8. A byte no UTF-8 sequence
/// takes, in a file that is otherwise text, is most often a character of a Windows ANSI code
/// page: Windows PowerShell 5.1's `Set-Content` and `Out-File -Encoding Default` write them.
/// The message names the character it would be in Windows-1252 (to find it) and how to save
/// the file again; baselint does not guess a code page, which would misread names in others.
fn invalid_utf8(bytes: &[u8], error: std::str::Utf8Error, base: usize) -> DecodeError {
    let at = error.valid_up_to();
    let mut message = String::from("invalid UTF-8 byte sequence");
    let mut hint = None;
    if let Some(&byte) = bytes.get(at) {
        message.push_str(&format!(" 0x{byte:02X}"));
        // `error_len` is None for a sequence cut by the end of the file: a truncated file.
        if let (Some(_), Some(c)) = (error.error_len(), windows_1252(byte)) {
            message.push_str(&format!(" (`{c}` in Windows-1252)"));
            hint = Some(
                "the file looks saved in a Windows ANSI code page, as Windows PowerShell 5.1's \
                 Set-Content and Out-File -Encoding Default save text; save it as UTF-8 \
                 (Set-Content -Encoding UTF8) or UTF-16 (Out-File)",
            );
        }
    }
    DecodeError {
        byte_offset: base + at,
        message,
        hint,
    }
}

/// The character a byte of 0x80 or more is in Windows-1252; None where the code page has none.
fn windows_1252(byte: u8) -> Option<char> {
    // 0x80-0x9F: the code page's own characters (five are undefined); above, Latin-1.
    const HIGH: [Option<char>; 32] = [
        Some('€'),
        None,
        Some('‚'),
        Some('ƒ'),
        Some('„'),
        Some('…'),
        Some('†'),
        Some('‡'),
        Some('ˆ'),
        Some('‰'),
        Some('Š'),
        Some('‹'),
        Some('Œ'),
        None,
        Some('Ž'),
        None,
        None,
        Some('‘'),
        Some('’'),
        Some('“'),
        Some('”'),
        Some('•'),
        Some('–'),
        Some('—'),
        Some('˜'),
        Some('™'),
        Some('š'),
        Some('›'),
        Some('œ'),
        None,
        Some('ž'),
        Some('Ÿ'),
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        0xA0..=0xFF => char::from_u32(u32::from(byte)),
        _ => None,
    }
}

fn decode_utf16(
    bytes: &[u8],
    base: usize,
    unit: fn([u8; 2]) -> u16,
) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError {
            byte_offset: base + bytes.len() - 1,
            message: "UTF-16 text has an odd number of bytes (truncated file?)".to_string(),
            hint: None,
        });
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for (i, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(e) => {
                // `i` counts decoded items; recover the byte offset from the text decoded so far.
                let units_before: usize = text.chars().map(char::len_utf16).sum();
                let _ = i;
                return Err(DecodeError {
                    byte_offset: base + units_before * 2,
                    message: format!(
                        "invalid UTF-16: unpaired surrogate 0x{:04X}",
                        e.unpaired_surrogate()
                    ),
                    hint: None,
                });
            }
        }
    }
    Ok(text)
}

/// All decoded files of one run, addressed by [`SourceId`].
///
/// Ids can be reserved before their files are read (parallel reading hands each file its id up
/// front); a reserved id that never gets a file stays an empty placeholder, which `len` and
/// `iter` skip.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    placeholders: usize,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId(self.files.len() as u32 - 1)
    }

    /// Reserve `n` consecutive ids; returns the first.
    pub fn reserve(&mut self, n: usize) -> u32 {
        let first = self.files.len() as u32;
        for _ in 0..n {
            self.files.push(placeholder());
        }
        self.placeholders += n;
        first
    }

    /// Move every file of `other` after this one's (placeholders too); returns what was added
    /// to each of `other`'s ids.
    pub fn append(&mut self, other: Sources) -> u32 {
        let offset = self.files.len() as u32;
        self.files.extend(other.files);
        self.placeholders += other.placeholders;
        offset
    }

    /// Put a file at a reserved id.
    pub fn fill(&mut self, id: SourceId, file: SourceFile) {
        let slot = &mut self.files[id.0 as usize];
        debug_assert!(is_placeholder(slot), "source {} filled twice", id.0);
        *slot = file;
        self.placeholders -= 1;
    }

    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| !is_placeholder(f))
            .map(|(i, f)| (SourceId(i as u32), f))
    }

    /// Files read (placeholders excluded).
    pub fn len(&self) -> usize {
        self.files.len() - self.placeholders
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn placeholder() -> SourceFile {
    SourceFile {
        path: PathBuf::new(),
        display_path: String::new(),
        encoding: Encoding::Utf8,
        text: String::new(),
        len: 0,
        reloaded: None,
        lines: OnceLock::new(),
        ascii: true,
        wide_lines: Box::default(),
        wide_line_bytes: Box::default(),
        file_len: 0,
        listed_bytes: None,
    }
}

fn is_placeholder(file: &SourceFile) -> bool {
    file.display_path.is_empty() && file.path.as_os_str().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_prefixes_give_way_to_the_paths_users_write() {
        assert_eq!(
            strip_verbatim(r"\\?\C:\repo\t").as_deref(),
            Some(r"C:\repo\t")
        );
        assert_eq!(strip_verbatim(r"\\?\d:").as_deref(), Some("d:"));
        assert_eq!(
            strip_verbatim(r"\\?\UNC\server\share\x").as_deref(),
            Some(r"\\server\share\x")
        );
        // A volume has no drive letter to show instead.
        assert_eq!(strip_verbatim(r"\\?\Volume{0b2f}\x"), None);
        assert_eq!(strip_verbatim(r"\\?\1:\x"), None);
        assert_eq!(strip_verbatim(r"C:\repo"), None);
        assert_eq!(strip_verbatim("/tmp/repo"), None);
        let odd = Path::new(r"\\?\C:\x");
        assert_eq!(without_verbatim(odd).as_ref() == odd, !cfg!(windows));
    }

    /// A path rooted without a drive shows as the same path made absolute does: on Windows
    /// both take the working directory's drive (elsewhere every rooted path is absolute).
    #[test]
    fn a_rooted_path_shows_as_its_absolute_form() {
        let rooted = Path::new("/srv/tenant/policy.json");
        let absolute = std::path::absolute(rooted).unwrap();
        assert_eq!(display_path(rooted), display_path(&absolute));
        assert!(display_path(rooted).ends_with("/srv/tenant/policy.json"));
    }

    /// The lookup of a listing's pieces by binary search finds what a search of every piece
    /// for the innermost one holding each end of a span finds, for every span.
    #[test]
    fn listing_spans_find_their_innermost_pieces() {
        let piece = |listing: (usize, usize), file: (usize, usize)| ListedBytes {
            listing: Span::new(listing.0, listing.1),
            file: Span::new(file.0, file.1),
        };
        let pieces = vec![
            piece((0, 5), (0, 8)),
            piece((6, 20), (8, 40)),
            piece((8, 10), (10, 14)),
            piece((11, 11), (16, 16)),
            piece((15, 19), (26, 30)),
            piece((20, 29), (40, 70)),
            piece((25, 28), (60, 68)),
            piece((0, 30), (0, 70)),
        ];
        let file = SourceFile::binary_listing(Path::new("x.pol"), "x".repeat(30), pieces.clone());
        let innermost = |holds: &dyn Fn(Span) -> bool| {
            pieces
                .iter()
                .filter(|p| holds(p.listing))
                .min_by_key(|p| p.listing.len())
        };
        for start in 0..=30 {
            for end in start..=30 {
                let span = Span::new(start, end);
                let naive =
                    innermost(&|p| p.start <= span.start && (span.start < p.end || p == span)).map(
                        |first| {
                            let last = if span.is_empty() {
                                first
                            } else {
                                innermost(&|p| p.start < span.end && span.end <= p.end)
                                    .unwrap_or(first)
                            };
                            Span::new(
                                first.file.start as usize,
                                last.file.end.max(first.file.start) as usize,
                            )
                        },
                    );
                assert_eq!(file.file_bytes(span), naive, "{span:?}");
            }
        }
        assert_eq!(file.file_bytes(Span::new(15, 19)), Some(Span::new(26, 30)));
        assert_eq!(file.file_bytes(Span::new(16, 27)), Some(Span::new(26, 68)));
        assert_eq!(file.file_bytes(Span::new(11, 11)), Some(Span::new(16, 16)));
        let text = SourceFile::from_text(Path::new("a.json"), "{}".into(), Encoding::Utf8);
        assert_eq!(text.file_bytes(Span::new(0, 1)), None);
    }

    fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn decodes_every_bom_and_plain_utf8() {
        let text = "{\"a\": \"é\"}\r\n";
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(text.as_bytes());
        let bomless: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        for (bytes, enc) in [
            (text.as_bytes().to_vec(), Encoding::Utf8),
            (bom8, Encoding::Utf8Bom),
            (utf16le_bom(text), Encoding::Utf16Le),
            (be, Encoding::Utf16Be),
            (bomless, Encoding::Utf16LeNoBom),
        ] {
            let file = SourceFile::decode(Path::new("x.json"), &bytes).unwrap();
            assert_eq!(file.text, text);
            assert_eq!(file.encoding, enc);
        }
    }

    #[test]
    fn unpaired_surrogate_reports_its_byte_offset() {
        let mut bytes = utf16le_bom("ab");
        bytes.extend([0x00, 0xD8, b'c', 0]);
        let err = SourceFile::decode(Path::new("x"), &bytes).unwrap_err();
        assert_eq!(err.byte_offset, 6);
        assert!(err.message.contains("surrogate"));
    }

    #[test]
    fn invalid_utf8_reports_its_byte_offset() {
        let err = SourceFile::decode(Path::new("x"), b"ab\xFFcd").unwrap_err();
        assert_eq!(err.byte_offset, 2);
    }

    /// Text saved in Windows-1252 (`Sécurité`, `“quoted”`) is not UTF-8: the error names the
    /// byte, the character it is in that code page and how to save the file again, whichever
    /// way the file is decoded; a sequence cut by the end of the file is no code page's.
    #[test]
    fn text_in_a_windows_code_page_says_how_to_save_it_again() {
        for (bytes, offset, shown) in [
            (
                &b"{\"name\": \"S\xE9curit\xE9\"}"[..],
                11,
                "sequence 0xE9 (`\u{e9}` in Windows-1252)",
            ),
            (
                &b"{\"d\": \"\x93q\x94\"}"[..],
                7,
                "sequence 0x93 (`\u{201c}` in Windows-1252)",
            ),
        ] {
            let by_slice = SourceFile::decode(Path::new("x"), bytes).unwrap_err();
            let by_vec = SourceFile::decode_vec(Path::new("x"), bytes.to_vec())
                .unwrap_err()
                .error;
            for err in [by_slice, by_vec] {
                assert_eq!(err.byte_offset, offset);
                assert!(err.message.contains(shown), "{}", err.message);
                assert!(err.hint.unwrap().contains("save it as UTF-8"));
            }
        }
        // Undefined in the code page, or cut by the end of the file: the byte only.
        for (bytes, shown) in [(&b"ab\x81cd"[..], "0x81"), (&b"ab\xE2\x80"[..], "0xE2")] {
            let err = SourceFile::decode(Path::new("x"), bytes).unwrap_err();
            assert_eq!(err.message, format!("invalid UTF-8 byte sequence {shown}"));
            assert_eq!(err.hint, None);
        }
        // With a BOM, the offset counts it.
        let err = SourceFile::decode(Path::new("x"), b"\xEF\xBB\xBFab\xE9").unwrap_err();
        assert_eq!(err.byte_offset, 5);
    }

    /// Line starts as the index must find them: after `\n`, after `\r` not followed by `\n`.
    fn naive_line_starts(text: &str) -> Vec<u32> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                starts.push(i as u32 + 1);
            }
        }
        starts
    }

    #[test]
    fn the_compact_line_index_agrees_with_a_plain_list_of_line_starts() {
        // Short, long (several varint bytes) and empty lines, every line end, many blocks.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut texts = vec![String::new(), "\n".into(), "\r".into(), "a\r\nb".into()];
        for _ in 0..20 {
            let mut text = String::new();
            for _ in 0..(next() % 400) {
                let len = match next() % 10 {
                    0 => 0,
                    1 => 128 + (next() % 300) as usize,
                    2 => 16_384 + (next() % 100) as usize,
                    _ => (next() % 90) as usize,
                };
                text.push_str(&"x".repeat(len));
                text.push_str(["\n", "\r\n", "\r"][(next() % 3) as usize]);
            }
            texts.push(text);
        }
        for (n, text) in texts.iter().enumerate() {
            let starts = naive_line_starts(text);
            // Built from runs of starts (split anywhere, some empty), it is the same index.
            let mut runs = vec![Vec::new()];
            for &start in &starts[1..] {
                if next() % 7 == 0 {
                    runs.push(Vec::new());
                }
                runs.last_mut().unwrap().push(start);
            }
            let index = if n % 2 == 0 {
                LineIndex::new(text)
            } else {
                LineIndex::from_runs(&runs)
            };
            let whole = LineIndex::new(text);
            assert_eq!(
                (&index.lengths, &index.checkpoints),
                (&whole.lengths, &whole.checkpoints)
            );
            assert_eq!(index.len(), starts.len());
            for (line, &start) in starts.iter().enumerate() {
                assert_eq!(index.start(line), Some(start));
            }
            assert_eq!(index.start(starts.len()), None);
            // Around every line start, and a spread of offsets in between.
            let around = starts.iter().flat_map(|&s| [s.saturating_sub(1), s, s + 1]);
            let spread = (0..=text.len() as u32).step_by(61);
            for offset in around.chain(spread).filter(|&o| o as usize <= text.len()) {
                let line = starts.partition_point(|&s| s <= offset) - 1;
                assert_eq!(
                    index.line_of(offset),
                    (line, starts[line]),
                    "offset {offset}"
                );
            }
        }
    }

    #[test]
    fn line_and_column_count_code_points_and_any_line_end() {
        let file =
            SourceFile::from_text(Path::new("x"), "ab\r\né€x\nlast\rz".into(), Encoding::Utf8);
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(4), (2, 1));
        let x = file.text.find('x').unwrap();
        assert_eq!(file.line_col(x), (2, 3));
        assert_eq!(file.line_col(file.text.find("last").unwrap()), (3, 1));
        assert_eq!(file.line_col(file.text.find('z').unwrap()), (4, 1));
        assert_eq!(file.line_count(), 4);
        assert_eq!(file.line(2), "é€x");
        assert_eq!(file.line(3), "last");
        assert_eq!((file.line(0), file.line(5)), ("", ""));
    }

    #[test]
    fn released_text_keeps_positions_and_is_reread_on_demand() {
        let dir = std::env::temp_dir().join(format!("baselint-release-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.json");
        let text = "{\r\n  \"a\": 1,\n  \"b\": 2\n}\n";
        std::fs::write(&path, text).unwrap();
        let kept = SourceFile::decode_vec(&path, text.as_bytes().to_vec()).unwrap();
        let mut released = kept.clone();
        released.release();
        assert!(released.is_released());
        let b = text.find("\"b\"").unwrap();
        for offset in [0, 3, b, text.len()] {
            assert_eq!(released.line_col(offset), kept.line_col(offset));
        }
        assert_eq!(released.len(), text.len());
        assert_eq!(released.slice(Span::new(b, b + 3)), "\"b\"");
        assert!(!released.is_released(), "read again for the slice");
        assert_eq!(released.line(3), "  \"b\": 2");

        // A file changed since it was parsed shows nothing rather than other bytes.
        let mut stale = kept.clone();
        stale.release();
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(stale.slice(Span::new(b, b + 3)), "");
        assert_eq!(stale.line_col(b), kept.line_col(b));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A file that is not ASCII is released too, in UTF-8 (with or without BOM) and UTF-16
    /// (either byte order, with or without BOM): its columns, which count code points, are
    /// those of the text at every offset (inside a character too), read again from the file's
    /// lines that need it; the same file changed since gives its text as nothing, and byte
    /// columns. Files not read from disk keep their text.
    #[test]
    fn files_that_are_not_ascii_are_released_with_exact_columns() {
        let dir = std::env::temp_dir().join(format!("baselint-wide-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.json");
        let texts = [
            "{\n  \"name\": \"Café – 1\",\r\n  \"b\": 2\n}\n".to_string(),
            "\"é\"".to_string(),
            format!("{}\n{}é\n\r€𝄞x\n“q”\r\n", "a".repeat(200), "b".repeat(70)),
        ];
        let utf16 = |text: &str, bom: &[u8], unit: fn(u16) -> [u8; 2]| {
            let units = text.encode_utf16().flat_map(unit);
            bom.iter().copied().chain(units).collect::<Vec<u8>>()
        };
        for text in &texts {
            let encoded = [
                text.as_bytes().to_vec(),
                [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
                utf16(text, &[0xFF, 0xFE], u16::to_le_bytes),
                utf16(text, &[0xFE, 0xFF], u16::to_be_bytes),
                utf16(text, &[], u16::to_le_bytes),
            ];
            for bytes in encoded {
                std::fs::write(&path, &bytes).unwrap();
                let kept = SourceFile::decode(&path, &bytes).unwrap();
                assert_eq!(kept.text(), text.as_str());
                let mut released = kept.clone();
                released.release();
                assert!(released.is_released(), "{text:?} {:?}", kept.encoding);
                for offset in 0..=text.len() {
                    assert_eq!(
                        released.line_col(offset),
                        kept.line_col(offset),
                        "{offset} {:?}",
                        kept.encoding
                    );
                }
                assert!(released.is_released(), "columns read lines, not the text");
                assert_eq!(released.text(), text.as_str());
                std::fs::write(&path, [&bytes[..], b"  "].concat()).unwrap();
                let mut stale = kept.clone();
                stale.release();
                assert_eq!(stale.text(), "");
            }
        }
        let wide = texts[2].find('é').unwrap() + 1;
        let mut stale = SourceFile::decode(&path, texts[2].as_bytes()).unwrap();
        stale.release();
        assert_eq!(stale.line_col(wide), (2, 72), "a byte column once changed");
        let mut listing = SourceFile::from_text(
            Path::new("Registry.pol"),
            "a".into(),
            Encoding::BinaryListing,
        );
        listing.release();
        assert_eq!(listing.text(), "a");
        let mut unnamed = SourceFile::from_text(Path::new(""), "é".into(), Encoding::Utf8);
        unnamed.release();
        assert!(!unnamed.is_released());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn utf8_buffers_are_decoded_in_place_and_errors_give_the_bytes_back() {
        let file = SourceFile::decode_vec(Path::new("x"), b"ab\rc".to_vec()).unwrap();
        assert_eq!(
            (file.text(), file.encoding, file.line_count()),
            ("ab\rc", Encoding::Utf8, 2)
        );
        let failure = SourceFile::decode_vec(Path::new("x"), b"ab\xFF".to_vec()).unwrap_err();
        assert_eq!((failure.error.byte_offset, failure.bytes.len()), (2, 3));
        let bom = SourceFile::decode_vec(Path::new("x"), utf16le_bom("hi")).unwrap();
        assert_eq!((bom.text(), bom.encoding), ("hi", Encoding::Utf16Le));
    }
}
