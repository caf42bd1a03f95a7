//! The human report: every finding and input error rendered by miette, with the offending
//! bytes underlined, labels on the assignment, and the membership rule shown in its own file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{BaselineUse, Item, Report};
use crate::finding::{Finding, Label};
use crate::model::InputError;
use crate::rules::Severity;
use crate::source::{Location, SourceFile, SourceId, Sources, Span};

/// Rendering options.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// A file's text as miette source code, named by its display path.
struct FileSource<'a> {
    name: &'a str,
    file: &'a SourceFile,
    text: View<'a>,
}

/// What a report holds of a file's text: all of it, or excerpts of it.
#[derive(Clone, Copy)]
enum View<'a> {
    Whole(&'a str),
    /// The lines around the spans a chunk of findings quotes, read again from a released file
    /// (by start, disjoint and not adjacent).
    Excerpts(&'a [Excerpt]),
}

/// Lines of a file's text and the offset they start at.
struct Excerpt {
    start: usize,
    text: String,
}

impl<'a> View<'a> {
    /// The text from offset `at` to the end of what is held around it.
    fn from(self, at: usize) -> Option<&'a str> {
        match self {
            View::Whole(text) => text.get(at..),
            View::Excerpts(excerpts) => {
                let k = excerpts.partition_point(|e| e.start <= at).checked_sub(1)?;
                excerpts[k].text.get(at - excerpts[k].start..)
            }
        }
    }

    /// The text of a 1-based line, without its line end; empty when past the last line or
    /// not held.
    fn line(self, file: &SourceFile, line: usize) -> &'a str {
        let Some((start, end)) = line.checked_sub(1).and_then(|n| file.line_bounds(n)) else {
            return "";
        };
        let text = self.from(start).unwrap_or("");
        text.get(..end - start)
            .unwrap_or(text)
            .trim_end_matches(['\n', '\r'])
    }
}

/// The texts of the files a chunk of findings quotes. Parsed files released their text: of a
/// UTF-8 or UTF-16 one, only the lines around each span the chunk quotes are read again (a
/// list file of hundreds of megabytes was read whole for every chunk of 64 findings that
/// quoted it); any other is read whole before a chunk that quotes it, and kept for later chunks only within a
/// budget (a report of thousands of findings quotes thousands of files; holding them all took
/// more memory than the whole model).
#[derive(Default)]
struct Texts<'s> {
    /// By the file's address (files of the working tree and of a revision share ids).
    held: HashMap<usize, Cow<'s, str>>,
    /// The current chunk's excerpts of excerptable files, by the file's address.
    excerpts: HashMap<usize, Vec<Excerpt>>,
    /// Spans no report shows, by the file's address: masked in every text held.
    secrets: HashMap<usize, Vec<Span>>,
}

impl<'s> Texts<'s> {
    fn key(file: &SourceFile) -> usize {
        std::ptr::from_ref(file) as usize
    }

