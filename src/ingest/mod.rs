//! Input readers: find the files, decode each once, detect its format by content, then one
//! module per format.

pub mod baseline;
pub mod checklist;
pub mod entra_groups;
pub mod exceptions;
pub mod finding_list;
pub mod gitignore;
pub mod gpo_backup;
pub mod gpo_copies;
pub mod gpo_report;
pub mod gpp_local_groups;
pub mod gpp_passwords;
pub mod intune;
pub mod json;
pub mod membership_rule;
pub mod registry_pol;
pub mod security_template;
pub mod xccdf;

use std::path::{Path, PathBuf};

use crate::model::{
    AssignmentFilter, ChecklistEntry, Control, Exception, Group, InputError, Policy,
};
use crate::source::{SourceFile, SourceId, display_path};

/// What one file contributed to the model.
#[derive(Debug, Default)]
pub struct Parsed {
    pub policies: Vec<Policy>,
    pub groups: Vec<Group>,
    pub filters: Vec<AssignmentFilter>,
    pub controls: Vec<Control>,
    pub exceptions: Vec<Exception>,
    pub checklist_entries: Vec<ChecklistEntry>,
    pub incomplete: Vec<crate::model::Incomplete>,
    pub errors: Vec<InputError>,
}

impl Parsed {
    /// A result holding one error about the whole file.
    pub fn error(file: &SourceFile, message: impl Into<String>) -> Parsed {
        Parsed {
            errors: vec![InputError::about(file.display_path.clone(), message.into())],
            ..Parsed::default()
        }
    }

    /// Move everything into the model.
    pub fn merge_into(self, model: &mut crate::model::Model) {
        model.policies.extend(self.policies);
        model.groups.extend(self.groups);
        model.filters.extend(self.filters);
        model.controls.extend(self.controls);
        model.exceptions.extend(self.exceptions);
        model.checklist_entries.extend(self.checklist_entries);
        model.incomplete.extend(self.incomplete);
        model.errors.extend(self.errors);
    }
}

/// The formats baselint reads, detected from a file's content (never from its name alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Microsoft Graph JSON: Intune policies, Entra groups, assignment filters.
    GraphJson,
    /// STIG Viewer 3 checklist (JSON with `stigs` and `target_data`).
    Cklb,
    /// `Get-GPOReport -ReportType Xml` (`GPO` root, or `report` with one `GPO` each).
    GpoReport,
    /// GPMC backup metadata (`Backup.xml`, `bkupInfo.xml`, `manifest.xml`): read with the backup.
    GpoBackupMetadata,
    /// Security template (`GptTmpl.inf`).
    SecurityTemplate,
    /// XCCDF benchmark (DISA STIG).
    Xccdf,
    /// STIG Viewer 2 checklist (`.ckl`).
    Ckl,
    /// HardeningKitty finding list (CSV).
    FindingList,
    Unsupported,
}

/// Detect the format from the decoded text.
pub fn detect(file: &SourceFile) -> Format {
    detect_text(file.text())
}

/// [`detect`] on a text: all it reads is the first line and the first 4096 characters.
pub(crate) fn detect_text(text: &str) -> Format {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if is_ini_section_header(text) {
        return Format::SecurityTemplate;
    }
    if text.starts_with("\"ID\",\"Category\"") || text.starts_with("ID,Category,Name,Method") {
        return Format::FindingList;
    }
    match text.chars().next() {
        Some('{') if looks_like_cklb(text) => Format::Cklb,
        Some('{' | '[' | '"') => Format::GraphJson,
        Some('<') => match xml_root(text).map(|name| name.rsplit(':').next().unwrap_or(name)) {
            Some("GPO" | "report") => Format::GpoReport,
            Some("GroupPolicyBackupScheme" | "BackupInst" | "Backups") => Format::GpoBackupMetadata,
            Some("Benchmark") => Format::Xccdf,
            Some("CHECKLIST") => Format::Ckl,
            _ => Format::Unsupported,
        },
        _ => Format::Unsupported,
    }
}

