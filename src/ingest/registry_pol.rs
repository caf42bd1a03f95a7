//! Registry.pol (PReg v1) files: the Administrative Templates half of a GPO ([MS-GPREG] 2.2.1,
//! formats.md 2.2).
//!
//! The file is binary, so baselint renders it as a text listing (a [`SourceFile`] with
//! [`Encoding::BinaryListing`]) and every span points into that listing. Line 1 describes the
//! file; then one line per entry, in file order:
//!
//! ```text
//! 0x00000008 [Software\Policies\Microsoft\Windows\System;RunAsPPL;REG_DWORD;4;1]
//! ```
//!
//! that is the entry's byte offset in the real file, then key, value name, type, data size and
//! data (decimal for numbers, a quoted string for strings, `["a", "b"]` for REG_MULTI_SZ, `hex:`
//! bytes otherwise). A setting's `span` is the data, its `name_span` the value name (the key
//! when the entry has no value name). The listing also records which bytes of the file each
//! of those pieces shows ([`SourceFile::file_bytes`]), for reports that name the file's bytes.
//! Damage (wrong signature or version, a truncated entry, a size running past the end, a
//! missing `]`, invalid UTF-16) ends the listing with a `0x... <damaged: ...>` line and an
//! [`InputError`] pointing at it whose message gives the byte offset; the entries before the
//! damage still load.
//!
//! # Keys
//!
//! The key carries no hive: it comes from the folder (`Machine` = `HKLM`, `User` = `HKCU`, any
//! letter case). Without such a folder the hive is unknown and the key says so (`hk?\...`)
//! instead of guessing. A value whose `HKLM\`/`HKCU\` path the catalog knows gets the catalog's
//! canonical key and its value normalised by the catalog; any other value gets the stable key
//! `<hive>\<key>\<value name>`, lower-cased (`hklm\software\policies\...\value`).
//!
//! Special value names ([MS-GPREG], compared case-insensitively):
//! * `**del.X`: "deleted / not configured": a setting for `X` with [`Value::NotConfigured`];
//! * `**DeleteValues` (data `a;b;c`): one such setting per listed value;
//! * `**delvals.` / `**DelVals`: all values of the key are deleted first: stable key
//!   `<hive>\<key>\**delvals` with `Value::Bool(true)`;
//! * `**DeleteKeys` (data `k1;k2`): stable key `<hive>\<key>\**deletekeys` with the list of
//!   subkeys;
//! * `**SecureKey=1` / `=0`: stable key `<hive>\<key>\**securekey` with `Int(1)` / `Int(0)`.
//!
//! The values of a key the catalog knows as an ADMX list of plain entries (`DenyDeviceIDs\1`,
//! `\2`…; [`SettingDef::is_numbered_list`]) are one setting, keyed `<list key>\*`, whose value
//! is the list of their data, sorted; its span runs from the first value's data to the last's.
//!
//! A key-only entry (no value name, REG_NONE, no data) creates the key: stable key
//! `<hive>\<key>\` (trailing backslash) with `Value::Str("")`, the same form
//! [`super::gpo_report`] gives a `RegistrySetting` without a value.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::catalog::{Catalog, SettingDef};
use crate::ingest::json::input_error;
use crate::model::{InputError, Model, Policy, PolicyKind, Setting, Value};
use crate::source::{ListedBytes, SourceFile, SourceId, Span};

/// True when the bytes start with the PReg signature.
pub fn is_registry_pol(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PReg")
}

/// True for a `.pol` file name: read as Registry.pol even when the signature is wrong, so
/// that a damaged file is reported as one.
pub fn is_pol_file_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pol"))
}

/// The registry hive a GPO half writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hive {
    /// `HKEY_LOCAL_MACHINE` (the `Machine` folder, the Computer half of a GPO).
    Machine,
    /// `HKEY_CURRENT_USER` (the `User` folder, the User half of a GPO).
    User,
    /// Not known from the file's location.
    Unknown,
}

impl Hive {
    /// `HKLM`, `HKCU` or `HK?`.
    pub fn prefix(self) -> &'static str {
        match self {
            Hive::Machine => "HKLM",
            Hive::User => "HKCU",
            Hive::Unknown => "HK?",
        }
    }

    /// `HKLM` / `HKCU` (also `Machine` / `User`, any case); anything else is unknown.
    pub fn parse(name: &str) -> Hive {
        match name.to_ascii_lowercase().as_str() {
            "hklm" | "machine" | "hkey_local_machine" => Hive::Machine,
            "hkcu" | "user" | "hkey_current_user" => Hive::User,
            _ => Hive::Unknown,
        }
    }

    /// The hive named by the folder holding a file (`.../Machine/registry.pol`).
    pub fn from_path(path: &Path) -> Hive {
        path.parent()
            .and_then(Path::file_name)
            .map(|n| Hive::parse(&n.to_string_lossy()))
            .filter(|h| *h != Hive::Unknown)
            .unwrap_or(Hive::Unknown)
    }
}

