//! GPMC backup folders (formats.md section 2): one GPO from `gpreport.xml` and the raw files;
//! and Group Policy template folders, which hold the same raw files.
//!
//! A backup folder is `{backup id}/` holding `Backup.xml` and/or `bkupInfo.xml`, usually
//! `gpreport.xml`, and `DomainSysvol/GPO/{Machine,User}/...`; a template folder holds `GPT.INI`
//! beside `Machine` and `User` (a domain GPO's `{GUID}` folder in SYSVOL's `Policies`, a
//! machine's local `GroupPolicy`). Every folder and file name is matched in any letter case, and
//! a symbolic link that leads out of the folder it stands in is not followed.
//! `ingest::collect_files` turns each such folder into one [`super::Unit::GpoFolder`]; a
//! multi-backup folder with `manifest.xml` is walked into its backup folders by the same walk.
//!
//! One [`Policy`] per backup:
//! * identity, links, security filtering and WMI filter from `gpreport.xml` (read by
//!   [`super::gpo_report`]; the policy's `source` is that file). Without a report they come from
//!   `bkupInfo.xml` / `Backup.xml`: `GPOGuid`/`ID`, `GPODisplayName`/`DisplayName`, `GPODomain`,
//!   `Options` (flag 1 = user settings disabled, 2 = computer settings disabled: consistent with
//!   `Computer/Enabled` and `User/Enabled` in all 11 backups of the corpus), a non-empty
//!   `WMIFilter` as the filter's name; links and security filtering are then unknown
//!   (`assignments_exported` false). A template folder's come from `GPT.INI` and the folder's
//!   name (`Metadata::read_gpt_ini`); SYSVOL holds no links or filtering.
//! * settings from the RAW files, the truth, each with `file` = its own file:
//!   `Machine/registry.pol` (HKLM) and `User/registry.pol` (HKCU) via [`super::registry_pol`],
//!   `Machine/microsoft/windows nt/SecEdit/GptTmpl.inf` via [`super::security_template`],
//!   `Machine/microsoft/windows nt/Audit/audit.csv` (keys as the report's `AuditSetting`: the
//!   catalog key of the subcategory GUID, else `audit:<guid>`; `Int` from `Setting Value`),
//!   `{Machine,User}/Preferences/Registry/Registry.xml` (as the report's GPP registry items),
//!   `Machine/Preferences/Groups/Groups.xml` via [`super::gpp_local_groups`], and the passwords
//!   stored in any file of `{Machine,User}/Preferences/*/` ([`super::gpp_passwords`]).
//! * settings the report shows for extensions whose data is not in those files (Group Policy
//!   Preferences other than Registry and the computer's local groups, wireless and wired
//!   network policies kept in AD, scripts...: `gpo:<half>/<extension>/...` keys other than
//!   those of [`RAW_COVERED`]) are kept from the report (their spans point into
//!   `gpreport.xml`), so nothing the report shows is dropped.
//!
//! [`agreement`] compares the settings `gpreport.xml` reports with those read from the raw files.

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::ingest::gpo_report::{self, Half, audit_key, normalise_guid, xml};
use crate::ingest::json::input_error;
use crate::ingest::registry_pol::{self, Hive};
use crate::ingest::{read_source_within, security_template};
use crate::model::{
    GpoInfo, GpoVersion, InputError, Model, Policy, PolicyKind, Setting, Value, WmiFilterRef,
};
use crate::source::{SourceFile, SourceId, Span};

/// `Backup.xml` elements.
const NS_BACKUP: &str = "http://www.microsoft.com/GroupPolicy/GPOOperations";
/// `bkupInfo.xml` and `manifest.xml` elements.
const NS_MANIFEST: &str = "http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest";

/// The name GPMC gives a GPO it creates, and writes into its `GPT.INI` for good.
const GPMC_NEW_GPO_NAME: &str = "New Group Policy Object";

/// Report extensions whose settings the raw files of a backup hold (Security in GptTmpl.inf,
/// Advanced Audit in audit.csv, GPP Registry in Registry.xml, the rest in registry.pol); their
/// report settings are not kept next to the raw ones.
pub const RAW_COVERED: [&str; 8] = [
    "security",
    "registry",
    "auditing",
    "windows-registry",
    "windowsfirewall",
    "publickey",
    "srpv2",
    "nrpt",
];

/// Read one backup folder into the model as one GPO policy.
pub fn read_backup(dir: &Path, model: &mut Model, catalog: &Catalog) {
    read_backup_within(dir, model, catalog, crate::ingest::MAX_FILE_SIZE);
}

/// [`read_backup`], refusing files over `limit` bytes (`--max-file-size`).
pub fn read_backup_within(dir: &Path, model: &mut Model, catalog: &Catalog, limit: u64) {
    read_folder(dir, model, catalog, &Reading::within(limit));
}

/// How the files of a GPO folder are read: files over a size are refused, and the files that
/// ignore files exclude (a walk found the folder) are not read, as if absent.
pub struct Reading<'a> {
    pub max_file_size: u64,
    pub ignores: Option<&'a crate::ingest::gitignore::InFolder>,
}

impl Reading<'_> {
    /// Every file of the folder up to `max_file_size` bytes.
    pub fn within(max_file_size: u64) -> Reading<'static> {
        Reading {
            max_file_size,
            ignores: None,
        }
    }

    fn skips(&self, path: &Path) -> bool {
        self.ignores.is_some_and(|ignores| ignores.ignores(path))
    }
}

/// [`read_backup`], as `reading` says.
pub fn read_folder(dir: &Path, model: &mut Model, catalog: &Catalog, reading: &Reading) {
    let loaded = load(dir, model, catalog, reading);
    let mut policy = loaded.policy;
    let kept: Vec<Setting> = loaded
        .report_settings
        .into_iter()
        .filter(|s| report_only(&s.key))
        .collect();
    policy.settings = loaded.raw_settings;
    policy.settings.extend(kept);
    if let Some(gpo) = policy.gpo.as_mut() {
        gpo.from_files = true;
    }
    model.policies.push(policy);
}