/// `[Unicode]`, `[Version]`, `[System Access]`...: an INF file, not a JSON array.
fn is_ini_section_header(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").trim();
    first.len() > 2
        && first.starts_with('[')
        && first.ends_with(']')
        && first[1..first.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
        && first[1..].starts_with(|c: char| c.is_ascii_alphabetic())
}

fn looks_like_cklb(text: &str) -> bool {
    // The first 4096 characters, without copying them (bytes when those are ASCII).
    const HEAD: usize = 4096;
    let end = match text.as_bytes().get(..HEAD) {
        None => text.len(),
        Some(bytes) if bytes.is_ascii() => HEAD,
        Some(_) => text.char_indices().nth(HEAD).map_or(text.len(), |(i, _)| i),
    };
    let head = &text[..end];
    head.contains("\"target_data\"")
        || (head.contains("\"stigs\"") && head.contains("\"cklb_version\""))
}

/// The name of the first element of an XML document (skipping the declaration, processing
/// instructions, comments and a DOCTYPE).
pub fn xml_root(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after_declaration(after)?;
        } else {
            let after = rest.strip_prefix('<')?;
            let end = after
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(after.len());
            return Some(&after[..end]);
        }
    }
}

/// The text after a `<!...>` declaration; a DOCTYPE's internal subset (`[...]`) holds `>`s.
fn after_declaration(after: &str) -> Option<&str> {
    let first = after.find(['[', '>'])?;
    let close = if after[first..].starts_with('[') {
        first + after[first..].find(']')?
    } else {
        first
    };
    Some(&after[close + after[close..].find('>')? + 1..])
}

/// Read and decode one file; an unreadable or undecodable file is a positioned input error.
pub fn read_source(path: &Path) -> Result<SourceFile, InputError> {
    read_source_within(path, MAX_FILE_SIZE)
}

/// [`read_source`] with a size limit: a larger file is an input error and is not read.
pub fn read_source_within(path: &Path, max_file_size: u64) -> Result<SourceFile, InputError> {
    let bytes = read_bytes_within(path, max_file_size)?;
    decode(path, &bytes)
}

/// The bytes of a file no larger than `max_file_size`.
///
/// The size is checked on the open file (one path lookup per file). A regular file is read up
/// to the size it had then (in one read, or from 16 MB in parts at once; no probe for more);
/// anything else (a device, a pipe) up to the limit, so that nothing makes baselint read more
/// than the limit.
pub fn read_bytes_within(path: &Path, max_file_size: u64) -> Result<Vec<u8>, InputError> {
    read_opened(path, open_within(path, max_file_size)?, max_file_size)
}

/// A file opened for reading, with what its metadata said when it was opened.
struct Opened {
    file: std::fs::File,
    size: u64,
    regular: bool,
}

/// Open a file no larger than `max_file_size` (the size checked on the open file).
fn open_within(path: &Path, max_file_size: u64) -> Result<Opened, InputError> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
    let meta = file.metadata().map_err(|e| unreadable(path, &e))?;
    let size = meta.len();
    if size > max_file_size {
        return Err(too_large(path, Some(size), max_file_size));
    }
    Ok(Opened {
        file,
        size,
        regular: meta.is_file(),
    })
}

/// The bytes of an opened file (see [`read_bytes_within`]).
fn read_opened(path: &Path, opened: Opened, max_file_size: u64) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let Opened {
        file,
        size,
        regular,
    } = opened;
    if regular {
        let mut bytes = vec![0; size as usize];
        let part = if bytes.len() >= PARALLEL_READ_BYTES {
            READ_PART_BYTES
        } else {
            bytes.len()
        };
        read_in_parts(&file, &mut bytes, part).map_err(|e| unreadable(path, &e))?;
        return Ok(bytes);
    }
    let mut bytes = Vec::new();
    file.take(max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, &e))?;
    if bytes.len() as u64 > max_file_size {
        return Err(too_large(path, None, max_file_size));
    }
    Ok(bytes)
}