    /// Texts that mask what `model` holds and no report may show: the passwords Group Policy
    /// Preferences items store (encrypted with a key Microsoft published) and the automatic
    /// logon passwords GPOs write in clear text. A CI log that quoted them would spread the
    /// passwords themselves.
    fn masking(model: &'s crate::model::Model) -> Texts<'s> {
        let mut secrets: HashMap<usize, Vec<Span>> = HashMap::new();
        for policy in &model.policies {
            let stored = (policy.settings.iter())
                .filter(|s| crate::ingest::gpp_passwords::is_secret(&s.key));
            for setting in stored {
                let location = policy.value_location(setting);
                let file = model.sources.get(location.file);
                secrets
                    .entry(Texts::key(file))
                    .or_default()
                    .push(location.span);
            }
        }
        Texts {
            secrets,
            ..Texts::default()
        }
    }

    /// `text`, which starts at offset `start` of `file`, with its secrets masked.
    fn masked<'t>(&self, file: usize, start: usize, text: Cow<'t, str>) -> Cow<'t, str> {
        let end = start + text.len();
        let inside = |span: &&Span| (span.start as usize) < end && span.end as usize > start;
        let Some(spans) = self.secrets.get(&file) else {
            return text;
        };
        if !spans.iter().any(|span| inside(&span)) {
            return text;
        }
        let mut text = text.into_owned();
        for span in spans.iter().filter(inside) {
            let from = (span.start as usize).saturating_sub(start);
            mask(&mut text, from..span.end as usize - start);
        }
        Cow::Owned(text)
    }

    /// The text of `file`: the excerpts held, else the text held, else the file's own (which
    /// keeps it).
    fn of<'t>(&'t self, file: &'t SourceFile) -> View<'t> {
        let key = Texts::key(file);
        if let Some(excerpts) = self.excerpts.get(&key) {
            return View::Excerpts(excerpts);
        }
        View::Whole(
            self.held
                .get(&key)
                .map_or_else(|| file.text(), |text| text.as_ref()),
        )
    }

    /// Bytes of text kept between chunks, at most.
    const BUDGET: usize = 16 << 20;

    /// Lines shown around a quoted span are at most this many above and below it (miette's
    /// context is one line; its merging of two labels' snippets asks for the lines between).
    const EXCERPT_MARGIN: usize = 3;

    /// After chunk `done`: drop what no later chunk quotes, then, over `budget` bytes, what
    /// is quoted again last (`uses`: the chunks quoting each file, in order).
    fn keep_for_later(&mut self, done: usize, uses: &HashMap<usize, Vec<usize>>, budget: usize) {
        self.excerpts.clear();
        let next_use = |file: &usize| {
            let chunks = uses.get(file).map_or(&[][..], Vec::as_slice);
            chunks.get(chunks.partition_point(|&n| n <= done)).copied()
        };
        self.held.retain(|file, _| next_use(file).is_some());
        let mut bytes: usize = self.held.values().map(|text| text.len()).sum();
        if bytes <= budget {
            return;
        }
        let mut by_next_use: Vec<(usize, usize)> = self
            .held
            .keys()
            .map(|&file| (next_use(&file).unwrap_or(usize::MAX), file))
            .collect();
        by_next_use.sort_unstable_by(|a, b| b.cmp(a));
        for (_, file) in by_next_use {
            if bytes <= budget {
                break;
            }
            if let Some(text) = self.held.remove(&file) {
                bytes -= text.len();
            }
        }
    }

    /// Read what the `locations` quote, on all cores: the lines around each of an excerptable
    /// file, the whole text of any other file not held yet.
    fn hold(&mut self, sources: &'s Sources, locations: &[Location]) {
        use rayon::prelude::*;
        let mut spans: HashMap<usize, (&SourceFile, Vec<Span>)> = HashMap::new();
        let mut whole: Vec<&SourceFile> = Vec::new();
        for location in locations {
            let file = sources.get(location.file);
            let key = Texts::key(file);
            if file.excerptable() {
                spans
                    .entry(key)
                    .or_insert((file, Vec::new()))
                    .1
                    .push(location.span);
            } else if !self.held.contains_key(&key) {
                whole.push(file);
            }
        }
        // Findings of a chunk quote the same files (their own, a groups export): read each once.
        whole.sort_unstable_by_key(|f| Texts::key(f));
        whole.dedup_by_key(|f| Texts::key(f));
        let read: Vec<(usize, Cow<str>)> = whole
            .par_iter()
            .map(|f| {
                (
                    Texts::key(f),
                    self.masked(Texts::key(f), 0, f.text_unkept()),
                )
            })
            .collect();
        self.held.extend(read);
        let excerpts: Vec<(usize, Vec<Excerpt>)> = spans
            .into_par_iter()
            .map(|(key, (file, spans))| {
                let mut read = excerpts(file, &spans);
                for excerpt in &mut read {
                    let text = std::mem::take(&mut excerpt.text);
                    excerpt.text = self.masked(key, excerpt.start, text.into()).into_owned();
                }
                (key, read)
            })
            .collect();
        self.excerpts.extend(excerpts);
    }
}

/// Replace the bytes of `range` (clamped to `text`, widened to whole characters) with as many
/// `*`: offsets and columns stay as they were.
fn mask(text: &mut String, range: std::ops::Range<usize>) {
    let mut start = range.start.min(text.len());
    let mut end = range.end.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text.replace_range(start..end, &"*".repeat(end - start));
}

/// The lines around `spans` of an excerptable file, read from disk: the line before each span's
/// start (miette looks at it for an empty span) and [`Texts::EXCERPT_MARGIN`] lines above,
/// to the margin below the line of its end; ranges that meet are read as one. None of them
/// when the file has changed since it was parsed.
fn excerpts(file: &SourceFile, spans: &[Span]) -> Vec<Excerpt> {
    let margin = Texts::EXCERPT_MARGIN;
    let last_line = file.line_count() - 1;
    let mut ranges: Vec<std::ops::Range<usize>> = spans
        .iter()
        .filter_map(|span| {
            let first = file.line_index_of((span.start as usize).saturating_sub(1));
            let last = file.line_index_of(span.end as usize);
            let (start, _) = file.line_bounds(first.saturating_sub(margin))?;
            let (_, end) = file.line_bounds((last + margin).min(last_line))?;
            Some(start..end)
        })
        .collect();
    ranges.sort_unstable_by_key(|range| range.start);
    let mut joined: Vec<std::ops::Range<usize>> = Vec::new();
    for range in ranges {
        match joined.last_mut() {
            Some(previous) if range.start <= previous.end => {
                previous.end = previous.end.max(range.end);
            }
            _ => joined.push(range),
        }
    }
    let texts = file.read_excerpts(&joined).unwrap_or_default();
    joined
        .iter()
        .zip(texts)
        .map(|(range, text)| Excerpt {
            start: range.start,
            text,
        })
        .collect()
}

/// Where an open finding quotes: its primary label and its related ones.
fn quoted_locations<'i>(item: &'i Item<'_>) -> impl Iterator<Item = Location> + 'i {
    std::iter::once(&item.finding.primary)
        .chain(&item.finding.related)
        .map(|label| label.location)
}