/// True for a report setting whose data a backup's raw files do not hold.
pub fn report_only(key: &str) -> bool {
    let Some(rest) = key
        .strip_prefix("gpo:computer/")
        .or_else(|| key.strip_prefix("gpo:user/"))
    else {
        return false;
    };
    let extension = rest.split('/').next().unwrap_or("");
    !RAW_COVERED.contains(&extension)
}

/// What a backup folder holds, read.
struct Loaded {
    /// Identity, links and filtering (settings empty).
    policy: Policy,
    /// The settings `gpreport.xml` reports (empty without a report).
    report_settings: Vec<Setting>,
    /// The settings of the raw files.
    raw_settings: Vec<Setting>,
}

fn load(dir: &Path, model: &mut Model, catalog: &Catalog, reading: &Reading) -> Loaded {
    let meta = Metadata::read(dir, model, reading);
    let report = find_ci(dir, &["gpreport.xml"])
        .and_then(|path| read_report(&path, model, catalog, reading));
    let (mut policy, report_settings) = match report {
        Some(mut policy) => {
            let settings = std::mem::take(&mut policy.settings);
            (policy, settings)
        }
        None => (meta.policy(dir, model), Vec::new()),
    };
    if let Some(gpo) = policy.gpo.as_mut() {
        if let Some(wmi) = &meta.wmi_filter {
            gpo.wmi_filter.get_or_insert_with(|| wmi.clone());
        }
        // When the backup was taken, else when its report was read.
        if let Some(time) = &meta.backup_time {
            gpo.exported_at = Some(time.clone());
        }
        // The files' own version, else the report's.
        gpo.version = meta.version.or(gpo.version);
    }
    let raw_settings = raw_settings(dir, &policy.name, model, catalog, reading);
    Loaded {
        policy,
        report_settings,
        raw_settings,
    }
}

/// The first GPO of the backup's report, its errors added to the model.
fn read_report(
    path: &Path,
    model: &mut Model,
    catalog: &Catalog,
    reading: &Reading,
) -> Option<Policy> {
    let file = read_into(path, model, reading)?;
    let parsed = gpo_report::read(file, model.sources.get(file), catalog);
    model.errors.extend(parsed.errors);
    parsed.policies.into_iter().next()
}

/// Read and decode a file into the model's sources; a failure is an input error.
fn read_into(path: &Path, model: &mut Model, reading: &Reading) -> Option<SourceId> {
    if reading.skips(path) {
        return None;
    }
    match read_source_within(path, reading.max_file_size) {
        Ok(file) => Some(model.sources.add(file)),
        Err(e) => {
            model.errors.push(e);
            None
        }
    }
}

// ---- metadata ----

/// What `bkupInfo.xml` and `Backup.xml` say.
#[derive(Default)]
struct Metadata {
    guid: Option<String>,
    name: Option<(String, SourceId, Span)>,
    domain: Option<String>,
    options: Option<u32>,
    wmi_filter: Option<WmiFilterRef>,
    /// `BackupTime` (bkupInfo.xml).
    backup_time: Option<String>,
    /// `MachineVersionNumber` and `UserVersionNumber` (Backup.xml), else `GPT.INI`'s `Version`.
    version: Option<GpoVersion>,
    source: Option<SourceId>,
}

impl Metadata {
    fn read(dir: &Path, model: &mut Model, reading: &Reading) -> Metadata {
        let mut meta = Metadata::default();
        if let Some(path) = find_ci(dir, &["bkupInfo.xml"]) {
            meta.read_file(&path, model, reading, NS_MANIFEST, None);
        }
        if let Some(path) = find_ci(dir, &["Backup.xml"]) {
            let core = Some("GroupPolicyCoreSettings");
            meta.read_file(&path, model, reading, NS_BACKUP, core);
        }
        if let Some(path) = find_ci(dir, &["GPT.INI"]) {
            meta.read_gpt_ini(dir, &path, model, reading);
        }
        meta
    }

    /// A Group Policy template's `GPT.INI` (`[General]`, `Version=`, `displayName=`,
    /// `Options=`), for fields not known yet. SYSVOL names a domain GPO's folder by its GUID.
    /// `displayName` is kept unless it is the name GPMC gives a new GPO, which it writes there
    /// once and never updates (a renamed GPO keeps it); `Options` is a local GPO's (a domain
    /// GPO keeps its own in Active Directory), with the flags of `Backup.xml`.
    fn read_gpt_ini(&mut self, dir: &Path, path: &Path, model: &mut Model, reading: &Reading) {
        let Some(id) = read_into(path, model, reading) else {
            return;
        };
        self.source.get_or_insert(id);
        if self.guid.is_none() {
            let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            self.guid = folder
                .filter(|f| is_braced_guid(f))
                .map(|f| normalise_guid(&f));
        }
        for (name, value, span) in ini_entries(model.sources.get(id).text()) {
            if name.eq_ignore_ascii_case("displayName")
                && !value.is_empty()
                && !value.eq_ignore_ascii_case(GPMC_NEW_GPO_NAME)
            {
                self.name
                    .get_or_insert_with(|| (value.to_string(), id, span));
            } else if name.eq_ignore_ascii_case("Options") {
                self.options = self.options.or_else(|| value.parse().ok());
            } else if name.eq_ignore_ascii_case("Version") {
                let version = value.parse().ok().map(GpoVersion::from_gpt_ini);
                self.version = self.version.or(version);
            }
        }
    }

    /// Read `BackupInst` (bkupInfo.xml) or `GroupPolicyCoreSettings` (Backup.xml) fields.
    fn read_file(
        &mut self,
        path: &Path,
        model: &mut Model,
        reading: &Reading,
        ns: &str,
        core: Option<&str>,
    ) {
        let Some(id) = read_into(path, model, reading) else {
            return;
        };
        let Some(root) = parse_xml(id, model) else {
            return;
        };
        let holder = match core {
            Some(core) => root
                .child(ns, "GroupPolicyObject")
                .and_then(|o| o.child(ns, core)),
            None => Some(&root),
        };
        if let Some(holder) = holder {
            self.source.get_or_insert(id);
            self.take_fields(holder, ns, id);
        }
    }