/// A file this large is read in parts of [`READ_PART_BYTES`] on all cores.
const PARALLEL_READ_BYTES: usize = 16 << 20;
const READ_PART_BYTES: usize = 4 << 20;

/// Fill `bytes` from the start of `file` (whatever its position), in parts of `part` bytes
/// read at once on all cores (positioned reads; where there are none, in one read). A large
/// file's fresh buffer is faulted in as it is filled, so reading it in parts also spreads
/// that work: a tenant's Graph list response of 265 MB took 142-153 ms to read on one core.
fn read_in_parts(file: &std::fs::File, bytes: &mut [u8], part: usize) -> std::io::Result<()> {
    use crate::positioned::read_exact_at;
    use rayon::prelude::*;
    if !crate::positioned::SUPPORTED {
        let mut file = file;
        return std::io::Read::read_exact(&mut file, bytes);
    }
    let part = part.max(1);
    if part >= bytes.len() {
        return read_exact_at(file, bytes, 0);
    }
    bytes
        .par_chunks_mut(part)
        .enumerate()
        .try_for_each(|(n, chunk)| read_exact_at(file, chunk, (n * part) as u64))
}

/// The error for a file over the limit; `size` is None when the file did not say its size (a
/// device, a pipe).
fn too_large(path: &Path, size: Option<u64>, limit: u64) -> InputError {
    let is = match size {
        Some(size) => format!("is {},", format_size(size)),
        None => "is".to_string(),
    };
    InputError::about(
        display_path(path),
        format!(
            "file {is} over the {} limit: not read (raise the limit with --max-file-size \
             or `[limits] max-file-size` in baselint.toml)",
            format_size(limit)
        ),
    )
}

/// `512 MiB`, `1.5 GiB`, `300 bytes`: binary units, one decimal when not whole.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    match UNITS.iter().find(|(_, size)| bytes >= *size) {
        Some((unit, size)) if bytes.is_multiple_of(*size) => format!("{} {unit}", bytes / size),
        Some((unit, size)) => format!("{:.1} {unit}", bytes as f64 / *size as f64),
        None => format!("{bytes} bytes"),
    }
}

fn unreadable(path: &Path, e: &std::io::Error) -> InputError {
    InputError::about(display_path(path), format!("cannot read file: {e}"))
}

/// Decode bytes already read; a decode failure is an input error with its position.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<SourceFile, InputError> {
    SourceFile::decode(path, bytes).map_err(|e| decode_error(path, bytes, &e))
}

/// Like [`decode`], taking the bytes (a UTF-8 file becomes its text without a copy).
pub fn decode_owned(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, InputError> {
    SourceFile::decode_vec(path, bytes)
        .map_err(|failure| decode_error(path, &failure.bytes, &failure.error))
}

fn decode_error(path: &Path, bytes: &[u8], e: &crate::source::DecodeError) -> InputError {
    let (line, column) = raw_position(bytes, e.byte_offset);
    InputError {
        line: Some(line),
        column: Some(column),
        ..InputError::about(
            display_path(path),
            format!(
                "cannot decode file: {} at byte offset {}{}",
                e.message,
                e.byte_offset,
                e.hint.map(|hint| format!(": {hint}")).unwrap_or_default()
            ),
        )
    }
}

/// Best-effort line and column of a raw byte offset in a file that failed to decode: count
/// line feeds in either byte order (a UTF-16 line feed is `0A 00`).
fn raw_position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let bom = match bytes {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => 2,
        _ => 0,
    };
    let units = &before[bom.min(before.len())..];
    let wide =
        bom == 2 || (units.len() > 1 && units.iter().skip(1).step_by(2).take(16).all(|&b| b == 0));
    let unit = if wide { 2 } else { 1 };
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        // In UTF-16LE the line feed is `0A 00`: the next line starts after the `00`.
        .map_or(bom, |i| {
            if bytes.starts_with(&[0xFE, 0xFF]) {
                i + 1
            } else {
                i + unit
            }
        })
        // A line feed byte just before the offset but out of step with the code units.
        .min(offset);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = (offset - line_start).div_ceil(unit) + 1;
    (line, column)
}