/// The files an open finding quotes: its own and those of its related labels.
fn quoted_files<'s>(item: &Item<'s>) -> impl Iterator<Item = &'s SourceFile> {
    let sources = item.sources;
    quoted_locations(item).map(move |location| sources.get(location.file))
}

impl SourceCode for FileSource<'_> {
    /// miette's own reading of a text counts lines from its start for every span: a report of
    /// thousands of findings in large files (a groups export is megabytes) would read them
    /// again for each label. The line index gives the line the context starts on, and miette
    /// reads from there; its answer is then moved back to the whole file's lines and offsets
    /// (the same answer: tested on random texts and spans).
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.text;
        if text
            .from(span.offset())
            .is_none_or(|held| held.len() < span.len())
        {
            // (miette panics on some of these; a span of a parsed file never is one, but the
            // file may have been changed since it was parsed.)
            return Err(MietteError::OutOfBounds);
        }
        // From the line of the byte before the span: miette looks at it for empty spans.
        let (line, start) = self
            .file
            .context_start(span.offset().saturating_sub(1), before);
        // A file re-read since it was parsed may be shorter (then it shows nothing).
        let window = text.from(start).ok_or(MietteError::OutOfBounds)?.as_bytes();
        let local = SourceSpan::new((span.offset() - start).into(), span.len());
        let inner = window.read_span(&local, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + line,
            inner.column(),
            // The lines of the contents. miette's own reader gives the line ends from the start
            // of its input (here the window) to the end of the contents, but joins two labels'
            // snippets when the first one's line plus this count reaches the second one's line:
            // from the start of a file, two labels 40 lines apart at line 50 were one snippet
            // with every line between.
            inner.line_count() - inner.line(),
        )))
    }
}

/// One rendered diagnostic (a finding, an input error, or a related block in another file).
struct Rendered<'a> {
    header: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<FileSource<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered<'a>>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

fn file_source<'a>(sources: &'a Sources, texts: &'a Texts, id: SourceId) -> FileSource<'a> {
    let file = sources.get(id);
    FileSource {
        name: &file.display_path,
        file,
        text: texts.of(file),
    }
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = label.location.span;
    let source_span = SourceSpan::new((span.start as usize).into(), span.len());
    if primary {
        LabeledSpan::new_primary_with_span(Some(label.message.clone()), source_span)
    } else {
        LabeledSpan::new_with_span(Some(label.message.clone()), source_span)
    }
}

/// The finding's specifics and notes, printed under the snippet like rustc's `= note:`.
fn note_lines(finding: &Finding, width: usize) -> String {
    std::iter::once(&finding.message)
        .chain(&finding.notes)
        .map(|n| wrap(&format!("note: {n}"), width, "  ", "        "))
        .collect()
}

/// Word-wrap `text` to `width` columns, first line after `first`, the rest after `rest`.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(first.len() + text.len() + 1);
    out.push_str(first);
    // The current line's length in characters, and whether it has a word yet.
    let mut columns = first.chars().count();
    let mut empty = true;
    for word in text.split(' ') {
        let word_columns = word.chars().count();
        if !empty && columns + 1 + word_columns > width {
            out.push('\n');
            out.push_str(rest);
            columns = rest.chars().count();
            empty = true;
        }
        if !empty {
            out.push(' ');
            columns += 1;
        }
        out.push_str(word);
        columns += word_columns;
        empty = false;
    }
    out.push('\n');
    out
}

fn related_block<'a>(
    sources: &'a Sources,
    texts: &'a Texts,
    wrapping: &Wrapping,
    label: &Label,
) -> Rendered<'a> {
    let span = label.location.span;
    Rendered {
        header: wrapping.header(&label.message, miette::Severity::Advice),
        severity: miette::Severity::Advice,
        help: None,
        source: Some(file_source(sources, texts, label.location.file)),
        labels: vec![LabeledSpan::new_primary_with_span(
            None,
            SourceSpan::new((span.start as usize).into(), span.len()),
        )],
        related: Vec::new(),
    }
}

/// The blocks of a finding: first the main diagnostic (the labels in the primary file), then
/// a block for each other label (in another file, or on a long line); each with whether the
/// lines around its label are long (see [`has_long_context`]).
fn render_finding<'a>(
    sources: &'a Sources,
    texts: &'a Texts,
    wrapping: &Wrapping,
    finding: &Finding,
) -> Vec<(Rendered<'a>, bool)> {
    let file = finding.primary.location.file;
    let mut labels = vec![labeled(&finding.primary, true)];
    let mut blocks = Vec::new();
    // Labels share the primary label's snippet only where every line around them is short: on
    // a long line (a file on one line), miette would draw one label at the column of the other,
    // and it panics past column 65,535.
    let long = |label: &Label| has_long_context(sources, texts, label.location);
    let primary_long = long(&finding.primary);
    for label in &finding.related {
        let label_long = long(label);
        if label.location.file == file && !primary_long && !label_long {
            labels.push(labeled(label, false));
        } else {
            blocks.push((related_block(sources, texts, wrapping, label), label_long));
        }
    }
    let severity = miette_severity(finding.severity);
    let header = format!(
        "{}[{}]: {}",
        finding.severity, finding.rule, finding.summary
    );
    let main = Rendered {
        header: wrapping.repeated_header(header, severity),
        severity,
        help: (!finding.help.is_empty()).then(|| wrapping.help(&finding.help)),
        source: Some(file_source(sources, texts, file)),
        labels,
        related: Vec::new(),
    };
    blocks.insert(0, (main, primary_long));
    blocks
}