    /// Fields not known yet from an earlier file.
    fn take_fields(&mut self, holder: &xml::Element, ns: &str, id: SourceId) {
        let text = |local: &str| {
            holder
                .child(ns, local)
                .map(|e| e.text().to_string())
                .filter(|t| !t.is_empty())
        };
        if self.guid.is_none() {
            self.guid = text("GPOGuid")
                .or_else(|| text("ID"))
                .map(|g| normalise_guid(&g));
        }
        if self.name.is_none() {
            let name = holder
                .child(ns, "GPODisplayName")
                .or_else(|| holder.child(ns, "DisplayName"));
            self.name = name.map(|n| (n.text().to_string(), id, n.text_span()));
        }
        self.domain = self
            .domain
            .take()
            .or_else(|| text("GPODomain"))
            .or_else(|| text("Domain"));
        self.options = self
            .options
            .or_else(|| text("Options").and_then(|o| o.parse().ok()));
        self.backup_time = self.backup_time.take().or_else(|| text("BackupTime"));
        let half = |name: &str| {
            text(name)?
                .trim()
                .parse()
                .ok()
                .map(GpoVersion::half_of_backup)
        };
        if let (None, Some(computer), Some(user)) = (
            self.version,
            half("MachineVersionNumber"),
            half("UserVersionNumber"),
        ) {
            self.version = Some(GpoVersion { computer, user });
        }
        let wmi = holder
            .child(ns, "WMIFilter")
            .filter(|w| !w.text().is_empty());
        if let Some(wmi) = wmi {
            self.wmi_filter = Some(WmiFilterRef {
                name: wmi.text().to_string(),
                query: None,
                span: wmi.text_span(),
            });
        }
    }

    /// The policy when the backup has no report.
    fn policy(&self, dir: &Path, model: &mut Model) -> Policy {
        let named = self.name.as_ref().map(|(_, id, _)| *id);
        let source = named.or(self.source).unwrap_or_else(|| {
            let text = format!("{}\n", dir.display());
            model.sources.add(SourceFile::from_text(
                dir,
                text,
                crate::source::Encoding::Utf8,
            ))
        });
        let (name, name_span) = match &self.name {
            Some((name, _, span)) => (name.clone(), *span),
            None => (
                registry_pol::gpo_folder_name(&dir.join("x")),
                Span::default(),
            ),
        };
        let options = self.options.unwrap_or(0);
        let file_len = model.sources.get(source).len();
        Policy {
            id: self.guid.clone(),
            name,
            kind: PolicyKind::Gpo,
            source,
            span: Span::new(0, file_len),
            name_span,
            settings: Vec::new(),
            assignments: Vec::new(),
            assignments_exported: false,
            gpo: Some(Box::new(GpoInfo {
                guid: self.guid.clone().unwrap_or_default(),
                domain: self.domain.clone(),
                computer_enabled: options & 2 == 0,
                user_enabled: options & 1 == 0,
                security_filter: Vec::new(),
                wmi_filter: self.wmi_filter.clone(),
                principals: Vec::new(),
                from_files: true,
                exported_at: None,
                other_copies: Vec::new(),
                version: self.version,
            })),
        }
    }
}

/// `{8-4-4-4-12 hex digits}`, as SYSVOL names a GPO's folder.
fn is_braced_guid(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) else {
        return false;
    };
    let groups: Vec<&str> = inner.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `name=value` lines of an INI text, values trimmed, with each value's span (section
/// headers and other lines are skipped).
fn ini_entries(text: &str) -> Vec<(&str, &str, Span)> {
    let mut entries = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if let Some((name, rest)) = line.split_once('=') {
            let value = rest.trim();
            let start = line_start + name.len() + 1 + (rest.len() - rest.trim_start().len());
            entries.push((name.trim(), value, Span::new(start, start + value.len())));
        }
        line_start += line.len();
    }
    entries
}

// ---- raw files ----

/// The settings of a GPO's raw files, below its template folder ([`template_root`]).
fn raw_settings(
    dir: &Path,
    gpo: &str,
    model: &mut Model,
    catalog: &Catalog,
    reading: &Reading,
) -> Vec<Setting> {
    let mut out = Vec::new();
    let Some(template) = template_root(dir) else {
        return out;
    };
    for half in [Half::Computer, Half::User] {
        let folder = match half {
            Half::Computer => "Machine",
            Half::User => "User",
        };
        let Some(root) = find_ci(&template, &[folder]) else {
            continue;
        };
        if let Some(path) = find_ci(&root, &["registry.pol"]) {
            raw_registry_pol(&path, half.hive(), model, reading, catalog, &mut out);
        }
        if let Some(path) = find_ci(
            &root,
            &["microsoft", "windows nt", "SecEdit", "GptTmpl.inf"],
        ) {
            raw_template(&path, gpo, model, reading, catalog, &mut out);
        }
        if let Some(path) = find_ci(&root, &["microsoft", "windows nt", "Audit", "audit.csv"]) {
            raw_audit(&path, model, reading, catalog, &mut out);
        }
        if let Some(preferences) = find_ci(&root, &["Preferences"]) {
            raw_preferences(&preferences, half, model, reading, catalog, &mut out);
        }
    }
    out
}

/// The folder that holds a GPO's `Machine` and `User` folders: a GPMC backup's
/// `DomainSysvol/GPO`, or the folder itself when it is a Group Policy template (a domain GPO's
/// `{GUID}` folder in SYSVOL, a machine's local `GroupPolicy` folder: `GPT.INI` beside them).
fn template_root(dir: &Path) -> Option<PathBuf> {
    find_ci(dir, &["DomainSysvol", "GPO"])
        .or_else(|| find_ci(dir, &["GPT.INI"]).map(|_| dir.into()))
}