/// What the loader reads: one file, or a folder of one GPO's files read as one GPO.
#[derive(Clone, Debug)]
pub enum Unit {
    /// A file named on the command line: always read, whatever it holds.
    File(PathBuf),
    /// A file found by walking a folder: JSON that is not an export (a `package.json`) is
    /// skipped rather than reported.
    Found(PathBuf),
    /// A folder that holds one GPO's files, read as one GPO ([`gpo_backup`]): a GPMC backup, or
    /// a Group Policy template (a SYSVOL `{GUID}` folder, a machine's local `GroupPolicy`). A
    /// walk that found it gives the ignore files in force there, if any: the files they
    /// exclude are not read.
    GpoFolder(PathBuf, Option<Box<gitignore::InFolder>>),
}

/// The file whose presence makes a folder one GPO's: a GPMC backup (`{backup id}/` holding
/// `Backup.xml` or `bkupInfo.xml`), or a Group Policy template (`GPT.INI` beside `Machine`
/// and `User`).
fn is_gpo_folder_marker(name: &str) -> bool {
    ["backup.xml", "bkupinfo.xml", "gpt.ini"]
        .iter()
        .any(|marker| name.eq_ignore_ascii_case(marker))
}

/// Units to lint under the given paths: directories are walked recursively in a stable order,
/// skipping hidden entries (`.git`), build output and what `.gitignore` files exclude
/// ([`gitignore`]); a GPO backup or Group Policy template folder is one unit; a path given explicitly is always read.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<Unit>, Vec<InputError>) {
    collect_files_with(paths, true)
}

/// [`collect_files`], honouring `.gitignore` files or not (`--no-ignore`).
pub fn collect_files_with(paths: &[PathBuf], gitignore: bool) -> (Vec<Unit>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            let root = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            let ignores = if gitignore {
                gitignore::Ignores::above(&root, &mut errors)
            } else {
                gitignore::Ignores::disabled()
            };
            let mut walk = Walk {
                root: root.clone(),
                visited: std::collections::HashSet::new(),
                ignores,
                files: &mut files,
                errors: &mut errors,
            };
            walk.dir(path, &root);
        } else if path.exists() {
            files.push(Unit::File(path.clone()));
        } else {
            errors.push(InputError::about(
                display_path(path),
                "no such file or directory".to_string(),
            ));
        }
    }
    (files, errors)
}

/// A directory walk. Symbolic links are followed only to places inside the walked root, and a
/// directory is entered once (a link back to a parent cannot loop).
struct Walk<'a> {
    root: PathBuf,
    visited: std::collections::HashSet<PathBuf>,
    ignores: gitignore::Ignores,
    files: &'a mut Vec<Unit>,
    errors: &'a mut Vec<InputError>,
}

