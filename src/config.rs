//! `baselint.toml`: inventory, rule selection and severities (and, later, baselines and
//! exceptions). Parsed with spans so every problem is a positioned diagnostic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::model::{InputError, JoinType, JoinTypeSet};
use crate::rules::Severity;
use crate::source::{Location, SourceFile, SourceId, Span};

pub const FILE_NAME: &str = "baselint.toml";

/// The file as written (phase one: parse, keep spans).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    inventory: RawInventory,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    baselines: RawBaselines,
    #[serde(default)]
    exceptions: RawExceptions,
    #[serde(default)]
    limits: RawLimits,
}

// Keys of several words are kebab-case, as in Cargo.toml and ruff.toml; the snake_case
// spelling is accepted too (`expiring_within` was the documented one before).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    /// Largest file read: bytes, or a size such as "64M" or "512MiB" ([`parse_size`]).
    #[serde(default, alias = "max_file_size")]
    max_file_size: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaselines {
    /// Baseline files (TOML, XCCDF, HardeningKitty CSV) or names of shipped baselines.
    #[serde(default, rename = "use")]
    use_: Vec<Spanned<String>>,
    /// What to do when a control is configured by no policy: ignore, note or warning.
    #[serde(default)]
    missing: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExceptions {
    #[serde(default)]
    file: Option<Spanned<String>>,
    /// Days before expiry from which an exception is reported as expiring.
    #[serde(default, alias = "expiring_within")]
    expiring_within: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    ous: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    /// Join types a policy without assignments (a GPO without links) is checked as reaching.
    #[serde(default)]
    unassigned: Option<Spanned<Vec<Spanned<String>>>>,
    /// OUs with Block Inheritance set (GPO exports do not say which).
    #[serde(default, rename = "block-inheritance")]
    block_inheritance: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    select: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Folders of extra rule files, relative to the config file.
    #[serde(default)]
    paths: Vec<Spanned<String>>,
}

/// A declared join-type entry (a group or an OU) with where it was declared.
#[derive(Clone, Debug)]
pub struct InventoryEntry {
    pub join_types: JoinTypeSet,
    pub location: Location,
}

/// Join types the user declared for things exports cannot tell (static groups, OUs).
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// By lower-cased group id or display name (looked up once per assignment).
    pub groups: foldhash::HashMap<String, InventoryEntry>,
    /// By OU as written (distinguished name or canonical path).
    pub ous: BTreeMap<String, InventoryEntry>,
    /// `unassigned`: the join types a policy with no assignment (a GPO with no enabled link) is
    /// checked as reaching, for a review before it is deployed; None = it reaches nothing.
    pub unassigned: Option<JoinTypeSet>,
    /// `block-inheritance`: OUs that block the GPO links of the OUs above them (not enforced
    /// ones), as canonical paths ([`canonical_ou`]).
    pub block_inheritance: Vec<String>,
}

impl Inventory {
    pub fn group(&self, id_or_name: &str) -> Option<&InventoryEntry> {
        crate::model::get_lowercase_keyed(&self.groups, id_or_name)
    }

    /// The most specific `[inventory.ous]` entry covering an OU, given as a distinguished name
    /// or as a canonical path (`contoso.com/Computers/Hybrid`).
    pub fn ou(&self, ou: &str) -> Option<&InventoryEntry> {
        let wanted = canonical_ou(ou);
        self.ous
            .iter()
            .map(|(key, entry)| (canonical_ou(key), entry))
            .filter(|(key, _)| wanted == *key || wanted.starts_with(&format!("{key}/")))
            .max_by_key(|(key, _)| key.len())
            .map(|(_, entry)| entry)
    }

    /// The join types of the computers a GPO linked at `ou` reaches: those of the entry covering
    /// the OU and of every entry below it, since child OUs inherit the link, except below an OU
    /// declared in `block-inheritance` when the link is not enforced. None when no entry covers
    /// the OU.
    pub fn ou_subtree(&self, ou: &str, enforced: bool) -> Option<JoinTypeSet> {
        let covering = self.ou(ou)?;
        let linked = canonical_ou(ou);
        let below = self
            .ous
            .iter()
            .map(|(key, entry)| (canonical_ou(key), entry))
            .filter(|(key, _)| is_below(key, &linked))
            .filter(|(key, _)| enforced || !self.blocked_between(&linked, key))
            .map(|(_, entry)| entry.join_types);
        Some(below.fold(covering.join_types, JoinTypeSet::union))
    }

