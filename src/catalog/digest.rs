//! The built-in catalog, pre-digested.
//!
//! Building the catalog from `catalog.json` costs about 30 ms on one core at every start:
//! parsing 4,835 records, deriving what the file leaves out, normalising 16k aliases and
//! indexing 9.4k options, with 150k allocations. That is most of the run on a repository of a
//! few hundred files. `catalog.digest` is the finished catalog written out: its strings, the
//! settings field by field, then the three indexes. Reading it back builds the records and
//! fills the maps, and copies no string.
//!
//! `catalog.json` stays the one source to edit and review. A test checks that the digest is
//! what `catalog.json` builds with the code of the day, and rewrites it when asked
//! (`BASELINT_BLESS_DIGEST=1 cargo test --lib catalog::digest`); the catalog README says when.
//!
//! Layout: `BLCD`, a version, where the four sections after the string table start, then the
//! string table and the sections in order. Integers are little-endian `u32` (values `i64`).
//! The string table holds every distinct string once: a count, each string's length, then
//! their UTF-8 bytes together, checked in one pass when read. Elsewhere a string is its index
//! in the table, an optional string a 0/1 byte first. Every index is written sorted, so the
//! file depends on nothing but the catalog.
//!
//! The table's strings borrow the embedded bytes, and the table itself lives as long as the
//! program (it is leaked: the built-in catalog is read once, and lives as long). So a record's
//! names are [`Name`]s holding one pointer to a table entry: cloning one into a setting copies
//! that pointer.

use foldhash::{HashMap, HashMapExt};

use super::{Catalog, IndexedChoice, Scope, SettingDef, ValueLabel};
use crate::model::{Name, Value};

const MAGIC: &[u8; 4] = b"BLCD";
const VERSION: u32 = 4;
/// An option without a label.
const NO_LABEL: u32 = u32::MAX;

/// The digest of a catalog (written by the test that keeps `catalog.digest` current).
#[cfg(test)]
pub(super) fn write(catalog: &Catalog) -> Vec<u8> {
    let mut out = Out::default();
    let mut starts = [0; 4];
    out.len(catalog.settings.len());
    for def in &catalog.settings {
        out.setting(def);
    }
    starts[1] = out.bytes.len();
    let mut aliases: Vec<(&Name, &usize)> = catalog.by_alias.iter().collect();
    aliases.sort();
    out.len(aliases.len());
    for (alias, &i) in aliases {
        out.str(alias);
        out.index(i);
    }
    starts[2] = out.bytes.len();
    let mut options: Vec<(&Box<str>, &IndexedChoice)> = catalog.options_by_id.iter().collect();
    options.sort_by(|a, b| a.0.cmp(b.0));
    out.len(options.len());
    for (option_id, choice) in options {
        out.option(&catalog.settings[choice.setting], option_id, choice);
    }
    starts[3] = out.bytes.len();
    let mut keys: Vec<usize> = catalog.by_key.values().copied().collect();
    keys.sort_unstable();
    out.len(keys.len());
    for i in keys {
        out.index(i);
    }
    out.finish(starts)
}

/// The catalog a digest holds; None when the bytes are not a digest of this version. Its
/// strings, which the model copies into every setting (keys, definition ids, value labels),
/// borrow the digest's bytes, hence `'static`: the digest is embedded in the binary.
pub(super) fn read(bytes: &'static [u8]) -> Option<Catalog> {
    let mut input = In {
        bytes,
        at: 0,
        strings: &[],
    };
    if input.take(4)? != MAGIC || input.u32()? != VERSION {
        return None;
    }
    let [settings, aliases, options, keys] =
        [input.len()?, input.len()?, input.len()?, input.len()?];
    let strings = string_table(bytes.get(input.at..settings)?)?;
    let section = |start: usize, end: usize| {
        Some(In {
            bytes: bytes.get(..end)?,
            at: start,
            strings,
        })
    };
    let (mut settings_in, mut aliases_in, mut options_in, mut keys_in) = (
        section(settings, aliases)?,
        section(aliases, options)?,
        section(options, keys)?,
        section(keys, bytes.len())?,
    );
    // The settings, the alias map and the option entries on all cores; then what ties them.
    let (settings, (by_alias, options)) = rayon::join(
        || settings_in.settings(),
        || rayon::join(|| aliases_in.aliases(), || options_in.options()),
    );
    let (settings, by_alias, options) = (settings?, by_alias?, options?);
    let in_range = |i: &usize| *i < settings.len();
    if !by_alias.values().all(in_range) {
        return None;
    }
    let mut options_by_id = HashMap::with_capacity(options.len());
    for raw in options {
        let (option_id, choice) = raw.choice(&settings)?;
        options_by_id.insert(option_id, choice);
    }
    let count = keys_in.count()?;
    let mut by_key = HashMap::with_capacity(count);
    for _ in 0..count {
        let i = keys_in.index(settings.len())?;
        by_key.insert(settings[i].key.clone(), i);
    }
    keys_in.done().then_some(Catalog {
        settings,
        by_alias,
        options_by_id,
        by_key,
        children: std::sync::OnceLock::new(),
    })
}