impl Walk<'_> {
    /// Walk `dir`; `seen_as` is its path under the canonical root, which ignore files match.
    ///
    /// Each folder is listed once, and the entries' types come with the listing: only symbolic
    /// links cost more system calls (to see where they lead).
    fn dir(&mut self, dir: &Path, seen_as: &Path) {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.visited.insert(canonical) {
            return;
        }
        let mut entries: Vec<(std::ffi::OsString, Option<std::fs::FileType>)> =
            match std::fs::read_dir(dir) {
                Ok(listing) => listing
                    .filter_map(Result::ok)
                    .map(|e| (e.file_name(), e.file_type().ok()))
                    .collect(),
                Err(e) => {
                    self.errors.push(InputError::about(
                        display_path(dir),
                        format!("cannot read directory: {e}"),
                    ));
                    return;
                }
            };
        let mark = self.ignores.enter(dir, seen_as, self.errors);
        let is_gpo_folder = entries.iter().any(|(name, _)| {
            is_gpo_folder_marker(&name.to_string_lossy())
                && !self.ignores.ignores(&seen_as.join(name), false)
        });
        if is_gpo_folder {
            let ignores = gitignore::InFolder::new(&self.ignores, dir, seen_as).map(Box::new);
            self.files.push(Unit::GpoFolder(dir.to_path_buf(), ignores));
            self.ignores.leave(mark);
            return;
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, file_type) in entries {
            let shown = name.to_string_lossy();
            if shown.starts_with('.') || shown == "target" {
                continue;
            }
            let path = dir.join(&name);
            let is_dir = match file_type {
                Some(t) if t.is_symlink() => {
                    if !self.stays_inside(&path) {
                        continue;
                    }
                    path.is_dir()
                }
                Some(t) => t.is_dir(),
                None => path.is_dir(),
            };
            let entry_seen_as = seen_as.join(&name);
            if self.ignores.ignores(&entry_seen_as, is_dir) {
                continue;
            }
            if is_dir {
                self.dir(&path, &entry_seen_as);
            } else if is_input_candidate(&path) {
                self.files.push(Unit::Found(path));
            }
        }
        self.ignores.leave(mark);
    }

    /// False for a symbolic link whose target is outside the walked root (or dangling).
    fn stays_inside(&self, link: &Path) -> bool {
        std::fs::canonicalize(link).is_ok_and(|target| target.starts_with(&self.root))
    }
}

/// In a walk, only files whose extension names a supported format are read.
fn is_input_candidate(path: &Path) -> bool {
    const EXTENSIONS: [&str; 7] = ["json", "xml", "inf", "pol", "ckl", "cklb", "csv"];
    path.extension().is_some_and(|ext| {
        EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known))
    })
}

/// Read every unit into the model; each file's problems stay with that file.
///
/// Files are read, decoded and parsed on all cores (each with the source id reserved for it),
/// then merged in the walk's order, so the model, and every report, is the same whatever the
/// number of threads. A GPO folder is read on its core into a model of its own, which the
/// merge takes in (its source ids moved); Registry.pol files, which add their own listing
/// source, are read in order during the merge.
pub fn load(units: &[Unit], model: &mut crate::model::Model, catalog: &crate::catalog::Catalog) {
    load_within(units, model, catalog, MAX_FILE_SIZE);
}

/// [`load`], refusing files over `max_file_size` bytes.
pub fn load_within(
    units: &[Unit],
    model: &mut crate::model::Model,
    catalog: &crate::catalog::Catalog,
    max_file_size: u64,
) {
    use rayon::prelude::*;
    let first = model.sources.reserve(units.len());
    let prepared: Vec<Prepared> = units
        .par_iter()
        .enumerate()
        .map(|(i, unit)| prepare(unit, SourceId(first + i as u32), catalog, max_file_size))
        .collect();
    for (i, prepared) in prepared.into_iter().enumerate() {
        let id = SourceId(first + i as u32);
        match prepared {
            Prepared::Skipped => {}
            Prepared::Error(e) => model.errors.push(e),
            Prepared::Parsed { file, parsed } => {
                model.sources.fill(id, *file);
                parsed.merge_into(model);
            }
            Prepared::RegistryPol { path, bytes } => {
                registry_pol::load(&path, &bytes, None, model, catalog)
            }
            Prepared::GpoFolder(folder) => model.absorb(*folder),
        }
    }
}

/// A unit as a worker thread leaves it for the merge.
enum Prepared {
    /// Nothing to merge: reference material or foreign JSON found by a walk.
    Skipped,
    Error(InputError),
    Parsed {
        file: Box<SourceFile>,
        parsed: Parsed,
    },
    /// Registry.pol renders its own listing source: read during the merge.
    RegistryPol {
        path: PathBuf,
        bytes: Vec<u8>,
    },
    /// A GPO folder reads several files, into a model of its own (taken in by the merge).
    GpoFolder(Box<crate::model::Model>),
}