/// The key and catalog record for a registry value (`path` without hive, `value` may be empty
/// for the key itself): the catalog's key when it knows `HKLM\`/`HKCU\` + path, otherwise the
/// lower-cased stable key `<hive>\<path>\<value>`.
pub(crate) fn registry_key<'c>(
    catalog: &'c Catalog,
    hive: Hive,
    path: &str,
    value: &str,
) -> (String, Option<&'c SettingDef>) {
    let path = path.trim().trim_matches('\\');
    let full = format!("{}\\{path}\\{value}", hive.prefix());
    if hive != Hive::Unknown
        && !value.is_empty()
        && let Some(def) = catalog.by_registry(&full)
    {
        return (def.setting_key().to_string(), Some(def));
    }
    (full.to_lowercase(), None)
}

/// The setting one entry of a list that names its values writes (see
/// [`SettingDef::value_list`]): the registry value `<list key>\<entry name>`, set to `data` as
/// its catalog record normalises and labels it, at `span`, named at `name_span`.
pub(crate) fn value_list_setting(
    catalog: &Catalog,
    list: &str,
    name: &str,
    data: Value,
    span: Span,
    name_span: Span,
) -> Setting {
    let (hive, path) = list.split_once('\\').unwrap_or((list, ""));
    let (key, def) = registry_key(catalog, Hive::parse(hive), path, name);
    let value = normalise(catalog, def, data);
    Setting {
        key: key.into(),
        raw_name: format!("{list}\\{name}").into(),
        value_label: def.and_then(|d| catalog.label_name(d, &value)).cloned(),
        value,
        span,
        name_span,
        file: None,
    }
}

/// A raw value normalised by the catalog record where there is one.
pub(crate) fn normalise(catalog: &Catalog, def: Option<&SettingDef>, value: Value) -> Value {
    match def {
        Some(def) => catalog.normalise(def, value),
        None => value,
    }
}

/// The label the catalog gives a value, if any.
pub(crate) fn label(catalog: &Catalog, def: Option<&SettingDef>, value: &Value) -> Option<String> {
    def.and_then(|d| catalog.label(d, value))
        .map(str::to_string)
}

/// A GPO's folder name for a file inside it, for policies read from a loose file: the first
/// folder above the file that is not part of the SYSVOL layout (`Machine`, `User`, `GPO`,
/// `DomainSysvol`, `microsoft`, `windows nt`, `SecEdit`, `Audit`, `Preferences`...); the file
/// name when there is none.
pub fn gpo_folder_name(path: &Path) -> String {
    const LAYOUT: [&str; 9] = [
        "machine",
        "user",
        "gpo",
        "domainsysvol",
        "microsoft",
        "windows nt",
        "secedit",
        "audit",
        "preferences",
    ];
    let folder = path.ancestors().skip(1).find_map(|dir| {
        let name = dir.file_name()?.to_string_lossy().into_owned();
        (!LAYOUT.contains(&name.to_lowercase().as_str())).then_some(name)
    });
    folder.unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    })
}

/// What one Registry.pol contributed: its listing's id, settings (spans into the listing,
/// `file` set to it) and errors.
#[derive(Debug)]
pub struct PolRead {
    /// The listing's id in `model.sources`.
    pub source: SourceId,
    /// One or more settings per entry (see the module documentation).
    pub settings: Vec<Setting>,
    /// The damage, if any, as a positioned error.
    pub errors: Vec<InputError>,
}

/// Add a readable listing of the file as a source and its entries as settings of a GPO policy
/// named after the file's GPO folder. `hive` is `HKLM` or `HKCU` when known from the backup
/// folder (`Machine`/`User`); otherwise it is taken from the file's own folder, or unknown.
pub fn load(path: &Path, bytes: &[u8], hive: Option<&str>, model: &mut Model, catalog: &Catalog) {
    let hive = hive.map_or_else(|| Hive::from_path(path), Hive::parse);
    let read = read(path, bytes, hive, model, catalog);
    let listing = model.sources.get(read.source);
    let first_line = listing.text().find('\n').unwrap_or(listing.len());
    model.policies.push(Policy {
        id: None,
        name: gpo_folder_name(path),
        kind: PolicyKind::Gpo,
        source: read.source,
        span: Span::new(0, listing.len()),
        name_span: Span::new(0, first_line),
        settings: read.settings,
        assignments: Vec::new(),
        assignments_exported: false,
        gpo: None,
    });
    model.errors.extend(read.errors);
}

/// Parse one Registry.pol, add its listing to `model.sources` and return its settings.
pub fn read(
    path: &Path,
    bytes: &[u8],
    hive: Hive,
    model: &mut Model,
    catalog: &Catalog,
) -> PolRead {
    let (entries, damage) = parse(bytes);
    let listing = Listing::render(path, bytes.len(), hive, &entries, damage.as_ref());
    let file = SourceFile::binary_listing(path, listing.text, listing.pieces);
    let source = model.sources.add(file);
    let file = model.sources.get(source);
    let mut settings = Vec::new();
    let mut lists = NumberedLists::default();
    for (entry, spans) in entries.iter().zip(&listing.spans) {
        if !lists.add(catalog, hive, entry, spans, source, &mut settings) {
            entry_settings(catalog, hive, entry, spans, source, &mut settings);
        }
    }
    lists.finish(catalog, &mut settings);
    let errors = damage
        .map(|d| {
            let span = listing.damage_span.unwrap_or_default();
            let message = format!(
                "Registry.pol is damaged at byte offset {} (0x{:X}): {}",
                d.offset, d.offset, d.message
            );
            vec![input_error(source, file, span, message)]
        })
        .unwrap_or_default();
    PolRead {
        source,
        settings,
        errors,
    }
}