fn render_error<'a>(
    sources: &'a Sources,
    texts: &'a Texts,
    wrapping: &Wrapping,
    error: &InputError,
) -> Rendered<'a> {
    let position = error.position();
    let (source, labels) = match error.location {
        Some(location) => (
            Some(file_source(sources, texts, location.file)),
            vec![labeled(
                &Label {
                    location,
                    message: "here".to_string(),
                },
                true,
            )],
        ),
        None => (None, Vec::new()),
    };
    Rendered {
        header: wrapping.header(
            &format!("error[input]: {position}: {}", error.message),
            miette::Severity::Error,
        ),
        severity: miette::Severity::Error,
        help: None,
        source,
        labels,
        related: Vec::new(),
    }
}

/// True when a line next to the location is too long to show as context.
fn has_long_context(sources: &Sources, texts: &Texts, location: Location) -> bool {
    let file = sources.get(location.file);
    let text = texts.of(file);
    let (line, _) = file.line_col(location.span.start as usize);
    (line.saturating_sub(1)..=line + 1).any(|n| text.line(file, n).chars().count() > 240)
}

/// Render the whole report: open findings, input errors, excepted and fixed findings,
/// baseline entries that match nothing, and a summary line.
pub fn render(report: &Report, style: Style) -> String {
    super::written(|out| write(report, style, out))
}

/// [`render`] into `out` as it is rendered: findings are rendered on all cores a chunk at a
/// time and written in order (a report of tens of thousands is never held whole).
pub fn write(report: &Report, style: Style, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    /// Findings rendered together: enough to keep every core busy, few enough to stay small.
    const CHUNK: usize = 64;
    use rayon::prelude::*;
    let handlers = Handlers::new(style);
    let open: Vec<&Item> = report.open().collect();
    let chunks: Vec<&[&Item]> = open.chunks(CHUNK).collect();
    // The chunks that quote each file, in order.
    let mut uses: HashMap<usize, Vec<usize>> = HashMap::new();
    for (n, chunk) in chunks.iter().enumerate() {
        let files = chunk.iter().flat_map(|item| quoted_files(item));
        for file in files.filter(|file| !file.excerptable()) {
            let chunks = uses.entry(Texts::key(file)).or_default();
            if chunks.last() != Some(&n) {
                chunks.push(n);
            }
        }
    }
    let mut texts = Texts::masking(&report.outcome.model);
    for (n, chunk) in chunks.iter().enumerate() {
        let locations: Vec<Location> = chunk
            .iter()
            .flat_map(|item| quoted_locations(item))
            .collect();
        texts.hold(&report.outcome.model.sources, &locations);
        let rendered: Vec<String> = chunk
            .par_iter()
            .map(|item| handlers.finding(item, &texts, style.width))
            .collect();
        for text in rendered {
            out.write_all(text.as_bytes())?;
        }
        texts.keep_for_later(n, &uses, Texts::BUDGET);
    }
    let mut rest = String::new();
    let sources = &report.outcome.model.sources;
    let errors: Vec<Location> = report
        .outcome
        .errors()
        .iter()
        .filter_map(|e| e.location)
        .collect();
    texts.hold(sources, &errors);
    for error in report.outcome.errors() {
        let chosen = match error.location {
            Some(location) => handlers.pick(sources, &texts, location),
            None => &handlers.full,
        };
        chosen
            .render_report(
                &mut rest,
                &render_error(sources, &texts, &handlers.wrapping, error),
            )
            .expect("rendering to a String cannot fail");
        rest.push('\n');
    }
    for item in report.excepted() {
        rest.push_str(&excepted_lines(item, style.width));
    }
    if let Some(comparison) = &report.comparison {
        for item in report.fixed() {
            rest.push_str(&fixed_lines(item, &comparison.revision, style.width));
        }
    }
    if let Some(baseline) = &report.baseline {
        rest.push_str(&unmatched_lines(baseline, style.width));
    }
    rest.push_str(&end_note_lines(super::copies_note(report), style.width));
    rest.push_str(&end_note_lines(super::unreached_note(report), style.width));
    rest.push_str(&summary_line(report));
    out.write_all(rest.as_bytes())
}

/// The texts miette wraps (a diagnostic's header and its help), wrapped here as it would wrap
/// them: the same `textwrap` call, with indents of the same width. Told not to wrap, miette
/// then only indents each line, so the report is the same. Done here, a rule's header and
/// help are wrapped once, not again for each of its findings: textwrap (with Unicode line
/// breaking) took about a third of the human report's instructions.
struct Wrapping {
    /// miette wraps to its width less two.
    width: usize,
    /// A header's first-line indent per severity (error, warning, advice), and the indent of
    /// its further lines.
    header_first: [Indent; 3],
    header_rest: Indent,
    help_first: Indent,
    help_rest: Indent,
    /// Headers and helps wrapped so far (by kind and text).
    done: std::sync::Mutex<HashMap<(u8, String), String>>,
}