fn prepare(
    unit: &Unit,
    id: SourceId,
    catalog: &crate::catalog::Catalog,
    max_file_size: u64,
) -> Prepared {
    match unit {
        Unit::File(path) => prepare_file(path, true, id, catalog, max_file_size),
        Unit::Found(path) => prepare_file(path, false, id, catalog, max_file_size),
        Unit::GpoFolder(dir, ignores) => {
            let mut folder = crate::model::Model::default();
            let reading = gpo_backup::Reading {
                max_file_size,
                ignores: ignores.as_deref(),
            };
            gpo_backup::read_folder(dir, &mut folder, catalog, &reading);
            Prepared::GpoFolder(Box::new(folder))
        }
    }
}

/// Read one file (any supported format) into the model. A file found by a walk whose content is
/// no format baselint knows is skipped silently; one named explicitly is an error.
pub fn load_file(
    path: &Path,
    explicit: bool,
    model: &mut crate::model::Model,
    catalog: &crate::catalog::Catalog,
) {
    let unit = if explicit {
        Unit::File(path.to_path_buf())
    } else {
        Unit::Found(path.to_path_buf())
    };
    load(&[unit], model, catalog);
}

/// Files larger than this are not read unless the limit is raised (`--max-file-size`,
/// `[limits] max-file-size`): a pull request can contain anything.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

fn prepare_file(
    path: &Path,
    explicit: bool,
    id: SourceId,
    catalog: &crate::catalog::Catalog,
    max_file_size: u64,
) -> Prepared {
    let opened = match open_within(path, max_file_size) {
        Ok(opened) => opened,
        Err(e) => return Prepared::Error(e),
    };
    if let Some(prepared) = prepare_streamed(path, &opened, id, catalog) {
        return prepared;
    }
    let bytes = match read_opened(path, opened, max_file_size) {
        Ok(bytes) => bytes,
        Err(e) => return Prepared::Error(e),
    };
    if registry_pol::is_registry_pol(&bytes) || registry_pol::is_pol_file_name(path) {
        return Prepared::RegistryPol {
            path: path.to_path_buf(),
            bytes,
        };
    }
    let mut file = match decode_owned(path, bytes) {
        Ok(file) => file,
        Err(e) => return Prepared::Error(e),
    };
    let format = detect(&file);
    if !explicit && is_reference(format) {
        return Prepared::Skipped;
    }
    let mut parsed = parse(id, &file, format, catalog);
    if !explicit && is_foreign(format, &parsed) {
        return Prepared::Skipped;
    }
    // Spans are offsets: the text is re-read only if a report shows some of it.
    file.release();
    // Settings vectors grew by doubling; a tenant keeps hundreds of thousands of settings.
    for policy in &mut parsed.policies {
        policy.settings.shrink_to_fit();
    }
    Prepared::Parsed {
        file: Box::new(file),
        parsed,
    }
}

/// A file at least this large that holds a list of policies is read window by window.
const STREAMED_BYTES: u64 = 16 << 20;

/// A long list file of policies, read without ever holding its whole text (see
/// `intune::typed::streamed`); None when it is no such file, or declines: it is then read
/// whole.
fn prepare_streamed(
    path: &Path,
    opened: &Opened,
    id: SourceId,
    catalog: &crate::catalog::Catalog,
) -> Option<Prepared> {
    if !crate::positioned::SUPPORTED
        || !opened.regular
        || opened.size < STREAMED_BYTES
        || registry_pol::is_pol_file_name(path)
    {
        return None;
    }
    let size = usize::try_from(opened.size).ok()?;
    let window = intune::STREAMED_WINDOW_BYTES;
    let (mut parsed, file) =
        intune::read_json_streamed(path, &opened.file, size, (id, catalog), window)?;
    for policy in &mut parsed.policies {
        policy.settings.shrink_to_fit();
    }
    Some(Prepared::Parsed {
        file: Box::new(file),
        parsed,
    })
}