// ---- the binary format ----

/// One `[key;value;type;size;data]` record.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Byte offset of the entry's `[` in the file.
    pub offset: usize,
    /// Registry key without hive.
    pub key: String,
    /// Value name (empty for a key-only entry; `**del.X` and the like for instructions).
    pub value: String,
    /// Registry type (`4` = REG_DWORD...).
    pub kind: u32,
    /// The raw data bytes.
    pub data: Vec<u8>,
    /// Where the key, the value name and the data are in the file (the strings without their
    /// terminating NUL), and where the entry ends (after its `]`).
    pub key_bytes: Span,
    pub value_bytes: Span,
    pub data_bytes: Span,
    pub end: usize,
}

/// Where and why parsing stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct Damage {
    /// Byte offset in the file (the entry's `[` for a damaged entry).
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Every entry up to the first damage, and the damage if any. Never panics.
pub fn parse(bytes: &[u8]) -> (Vec<Entry>, Option<Damage>) {
    if let Some(damage) = check_header(bytes) {
        return (Vec::new(), Some(damage));
    }
    let mut cursor = Cursor { bytes, pos: 8 };
    let mut entries = Vec::new();
    while cursor.pos < bytes.len() {
        match cursor.entry() {
            Ok(entry) => entries.push(entry),
            Err(damage) => return (entries, Some(damage)),
        }
    }
    (entries, None)
}

fn check_header(bytes: &[u8]) -> Option<Damage> {
    let damage = |offset, message: String| Some(Damage { offset, message });
    if !bytes.starts_with(b"PReg") {
        let found: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02X}")).collect();
        return damage(
            0,
            format!(
                "not a Registry.pol file: expected the signature \"PReg\" (50 52 65 67), found {}",
                if found.is_empty() {
                    "an empty file".to_string()
                } else {
                    found.join(" ")
                }
            ),
        );
    }
    match bytes.get(4..8) {
        None => damage(4, "truncated header: the version field is missing".into()),
        Some(v) if v != [1, 0, 0, 0] => damage(
            4,
            format!(
                "unsupported Registry.pol version {} (expected 1)",
                u32::from_le_bytes([v[0], v[1], v[2], v[3]])
            ),
        ),
        Some(_) => None,
    }
}

struct Cursor<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn entry(&mut self) -> Result<Entry, Damage> {
        let offset = self.pos;
        self.expect('[', "the start of an entry")?;
        let (key, key_bytes) = self.string("key")?;
        self.expect(';', "after the key")?;
        let (value, value_bytes) = self.string("value name")?;
        self.expect(';', "after the value name")?;
        let kind = self.u32("type")?;
        self.expect(';', "after the type")?;
        let size = self.u32("data size")? as usize;
        self.expect(';', "after the data size")?;
        let data_at = self.pos;
        let data = self.data(size, offset)?;
        let data_bytes = Span::new(data_at, self.pos);
        self.expect(']', "at the end of the entry")?;
        Ok(Entry {
            offset,
            key,
            value,
            kind,
            data,
            key_bytes,
            value_bytes,
            data_bytes,
            end: self.pos,
        })
    }

    fn damage(&self, offset: usize, message: String) -> Damage {
        Damage { offset, message }
    }

    fn unit(&self, at: usize) -> Option<u16> {
        let pair = self.bytes.get(at..at + 2)?;
        Some(u16::from_le_bytes([pair[0], pair[1]]))
    }

    fn expect(&mut self, c: char, context: &str) -> Result<(), Damage> {
        match self.unit(self.pos) {
            Some(u) if u == c as u16 => {
                self.pos += 2;
                Ok(())
            }
            Some(u) => Err(self.damage(
                self.pos,
                format!("expected '{c}' {context}, found 0x{u:04X}"),
            )),
            None => Err(self.damage(
                self.pos,
                format!("truncated entry: expected '{c}' {context}, found the end of the file"),
            )),
        }
    }

    /// A NUL-terminated UTF-16LE string, and where its units are (without the NUL).
    fn string(&mut self, what: &str) -> Result<(String, Span), Damage> {
        let start = self.pos;
        let mut units = Vec::new();
        loop {
            let Some(u) = self.unit(self.pos) else {
                return Err(self.damage(
                    start,
                    format!("truncated entry: the {what} has no terminating NUL"),
                ));
            };
            self.pos += 2;
            if u == 0 {
                break;
            }
            units.push(u);
        }
        let text = String::from_utf16(&units)
            .map_err(|_| self.damage(start, format!("the {what} is not valid UTF-16")))?;
        Ok((text, Span::new(start, self.pos - 2)))
    }

    fn u32(&mut self, what: &str) -> Result<u32, Damage> {
        let Some(b) = self.bytes.get(self.pos..self.pos + 4) else {
            return Err(self.damage(
                self.pos,
                format!("truncated entry: the {what} field is cut off"),
            ));
        };
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn data(&mut self, size: usize, entry: usize) -> Result<Vec<u8>, Damage> {
        let left = self.bytes.len() - self.pos;
        if size > left {
            return Err(self.damage(
                entry,
                format!(
                    "the entry's data size {size} runs past the end of the file ({left} bytes left at offset {})",
                    self.pos
                ),
            ));
        }
        let data = self.bytes[self.pos..self.pos + size].to_vec();
        self.pos += size;
        Ok(data)
    }
}