/// The string table: every string, its bytes checked as UTF-8 at once. Leaked, so that names
/// can point at its entries for as long as the program runs (see the module's comment).
fn string_table(bytes: &'static [u8]) -> Option<&'static [&'static str]> {
    let mut input = In {
        bytes,
        at: 0,
        strings: &[],
    };
    let count = input.count()?;
    let lengths = (0..count)
        .map(|_| input.len())
        .collect::<Option<Vec<usize>>>()?;
    let text = std::str::from_utf8(bytes.get(input.at..)?).ok()?;
    let mut at: usize = 0;
    let mut strings = Vec::with_capacity(count);
    for n in lengths {
        let end = at.checked_add(n)?;
        strings.push(text.get(at..end)?);
        at = end;
    }
    (at == text.len()).then(|| &*Box::leak(strings.into_boxed_slice()))
}

/// An option entry as read, before its setting's names are attached.
struct RawChoice {
    setting: usize,
    suffix: &'static str,
    value: Value,
    label: u32,
}

impl RawChoice {
    /// The option id and the entry, with the setting's names.
    fn choice(self, settings: &[SettingDef]) -> Option<(Box<str>, IndexedChoice)> {
        let def = settings.get(self.setting)?;
        let definition_id = def.definition_id.clone()?;
        let label = match self.label {
            NO_LABEL => None,
            k => Some(def.values.get(k as usize)?.label.clone()),
        };
        let mut option_id = String::with_capacity(definition_id.len() + 1 + self.suffix.len());
        option_id.push_str(&definition_id);
        option_id.push('_');
        option_id.push_str(self.suffix);
        let choice = IndexedChoice {
            setting: self.setting,
            definition_len: definition_id.len(),
            key: def.setting_key().clone(),
            definition_id,
            value: self.value,
            label,
        };
        Some((option_id.into_boxed_str(), choice))
    }
}

/// The sections as written, and the strings they name by index.
#[cfg(test)]
#[derive(Default)]
struct Out {
    bytes: Vec<u8>,
    strings: Vec<String>,
    string_index: HashMap<String, u32>,
}

#[cfg(test)]
impl Out {
    /// The digest: magic, version, where each section starts (`starts` counts from the
    /// first), the string table, the sections.
    fn finish(self, starts: [usize; 4]) -> Vec<u8> {
        let mut table = Out::default();
        table.len(self.strings.len());
        for s in &self.strings {
            table.len(s.len());
        }
        for s in &self.strings {
            table.bytes.extend_from_slice(s.as_bytes());
        }
        let mut digest = Out::default();
        digest.bytes.extend_from_slice(MAGIC);
        digest.u32(VERSION);
        let first = digest.bytes.len() + 4 * starts.len() + table.bytes.len();
        for start in starts {
            digest.len(first + start);
        }
        digest.bytes.extend_from_slice(&table.bytes);
        digest.bytes.extend_from_slice(&self.bytes);
        digest.bytes
    }

    fn u32(&mut self, n: u32) {
        self.bytes.extend_from_slice(&n.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).expect("catalog sizes fit in u32"));
    }

    fn index(&mut self, i: usize) {
        self.len(i);
    }

    fn flag(&mut self, b: bool) {
        self.bytes.push(u8::from(b));
    }

    /// A string, by its index in the table (added when new).
    fn str(&mut self, s: &str) {
        let next = u32::try_from(self.strings.len()).expect("catalog sizes fit in u32");
        let index = *self.string_index.entry(s.to_string()).or_insert_with(|| {
            self.strings.push(s.to_string());
            next
        });
        self.u32(index);
    }

    fn opt(&mut self, s: Option<&str>) {
        self.flag(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }

    fn strs(&mut self, list: &[Name]) {
        self.len(list.len());
        for s in list {
            self.str(s);
        }
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Int(i) => {
                self.bytes.push(0);
                self.bytes.extend_from_slice(&i.to_le_bytes());
            }
            Value::Str(s) => {
                self.bytes.push(1);
                self.str(s);
            }
            Value::Bool(b) => {
                self.bytes.push(2);
                self.flag(*b);
            }
            Value::List(items) => {
                self.bytes.push(3);
                self.len(items.len());
                for item in items {
                    self.value(item);
                }
            }
            Value::Choice(s) => {
                self.bytes.push(4);
                self.str(s);
            }
            Value::NotConfigured => self.bytes.push(5),
        }
    }

    fn setting(&mut self, def: &SettingDef) {
        self.str(&def.key);
        self.str(&def.title);
        self.opt(def.short_id.as_deref());
        self.flag(def.scope == Scope::User);
        self.opt(def.oma_uri.as_deref());
        self.opt(def.definition_id.as_deref());
        self.opt(def.registry.as_deref());
        self.strs(&def.registry_aliases);
        self.opt(def.shares_registry_with.as_deref());
        self.opt(def.setting_of.as_deref());
        self.opt(def.security_option.as_deref());
        self.strs(&def.other_names);
        self.opt(def.format.as_deref());
        self.flag(def.admx_backed);
        self.len(def.values.len());
        for v in &def.values {
            self.str(&v.value);
            self.str(&v.label);
        }
        self.opt(def.default.as_deref());
        self.len(def.options.len());
        for (suffix, value) in &def.options {
            self.str(suffix);
            self.value(value);
        }
        self.opt(def.parent.as_deref());
        self.opt(def.element.as_deref());
        self.opt(def.value_list.as_deref());
    }

    /// An option's entry. Its id is its setting's definition id, `_` and a suffix; its key
    /// and definition id are the setting's own; its label is one of the setting's value
    /// labels. So only the setting, the suffix, the value and the label's position are written
    /// (and the names are shared again when read).
    fn option(&mut self, def: &SettingDef, option_id: &str, choice: &IndexedChoice) {
        let definition_id = def
            .definition_id
            .as_deref()
            .expect("indexed settings have one");
        let suffix = option_id
            .strip_prefix(definition_id)
            .and_then(|rest| rest.strip_prefix('_'))
            .expect("an option id extends its definition id");
        assert!(
            choice.key == *def.setting_key()
                && *choice.definition_id == *definition_id
                && choice.definition_len == definition_id.len()
        );
        self.index(choice.setting);
        self.str(suffix);
        self.value(&choice.value);
        let label = choice.label.as_ref().map(|label| {
            def.values
                .iter()
                .position(|v| std::ptr::eq(v.label.as_str(), label.as_str()))
                .expect("an option's label is one of its setting's value labels")
        });
        self.len(label.unwrap_or(NO_LABEL as usize));
    }
}