fn parse(
    id: SourceId,
    file: &SourceFile,
    format: Format,
    catalog: &crate::catalog::Catalog,
) -> Parsed {
    match format {
        Format::GraphJson => intune::read_json(id, file, catalog),
        Format::Cklb => checklist::read_cklb(id, file),
        Format::GpoReport => gpo_report::read(id, file, catalog),
        // Backup metadata alone (outside a backup folder) carries no settings.
        Format::GpoBackupMetadata => Parsed::default(),
        Format::SecurityTemplate => security_template::read(id, file, None, catalog),
        Format::Xccdf => xccdf::read(id, file, catalog),
        Format::Ckl => checklist::read_ckl(id, file),
        Format::FindingList => finding_list::read(id, file, catalog),
        Format::Unsupported => Parsed::error(file, unsupported(file.text())),
    }
}

/// What an unsupported file is told: what baselint reads and, for an HTML page in the style
/// of GPMC's reports (`Get-GPOReport -ReportType Html`, GPMC's "Save Report"; other tools
/// borrow the style, so it is not called a GPO report for sure), how to export the XML one.
fn unsupported(text: &str) -> String {
    const READS: &str = "expected Intune/Entra Graph JSON, a GPO report or backup, GptTmpl.inf, \
                         Registry.pol, XCCDF, a STIG checklist or a HardeningKitty list";
    let head: String = (text.trim_start_matches('\u{feff}').trim_start().chars())
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    if !(head.starts_with("<html") || head.starts_with("<!doctype html")) {
        return format!("unsupported input format ({READS})");
    }
    if head.contains("gpmc_reportinitialized") {
        return "an HTML report in GPMC's style: baselint reads a GPO report as XML \
                (Get-GPOReport -Name NAME -ReportType Xml -Path NAME.xml, or -All for every GPO) \
                or a GPMC backup folder, not as HTML"
            .to_string();
    }
    format!("an HTML page, not an export ({READS})")
}

/// Benchmarks and finding lists found by a walk are reference material, not configuration:
/// they apply only when `[baselines] use` or the command line names them.
fn is_reference(format: Format) -> bool {
    matches!(format, Format::Xccdf | Format::FindingList)
}