    /// True when an OU below the canonical `linked` OU blocks inheritance: a link there that is
    /// not enforced does not reach every computer of the subtree.
    pub fn blocks_below(&self, linked: &str) -> bool {
        let linked = canonical_ou(linked);
        self.block_inheritance.iter().any(|b| is_below(b, &linked))
    }

    /// True when `ou` (canonical) is, or is below, an OU that blocks inheritance and is itself
    /// below the canonical `linked` OU.
    pub(crate) fn blocked_between(&self, linked: &str, ou: &str) -> bool {
        self.block_inheritance
            .iter()
            .any(|b| is_below(b, linked) && (ou == b || is_below(ou, b)))
    }
}

/// True when the canonical OU `ou` is strictly below the canonical OU `above`.
fn is_below(ou: &str, above: &str) -> bool {
    ou.strip_prefix(above)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// `OU=Hybrid,OU=Computers,DC=contoso,DC=com` and `contoso.com/Computers/Hybrid` both become
/// `contoso.com/computers/hybrid` (AD names are case-insensitive).
pub fn canonical_ou(ou: &str) -> String {
    let ou = ou.trim().trim_end_matches('/');
    let is_dn = ou.split(',').all(|part| {
        part.trim()
            .split_once('=')
            .is_some_and(|(k, _)| ["ou", "dc", "cn"].contains(&k.trim().to_lowercase().as_str()))
    });
    if !is_dn {
        return ou.to_lowercase();
    }
    let mut domain = Vec::new();
    let mut path = Vec::new();
    for part in ou.split(',') {
        let (kind, name) = part.trim().split_once('=').unwrap_or(("", part));
        if kind.trim().eq_ignore_ascii_case("dc") {
            domain.push(name.trim().to_string());
        } else {
            path.push(name.trim().to_string());
        }
    }
    path.reverse();
    std::iter::once(domain.join("."))
        .chain(path)
        .collect::<Vec<_>>()
        .join("/")
        .to_lowercase()
}

/// A rule reference in `select`/`ignore`/`severity`, kept with its position for validation.
#[derive(Clone, Debug)]
pub struct RuleRef {
    pub id: String,
    pub location: Location,
}

/// Validated configuration (phase two).
#[derive(Debug, Default)]
pub struct Config {
    /// The config file, when one was found.
    pub path: Option<PathBuf>,
    pub source: Option<SourceId>,
    pub inventory: Inventory,
    pub select: Vec<RuleRef>,
    pub ignore: Vec<RuleRef>,
    pub severity: Vec<(RuleRef, Severity)>,
    pub rule_paths: Vec<PathBuf>,
    /// Baselines to check against: a path (relative to the config file) or a shipped name.
    pub baselines: Vec<BaselineRef>,
    /// Severity of "control configured nowhere" findings; None = not reported.
    pub missing_controls: Option<Severity>,
    pub exceptions_file: Option<PathBuf>,
    pub expiring_within: Option<i64>,
    /// `[limits] max-file-size`, in bytes.
    pub max_file_size: Option<u64>,
}

/// A `[baselines] use` entry.
#[derive(Clone, Debug)]
pub struct BaselineRef {
    pub name: String,
    /// The resolved path, or None for a shipped baseline.
    pub path: Option<PathBuf>,
    pub location: Location,
}

/// Find `baselint.toml` in `start` (a directory, or a file's directory) or its parents.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() {
        start.parent()?
    } else {
        start
    };
    // The parent of a bare file name (`policy.json`) is the empty path: the working directory.
    let start = if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    };
    let absolute = std::path::absolute(start).ok()?;
    absolute
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Parse and validate a config file; problems are returned as positioned input errors.
pub fn parse(id: SourceId, file: &SourceFile) -> (Config, Vec<InputError>) {
    parse_within(id, file, None)
}

/// Where the files a config names may be: its repository (the nearest folder above it with a
/// `.git`), else its own folder. A config found in the linted tree comes with the tree (a
/// pull request can change it), so it must not make baselint read, and quote in a report, other
/// files of the machine (`[exceptions] file = "/home/runner/.ssh/id_rsa"`).
pub fn confinement_root(config_path: &Path) -> PathBuf {
    // The config was just read, so it resolves; were it not to, its folder as written still
    // confines, and with no folder at all nothing is inside (never everything).
    let real = std::fs::canonicalize(config_path)
        .or_else(|_| std::path::absolute(config_path))
        .unwrap_or_else(|_| config_path.to_path_buf());
    let folder = real
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(&real)
        .to_path_buf();
    let repository = folder
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf);
    repository.unwrap_or(folder)
}