fn raw_registry_pol(
    path: &Path,
    hive: Hive,
    model: &mut Model,
    reading: &Reading,
    catalog: &Catalog,
    out: &mut Vec<Setting>,
) {
    if reading.skips(path) {
        return;
    }
    match crate::ingest::read_bytes_within(path, reading.max_file_size) {
        Ok(bytes) => {
            let read = registry_pol::read(path, &bytes, hive, model, catalog);
            out.extend(read.settings);
            model.errors.extend(read.errors);
        }
        Err(e) => model.errors.push(e),
    }
}

fn raw_template(
    path: &Path,
    gpo: &str,
    model: &mut Model,
    reading: &Reading,
    catalog: &Catalog,
    out: &mut Vec<Setting>,
) {
    let Some(id) = read_into(path, model, reading) else {
        return;
    };
    let parsed = security_template::read(id, model.sources.get(id), Some(gpo), catalog);
    model.errors.extend(parsed.errors);
    out.extend(parsed.policies.into_iter().flat_map(|p| p.settings));
}

/// Group Policy Preferences: one folder per extension (`Registry/Registry.xml`,
/// `Groups/Groups.xml`, `ScheduledTasks/ScheduledTasks.xml`...), each file read once. Registry
/// items, and the computer's local groups, become settings as the report's do; every file is
/// searched for stored passwords ([`crate::ingest::gpp_passwords`]).
fn raw_preferences(
    preferences: &Path,
    half: Half,
    model: &mut Model,
    reading: &Reading,
    catalog: &Catalog,
    out: &mut Vec<Setting>,
) {
    for (extension, path) in preference_files(preferences) {
        let Some(id) = read_into(&path, model, reading) else {
            continue;
        };
        let Some(root) = parse_xml(id, model) else {
            continue;
        };
        match extension.to_ascii_lowercase().as_str() {
            "registry" => gpo_report::gpp_registry(catalog, half, &root, Some(id), out),
            "groups" if half == Half::Computer => {
                crate::ingest::gpp_local_groups::read(&root, Some(id), out)
            }
            _ => {}
        }
        crate::ingest::gpp_passwords::read(&root, Some(id), out);
    }
}

/// The XML files of a `Preferences` folder's extension folders, with their folder's name, in
/// name order (so that settings come in the same order on every system).
fn preference_files(preferences: &Path) -> Vec<(String, PathBuf)> {
    // The entries of a folder in name order; a symbolic link only where it stays inside.
    let listed = |dir: &Path| {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|listing| {
                listing
                    .filter_map(Result::ok)
                    .filter(|e| {
                        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
                        !is_link || stays_inside(preferences, &e.path())
                    })
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        entries
    };
    let mut files = Vec::new();
    for folder in listed(preferences).into_iter().filter(|p| p.is_dir()) {
        let extension = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for file in listed(&folder) {
            let is_xml = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
            if is_xml && file.is_file() {
                files.push((extension.clone(), file));
            }
        }
    }
    files
}

/// The tree of an XML source; a syntax error is an input error (the part read is returned).
fn parse_xml(id: SourceId, model: &mut Model) -> Option<xml::Element> {
    let file = model.sources.get(id);
    let (root, damage) = xml::parse(file.text());
    if let Some(d) = damage {
        let at = Span::new(d.offset, d.offset);
        let error = input_error(id, file, at, format!("malformed XML: {}", d.message));
        model.errors.push(error);
    }
    root
}

/// `audit.csv`: `Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,
/// Exclusion Setting,Setting Value`.
fn raw_audit(
    path: &Path,
    model: &mut Model,
    reading: &Reading,
    catalog: &Catalog,
    out: &mut Vec<Setting>,
) {
    let Some(id) = read_into(path, model, reading) else {
        return;
    };
    let file = model.sources.get(id);
    let (settings, errors) = audit_csv(id, file, catalog);
    out.extend(settings);
    model.errors.extend(errors);
}

/// Settings and malformed-line errors of an `audit.csv`.
pub fn audit_csv(
    id: SourceId,
    file: &SourceFile,
    catalog: &Catalog,
) -> (Vec<Setting>, Vec<InputError>) {
    let mut settings = Vec::new();
    let mut errors = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut offset = 0;
    for line in file.text().split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\r', '\n']);
        if content.trim().is_empty() {
            continue;
        }
        let fields = csv_fields(content, start);
        let Some(columns) = &header else {
            header = Some(fields.iter().map(|(t, _)| t.to_ascii_lowercase()).collect());
            continue;
        };
        match audit_row(catalog, columns, &fields, id) {
            Ok(setting) => settings.extend(setting),
            Err(message) => {
                let span = Span::new(start, start + content.len());
                errors.push(input_error(id, file, span, message));
            }
        }
    }
    (settings, errors)
}

/// The setting of one audit.csv row (None for a row without subcategory GUID or name).
fn audit_row(
    catalog: &Catalog,
    columns: &[String],
    fields: &[(String, Span)],
    id: SourceId,
) -> Result<Option<Setting>, &'static str> {
    let get = |name: &str| {
        columns
            .iter()
            .position(|h| h == name)
            .and_then(|i| fields.get(i))
    };
    let (Some(name), Some(value)) = (get("subcategory"), get("setting value")) else {
        return Err("malformed audit.csv line: missing the Subcategory or Setting Value column");
    };
    let guid = get("subcategory guid").map_or("", |(t, _)| t.as_str());
    let Some((key, def)) = audit_key(catalog, guid, &name.0) else {
        return Ok(None);
    };
    let value_norm = registry_pol::normalise(catalog, def, gpo_report::scalar(&value.0));
    Ok(Some(Setting {
        key: key.into(),
        raw_name: name.0.clone().into(),
        value_label: registry_pol::label(catalog, def, &value_norm).map(crate::model::Name::from),
        value: value_norm,
        span: value.1,
        name_span: name.1,
        file: Some(id),
    }))
}