/// An indent miette writes before a line of wrapped text.
struct Indent {
    /// As miette writes it without colour (textwrap counts its width, and skips colour codes).
    text: String,
    /// miette colours the whole indent, its trailing spaces inside the colour codes.
    coloured_whole: bool,
}

impl Indent {
    fn new(text: String) -> Indent {
        Indent {
            text,
            coloured_whole: false,
        }
    }

    /// What miette leaves out of it before a blank line when it does not wrap (it trims the
    /// indent's end): its trailing spaces, unless a colour code ends it.
    fn dropped(&self) -> &str {
        if self.coloured_whole {
            ""
        } else {
            &self.text[self.text.trim_end().len()..]
        }
    }
}

impl Wrapping {
    const HELP_KIND: u8 = 3;

    fn new(theme: &GraphicalTheme, width: usize, color: bool) -> Wrapping {
        let chars = &theme.characters;
        // miette colours an icon or bar (not the space after it), and the whole "help:" indent.
        let icon = |c: &str| Indent::new(format!("  {c} "));
        Wrapping {
            width: width.saturating_sub(2),
            header_first: [
                icon(&chars.error),
                icon(&chars.warning),
                icon(&chars.advice),
            ],
            header_rest: icon(&chars.vbar.to_string()),
            help_first: Indent {
                coloured_whole: color,
                ..Indent::new("  help: ".into())
            },
            help_rest: Indent::new(" ".repeat(8)),
            done: Default::default(),
        }
    }

    fn severity_index(severity: miette::Severity) -> usize {
        match severity {
            miette::Severity::Error => 0,
            miette::Severity::Warning => 1,
            miette::Severity::Advice => 2,
        }
    }

    /// A header seen once (a label's message, an input error).
    fn header(&self, text: &str, severity: miette::Severity) -> String {
        let first = &self.header_first[Self::severity_index(severity)];
        self.wrap(text, first, &self.header_rest)
    }

    /// A header that repeats (a rule's, for each of its findings).
    fn repeated_header(&self, text: String, severity: miette::Severity) -> String {
        let kind = Self::severity_index(severity) as u8;
        self.once((kind, text), |text| self.header(text, severity))
    }

    fn help(&self, text: &str) -> String {
        self.once((Self::HELP_KIND, text.to_string()), |text| {
            self.wrap(text, &self.help_first, &self.help_rest)
        })
    }

    fn once(&self, key: (u8, String), wrap: impl FnOnce(&str) -> String) -> String {
        let done = |key: &(u8, String)| {
            let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
            done.get(key).cloned()
        };
        if let Some(wrapped) = done(&key) {
            return wrapped;
        }
        let wrapped = wrap(&key.1);
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        done.entry(key).or_insert(wrapped).clone()
    }

    /// `text`'s lines as miette's `textwrap::fill` call breaks them after `first` (on the
    /// first line) and `rest` (on the others), without the indents, which miette adds.
    fn wrap(&self, text: &str, first: &Indent, rest: &Indent) -> String {
        // Most label messages fit on their line: printable ASCII with no space at either end
        // that fits is the one line textwrap would make of it (an empty text is a blank line).
        let printable = |b: u8| b.is_ascii_graphic() || b == b' ';
        if !text.is_empty()
            && text.bytes().all(printable)
            && text.trim_matches(' ').len() == text.len()
            && textwrap::core::display_width(&first.text) + text.len() <= self.width
        {
            return text.to_string();
        }
        let options = textwrap::Options::new(self.width)
            .initial_indent(&first.text)
            .subsequent_indent(&rest.text)
            .break_words(true);
        let lines = textwrap::wrap(text, options);
        let mut out = String::with_capacity(text.len() + 8);
        for (n, line) in lines.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let indent = if n == 0 { first } else { rest };
            let content = line.strip_prefix(indent.text.as_str()).unwrap_or(line);
            // miette writes a blank line's indent trimmed, textwrap whole (on a very narrow
            // terminal a first line can be left blank, or a line hold only the spaces between
            // two words): what the trim drops, put before the content, makes them agree.
            if content.trim().is_empty() {
                out.push_str(indent.dropped());
            }
            out.push_str(content);
        }
        out
    }
}

/// The report's theme: miette's Unicode one, coloured or not.
fn theme(color: bool) -> GraphicalTheme {
    if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    }
}

/// The two miette renderers: with context lines, and without for one-line files (XCCDF
/// benchmarks would fill the screen with context lines). They do not wrap text: what they
/// show is wrapped beforehand (see [`Wrapping`]).
struct Handlers {
    full: GraphicalReportHandler,
    compact: GraphicalReportHandler,
    wrapping: Wrapping,
}

impl Handlers {
    fn new(style: Style) -> Handlers {
        let theme = theme(style.color);
        let wrapping = Wrapping::new(&theme, style.width, style.color);
        let full = GraphicalReportHandler::new_themed(theme.clone())
            .with_width(style.width)
            .with_links(false)
            .with_wrap_lines(false);
        let compact = GraphicalReportHandler::new_themed(theme)
            .with_width(style.width)
            .with_links(false)
            .with_wrap_lines(false)
            .with_context_lines(0);
        Handlers {
            full,
            compact,
            wrapping,
        }
    }