/// A walked file that is not an export: unrecognised JSON (`package.json`, `tsconfig.json`) or
/// XML of another kind. Broken JSON or a broken export is still reported.
fn is_foreign(format: Format, parsed: &Parsed) -> bool {
    let nothing_read = parsed.policies.is_empty()
        && parsed.groups.is_empty()
        && parsed.filters.is_empty()
        && parsed.controls.is_empty()
        && parsed.checklist_entries.is_empty();
    match format {
        Format::Unsupported => true,
        Format::GraphJson => {
            nothing_read
                && !parsed.errors.is_empty()
                && parsed
                    .errors
                    .iter()
                    .all(|e| e.message.starts_with(intune::UNRECOGNISED))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read in parts on all cores is the file, whatever the parts' size (the last part
    /// shorter), and one that is shorter than the buffer is an error, as when read at once.
    #[test]
    fn a_file_read_in_parts_is_read_whole() {
        let path = std::env::temp_dir().join(format!("baselint-parts-{}", std::process::id()));
        let content: Vec<u8> = (0..10_000u32).map(|n| (n % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        for part in [1, 7, 4096, 9_999, 10_000, 20_000] {
            let mut bytes = vec![0; content.len()];
            read_in_parts(&file, &mut bytes, part).unwrap();
            assert_eq!(bytes, content, "parts of {part} bytes");
        }
        let mut longer = vec![0; content.len() + 1];
        assert!(read_in_parts(&file, &mut longer, 7).is_err());
        let whole = longer.len();
        assert!(read_in_parts(&file, &mut longer, whole).is_err());
        std::fs::remove_file(&path).unwrap();
    }

    fn detect_text(text: &str) -> Format {
        detect(&SourceFile::from_text(
            Path::new("x"),
            text.to_string(),
            crate::source::Encoding::Utf8,
        ))
    }

    /// An HTML page is told apart from other unsupported files, and one in GPMC's report style
    /// gets the command for the XML report.
    #[test]
    fn html_gpo_reports_are_told_how_to_export_xml() {
        let gpmc = "\u{feff}\r\n<html dir=\"ltr\" xmlns:v=\"urn:schemas-microsoft-com:vml\" \
                    gpmc_reportInitialized=\"false\">\r\n<head><title>Default Domain Policy</title>";
        assert_eq!(detect_text(gpmc), Format::Unsupported);
        assert!(
            unsupported(gpmc).contains("-ReportType Xml"),
            "{}",
            unsupported(gpmc)
        );
        let page = "<!DOCTYPE html>\n<html><head><title>Notes</title></head></html>";
        assert!(unsupported(page).starts_with("an HTML page, not an export"));
        assert!(unsupported("name,value\n").starts_with("unsupported input format"));
    }

    #[test]
    fn checklists_are_recognised_by_their_first_4096_characters() {
        let after = |filler: &str| format!("{{\"title\": \"{filler}\", \"target_data\": {{}}}}");
        assert_eq!(detect_text(&after(&"é".repeat(3000))), Format::Cklb);
        assert_eq!(detect_text(&after(&"e".repeat(4000))), Format::Cklb);
        assert_eq!(detect_text(&after(&"e".repeat(5000))), Format::GraphJson);
        assert_eq!(detect_text(&after(&"é".repeat(5000))), Format::GraphJson);
    }

    #[test]
    fn formats_are_detected_from_content() {
        assert_eq!(detect_text("[{\"id\": 1}]"), Format::GraphJson);
        assert_eq!(
            detect_text("[Unicode]\r\nUnicode=yes\r\n"),
            Format::SecurityTemplate
        );
        assert_eq!(
            detect_text("\u{feff}<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<GPO xmlns=\"x\">"),
            Format::GpoReport
        );
        assert_eq!(detect_text("<report><GPO/></report>"), Format::GpoReport);
        assert_eq!(
            detect_text(
                "<?xml version=\"1.0\"?><?xml-stylesheet href='x'?><!-- c --><cdf:Benchmark>"
            ),
            Format::Xccdf
        );
        assert_eq!(
            detect_text("<?xml version=\"1.0\"?>\n<!--DISA STIG Viewer :: 2.17-->\n<CHECKLIST>"),
            Format::Ckl
        );
        assert_eq!(
            detect_text("{\"title\": \"x\", \"target_data\": {}}"),
            Format::Cklb
        );
        assert_eq!(
            detect_text("\"ID\",\"Category\",\"Name\",\"Method\"\n"),
            Format::FindingList
        );
        assert_eq!(detect_text("hello"), Format::Unsupported);
        assert_eq!(
            detect_text("<?xml version=\"1.0\"?>\n<!DOCTYPE GPO [\n<!ENTITY a \"b\">\n]>\n<GPO>"),
            Format::GpoReport
        );
    }

    #[test]
    fn raw_position_counts_utf16_line_feeds() {
        let bytes: Vec<u8> = "ab\ncd".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(raw_position(&bytes, 8), (2, 2));
        assert_eq!(raw_position(b"ab\ncd", 4), (2, 2));
        let mut bom: Vec<u8> = vec![0xFF, 0xFE];
        bom.extend("abc".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(raw_position(&bom, 6), (1, 3));
    }

    /// Fuzz crash (pipeline): a `0A` byte as the high half of a UTF-16LE unit, then an
    /// unpaired surrogate right after it, put the line start past the error offset.
    #[test]
    fn raw_position_survives_a_line_feed_out_of_step() {
        let bytes = [0xFF, 0xFE, 0x41, 0x00, 0x00, 0x0A, 0x00, 0xD8, 0x41, 0x00];
        assert_eq!(raw_position(&bytes, 6), (2, 1));
        assert_eq!(raw_position(&bytes, 99), (2, 3));
    }
}