// ---- typed data ----

const REG_NONE: u32 = 0;
const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;
const REG_BINARY: u32 = 3;
const REG_DWORD: u32 = 4;
const REG_DWORD_BIG_ENDIAN: u32 = 5;
const REG_MULTI_SZ: u32 = 7;
const REG_QWORD: u32 = 11;

/// The registry type's name (`REG_DWORD`), or `type N`.
pub fn type_name(kind: u32) -> String {
    match kind {
        REG_NONE => "REG_NONE".into(),
        REG_SZ => "REG_SZ".into(),
        REG_EXPAND_SZ => "REG_EXPAND_SZ".into(),
        REG_BINARY => "REG_BINARY".into(),
        REG_DWORD => "REG_DWORD".into(),
        REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN".into(),
        REG_MULTI_SZ => "REG_MULTI_SZ".into(),
        REG_QWORD => "REG_QWORD".into(),
        other => format!("type {other}"),
    }
}

/// The data as a model value: numbers as `Int`, strings as `Str` (trailing NULs removed),
/// REG_MULTI_SZ as a `List` of `Str`, anything else as `Str("hex:..")`.
pub fn data_value(kind: u32, data: &[u8]) -> Value {
    match (kind, data.len()) {
        (REG_DWORD, 4) => Value::Int(i64::from(u32::from_le_bytes([
            data[0], data[1], data[2], data[3],
        ]))),
        (REG_DWORD_BIG_ENDIAN, 4) => Value::Int(i64::from(u32::from_be_bytes([
            data[0], data[1], data[2], data[3],
        ]))),
        (REG_QWORD, 8) => {
            let raw = u64::from_le_bytes(data.try_into().unwrap_or([0; 8]));
            i64::try_from(raw).map_or_else(|_| Value::Str(raw.to_string()), Value::Int)
        }
        (REG_SZ | REG_EXPAND_SZ, _) => Value::Str(utf16_text(data)),
        (REG_MULTI_SZ, _) => Value::List(
            utf16_text(data)
                .split('\0')
                .filter(|s| !s.is_empty())
                .map(|s| Value::Str(s.to_string()))
                .collect(),
        ),
        _ => Value::Str(hex(data)),
    }
}

fn utf16_text(data: &[u8]) -> String {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .to_string()
}