/// True when `path` is inside `root` (a canonical path): symbolic links resolved when the path
/// exists, `..` resolved as written when it does not.
fn is_inside(root: &Path, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(real) => real.starts_with(root),
        Err(_) => {
            let Ok(absolute) = std::path::absolute(path) else {
                return false;
            };
            let mut resolved = PathBuf::new();
            for part in absolute.components() {
                match part {
                    std::path::Component::ParentDir => {
                        resolved.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => resolved.push(other),
                }
            }
            resolved.starts_with(root)
        }
    }
}

/// Where a config's relative paths start, and the folder they must stay in (if any).
struct Place<'a> {
    base: &'a Path,
    root: Option<&'a Path>,
    id: SourceId,
    file: &'a SourceFile,
}

impl Place<'_> {
    /// The path a config entry names, or None (with a positioned error) when it leaves the
    /// root.
    fn path(&self, name: &Spanned<String>, errors: &mut Vec<InputError>) -> Option<PathBuf> {
        let path = self.base.join(name.get_ref());
        let Some(root) = self.root.filter(|root| !is_inside(root, &path)) else {
            return Some(path);
        };
        let message = format!(
            "`{}` is outside {}: a baselint.toml found in the linted tree may name only files \
             inside its repository (pass a trusted config with --config to lift this)",
            name.get_ref(),
            crate::source::without_verbatim(root).display()
        );
        let span = spanned_location(self.id, name).span;
        errors.push(error_at(self.file, self.id, Some(span), message));
        None
    }
}

/// [`parse`], and with `root`, every path the config names must be inside it (see
/// [`confinement_root`]): one that is not is a positioned error and is not used.
pub fn parse_within(
    id: SourceId,
    file: &SourceFile,
    root: Option<&Path>,
) -> (Config, Vec<InputError>) {
    let mut errors = Vec::new();
    let raw: RawConfig = match toml::from_str(file.text()) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().map(|r| Span::new(r.start, r.end));
            errors.push(error_at(file, id, span, toml_message(&e)));
            return (Config::default(), errors);
        }
    };
    let base = file.path.parent().unwrap_or(Path::new("."));
    let place = Place {
        base,
        root,
        id,
        file,
    };
    let rule_paths = raw
        .rules
        .paths
        .iter()
        .filter_map(|p| place.path(p, &mut errors))
        .collect();
    let exceptions_file = raw
        .exceptions
        .file
        .as_ref()
        .and_then(|f| place.path(f, &mut errors));
    let baselines = baseline_refs(&raw.baselines.use_, &place, &mut errors);
    let config = Config {
        path: Some(file.path.clone()),
        source: Some(id),
        inventory: Inventory {
            groups: inventory_table(&raw.inventory.groups, id, file, &mut errors, false)
                .into_iter()
                .collect(),
            ous: inventory_table(&raw.inventory.ous, id, file, &mut errors, true),
            unassigned: unassigned_join_types(
                raw.inventory.unassigned.as_ref(),
                id,
                file,
                &mut errors,
            ),
            block_inheritance: blocking_ous(
                &raw.inventory.block_inheritance,
                id,
                file,
                &mut errors,
            ),
        },
        select: rule_refs(&raw.rules.select, id),
        ignore: rule_refs(&raw.rules.ignore, id),
        severity: severities(&raw.rules.severity, id, file, &mut errors),
        rule_paths,
        baselines,
        missing_controls: missing_severity(raw.baselines.missing.as_ref(), id, file, &mut errors),
        exceptions_file,
        expiring_within: raw.exceptions.expiring_within.map(Spanned::into_inner),
        max_file_size: max_file_size(raw.limits.max_file_size.as_ref(), id, file, &mut errors),
    };
    (config, errors)
}