/// Comma-separated fields with their spans (double quotes around a field removed).
fn csv_fields(line: &str, base: usize) -> Vec<(String, Span)> {
    let mut fields = Vec::new();
    let mut from = 0;
    let mut quoted = false;
    let mut push = |from: usize, to: usize| {
        let raw = &line[from..to];
        let lead = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        let (text, start) = match trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => (inner, base + from + lead + 1),
            None => (trimmed, base + from + lead),
        };
        fields.push((text.to_string(), Span::new(start, start + text.len())));
    };
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                push(from, i);
                from = i + 1;
            }
            _ => {}
        }
    }
    push(from, line.len());
    fields
}

/// A path below `base` whose components match `parts` in any letter case. A symbolic link
/// that leads out of `base` is not followed (a backup in a pull request could point one at
/// any file of the machine that lints it); only a path through a link is resolved to see where
/// it leads (resolving every path cost a SYSVOL copy of 2,000 GPOs 100k system calls).
pub fn find_ci(base: &Path, parts: &[&str]) -> Option<PathBuf> {
    let mut through_link = false;
    let found = parts.iter().try_fold(base.to_path_buf(), |dir, part| {
        let (child, is_link) = child_ci(&dir, part)?;
        through_link |= is_link;
        Some(child)
    })?;
    (!through_link || stays_inside(base, &found)).then_some(found)
}

/// The entry of `dir` named `name` in any letter case, and whether it is a symbolic link.
fn child_ci(dir: &Path, name: &str) -> Option<(PathBuf, bool)> {
    let exact = dir.join(name);
    if let Ok(meta) = std::fs::symlink_metadata(&exact) {
        return Some((exact, meta.file_type().is_symlink()));
    }
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_symlink())))
}

/// True when `path`, its links resolved, is below `base`'s real location.
fn stays_inside(base: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(base), std::fs::canonicalize(path)) {
        (Ok(base), Ok(path)) => path.starts_with(base),
        _ => false,
    }
}

// ---- report vs raw ----

/// How the settings `gpreport.xml` reports compare with those read from the raw files.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    /// Same key, same value.
    pub matched: usize,
    /// Same key, different value: (key, report value, raw value).
    pub differ: Vec<(String, Value, Value)>,
    /// Keys the report has and the raw files do not.
    pub only_in_report: Vec<String>,
    /// Keys the raw files have and the report does not.
    pub only_in_raw: Vec<String>,
    /// Report settings whose keys cannot name a raw value: ADMX policies the catalog cannot map
    /// to a registry value (`admx:` keys) and extension views (`gpo:` keys, such as the
    /// firewall and certificate views of registry.pol content).
    pub not_comparable: usize,
}

impl Agreement {
    /// Report settings that were compared.
    pub fn compared(&self) -> usize {
        self.matched + self.differ.len() + self.only_in_report.len()
    }
}

/// Compare a backup's `gpreport.xml` with its raw files (read into a scratch model). None when
/// the folder has no report. The second value is every input error met.
pub fn agreement(dir: &Path, catalog: &Catalog) -> Option<(Agreement, Vec<InputError>)> {
    let mut model = Model::default();
    let reading = Reading::within(crate::ingest::MAX_FILE_SIZE);
    let loaded = load(dir, &mut model, catalog, &reading);
    find_ci(dir, &["gpreport.xml"])?;
    Some((
        compare(&loaded.report_settings, &loaded.raw_settings),
        model.errors,
    ))
}

/// Match report settings to raw settings by key, then by value.
pub fn compare(report: &[Setting], raw: &[Setting]) -> Agreement {
    let mut agreement = Agreement::default();
    let mut unused: Vec<Option<&Setting>> = raw.iter().map(Some).collect();
    for setting in report {
        if !comparable(setting) {
            agreement.not_comparable += 1;
            continue;
        }
        let same_key = unused
            .iter()
            .position(|r| r.is_some_and(|r| same_setting(r, setting)));
        match same_key {
            None => agreement.only_in_report.push(setting.key.to_string()),
            Some(i) => {
                let raw_setting = unused[i].take().unwrap_or(setting);
                if same_value(&setting.value, &raw_setting.value) {
                    agreement.matched += 1;
                } else {
                    agreement.differ.push((
                        setting.key.to_string(),
                        setting.value.clone(),
                        raw_setting.value.clone(),
                    ));
                }
            }
        }
    }
    agreement.only_in_raw = unused
        .into_iter()
        .flatten()
        .map(|s| s.key.to_string())
        .collect();
    agreement
}

/// The same key; for stored passwords, of which a GPO may hold many, the same item (its uid).
fn same_setting(a: &Setting, b: &Setting) -> bool {
    a.key == b.key && (a.key != crate::ingest::gpp_passwords::KEY || a.raw_name == b.raw_name)
}

/// False for report settings whose key cannot name a raw value: `admx:` and `gpo:` keys, and
/// ADMX policies keyed by their OMA-URI (no policy-level registry value).
fn comparable(setting: &Setting) -> bool {
    let key = setting.key.to_ascii_lowercase();
    let registry = key.starts_with("hk");
    !(key.starts_with("admx:")
        || key.starts_with("gpo:")
        || (setting.raw_name.starts_with("admx:") && !registry))
}