    fn pick(
        &self,
        sources: &Sources,
        texts: &Texts,
        location: Location,
    ) -> &GraphicalReportHandler {
        self.for_context(has_long_context(sources, texts, location))
    }

    /// The renderer for a label whose surrounding lines are long, or not.
    fn for_context(&self, long: bool) -> &GraphicalReportHandler {
        if long { &self.compact } else { &self.full }
    }

    /// One open finding: its diagnostic, notes, and the blocks of its other labels.
    fn finding(&self, item: &Item, texts: &Texts, width: usize) -> String {
        let mut out = String::new();
        for (n, (block, long)) in render_finding(item.sources, texts, &self.wrapping, item.finding)
            .iter()
            .enumerate()
        {
            self.for_context(*long)
                .render_report(&mut out, block)
                .expect("rendering to a String cannot fail");
            if n == 0 {
                out.push_str(&note_lines(item.finding, width));
            }
        }
        out.push('\n');
        out
    }
}

/// An excepted finding in a few lines: what it is, where, and the exception that covers it.
fn excepted_lines(item: &Item, width: usize) -> String {
    let f = item.finding;
    let at = item.position();
    let mut out = format!("  ⊘ excepted[{}]: {}\n", f.rule, f.summary);
    out.push_str(&format!("    at {}\n", at.path_line_column(&at.path)));
    if let Some(s) = &item.suppression {
        let by =
            s.id.as_deref()
                .map(|id| format!(" {id}"))
                .unwrap_or_default();
        out.push_str(&wrap(
            &format!("note: covered by exception{by}: {}", s.justification),
            width,
            "  ",
            "        ",
        ));
    }
    out.push('\n');
    out
}

/// A fixed finding in a few lines: no snippet, since its file is the revision's.
fn fixed_lines(item: &Item, revision: &str, width: usize) -> String {
    let f = item.finding;
    let at = item.position();
    let mut out = format!("  ✓ fixed[{}]: {}\n", f.rule, f.summary);
    out.push_str(&format!(
        "    was at {} in {revision}\n",
        at.path_line_column(&at.path)
    ));
    out.push_str(&wrap(
        &format!("note: {}", f.message),
        width,
        "  ",
        "        ",
    ));
    out.push('\n');
    out
}

fn unmatched_lines(baseline: &BaselineUse, width: usize) -> String {
    let n = baseline.unmatched.len();
    if n == 0 {
        return String::new();
    }
    let mut out = wrap(
        &format!(
            "note: {n} {} of {} {} no finding any more (fixed, or the file is stale: rewrite it with --write-baseline):",
            if n == 1 { "entry" } else { "entries" },
            baseline.path,
            if n == 1 { "matches" } else { "match" },
        ),
        width,
        "",
        "  ",
    );
    for entry in &baseline.unmatched {
        out.push_str(&wrap(
            &format!(
                "- {} in {} [{}]: {}",
                entry.rule, entry.path, entry.fingerprint, entry.message
            ),
            width,
            "  ",
            "    ",
        ));
    }
    out.push('\n');
    out
}

/// A note of the report's end (GPOs read more than once, policies that reach no device),
/// wrapped.
fn end_note_lines(note: Option<String>, width: usize) -> String {
    let Some(text) = note else {
        return String::new();
    };
    let mut out = wrap(&format!("note: {text}"), width, "", "  ");
    out.push('\n');
    out
}