/// `[limits] max-file-size`: a number of bytes or a size string.
fn max_file_size(
    value: Option<&Spanned<toml::Value>>,
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
) -> Option<u64> {
    let value = value?;
    let size = match value.get_ref() {
        toml::Value::Integer(n) => u64::try_from(*n).map_err(|_| format!("`{n}` is not a size")),
        toml::Value::String(text) => parse_size(text),
        other => Err(format!(
            "expected a size (\"64M\", \"512MiB\" or bytes), found {}",
            other.type_str()
        )),
    };
    size.map_err(|message| {
        let span = spanned_location(id, value).span;
        errors.push(error_at(
            file,
            id,
            Some(span),
            format!("max-file-size: {message}"),
        ));
    })
    .ok()
}

/// A size as written on the command line or in `[limits]`: bytes (`1048576`), or a whole
/// number with a binary unit (`64K`, `64M`, `2G`, `512MiB`; K, KB and KiB all mean 1024 bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let not_a_size = || {
        format!(
            "`{text}` is not a size: write bytes or a whole number with K, M, G or T (64M, 512MiB)"
        )
    };
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number.parse().map_err(|_| not_a_size())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(not_a_size()),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A `use` entry is a shipped baseline when it names one (`entra-joined-adjustments`), else a
/// path relative to the config file.
fn baseline_refs(
    list: &[Spanned<String>],
    place: &Place,
    errors: &mut Vec<InputError>,
) -> Vec<BaselineRef> {
    let (id, file) = (place.id, place.file);
    let mut out = Vec::new();
    for entry in list {
        let name = entry.get_ref().clone();
        let location = spanned_location(id, entry);
        let shipped = crate::baselines::shipped(&name).is_some();
        if shipped {
            out.push(BaselineRef {
                path: None,
                name,
                location,
            });
            continue;
        }
        let Some(path) = place.path(entry, errors) else {
            continue;
        };
        if !path.exists() {
            errors.push(error_at(
                file,
                id,
                Some(location.span),
                format!(
                    "baseline `{name}` is neither a file nor a shipped baseline ({})",
                    crate::baselines::shipped_names().join(", ")
                ),
            ));
            continue;
        }
        out.push(BaselineRef {
            path: Some(path),
            name,
            location,
        });
    }
    out
}

fn missing_severity(
    value: Option<&Spanned<String>>,
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
) -> Option<Severity> {
    let value = value?;
    match value.get_ref().as_str() {
        "ignore" => None,
        "note" => Some(Severity::Note),
        "warning" => Some(Severity::Warning),
        other => {
            errors.push(error_at(
                file,
                id,
                Some(spanned_location(id, value).span),
                format!("unknown value `{other}` for missing: expected ignore, note or warning"),
            ));
            None
        }
    }
}

fn toml_message(e: &toml::de::Error) -> String {
    format!("invalid {FILE_NAME}: {}", e.message())
}

fn spanned_location<T>(id: SourceId, value: &Spanned<T>) -> Location {
    let r = value.span();
    Location {
        file: id,
        span: Span::new(r.start, r.end),
    }
}

fn error_at(file: &SourceFile, id: SourceId, span: Option<Span>, message: String) -> InputError {
    InputError::in_file(id, file, span, message)
}

fn inventory_table(
    table: &BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
    ous: bool,
) -> BTreeMap<String, InventoryEntry> {
    let mut out = BTreeMap::new();
    for (name, types) in table {
        let mut set = JoinTypeSet::EMPTY;
        for t in types.get_ref() {
            match JoinType::parse(t.get_ref()) {
                Some(JoinType::Entra | JoinType::Registered) if ous => {
                    let loc = spanned_location(id, t);
                    errors.push(error_at(
                        file,
                        id,
                        Some(loc.span),
                        format!(
                            "`{}` devices are not in Active Directory OUs; use `domain` or `hybrid`",
                            t.get_ref()
                        ),
                    ));
                }
                Some(j) => set = set.with(j),
                None => {
                    let loc = spanned_location(id, t);
                    errors.push(error_at(
                        file,
                        id,
                        Some(loc.span),
                        format!(
                            "unknown join type `{}`: expected one of entra, hybrid, domain, registered",
                            t.get_ref()
                        ),
                    ));
                }
            }
        }
        let key = if ous {
            name.get_ref().clone()
        } else {
            name.get_ref().to_lowercase()
        };
        out.insert(
            key,
            InventoryEntry {
                join_types: set,
                location: spanned_location(id, name),
            },
        );
    }
    out
}