/// Equal values, numbers compared by value, lists in any order; a deleted raw value (`**del.`)
/// matches a report value 0, since the catalog records an ADMX "delete" off-state as 0.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::NotConfigured, other) | (other, Value::NotConfigured) => {
            *other == Value::NotConfigured || other.as_int() == Some(0)
        }
        (Value::List(x), Value::List(y)) => {
            let sorted = |v: &[Value]| {
                let mut t: Vec<String> = v.iter().map(|i| i.to_string().to_lowercase()).collect();
                t.sort();
                t
            };
            sorted(x) == sorted(y)
        }
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => a == b || a.as_int().is_some_and(|i| Some(i) == b.as_int()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Encoding;
    use crate::testing::copy_dir;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gpo");
    const BACKUP: &str = "backup/{7A1B2C3D-0000-4000-8000-000000000001}";

    fn read_dir(dir: &Path) -> Model {
        let mut model = Model::default();
        read_backup(dir, &mut model, Catalog::builtin());
        model
    }

    fn key_of(alias: &str) -> String {
        Catalog::builtin()
            .resolve(alias)
            .map_or_else(|| alias.to_string(), |d| d.setting_key().to_string())
    }

    /// Each copy says its version as it can: a backup's `Backup.xml` (the directory's and
    /// SYSVOL's counts of a half in one number), a SYSVOL folder's `GPT.INI` (user count high,
    /// computer count low), a report's `VersionSysvol`.
    #[test]
    fn every_kind_of_copy_says_its_version() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let version = |model: &Model| model.policies[0].gpo.as_ref().unwrap().version;
        let legacy = root.join(
            "examples/contoso/gpo/Domain - Legacy baseline/{5B2C8D14-3E7F-4A1B-9C6D-2E8F0A4B7C21}",
        );
        let three = Some(GpoVersion {
            computer: 3,
            user: 0,
        });
        assert_eq!(version(&read_dir(&legacy)), three);
        let report = read_report_file(&legacy.join("gpreport.xml"));
        assert_eq!(version(&report), three);
        let sysvol = root.join(
            "tests/fixtures/gpo-copies/sysvol/Policies/{1E2F3A4B-5C6D-4E7F-8A9B-0C1D2E3F4A51}",
        );
        let copy =
            std::env::temp_dir().join(format!("baselint-gpt-version-{}", std::process::id()));
        copy_dir(&sysvol, &copy);
        // 7 edits of the user half, 4 of the computer half.
        let ini = "[General]\r\nVersion=458756\r\ndisplayName=New Group Policy Object\r\n";
        std::fs::write(copy.join("GPT.INI"), ini).unwrap();
        let model = read_dir(&copy);
        std::fs::remove_dir_all(&copy).unwrap();
        assert_eq!(
            version(&model),
            Some(GpoVersion {
                computer: 4,
                user: 7
            })
        );
        // A backup whose directory and SYSVOL counts differ (not replicated yet): the higher.
        assert_eq!(GpoVersion::half_of_backup(0x0005_0004), 5);
        assert_eq!(GpoVersion::half_of_backup(0x0004_0006), 6);
    }

    fn read_report_file(report: &Path) -> Model {
        let mut model = Model::default();
        crate::ingest::load_file(report, true, &mut model, Catalog::builtin());
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        model
    }

    #[test]
    fn backup_reads_identity_from_the_report_and_settings_from_raw_files() {
        let model = read_dir(&Path::new(FIXTURES).join(BACKUP));
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        assert_eq!(model.policies.len(), 1);
        let policy = &model.policies[0];
        assert_eq!(
            policy.id.as_deref(),
            Some("{5E6F7A8B-1111-4222-8333-444455556666}")
        );
        assert_eq!(policy.name, "Contoso Workstations & Kiosks");
        assert!(
            model
                .sources
                .get(policy.source)
                .path
                .ends_with("gpreport.xml")
        );
        let gpo = policy.gpo.as_ref().unwrap();
        assert!(gpo.computer_enabled && !gpo.user_enabled);
        assert_eq!(gpo.security_filter.len(), 1);
        assert_eq!(policy.assignments.len(), 2);

        let get = |alias: &str| {
            let key = key_of(alias);
            policy
                .settings
                .iter()
                .find(|s| s.key == key)
                .unwrap_or_else(|| panic!("no {key}"))
        };
        let file_of = |s: &Setting| model.sources.get(policy.value_location(s).file);
        let pku2u = get("pku2u_allow_online_id");
        assert_eq!(pku2u.value, Value::Int(0));
        let inf = file_of(pku2u);
        assert!(inf.path.ends_with("GptTmpl.inf"));
        assert_eq!(inf.slice(pku2u.span), "0");
        assert_eq!(inf.line_col(pku2u.span.start as usize), (16, 68));
        let latfp = get(
            r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy",
        );
        assert_eq!(
            file_of(latfp).encoding,
            crate::source::Encoding::BinaryListing
        );
        assert_eq!(
            file_of(latfp).slice(latfp.name_span),
            "LocalAccountTokenFilterPolicy"
        );
        let audit = get("{0cce923f-69ae-11d9-bed3-505054503030}");
        assert!(file_of(audit).path.ends_with("audit.csv"));
        let gpp = get(r"hklm\software\contoso\agent\mode");
        assert!(file_of(gpp).path.ends_with("Registry.xml"));
        assert_eq!(file_of(gpp).slice(gpp.span), "00000002");
        assert!(
            policy
                .settings
                .iter()
                .all(|s| s.key != r"hklm\software\contoso\agent\old"),
            "disabled GPP item"
        );
        let user = get(
            r"HKCU\SOFTWARE\Policies\Microsoft\Windows\PowerShell\ScriptBlockLogging\EnableScriptBlockLogging",
        );
        assert_eq!(user.value, Value::NotConfigured);
        // Raw settings carry their file; report-only extensions are kept from the report.
        let script = get("gpo:computer/scripts/script/command");
        assert_eq!(script.file, None);
        assert!(
            policy
                .settings
                .iter()
                .filter(|s| !s.key.starts_with("gpo:"))
                .all(|s| s.file.is_some())
        );
    }

    #[test]
    fn fixture_backup_agrees_with_its_report() {
        let (agreement, errors) =
            agreement(&Path::new(FIXTURES).join(BACKUP), Catalog::builtin()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(agreement.differ.is_empty(), "{:?}", agreement.differ);
        assert!(
            agreement.only_in_report.is_empty(),
            "{:?}",
            agreement.only_in_report
        );
        assert_eq!(agreement.matched, 15, "{agreement:?}");
        assert_eq!(
            agreement.only_in_raw,
            vec![
                r"hklm\software\policies\contoso\agent\mode".to_string(),
                r"hklm\software\policies\contoso\agent\banner".to_string()
            ]
        );
    }

    #[test]
    fn without_a_report_identity_comes_from_the_metadata() {
        let dir = std::env::temp_dir().join(format!("baselint-gpo-backup-{}", std::process::id()));
        copy_dir(&Path::new(FIXTURES).join(BACKUP), &dir);
        std::fs::remove_file(dir.join("gpreport.xml")).unwrap();
        let model = read_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        let policy = &model.policies[0];
        assert_eq!(
            policy.id.as_deref(),
            Some("{5E6F7A8B-1111-4222-8333-444455556666}")
        );
        assert_eq!(policy.name, "Contoso Workstations & Kiosks");
        assert_eq!(
            model.sources.get(policy.source).slice(policy.name_span),
            "Contoso Workstations & Kiosks"
        );
        let gpo = policy.gpo.as_ref().unwrap();
        assert!(gpo.computer_enabled && !gpo.user_enabled, "Options = 1");
        assert!(!policy.assignments_exported);
        assert!(
            policy
                .settings
                .iter()
                .any(|s| s.key == key_of("pku2u_allow_online_id"))
        );
    }

    const PASSWORDS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/rules/gpp-password-stored"
    );

    fn load_folders(paths: &[PathBuf]) -> (Vec<crate::ingest::Unit>, Model) {
        let (units, errors) = crate::ingest::collect_files(paths);
        assert!(errors.is_empty(), "{errors:?}");
        let mut model = Model::default();
        crate::ingest::load(&units, &mut model, Catalog::builtin());
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        (units, model)
    }

    /// The stored passwords of a model: (policy, item, the bytes at the span, file name).
    fn stored_passwords(model: &Model) -> Vec<(String, String, String, String)> {
        let mut found = Vec::new();
        for policy in &model.policies {
            let stored = (policy.settings.iter()).filter(|s| *s.key == *gpp_passwords_key());
            for setting in stored {
                let file = model.sources.get(policy.value_location(setting).file);
                found.push((
                    policy.name.clone(),
                    match &setting.value {
                        Value::Str(item) => item.clone(),
                        other => panic!("{other:?}"),
                    },
                    file.slice(setting.span).to_string(),
                    file.path
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                ));
            }
        }
        found.sort();
        found
    }

    fn gpp_passwords_key() -> &'static str {
        crate::ingest::gpp_passwords::KEY
    }

    /// A SYSVOL `Policies` folder: each `{GUID}` folder with a `GPT.INI` is one GPO, its GUID
    /// the folder's name, named by `GPT.INI` unless that holds GPMC's name for a new GPO, its
    /// links unknown; its raw files are read as a backup's, and every preference file of either
    /// half is searched for stored passwords (an empty `cpassword` stores none).
    #[test]
    fn sysvol_policy_folders_read_as_gpos() {
        let (units, model) = load_folders(&[
            Path::new(PASSWORDS).join("fires/sysvol"),
            Path::new(PASSWORDS).join("clean/sysvol"),
        ]);
        assert!(
            units
                .iter()
                .all(|u| matches!(u, crate::ingest::Unit::GpoFolder(..))),
            "{units:?}"
        );
        let [default_named, named] = &model.policies[..] else {
            panic!("{:?}", model.policies);
        };
        assert_eq!(
            default_named.name, "{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}",
            "GPMC's name for a new GPO is no name"
        );
        assert_eq!(default_named.id, Some(default_named.name.clone()));
        assert_eq!(named.name, "Servers - Contoso agent");
        assert_eq!(
            named.id.as_deref(),
            Some("{3F8E6A2C-1B5D-4E70-9A4C-6D2B8E1F0A35}")
        );
        let gpt_ini = model.sources.get(named.source);
        assert!(gpt_ini.path.ends_with("GPT.INI"));
        assert_eq!(gpt_ini.slice(named.name_span), "Servers - Contoso agent");
        assert!(!named.assignments_exported && !default_named.assignments_exported);
        let pku2u = (named.settings.iter())
            .find(|s| s.key == key_of("pku2u_allow_online_id"))
            .unwrap();
        assert_eq!(pku2u.value, Value::Int(1));
        assert_eq!(
            stored_passwords(&model),
            [
                (
                    default_named.name.clone(),
                    r#"mapped drive "H:""#.to_string(),
                    "Mp5Rt2Wq9Xz4Cv7Bn1Hj6Kl3Gf8Ds0Ae5Uy2Ti9Ro4".to_string(),
                    "Drives.xml".to_string()
                ),
                (
                    default_named.name.clone(),
                    r#"scheduled task "Nightly backup""#.to_string(),
                    "Zr4Tq8Wm1Yx6Np3Hk9Lc2Vb7Js5Df0Ga4Eu8Io1Pw6".to_string(),
                    "ScheduledTasks.xml".to_string()
                ),
            ]
        );
    }

    /// A symbolic link inside a GPO folder that leads out of the folder it stands in is not
    /// followed: a folder in a pull request could point one at any file of the machine.
    #[cfg(unix)]
    #[test]
    fn symlinks_leading_out_of_a_gpo_folder_are_not_followed() {
        let root = std::env::temp_dir().join(format!("baselint-gpo-links-{}", std::process::id()));
        let gpo = root.join("sysvol/{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}");
        copy_dir(
            &Path::new(PASSWORDS)
                .join("fires/sysvol/Policies/{9D4C2B1A-7E6F-4A3B-8C2D-1E0F9A8B7C6D}"),
            &gpo,
        );
        let outside = root.join("outside");
        std::fs::create_dir_all(outside.join("Preferences/Services")).unwrap();
        std::fs::write(
            outside.join("Preferences/Services/Services.xml"),
            r#"<NTServices><NTService name="x" uid="{1}"><Properties cpassword="AAAA"/></NTService></NTServices>"#,
        )
        .unwrap();
        let link =
            |target: &Path, at: &str| std::os::unix::fs::symlink(target, gpo.join(at)).unwrap();
        // An extension folder, a file of one, and a half, each leading out.
        link(
            &outside.join("Preferences/Services"),
            "Machine/Preferences/Services",
        );
        link(
            &outside.join("Preferences/Services/Services.xml"),
            "Machine/Preferences/DataSources/Services.xml",
        );
        link(&outside, "User/Preferences/Printers");
        std::fs::rename(gpo.join("User"), root.join("user-outside")).unwrap();
        link(&root.join("user-outside"), "User");
        let (_, model) = load_folders(&[root.join("sysvol")]);
        std::fs::remove_dir_all(&root).unwrap();
        let found: Vec<String> = (stored_passwords(&model).into_iter())
            .map(|(_, item, _, _)| item)
            .collect();
        assert_eq!(found, [r#"scheduled task "Nightly backup""#]);
    }

    /// The size limit (`--max-file-size`) holds inside a GPO folder: each file over it is an
    /// input error naming it, and the folder's other files are read.
    #[test]
    fn files_of_a_folder_over_the_size_limit_are_refused() {
        let mut model = Model::default();
        read_backup_within(
            &Path::new(FIXTURES).join(BACKUP),
            &mut model,
            Catalog::builtin(),
            900,
        );
        let mut refused: Vec<String> = (model.errors.iter())
            .map(|e| {
                assert!(e.message.contains("900"), "{e:?}");
                let name = Path::new(&e.path).file_name().unwrap().to_string_lossy();
                name.to_lowercase()
            })
            .collect();
        refused.sort();
        // (Names in lower case: on Windows, a name found as asked keeps the case asked for.)
        assert_eq!(refused, ["gpreport.xml", "gpttmpl.inf", "registry.pol"]);
        let policy = &model.policies[0];
        assert_eq!(
            policy.name, "Contoso Workstations & Kiosks",
            "from Backup.xml"
        );
        let file_names: std::collections::BTreeSet<String> = (policy.settings.iter())
            .map(|s| {
                let file = model.sources.get(policy.value_location(s).file);
                let name = file.path.file_name().unwrap().to_string_lossy();
                name.to_lowercase()
            })
            .collect();
        assert_eq!(
            file_names.into_iter().collect::<Vec<_>>(),
            ["audit.csv", "registry.pol", "registry.xml"]
        );
    }

    #[test]
    fn real_backup_from_a_manifest_folder_loads() {
        let (units, errors) =
            crate::ingest::collect_files(&[Path::new(FIXTURES).join("troennes/BasicSecDomain")]);
        assert!(errors.is_empty());
        let mut model = Model::default();
        crate::ingest::load(&units, &mut model, Catalog::builtin());
        assert!(model.errors.is_empty(), "{:?}", model.errors);
        assert_eq!(model.policies.len(), 1);
        assert_eq!(
            model.policies[0].name,
            "Basic - MSFT Windows 10 21H2 - Domain Security"
        );
        assert_eq!(model.policies[0].settings.len(), 5);
    }

    #[test]
    fn audit_csv_rows_become_settings() {
        let text = "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting,Setting Value\r\n,System,Audit Credential Validation,{0cce923f-69ae-11d9-bed3-505054503030},Success and Failure,,3\r\n,System,Audit Made Up,{11111111-2222-3333-4444-555555555555},Success,,1\r\n,System\r\n";
        let file = SourceFile::from_text(Path::new("audit.csv"), text.into(), Encoding::Utf8);
        let (settings, errors) = audit_csv(SourceId(0), &file, Catalog::builtin());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(4));
        let credential = Catalog::builtin()
            .resolve("{0cce923f-69ae-11d9-bed3-505054503030}")
            .unwrap();
        assert_eq!(settings[0].key, credential.key);
        assert_eq!(settings[0].value, Value::Int(3));
        assert_eq!(file.slice(settings[0].span), "3");
        assert_eq!(
            file.slice(settings[0].name_span),
            "Audit Credential Validation"
        );
        assert_eq!(
            settings[1].key,
            "audit:11111111-2222-3333-4444-555555555555"
        );
    }

    #[test]
    fn compare_counts_matches_differences_and_leftovers() {
        let s = |key: &str, value: Value| Setting {
            key: key.into(),
            raw_name: key.into(),
            value,
            value_label: None,
            span: Span::default(),
            name_span: Span::default(),
            file: None,
        };
        let report = vec![
            s("a", Value::Int(1)),
            s("b", Value::Int(2)),
            s("c", Value::Int(3)),
            s("admx:computer/x/y", Value::Int(1)),
            s(
                "l",
                Value::List(vec![Value::Str("B".into()), Value::Str("a".into())]),
            ),
        ];
        let raw = vec![
            s("a", Value::Int(1)),
            s("b", Value::Int(5)),
            s("d", Value::Int(4)),
            s(
                "l",
                Value::List(vec![Value::Str("a".into()), Value::Str("B".into())]),
            ),
        ];
        let agreement = compare(&report, &raw);
        assert_eq!(agreement.matched, 2);
        assert_eq!(agreement.differ.len(), 1);
        assert_eq!(agreement.only_in_report, vec!["c".to_string()]);
        assert_eq!(agreement.only_in_raw, vec!["d".to_string()]);
        assert_eq!(agreement.not_comparable, 1);
        assert_eq!(agreement.compared(), 4);
    }

    /// Stored passwords, of which a GPO may hold many under one key, are matched item by item
    /// (their uid), whatever order the report and the files list them in.
    #[test]
    fn stored_passwords_are_compared_item_by_item() {
        let stored = |uid: &str, item: &str| Setting {
            key: crate::ingest::gpp_passwords::KEY.into(),
            raw_name: uid.into(),
            value: Value::Str(item.to_string()),
            value_label: None,
            span: Span::default(),
            name_span: Span::default(),
            file: None,
        };
        let report = [
            stored("{1}", r#"local user "Administrator""#),
            stored("{2}", r#"scheduled task "Nightly backup""#),
        ];
        let raw = [report[1].clone(), report[0].clone()];
        let agreement = compare(&report, &raw);
        assert_eq!(agreement.matched, 2, "{agreement:?}");
        assert!(agreement.differ.is_empty(), "{agreement:?}");
    }

    #[test]
    fn report_only_keys_are_the_uncovered_extensions() {
        assert!(report_only("gpo:computer/files/file[1]/path"));
        assert!(!report_only(
            "gpo:computer/windowsfirewall/domainprofile/enablefirewall/value"
        ));
        assert!(!report_only(r"HKLM\SOFTWARE\x"));
    }
}