fn hex(data: &[u8]) -> String {
    let mut out = String::from("hex:");
    for (i, b) in data.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// How the listing shows the data.
fn render_data(kind: u32, data: &[u8]) -> String {
    match data_value(kind, data) {
        Value::Int(i) => i.to_string(),
        Value::Str(s) if matches!(kind, REG_SZ | REG_EXPAND_SZ) => format!("{s:?}"),
        Value::Str(s) => s,
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

// ---- the listing ----

/// Spans of one entry's line.
#[derive(Clone, Copy, Debug)]
struct EntrySpans {
    key: Span,
    value: Span,
    data: Span,
}

struct Listing {
    text: String,
    spans: Vec<EntrySpans>,
    damage_span: Option<Span>,
    /// The file bytes each piece of the text shows: the whole file, the header, each entry's
    /// line and its key, value name and data, the damage.
    pieces: Vec<ListedBytes>,
}

impl Listing {
    fn render(
        path: &Path,
        size: usize,
        hive: Hive,
        entries: &[Entry],
        damage: Option<&Damage>,
    ) -> Listing {
        let name = path
            .file_name()
            .map_or_else(|| PathBuf::from("registry.pol"), PathBuf::from);
        let mut text = format!(
            "# {}: Registry.pol (PReg), {size} bytes, {} entries, hive {}; each line: byte offset [key;value;type;size;data]\n",
            name.display(),
            entries.len(),
            match hive {
                Hive::Unknown => "unknown (HK?)".to_string(),
                known => known.prefix().to_string(),
            }
        );
        let piece = |listing, file| ListedBytes { listing, file };
        let mut pieces = vec![piece(
            Span::new(0, text.len() - 1),
            Span::new(0, size.min(8)),
        )];
        let mut spans = Vec::with_capacity(entries.len());
        for entry in entries {
            let line_start = text.len();
            let entry_spans = render_entry(&mut text, entry);
            pieces.extend([
                piece(
                    Span::new(line_start, text.len() - 1),
                    Span::new(entry.offset, entry.end),
                ),
                piece(entry_spans.key, entry.key_bytes),
                piece(entry_spans.value, entry.value_bytes),
                piece(entry_spans.data, entry.data_bytes),
            ]);
            spans.push(entry_spans);
        }
        let damage_span = damage.map(|d| {
            let start = text.len();
            let _ = writeln!(text, "0x{:08X} <damaged: {}>", d.offset, d.message);
            let span = Span::new(start, text.len() - 1);
            pieces.push(piece(span, Span::new(d.offset.min(size), size)));
            span
        });
        pieces.push(piece(Span::new(0, text.len()), Span::new(0, size)));
        Listing {
            text,
            spans,
            damage_span,
            pieces,
        }
    }
}

fn render_entry(text: &mut String, entry: &Entry) -> EntrySpans {
    let _ = write!(text, "0x{:08X} [", entry.offset);
    let key = push(text, &entry.key);
    text.push(';');
    let value = push(text, &entry.value);
    let _ = write!(text, ";{};{};", type_name(entry.kind), entry.data.len());
    let data = push(text, &render_data(entry.kind, &entry.data));
    text.push_str("]\n");
    EntrySpans { key, value, data }
}

/// Append a piece of text (line breaks shown as `\n`, so one entry stays one line).
fn push(text: &mut String, piece: &str) -> Span {
    let start = text.len();
    for c in piece.chars() {
        match c {
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            c => text.push(c),
        }
    }
    Span::new(start, text.len())
}

// ---- entries to settings ----

/// `<hive>\<key>\*`: how the catalog names the list of a key's values.
fn list_path(hive: Hive, key: &str) -> String {
    format!("{}\\{}\\*", hive.prefix(), key.trim_matches('\\'))
}

/// The numbered lists of one file (see [`SettingDef::is_numbered_list`]): each is one setting
/// whose entries are the data of its key's plain values (not instructions), in the order of
/// the file until [`NumberedLists::finish`] sorts them; its span runs from the first value's
/// data to the last's.
#[derive(Default)]
struct NumberedLists<'c> {
    /// Each list met: its record and the index of its setting in the file's settings.
    at: Vec<(&'c SettingDef, usize)>,
    /// The last key looked up and the list it is: a key's values come one after another, so
    /// the catalog is asked once per key, not once per value.
    last: Option<(String, Option<&'c SettingDef>)>,
}

impl<'c> NumberedLists<'c> {
    /// The list an entry is a value of, if any.
    fn list_of(
        &mut self,
        catalog: &'c Catalog,
        hive: Hive,
        entry: &Entry,
    ) -> Option<&'c SettingDef> {
        if hive == Hive::Unknown || entry.value.is_empty() || entry.value.starts_with("**") {
            return None;
        }
        if let Some((key, list)) = &self.last
            && *key == entry.key
        {
            return *list;
        }
        let list = catalog
            .by_registry(&list_path(hive, &entry.key))
            .filter(|def| def.is_numbered_list());
        self.last = Some((entry.key.clone(), list));
        list
    }

    /// Add an entry to the list it is a value of; false when it is none.
    fn add(
        &mut self,
        catalog: &'c Catalog,
        hive: Hive,
        entry: &Entry,
        spans: &EntrySpans,
        source: SourceId,
        out: &mut Vec<Setting>,
    ) -> bool {
        let Some(list) = self.list_of(catalog, hive, entry) else {
            return false;
        };
        let data = data_value(entry.kind, &entry.data);
        if let Some(&(_, i)) = self.at.iter().find(|(l, _)| std::ptr::eq(*l, list)) {
            let setting = &mut out[i];
            if let Value::List(entries) = &mut setting.value {
                entries.push(data);
            }
            setting.span.end = spans.data.end;
            return true;
        }
        self.at.push((list, out.len()));
        out.push(Setting {
            key: list.setting_key().clone(),
            raw_name: list_path(hive, &entry.key).into(),
            value: Value::List(vec![data]),
            value_label: None,
            span: spans.data,
            name_span: spans.key,
            file: Some(source),
        });
        true
    }

    /// Each list's entries as the catalog orders them.
    fn finish(self, catalog: &Catalog, out: &mut [Setting]) {
        for (list, i) in self.at {
            let value = std::mem::replace(&mut out[i].value, Value::NotConfigured);
            out[i].value = catalog.normalise(list, value);
        }
    }
}

fn entry_settings(
    catalog: &Catalog,
    hive: Hive,
    entry: &Entry,
    spans: &EntrySpans,
    source: SourceId,
    out: &mut Vec<Setting>,
) {
    let name_span = if entry.value.is_empty() {
        spans.key
    } else {
        spans.value
    };
    for (key, value, label) in entry_values(catalog, hive, entry) {
        out.push(Setting {
            key: key.into(),
            raw_name: format!("{}\\{}\\{}", hive.prefix(), entry.key, entry.value).into(),
            value,
            value_label: label.map(crate::model::Name::from),
            span: spans.data,
            name_span,
            file: Some(source),
        });
    }
}

/// (key, value, label) of what an entry sets, instructions included (module documentation).
fn entry_values(
    catalog: &Catalog,
    hive: Hive,
    entry: &Entry,
) -> Vec<(String, Value, Option<String>)> {
    let lower = entry.value.to_ascii_lowercase();
    let path = entry.key.trim_matches('\\');
    let stable = |suffix: &str| format!("{}\\{path}\\{suffix}", hive.prefix()).to_lowercase();
    let deleted = |name: &str| {
        (
            registry_key(catalog, hive, path, name).0,
            Value::NotConfigured,
            None,
        )
    };
    if let Some(name) = strip_prefix_ci(&entry.value, "**del.") {
        vec![deleted(name)]
    } else if lower == "**deletevalues" {
        list_data(entry).iter().map(|name| deleted(name)).collect()
    } else if lower.trim_end_matches('.') == "**delvals" {
        vec![(stable("**delvals"), Value::Bool(true), None)]
    } else if lower == "**deletekeys" {
        let keys = list_data(entry).into_iter().map(Value::Str).collect();
        vec![(stable("**deletekeys"), Value::List(keys), None)]
    } else if lower.starts_with("**securekey") {
        let flag = lower.rsplit('=').next().and_then(|v| v.trim().parse().ok());
        let value = flag.map_or_else(|| data_value(entry.kind, &entry.data), Value::Int);
        vec![(stable("**securekey"), value, None)]
    } else if entry.value.is_empty() && entry.kind == REG_NONE && entry.data.is_empty() {
        vec![(stable(""), Value::Str(String::new()), None)]
    } else {
        let (key, def) = registry_key(catalog, hive, path, &entry.value);
        let value = normalise(catalog, def, data_value(entry.kind, &entry.data));
        let label = label(catalog, def, &value);
        vec![(key, value, label)]
    }
}

/// The `;`-separated names of a `**DeleteValues` / `**DeleteKeys` entry.
fn list_data(entry: &Entry) -> Vec<String> {
    utf16_text(&entry.data)
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::source::Encoding;

    /// Encode entries as a Registry.pol file.
    pub(crate) fn pol(entries: &[(&str, &str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"PReg\x01\x00\x00\x00".to_vec();
        for (key, value, kind, data) in entries {
            let wide = |s: &str, out: &mut Vec<u8>| {
                out.extend(s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes))
            };
            out.extend([b'[', 0]);
            wide(key, &mut out);
            out.extend([b';', 0]);
            wide(value, &mut out);
            out.extend([b';', 0]);
            out.extend(kind.to_le_bytes());
            out.extend([b';', 0]);
            out.extend((data.len() as u32).to_le_bytes());
            out.extend([b';', 0]);
            out.extend(data);
            out.extend([b']', 0]);
        }
        out
    }

    pub(crate) fn sz(text: &str) -> Vec<u8> {
        text.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    fn sample() -> Vec<u8> {
        pol(&[
            (
                r"Software\Policies\Microsoft\Windows\System",
                "RunAsPPL",
                4,
                1u32.to_le_bytes().to_vec(),
            ),
            (
                r"SYSTEM\CurrentControlSet\Control\Lsa\pku2u",
                "AllowOnlineID",
                4,
                0u32.to_le_bytes().to_vec(),
            ),
            (r"Software\Policies\Contoso", "**del.Banner", 1, sz(" ")),
            (r"Software\Policies\Contoso", "**delvals.", 1, sz(" ")),
            (r"Software\Policies\Contoso", "Names", 7, sz("a\0b\0")),
            (r"Software\Policies\Contoso\Empty", "", 0, Vec::new()),
        ])
    }

    fn load_bytes(name: &str, bytes: &[u8], hive: Option<&str>) -> Model {
        let mut model = Model::default();
        load(Path::new(name), bytes, hive, &mut model, Catalog::builtin());
        model
    }

    #[test]
    fn entries_become_settings_with_spans_in_the_listing() {
        let model = load_bytes("GPO/Machine/registry.pol", &sample(), None);
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let policy = &model.policies[0];
        let listing = model.sources.get(policy.source);
        assert_eq!(listing.encoding, Encoding::BinaryListing);
        let pku2u_key = &Catalog::builtin()
            .resolve("pku2u_allow_online_id")
            .unwrap()
            .key;
        let pku2u = policy
            .settings
            .iter()
            .find(|s| &s.key == pku2u_key)
            .unwrap();
        assert_eq!(pku2u.value, Value::Int(0));
        assert_eq!(listing.slice(pku2u.span), "0");
        assert_eq!(listing.slice(pku2u.name_span), "AllowOnlineID");
        let (line, _) = listing.line_col(pku2u.span.start as usize);
        assert_eq!(line, 3);
        let line_text = listing.text().lines().nth(2).unwrap();
        assert!(line_text.starts_with("0x0000"), "{line_text}");
        assert!(line_text.contains("pku2u;AllowOnlineID;REG_DWORD;4;0]"));
        // The offset in the listing is the entry's real byte offset.
        let offset = usize::from_str_radix(&line_text[2..10], 16).unwrap();
        assert_eq!(&sample()[offset..offset + 2], b"[\0");
    }

    /// Diagnostics point into the listing; each piece of it also names the bytes of the file
    /// it shows, so reports can give the real bytes (SARIF `byteOffset`, JSON `byte_offset`).
    #[test]
    fn listing_spans_map_back_to_the_bytes_of_the_file() {
        let bytes = sample();
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        let policy = &model.policies[0];
        let listing = model.sources.get(policy.source);
        let file_bytes = |span| &bytes[listing.file_bytes(span).unwrap().range()];
        let utf16 =
            |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let pku2u = policy
            .settings
            .iter()
            .find(|s| s.raw_name.as_str().ends_with("AllowOnlineID"))
            .unwrap();
        assert_eq!(file_bytes(pku2u.span), 0u32.to_le_bytes());
        assert_eq!(file_bytes(pku2u.name_span), utf16("AllowOnlineID"));
        let names = policy
            .settings
            .iter()
            .find(|s| s.raw_name.as_str().ends_with("Names"))
            .unwrap();
        assert_eq!(file_bytes(names.span), sz("a\0b\0"));
        // A key-only entry is named by its key.
        let empty = policy
            .settings
            .iter()
            .find(|s| s.value == Value::Str(String::new()))
            .unwrap();
        assert_eq!(
            file_bytes(empty.name_span),
            utf16(r"Software\Policies\Contoso\Empty")
        );
        // The policy's spans: the whole file, and its header for the listing's first line.
        assert_eq!(
            listing.file_bytes(policy.span).unwrap().range(),
            0..bytes.len()
        );
        assert_eq!(file_bytes(policy.name_span), b"PReg\x01\0\0\0");
    }

    /// A span over several entries (a numbered list's) runs from the first entry's data to
    /// the last's, in the file as in the listing; the damage's line names the bytes from the
    /// damage to the end of the file.
    #[test]
    fn spans_over_entries_and_damage_map_to_file_bytes() {
        let list = r"Software\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceIDs";
        let mut bytes = pol(&[(list, "1", 1, sz("A")), (list, "2", 1, sz("B"))]);
        let end_of_entries = bytes.len();
        bytes.extend(b"[\0x");
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        let policy = &model.policies[0];
        let listing = model.sources.get(policy.source);
        let span = listing.file_bytes(policy.settings[0].span).unwrap();
        // The first entry's data ends before its `]`, the second's before the file's last.
        let first_entry_end = pol(&[(list, "1", 1, sz("A"))]).len();
        let first_data = first_entry_end - 2 - sz("A").len();
        assert_eq!(span.range(), first_data..end_of_entries - 2);
        let error = &model.errors[0];
        let damage = listing.file_bytes(error.location.unwrap().span).unwrap();
        // The key after the third `[` has no terminating NUL: damaged from the key on.
        assert_eq!(damage.range(), end_of_entries + 2..bytes.len());
        let offset = format!("byte offset {} ", damage.start);
        assert!(error.message.contains(&offset), "{}", error.message);
    }

    #[test]
    fn special_value_names_are_understood() {
        let model = load_bytes("x/User/registry.pol", &sample(), None);
        let settings = &model.policies[0].settings;
        let get = |key: &str| settings.iter().find(|s| s.key == key).map(|s| &s.value);
        assert_eq!(
            get(r"hkcu\software\policies\contoso\banner"),
            Some(&Value::NotConfigured)
        );
        assert_eq!(
            get(r"hkcu\software\policies\contoso\**delvals"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            get(r"hkcu\software\policies\contoso\names"),
            Some(&Value::List(vec![
                Value::Str("a".into()),
                Value::Str("b".into())
            ]))
        );
        assert_eq!(
            get(r"hkcu\software\policies\contoso\empty\"),
            Some(&Value::Str(String::new()))
        );
    }

    /// The values of an ADMX list's key (`DenyDeviceIDs\1`, `\2`) are one setting, the list
    /// of their data, sorted; its span runs from the first value's data to the last's. The
    /// `**delvals.` Group Policy writes first stays an instruction of its own.
    #[test]
    fn values_of_a_numbered_list_are_one_list_setting() {
        let list = r"Software\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceIDs";
        let bytes = pol(&[
            (list, "**delvals.", 1, sz(" ")),
            (list, "1", 1, sz(r"PCI\CC_0C0A")),
            (list, "2", 1, sz(r"PCI\CC_0C0010")),
        ]);
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        let policy = &model.policies[0];
        let listing = model.sources.get(policy.source);
        let key = format!(r"HKLM\{}\*", list.replacen("Software", "SOFTWARE", 1));
        let lists: Vec<&Setting> = policy.settings.iter().filter(|s| *s.key == *key).collect();
        assert_eq!(lists.len(), 1, "{:?}", policy.settings);
        assert_eq!(
            lists[0].value,
            Value::List(vec![
                Value::Str(r"PCI\CC_0C0010".into()),
                Value::Str(r"PCI\CC_0C0A".into())
            ])
        );
        let quoted = listing.slice(lists[0].span);
        // The listing writes strings escaped, `\` as `\\`.
        assert!(quoted.starts_with(r#""PCI\\CC_0C0A""#), "{quoted}");
        assert!(quoted.ends_with(r#""PCI\\CC_0C0010""#), "{quoted}");
        assert_eq!(listing.slice(lists[0].name_span), list);
        assert_eq!(policy.settings.len(), 2, "the list and **delvals");
    }

    /// Only the values of the list's own key join it: a value of another key right after the
    /// list's (the lookup is remembered per key) and the policy's own value stay settings of
    /// their own.
    #[test]
    fn values_of_other_keys_stay_out_of_a_numbered_list() {
        let restrictions = r"Software\Policies\Microsoft\Windows\DeviceInstall\Restrictions";
        let list = format!(r"{restrictions}\DenyDeviceIDs");
        let bytes = pol(&[
            (
                restrictions,
                "DenyDeviceIDs",
                4,
                1u32.to_le_bytes().to_vec(),
            ),
            (&list, "1", 1, sz(r"PCI\CC_0C0A")),
            (r"Software\Policies\Contoso", "2", 1, sz("not a device")),
            (&list, "3", 1, sz(r"PCI\CC_0C0010")),
        ]);
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        let values: Vec<(&str, &Value)> = model.policies[0]
            .settings
            .iter()
            .map(|s| (&*s.key, &s.value))
            .collect();
        let devices = Value::List(vec![
            Value::Str(r"PCI\CC_0C0010".into()),
            Value::Str(r"PCI\CC_0C0A".into()),
        ]);
        let other = Value::Str("not a device".into());
        assert_eq!(
            values,
            [
                (
                    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceIDs",
                    &Value::Int(1)
                ),
                (
                    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions\DenyDeviceIDs\*",
                    &devices
                ),
                (r"hklm\software\policies\contoso\2", &other),
            ]
        );
    }

    #[test]
    fn unknown_hive_is_said_not_guessed() {
        let model = load_bytes("loose.pol", &sample(), None);
        let settings = &model.policies[0].settings;
        assert!(settings.iter().all(|s| s.key.starts_with("hk?\\")));
        assert_eq!(model.policies[0].name, "loose.pol");
        let model = load_bytes("a/MACHINE/registry.pol", &sample(), None);
        assert!(
            model.policies[0]
                .settings
                .iter()
                .any(|s| s.key.starts_with("HKLM\\"))
        );
    }

    #[test]
    fn wrong_header_is_a_positioned_error() {
        let mut bytes = sample();
        bytes[0] = b'X';
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        assert_eq!(model.errors.len(), 1);
        let err = &model.errors[0];
        assert!(err.message.contains("byte offset 0"), "{}", err.message);
        assert!(err.message.contains("PReg"), "{}", err.message);
        assert_eq!(err.line, Some(2));
        assert!(model.policies[0].settings.is_empty());

        let mut bytes = sample();
        bytes[4] = 2;
        let model = load_bytes("GPO/Machine/registry.pol", &bytes, None);
        assert!(model.errors[0].message.contains("version 2"));
        assert!(model.errors[0].message.contains("byte offset 4"));
    }

    #[test]
    fn truncated_entry_keeps_the_entries_before_it() {
        let bytes = sample();
        let cut = &bytes[..bytes.len() - 7];
        let model = load_bytes("GPO/Machine/registry.pol", cut, None);
        assert_eq!(model.errors.len(), 1);
        let err = &model.errors[0];
        assert_eq!(model.policies[0].settings.len(), 5);
        // The error points at the damage line of the listing, which names the offset.
        let listing = model.sources.get(model.policies[0].source);
        let at = err.location.unwrap().span;
        assert!(
            listing.slice(at).contains("<damaged:"),
            "{}",
            listing.text()
        );
        assert_eq!(err.line, Some(7));
        assert!(err.message.contains("byte offset"), "{}", err.message);
    }

    #[test]
    fn size_past_the_end_and_missing_bracket_are_errors() {
        let mut bytes = pol(&[("K", "V", 4, vec![1, 0, 0, 0])]);
        // The size field sits 12 bytes before the end: ;size; data ]
        let at = bytes.len() - 2 - 4 - 2 - 4;
        bytes[at] = 200;
        let (entries, damage) = parse(&bytes);
        assert!(entries.is_empty());
        let damage = damage.unwrap();
        assert_eq!(damage.offset, 8);
        assert!(damage.message.contains("runs past the end"), "{damage:?}");

        let mut bytes = pol(&[("K", "V", 4, vec![1, 0, 0, 0])]);
        let last = bytes.len() - 2;
        bytes[last] = b')';
        let (_, damage) = parse(&bytes);
        assert!(damage.unwrap().message.contains("expected ']'"));
    }

    #[test]
    fn every_truncation_and_mutation_is_handled_without_panic() {
        let bytes = sample();
        for end in 0..bytes.len() {
            let _ = load_bytes("GPO/Machine/registry.pol", &bytes[..end], None);
        }
        for i in 0..bytes.len() {
            for b in [0u8, 0xFF, b'[', b']', b';'] {
                let mut m = bytes.clone();
                m[i] = b;
                let model = load_bytes("GPO/Machine/registry.pol", &m, None);
                for e in &model.errors {
                    assert!(e.line.is_some(), "{e:?}");
                }
            }
        }
    }

    #[test]
    fn truncations_and_mutations_of_a_real_file_never_panic() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gpo/troennes/HighSecCredGuard-loose/GPO/Machine/registry.pol"
        );
        let bytes = std::fs::read(path).unwrap();
        let model = load_bytes(path, &bytes, None);
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let whole = model.policies[0].settings.len();
        assert!(
            whole > 0
                && model.policies[0]
                    .settings
                    .iter()
                    .all(|s| s.key.starts_with("HKLM") || s.key.starts_with("hklm"))
        );
        for end in 0..bytes.len() {
            let model = load_bytes(path, &bytes[..end], None);
            assert!(model.policies[0].settings.len() <= whole);
            assert!(
                end < 8
                    || end == bytes.len()
                    || !model.errors.is_empty()
                    || model.policies[0].settings.len() < whole
            );
        }
        for i in (0..bytes.len()).step_by(3) {
            let mut mutated = bytes.clone();
            mutated[i] ^= 0xA5;
            let _ = load_bytes(path, &mutated, None);
        }
    }

    #[test]
    fn gpo_folder_name_skips_the_sysvol_layout() {
        assert_eq!(
            gpo_folder_name(Path::new(
                "b/{ABC}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit/GptTmpl.inf"
            )),
            "{ABC}"
        );
        assert_eq!(
            gpo_folder_name(Path::new("Enterprise/GPO/User/registry.pol")),
            "Enterprise"
        );
        assert_eq!(gpo_folder_name(Path::new("registry.pol")), "registry.pol");
    }
}