/// `[inventory] block-inheritance`: OUs as distinguished names or canonical paths; an empty one
/// is an error, and so is the domain root (Block Inheritance is set on OUs below it).
fn blocking_ous(
    raw: &[Spanned<String>],
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
) -> Vec<String> {
    let mut ous = Vec::new();
    for ou in raw {
        let canonical = canonical_ou(ou.get_ref());
        if canonical.is_empty() || !canonical.contains('/') {
            let span = spanned_location(id, ou).span;
            errors.push(error_at(
                file,
                id,
                Some(span),
                format!(
                    "`block-inheritance` names {:?}: name an OU below the domain (\"OU=Kiosks,DC=contoso,DC=com\" or \"contoso.com/Kiosks\")",
                    ou.get_ref()
                ),
            ));
            continue;
        }
        ous.push(canonical);
    }
    ous
}

/// `[inventory] unassigned`: join type names, or `all`.
fn unassigned_join_types(
    list: Option<&Spanned<Vec<Spanned<String>>>>,
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
) -> Option<JoinTypeSet> {
    let list = list?;
    let mut set = JoinTypeSet::EMPTY;
    for name in list.get_ref() {
        match JoinType::parse_list(name.get_ref()) {
            Ok(types) => set = set.union(types),
            Err(message) => {
                let span = spanned_location(id, name).span;
                errors.push(error_at(file, id, Some(span), message));
            }
        }
    }
    if list.get_ref().is_empty() {
        let span = spanned_location(id, list).span;
        errors.push(error_at(
            file,
            id,
            Some(span),
            "`unassigned` is empty: name the join types unassigned policies are checked as reaching, or remove it".to_string(),
        ));
        return None;
    }
    Some(set)
}

fn rule_refs(list: &[Spanned<String>], id: SourceId) -> Vec<RuleRef> {
    list.iter()
        .map(|s| RuleRef {
            id: s.get_ref().clone(),
            location: spanned_location(id, s),
        })
        .collect()
}