fn summary_line(report: &Report) -> String {
    let s = super::json::summary(report);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let found = match &report.comparison {
        Some(c) => format!("{} since {}", plural(s.findings, "new finding"), c.revision),
        None => plural(s.findings, "finding"),
    };
    let mut line = format!(
        "{found} ({}, {}, {}) in {} ({}, {}, {})",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note"),
        plural(s.files, "file"),
        plural(s.policies, "policy").replace("policys", "policies"),
        plural(s.settings, "setting"),
        plural(s.groups, "group"),
    );
    if let Some(c) = &report.comparison {
        line.push_str(&format!("; {} unchanged; {} fixed", c.unchanged, c.fixed));
    }
    if let Some(b) = &report.baseline {
        line.push_str(&format!("; {} suppressed by {}", b.suppressed, b.path));
    }
    let excepted = report.excepted().count();
    if excepted > 0 {
        line.push_str(&format!("; {excepted} excepted"));
    }
    if s.input_errors > 0 {
        line.push_str(&format!("; {}", plural(s.input_errors, "input error")));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret is masked byte for byte wherever a held text meets it: whole, cut by an
    /// excerpt's start, and across a character it cuts (widened, so the text stays UTF-8 and
    /// every offset after it stays put).
    #[test]
    fn secrets_are_masked_in_every_text_held() {
        let mut texts = Texts::default();
        texts
            .secrets
            .insert(7, vec![Span::new(4, 8), Span::new(12, 15)]);
        let masked = |start: usize, text: &str| texts.masked(7, start, text.into()).into_owned();
        assert_eq!(masked(0, "pwd=SECRET;é=ab"), "pwd=****ET;****b");
        assert_eq!(masked(6, "CRET;x"), "**ET;x");
        assert_eq!(masked(0, "pwd="), "pwd=", "no secret in it");
        assert_eq!(
            texts.masked(8, 0, "pwd=SECRET".into()),
            "pwd=SECRET",
            "another file"
        );
        let mut cut = "aé".to_string();
        mask(&mut cut, 2..3);
        assert_eq!(cut, "a**");
    }

    /// A seeded xorshift generator of numbers below a bound (0 for a bound of 0 or 1).
    fn xorshift(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound.max(1) as u64) as usize
        }
    }

    /// A diagnostic with only a header and a help, as the report builds them.
    fn bare(header: String, severity: miette::Severity, help: Option<String>) -> Rendered<'static> {
        Rendered {
            header,
            severity,
            help,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    #[test]
    fn texts_wrapped_beforehand_render_as_miette_wraps_them() {
        const WORDS: &[&str] = &[
            "PKU2U",
            "is",
            "disabled",
            "on",
            "Entra-joined",
            "devices:",
            "a",
            "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\pku2u\\AllowOnlineID",
            "\"Café",
            "’quoted’",
            "日本語の",
            "—",
            "x",
            "",
        ];
        let severities = [
            miette::Severity::Error,
            miette::Severity::Warning,
            miette::Severity::Advice,
        ];
        let mut next = xorshift(0x5eed_1234_abcd);
        for color in [false, true] {
            let theme = theme(color);
            for width in [8, 12, 20, 37, 60, 100] {
                let wrapping = Wrapping::new(&theme, width, color);
                let wraps = GraphicalReportHandler::new_themed(theme.clone()).with_width(width);
                let indents = wraps.clone().with_wrap_lines(false);
                for case in 0..400 {
                    // Texts of printable ASCII exactly as long as a line, one shorter and one
                    // longer, then texts of random words.
                    let text = if case < 6 {
                        let fits = width.saturating_sub(2 + 4);
                        "ab cd"
                            .repeat(width)
                            .chars()
                            .take(fits + case % 3 - 1)
                            .collect()
                    } else {
                        let words = next(24);
                        (0..words)
                            .map(|_| WORDS[next(WORDS.len())])
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    let severity = severities[next(3)];
                    let help = (!text.is_empty()).then(|| text.clone());
                    let mut theirs = String::new();
                    wraps
                        .render_report(&mut theirs, &bare(text.clone(), severity, help.clone()))
                        .unwrap();
                    let ours_rendered = bare(
                        wrapping.header(&text, severity),
                        severity,
                        help.map(|h| wrapping.help(&h)),
                    );
                    let mut ours = String::new();
                    indents.render_report(&mut ours, &ours_rendered).unwrap();
                    assert_eq!(ours, theirs, "width {width}, text {text:?}");
                }
            }
        }
    }

    /// What miette reads for a span, as comparable values.
    fn contents(
        read: Result<Box<dyn SpanContents<'_> + '_>, MietteError>,
    ) -> Option<(Vec<u8>, usize, usize, usize, usize, usize)> {
        let c = read.ok()?;
        let span = *c.span();
        Some((
            c.data().to_vec(),
            span.offset(),
            span.len(),
            c.line(),
            c.column(),
            c.line_count(),
        ))
    }

    #[test]
    fn spans_read_through_the_line_index_are_what_miette_reads_from_the_start_but_the_count() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..60 {
            let mut text = String::new();
            for _ in 0..next(40) {
                text.push_str(&"ab".repeat(next(30)));
                text.push_str(["\n", "\r\n", "\r", "\n\n"][next(4)]);
            }
            let file = SourceFile::from_text(
                std::path::Path::new("t.json"),
                text.clone(),
                crate::source::Encoding::Utf8,
            );
            let source = FileSource {
                name: "t.json",
                file: &file,
                text: View::Whole(&text),
            };
            for _ in 0..40 {
                // Spans inside the text, as parsed files give them (miette panics on some
                // beyond it, which `read_span` refuses first).
                let offset = next(text.len() + 1);
                let len = next(12).min(text.len() - offset);
                let span = SourceSpan::new(offset.into(), len);
                let (before, after) = (next(3), next(3));
                let ours = contents(source.read_span(&span, before, after));
                // miette's own reader counts the lines from the start of the text where its
                // documentation (and the snippet merging) means the lines of the contents.
                let miette = contents(text.as_bytes().read_span(&span, before, after)).map(
                    |(data, offset, len, line, column, line_ends)| {
                        (data, offset, len, line, column, line_ends - line)
                    },
                );
                assert_eq!(ours, miette, "{text:?} {offset} {before} {after}");
            }
            let beyond = SourceSpan::new((text.len() + 1).into(), 0);
            assert!(source.read_span(&beyond, 1, 1).is_err());
        }
    }

    /// Of a released UTF-8 or UTF-16 file (ASCII or not), only the lines around the quoted spans are
    /// read again, and miette reads from them what it reads from the whole text: for every
    /// quoted span, with the context lines of either handler, and for the union of two spans
    /// (how miette joins two labels' snippets) when their excerpts met. A file changed since it
    /// was parsed shows nothing.
    #[test]
    fn excerpts_read_again_show_what_the_whole_text_shows() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let path = std::env::temp_dir().join(format!("baselint-excerpts-{}", std::process::id()));
        for round in 0..60 {
            let mut text = String::new();
            for _ in 0..1 + next(300) {
                text.push_str(&"ab".repeat(next(40)));
                // Half the texts are not ASCII.
                if (round / 5) % 2 == 1 && next(3) == 0 {
                    text.push_str(["é", "€", "𝄞"][next(3)]);
                }
                text.push_str(["\n", "\r\n", "\r", "\n\n"][next(4)]);
            }
            let boundary = |mut at: usize| {
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                at
            };
            // UTF-8 with and without BOM, UTF-16 little-endian without BOM, little- and
            // big-endian with.
            let le = || text.encode_utf16().flat_map(u16::to_le_bytes);
            let bytes: Vec<u8> = match round % 5 {
                0 => [b"\xEF\xBB\xBF", text.as_bytes()].concat(),
                1 => text.as_bytes().to_vec(),
                2 => [0xFF, 0xFE].into_iter().chain(le()).collect(),
                3 => le().collect(),
                _ => [0xFE, 0xFF]
                    .into_iter()
                    .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                    .collect(),
            };
            std::fs::write(&path, &bytes).unwrap();
            let mut file = SourceFile::decode(&path, &bytes).unwrap();
            use crate::source::Encoding::*;
            assert_eq!(
                file.encoding,
                [Utf8Bom, Utf8, Utf16Le, Utf16LeNoBom, Utf16Be][round % 5]
            );
            file.release();
            assert!(file.excerptable());
            let mut sources = Sources::default();
            let id = sources.add(file);
            let file = sources.get(id);
            let spans: Vec<Span> = (0..1 + next(6))
                .map(|_| {
                    let start = boundary(next(text.len() + 1));
                    Span::new(start, boundary(start + next(12).min(text.len() - start)))
                })
                .collect();
            let locations: Vec<Location> = spans
                .iter()
                .map(|&span| Location { file: id, span })
                .collect();
            let mut texts = Texts::default();
            texts.hold(&sources, &locations);
            assert!(file.is_released(), "the text is not read whole");
            let source = |text| FileSource {
                name: "t.json",
                file,
                text,
            };
            let (excerpts, whole) = (source(texts.of(file)), source(View::Whole(&text)));
            let union = |a: &Span, b: &Span| {
                let (start, end) = (a.start.min(b.start), a.end.max(b.end));
                SourceSpan::new((start as usize).into(), (end - start) as usize)
            };
            let mut asked: Vec<SourceSpan> = spans
                .iter()
                .map(|span| SourceSpan::new((span.start as usize).into(), span.len()))
                .collect();
            for a in &spans {
                for b in &spans {
                    let joined = union(a, b);
                    if excerpts.read_span(&joined, 0, 0).is_ok() {
                        asked.push(joined);
                    }
                }
            }
            for span in &asked {
                for context in [0, 1] {
                    assert_eq!(
                        contents(excerpts.read_span(span, context, context)),
                        contents(whole.read_span(span, context, context)),
                        "{text:?} {span:?} {context}"
                    );
                }
            }
            // Changed since it was parsed: nothing is shown, not other bytes.
            std::fs::write(&path, format!("{text} ")).unwrap();
            let mut texts = Texts::default();
            texts.hold(&sources, &locations);
            let changed = source(texts.of(file));
            assert!(
                asked
                    .iter()
                    .all(|span| changed.read_span(span, 1, 1).is_err())
            );
        }
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn texts_kept_between_chunks_are_those_quoted_again_soonest_within_the_budget() {
        let text = |n: usize| Cow::Owned("x".repeat(n));
        let mut texts = Texts::default();
        // Files 1..=4 of 10 bytes each; file 5 is quoted by no later chunk.
        for file in 1..=5 {
            texts.held.insert(file, text(10));
        }
        let uses: HashMap<usize, Vec<usize>> = [
            (1, vec![0, 3]),
            (2, vec![0, 1]),
            (3, vec![0, 2, 5]),
            (4, vec![0, 9]),
            (5, vec![0]),
        ]
        .into_iter()
        .collect();
        texts.keep_for_later(0, &uses, 25);
        let mut kept: Vec<usize> = texts.held.keys().copied().collect();
        kept.sort_unstable();
        // 5 is never quoted again; of 40 bytes over a 25-byte budget, 4 (chunk 9) and 1
        // (chunk 3) go, 2 (chunk 1) and 3 (chunk 2) stay.
        assert_eq!(kept, [2, 3]);
        texts.keep_for_later(1, &uses, 25);
        assert_eq!(texts.held.keys().copied().collect::<Vec<_>>(), [3]);
        texts.keep_for_later(5, &uses, 25);
        assert!(texts.held.is_empty());
    }
}