struct In<'a> {
    bytes: &'a [u8],
    at: usize,
    strings: &'static [&'static str],
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn len(&mut self) -> Option<usize> {
        self.u32().map(|n| n as usize)
    }

    /// A number of entries to come: each takes a byte at least, so a count past the bytes
    /// left is refused rather than trusted with an allocation.
    fn count(&mut self) -> Option<usize> {
        self.len().filter(|&n| n <= self.bytes.len() - self.at)
    }

    /// An index below `bound`.
    fn index(&mut self, bound: usize) -> Option<usize> {
        self.len().filter(|&i| i < bound)
    }

    fn flag(&mut self) -> Option<bool> {
        match self.take(1)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    /// A string of the table, by its index.
    fn entry(&mut self) -> Option<&'static &'static str> {
        let i = self.len()?;
        self.strings.get(i)
    }

    fn str(&mut self) -> Option<&'static str> {
        self.entry().copied()
    }

    fn name(&mut self) -> Option<Name> {
        self.entry().map(Name::from_static)
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    fn value(&mut self) -> Option<Value> {
        Some(match self.take(1)?[0] {
            0 => Value::Int(i64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            1 => Value::Str(self.string()?),
            2 => Value::Bool(self.flag()?),
            3 => {
                let n = self.len()?;
                Value::List((0..n).map(|_| self.value()).collect::<Option<_>>()?)
            }
            4 => Value::Choice(self.string()?),
            5 => Value::NotConfigured,
            _ => return None,
        })
    }

    /// Whether the section was read to its end.
    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn options(&mut self) -> Option<Vec<RawChoice>> {
        let count = self.count()?;
        let mut options = Vec::with_capacity(count);
        for _ in 0..count {
            options.push(RawChoice {
                setting: self.len()?,
                suffix: self.str()?,
                value: self.value()?,
                label: self.u32()?,
            });
        }
        self.done().then_some(options)
    }
}

impl In<'_> {
    fn opt_name(&mut self) -> Option<Option<Name>> {
        if self.flag()? {
            self.name().map(Some)
        } else {
            Some(None)
        }
    }

    fn settings(&mut self) -> Option<Vec<SettingDef>> {
        let count = self.count()?;
        // Sized at once: collecting through `Option` cannot know the length, and growing moves
        // every record read so far (most of the start-up's copying).
        let mut settings = Vec::with_capacity(count);
        for _ in 0..count {
            settings.push(self.setting()?);
        }
        self.done().then_some(settings)
    }

    /// The alias map; its indices are checked against the settings by the caller.
    fn aliases(&mut self) -> Option<HashMap<Name, usize>> {
        let count = self.count()?;
        let mut by_alias = HashMap::with_capacity(count);
        for _ in 0..count {
            let alias = self.name()?;
            by_alias.insert(alias, self.len()?);
        }
        self.done().then_some(by_alias)
    }

    fn names(&mut self) -> Option<Vec<Name>> {
        let n = self.len()?;
        (0..n).map(|_| self.name()).collect()
    }

    fn setting(&mut self) -> Option<SettingDef> {
        let key = self.name()?;
        let title = self.name()?;
        let short_id = self.opt_name()?;
        let scope = if self.flag()? {
            Scope::User
        } else {
            Scope::Device
        };
        let oma_uri = self.opt_name()?;
        let definition_id = self.opt_name()?;
        let registry = self.opt_name()?;
        let registry_aliases = self.names()?;
        let shares_registry_with = self.opt_name()?;
        let setting_of = self.opt_name()?;
        let security_option = self.opt_name()?;
        let other_names = self.names()?;
        let format = self.opt_name()?;
        let admx_backed = self.flag()?;
        let n = self.len()?;
        let values = (0..n)
            .map(|_| {
                Some(ValueLabel {
                    value: self.name()?,
                    label: self.name()?,
                })
            })
            .collect::<Option<_>>()?;
        let default = self.opt_name()?;
        let n = self.len()?;
        let options = (0..n)
            .map(|_| Some((self.name()?, self.value()?)))
            .collect::<Option<_>>()?;
        Some(SettingDef {
            key,
            title,
            short_id,
            scope,
            oma_uri,
            definition_id,
            registry,
            registry_aliases,
            shares_registry_with,
            setting_of,
            security_option,
            other_names,
            format,
            admx_backed,
            values,
            default,
            options,
            parent: self.opt_name()?,
            element: self.opt_name()?,
            value_list: self.opt_name()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed digest is what `catalog.json` builds today. After a change to the JSON or
    /// to how the catalog is built, rewrite it with `BASELINT_BLESS_DIGEST=1`.
    #[test]
    fn the_digest_is_what_catalog_json_builds() {
        let built = Catalog::from_json(super::super::CATALOG_JSON).unwrap();
        let digest = write(&built);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/catalog/catalog.digest");
        if std::env::var_os("BASELINT_BLESS_DIGEST").is_some() {
            std::fs::write(path, &digest).unwrap();
            return;
        }
        assert!(
            digest == super::super::CATALOG_DIGEST,
            "src/catalog/catalog.digest is stale: rewrite it with \
             `BASELINT_BLESS_DIGEST=1 cargo test --lib catalog::digest`"
        );
        let read_back = read(super::super::CATALOG_DIGEST).expect("a digest reads back");
        assert!(read_back.settings == built.settings);
        assert!(read_back.by_alias == built.by_alias);
        assert!(read_back.options_by_id == built.options_by_id);
        assert!(read_back.by_key == built.by_key);
    }

    #[test]
    fn a_digest_reads_back_field_for_field() {
        let def = SettingDef {
            key: "HKLM\\A\\B".into(),
            title: "A b".into(),
            short_id: Some("ab".into()),
            scope: Scope::User,
            definition_id: Some("user_a_b".into()),
            registry_aliases: vec!["HKCU\\A\\B".into(), "x".into()],
            values: vec![ValueLabel {
                value: "1".into(),
                label: "Enabled".into(),
            }],
            default: Some("0".into()),
            options: vec![
                ("1".into(), Value::Int(1)),
                ("m".into(), Value::Int(-7)),
                (
                    "l".into(),
                    Value::List(vec![Value::Bool(true), Value::NotConfigured]),
                ),
                ("s".into(), Value::Choice("é".into())),
            ],
            element: Some("e".into()),
            value_list: Some("HKLM\\k".into()),
            ..SettingDef::default()
        };
        let catalog = Catalog::from_settings(vec![def]);
        let read_back = read(write(&catalog).leak()).unwrap();
        assert!(read_back.settings == catalog.settings);
        assert!(read_back.by_alias == catalog.by_alias);
        assert!(read_back.options_by_id == catalog.options_by_id);
        assert!(read_back.by_key == catalog.by_key);
        let choice = &read_back.options_by_id["user_a_b_1"];
        assert_eq!(choice.label.as_deref(), Some("Enabled"));
        assert!(std::ptr::eq(
            choice.label.as_ref().unwrap().as_str(),
            read_back.settings[0].values[0].label.as_str()
        ));
    }

    #[test]
    fn anything_else_is_refused_not_misread() {
        let catalog = Catalog::from_json(super::super::CATALOG_JSON).unwrap();
        let digest = write(&catalog);
        assert!(read(b"").is_none());
        assert!(read(b"BLCD\x02\0\0\0").is_none());
        assert!(read(digest[..digest.len() - 1].to_vec().leak()).is_none());
        let mut longer = digest.clone();
        longer.push(0);
        assert!(read(longer.leak()).is_none());
        // A count past the bytes left (here the number of aliases) is refused, not allocated.
        let aliases = u32::from_le_bytes(digest[8..12].try_into().unwrap()) as usize;
        let mut huge = digest.clone();
        huge[aliases..aliases + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(huge.leak()).is_none());
    }

    /// The names settings copy from the catalog borrow the embedded digest: no allocation at
    /// start, no reference count touched when a setting takes one.
    #[test]
    fn the_builtin_catalogs_names_borrow_the_digest() {
        let digest = super::super::CATALOG_DIGEST.as_ptr_range();
        let borrowed = |name: &Name| digest.contains(&name.as_ptr());
        let catalog = Catalog::builtin();
        let pku2u = catalog.resolve("pku2u_allow_online_id").unwrap();
        assert!(borrowed(&pku2u.key) && borrowed(&pku2u.title));
        assert!(pku2u.other_names.iter().all(borrowed));
        assert!(catalog.by_alias.keys().all(borrowed));
        let choice = catalog
            .options_by_id
            .values()
            .find(|choice| choice.label.is_some())
            .unwrap();
        assert!(borrowed(&choice.key) && borrowed(&choice.definition_id));
        assert!(borrowed(choice.label.as_ref().unwrap()));
    }
}