fn severities(
    table: &BTreeMap<Spanned<String>, Spanned<String>>,
    id: SourceId,
    file: &SourceFile,
    errors: &mut Vec<InputError>,
) -> Vec<(RuleRef, Severity)> {
    let mut out = Vec::new();
    for (rule, level) in table {
        match Severity::parse(level.get_ref()) {
            Some(severity) => out.push((
                RuleRef {
                    id: rule.get_ref().clone(),
                    location: spanned_location(id, rule),
                },
                severity,
            )),
            None => errors.push(error_at(
                file,
                id,
                Some(spanned_location(id, level).span),
                format!(
                    "unknown severity `{}`: expected error, warning or note",
                    level.get_ref()
                ),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Encoding;

    fn parse_text(text: &str) -> (Config, Vec<InputError>) {
        let file = SourceFile::from_text(Path::new("baselint.toml"), text.into(), Encoding::Utf8);
        parse(SourceId(0), &file)
    }

    #[test]
    fn reads_inventory_and_rule_settings() {
        let (config, errors) = parse_text(
            "[inventory.groups]\n\"WIN - Kiosks\" = [\"entra\"]\n\"abc\" = [\"Hybrid\", \"registered\"]\n\
             [rules]\nignore = [\"conflicting-setting-values\"]\n\
             severity = { \"pku2u-disabled-on-hybrid-joined\" = \"error\" }\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let kiosks = config.inventory.group("win - kiosks").unwrap();
        assert_eq!(kiosks.join_types, JoinTypeSet::of(&[JoinType::Entra]));
        assert_eq!(
            config.inventory.group("ABC").unwrap().join_types,
            JoinTypeSet::of(&[JoinType::Hybrid, JoinType::Registered])
        );
        assert_eq!(config.ignore[0].id, "conflicting-setting-values");
        assert_eq!(config.severity[0].1, Severity::Error);
    }

    #[test]
    fn unknown_join_type_is_positioned() {
        let text = "[inventory.groups]\n\"Kiosks\" = [\"entra\", \"azuread\"]\n";
        let (_, errors) = parse_text(text);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(22)));
        assert!(errors[0].message.contains("unknown join type `azuread`"));
    }

    #[test]
    fn unassigned_join_types_are_read_and_checked() {
        let (config, errors) = parse_text("[inventory]\nunassigned = [\"entra\", \"HYBRID\"]\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            config.inventory.unassigned,
            Some(JoinTypeSet::of(&[JoinType::Entra, JoinType::Hybrid]))
        );
        let (config, _) = parse_text("[inventory]\nunassigned = [\"all\"]\n");
        assert_eq!(
            config.inventory.unassigned,
            Some(crate::model::ALL_JOIN_TYPES)
        );
        let (config, _) = parse_text("[inventory.groups]\n");
        assert_eq!(config.inventory.unassigned, None);
        let (_, errors) = parse_text("[inventory]\nunassigned = [\"entra\", \"cloud\"]\n");
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(24)));
        assert!(
            errors[0].message.contains("unknown join type `cloud`"),
            "{}",
            errors[0].message
        );
        let (config, errors) = parse_text("[inventory]\nunassigned = []\n");
        assert!(
            errors[0].message.contains("`unassigned` is empty"),
            "{}",
            errors[0].message
        );
        assert_eq!(config.inventory.unassigned, None);
    }

    #[test]
    fn unknown_key_and_bad_syntax_are_positioned() {
        let (_, errors) = parse_text("[rules]\nselct = []\n");
        assert_eq!(errors[0].line, Some(2));
        assert!(errors[0].message.contains("selct"), "{}", errors[0].message);
        let (_, errors) = parse_text("[inventory.groups\n");
        assert_eq!(errors[0].line, Some(1));
    }

    /// A config path that does not resolve still confines to its folder as written, never to
    /// everything (the fail-closed fallback: `check` only gets here for a file it just read).
    #[test]
    fn an_unresolvable_config_confines_to_its_folder_as_written() {
        let gone = std::env::temp_dir().join("baselint-no-such-dir/sub/baselint.toml");
        let root = confinement_root(&gone);
        assert_eq!(root, std::env::temp_dir().join("baselint-no-such-dir/sub"));
        assert!(is_inside(&root, &root.join("exceptions.toml")));
        assert!(!is_inside(&root, &root.join("../../etc/passwd")));
        assert!(!is_inside(&root, Path::new("/etc/passwd")));
        // A relative path is taken from the working directory: its folder there, or the
        // repository that holds it (the tests run inside one when run from a clone).
        let relative = confinement_root(Path::new("baselint-no-such-dir/baselint.toml"));
        let folder = std::env::current_dir()
            .unwrap()
            .join("baselint-no-such-dir");
        assert!(relative.is_absolute(), "{relative:?}");
        assert!(folder.starts_with(&relative), "{relative:?}");
        assert_ne!(relative, Path::new("/"));
    }

    #[test]
    fn ou_lookup_takes_the_most_specific_entry_in_either_notation() {
        let (config, errors) = parse_text(
            "[inventory.ous]\n\"contoso.com\" = [\"domain\"]\n\"OU=Hybrid,OU=Computers,DC=contoso,DC=com\" = [\"hybrid\"]\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let hybrid = JoinTypeSet::of(&[JoinType::Hybrid]);
        let domain = JoinTypeSet::of(&[JoinType::Domain]);
        let inv = &config.inventory;
        assert_eq!(
            inv.ou("contoso.com/Computers/Hybrid/Finance")
                .unwrap()
                .join_types,
            hybrid
        );
        assert_eq!(
            inv.ou("OU=Hybrid,OU=Computers,DC=Contoso,DC=com")
                .unwrap()
                .join_types,
            hybrid
        );
        assert_eq!(
            inv.ou("contoso.com/Computers/HybridX").unwrap().join_types,
            domain
        );
        assert_eq!(inv.ou("contoso.com").unwrap().join_types, domain);
        assert!(inv.ou("fabrikam.com/Computers").is_none());
    }

    /// A GPO linked at an OU reaches the OUs below it too (they inherit the link): at the
    /// domain root, the hybrid-joined computers of a child OU as well as the domain-only ones.
    #[test]
    fn ou_subtree_joins_the_entries_below_the_linked_ou() {
        let (config, errors) = parse_text(
            "[inventory.ous]\n\"contoso.com\" = [\"domain\"]\n\"OU=Hybrid,OU=Computers,DC=contoso,DC=com\" = [\"hybrid\"]\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let hybrid = JoinTypeSet::of(&[JoinType::Hybrid]);
        let both = JoinTypeSet::of(&[JoinType::Domain, JoinType::Hybrid]);
        let inv = &config.inventory;
        assert_eq!(inv.ou_subtree("contoso.com", false), Some(both));
        assert_eq!(
            inv.ou_subtree("OU=Computers,DC=contoso,DC=com", false),
            Some(both)
        );
        assert_eq!(
            inv.ou_subtree("contoso.com/Computers/Hybrid", false),
            Some(hybrid)
        );
        assert_eq!(
            inv.ou_subtree("contoso.com/Computers/Hybrid/Finance", false),
            Some(hybrid)
        );
        // A sibling whose name starts like the child is not below it.
        assert_eq!(
            inv.ou_subtree("contoso.com/Computers/HybridX", false),
            Some(JoinTypeSet::of(&[JoinType::Domain]))
        );
        assert_eq!(inv.ou_subtree("fabrikam.com", false), None);
    }

    /// An OU that blocks inheritance keeps the links above it out of its subtree, unless they
    /// are enforced; a link on the OU itself or below it still applies.
    #[test]
    fn block_inheritance_keeps_links_above_out_unless_enforced() {
        let (config, errors) = parse_text(
            "[inventory]\nblock-inheritance = [\"OU=Hybrid,OU=Computers,DC=contoso,DC=com\"]\n[inventory.ous]\n\"contoso.com\" = [\"domain\"]\n\"contoso.com/Computers/Hybrid\" = [\"hybrid\"]\n\"contoso.com/Computers/Hybrid/Kiosks\" = [\"hybrid\"]\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let domain = JoinTypeSet::of(&[JoinType::Domain]);
        let hybrid = JoinTypeSet::of(&[JoinType::Hybrid]);
        let both = domain.union(hybrid);
        let inv = &config.inventory;
        assert_eq!(inv.block_inheritance, ["contoso.com/computers/hybrid"]);
        assert_eq!(inv.ou_subtree("contoso.com", false), Some(domain));
        assert_eq!(inv.ou_subtree("contoso.com/Computers", false), Some(domain));
        assert_eq!(inv.ou_subtree("contoso.com", true), Some(both));
        assert_eq!(
            inv.ou_subtree("contoso.com/Computers/Hybrid", false),
            Some(hybrid)
        );
        assert!(inv.blocks_below("contoso.com"));
        assert!(!inv.blocks_below("contoso.com/Computers/Hybrid"));
        // The domain root and empty names are refused.
        let (config, errors) =
            parse_text("[inventory]\nblock-inheritance = [\"contoso.com\", \"\"]\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("name an OU below the domain"));
        assert!(config.inventory.block_inheritance.is_empty());
    }

    #[test]
    fn entra_join_type_is_rejected_for_ous() {
        let (_, errors) =
            parse_text("[inventory.ous]\n\"OU=PCs,DC=contoso,DC=com\" = [\"entra\"]\n");
        assert!(errors[0].message.contains("not in Active Directory"));
    }

    #[test]
    fn keys_of_several_words_take_either_spelling() {
        for text in [
            "[exceptions]\nexpiring-within = 14\n[limits]\nmax-file-size = 4096\n",
            "[exceptions]\nexpiring_within = 14\n[limits]\nmax_file_size = 4096\n",
        ] {
            let (config, errors) = parse_text(text);
            assert!(errors.is_empty(), "{text}: {errors:?}");
            assert_eq!(config.expiring_within, Some(14), "{text}");
            assert_eq!(config.max_file_size, Some(4096), "{text}");
        }
        let (_, errors) = parse_text("[exceptions]\nexpiring-within = 1\nexpiring_within = 2\n");
        assert_eq!(errors.len(), 1, "both spellings at once: {errors:?}");
    }

    #[test]
    fn sizes_take_bytes_or_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2 gb"), Ok(2 << 30));
        assert_eq!(parse_size("10k"), Ok(10 << 10));
        for bad in ["", "M", "1.5G", "12 parsecs", "-1", "99999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_max_file_size_is_read_and_checked() {
        let (config, errors) = parse_text("[limits]\nmax-file-size = \"64M\"\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(config.max_file_size, Some(64 << 20));
        let (config, _) = parse_text("[limits]\nmax-file-size = 4096\n");
        assert_eq!(config.max_file_size, Some(4096));
        let (config, errors) = parse_text("[limits]\nmax-file-size = \"lots\"\n");
        assert_eq!(config.max_file_size, None);
        assert_eq!((errors[0].line, errors[0].column), (Some(2), Some(17)));
        assert!(
            errors[0].message.contains("`lots` is not a size"),
            "{}",
            errors[0].message
        );
    }
}
