//! Inputs for `benches/parse.rs`, built once in memory: a synthetic tenant from the
//! `gen_tenant` generator, plus formats the tenant does not hold (GptTmpl.inf, Registry.pol,
//! checklists, a baseline TOML) made from the catalog or by repeating repository fixtures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use baselint::catalog::Catalog;
use baselint::ingest;
use baselint::source::{SourceFile, SourceId};

#[allow(dead_code)] // the benches use only part of the generator
#[path = "../../examples/gen_tenant/mod.rs"]
mod generator;

use generator::{Params, Sink};

/// Every benchmark input, as the bytes a file would hold.
pub struct Inputs {
    /// A Graph list response of Settings Catalog policies.
    pub intune_json: Vec<u8>,
    /// The same policies one per file, as most exports write them.
    pub intune_files: Vec<Vec<u8>>,
    pub groups_json: Vec<u8>,
    /// `Get-GPOReport -All`, UTF-16LE with BOM.
    pub gpo_report: Vec<u8>,
    /// UTF-16LE with BOM, as secedit writes it.
    pub security_template: Vec<u8>,
    pub registry_pol: Vec<u8>,
    pub xccdf: Vec<u8>,
    pub ckl: Vec<u8>,
    pub cklb: Vec<u8>,
    pub baseline_toml: Vec<u8>,
    /// Entra membership rules and assignment filter rules.
    pub membership_rules: Vec<String>,
}

/// Keeps the files a benchmark needs, drops the rest (most Intune policies).
struct MemorySink {
    files: BTreeMap<String, Vec<u8>>,
    intune_kept: usize,
    intune_wanted: usize,
}

impl Sink for MemorySink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        if path.starts_with("intune/") {
            let settings_catalog = bytes.starts_with(
                b"{\n  \"@odata.type\": \"#microsoft.graph.deviceManagementConfigurationPolicy\"",
            );
            if !settings_catalog || self.intune_kept >= self.intune_wanted {
                return Ok(());
            }
            self.intune_kept += 1;
        }
        self.files.insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

impl MemorySink {
    fn take(&mut self, path: &str) -> Vec<u8> {
        self.files
            .remove(path)
            .unwrap_or_else(|| panic!("the generator wrote no {path}"))
    }
}

/// A tenant of `policies` policies with its GPOs in one `-All` report and a STIG with every
/// rule the catalog allows.
fn tenant(policies: usize, intune_wanted: usize) -> MemorySink {
    let params = Params {
        policies,
        seed: 42,
        gpo: true,
        gpo_all_in_one: true,
        catalog_list: false,
        stig: true,
        stig_rules: usize::MAX,
    };
    let mut sink = MemorySink {
        files: BTreeMap::new(),
        intune_kept: 0,
        intune_wanted,
    };
    generator::generate(&params, &mut sink).expect("the generator runs");
    sink
}

impl Inputs {
    pub fn build() -> Inputs {
        let catalog = Catalog::builtin();
        // 4,000 policies: 2,200 groups, 200 GPOs; 150 Settings Catalog policies kept.
        let mut sink = tenant(4000, 150);
        let policies: Vec<Vec<u8>> = sink
            .files
            .iter()
            .filter(|(path, _)| path.starts_with("intune/"))
            .map(|(_, bytes)| bytes.clone())
            .collect();
        let groups_json = sink.take("entra/groups.json");
        let filters_json = sink.take("entra/assignmentFilters.json");
        let xccdf = sink.take(generator::stig::PATH);
        let membership_rules = rules_of(&groups_json, "membershipRule")
            .into_iter()
            .chain(rules_of(&filters_json, "rule"))
            .collect();
        Inputs {
            intune_json: graph_list(&policies),
            intune_files: policies,
            groups_json,
            gpo_report: sink.take("gpo/report-all.xml"),
            security_template: utf16le(&security_template(catalog, 8)),
            registry_pol: registry_pol(catalog, 8),
            baseline_toml: baseline_toml(&xccdf, catalog).into_bytes(),
            xccdf,
            ckl: repeat_ckl(400).into_bytes(),
            cklb: repeat_cklb(400).into_bytes(),
            membership_rules,
        }
    }
}

/// `{"@odata.context": .., "value": [policy, ...]}`, as a paged Graph export holds them.
fn graph_list(documents: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"{\n  \"@odata.context\": \"https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies\",\n  \"value\": [\n".to_vec();
    for (i, doc) in documents.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(doc.trim_ascii_end());
    }
    out.extend_from_slice(b"\n  ]\n}\n");
    out
}

fn rules_of(json: &[u8], field: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("generated JSON parses");
    doc["value"]
        .as_array()
        .expect("a Graph list")
        .iter()
        .filter_map(|item| item[field].as_str().map(str::to_string))
        .collect()
}

fn utf16le(text: &str) -> Vec<u8> {
    generator::gpo::utf16le(text)
}

/// HKLM registry values of the catalog with their first integer value: (key path, value name,
/// data).
fn registry_values(catalog: &Catalog) -> Vec<(String, String, i64)> {
    catalog
        .settings()
        .iter()
        .filter_map(|def| {
            let registry = def.registry.as_deref()?.strip_prefix(r"HKLM\")?;
            let (path, name) = registry.rsplit_once('\\')?;
            let values = generator::gpo::candidate_values(def, generator::gpo::Kind::Registry);
            Some((path.to_string(), name.to_string(), *values.first()?))
        })
        .collect()
}

/// A GptTmpl.inf whose `[Registry Values]` lists every HKLM value of the catalog, `copies`
/// times (later copies under `Synthetic<n>` subkeys, so every line is a distinct value).
fn security_template(catalog: &Catalog, copies: usize) -> String {
    let mut out = String::from(
        "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\nMinimumPasswordAge = 1\r\nMaximumPasswordAge = 60\r\n\
         MinimumPasswordLength = 14\r\nPasswordComplexity = 1\r\nLockoutBadCount = 3\r\n\
         [Event Audit]\r\nAuditSystemEvents = 3\r\nAuditLogonEvents = 3\r\n\
         [Privilege Rights]\r\nSeNetworkLogonRight = *S-1-5-32-544,*S-1-5-32-555\r\n\
         SeDenyNetworkLogonRight = *S-1-5-32-546,*S-1-5-113\r\nSeDebugPrivilege = *S-1-5-32-544\r\n\
         [Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n[Registry Values]\r\n",
    );
    let values = registry_values(catalog);
    for copy in 0..copies {
        for (path, name, data) in &values {
            let sub = if copy == 0 {
                String::new()
            } else {
                format!("\\Synthetic{copy}")
            };
            let _ = write!(out, "MACHINE\\{path}{sub}\\{name}=4,{data}\r\n");
        }
    }
    out
}

/// A Registry.pol (`PReg`, version 1, `[key;value;type;size;data]` in UTF-16LE) with every HKLM
/// value of the catalog as REG_DWORD, `copies` times as in [`security_template`].
fn registry_pol(catalog: &Catalog, copies: usize) -> Vec<u8> {
    let mut out = b"PReg\x01\x00\x00\x00".to_vec();
    let wide = |out: &mut Vec<u8>, text: &str| {
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
    };
    let values = registry_values(catalog);
    for copy in 0..copies {
        for (path, name, data) in &values {
            let key = if copy == 0 {
                path.clone()
            } else {
                format!("{path}\\Synthetic{copy}")
            };
            wide(&mut out, "[");
            wide(&mut out, &key);
            wide(&mut out, "\0;");
            wide(&mut out, name);
            wide(&mut out, "\0;");
            out.extend_from_slice(&4u32.to_le_bytes()); // REG_DWORD
            wide(&mut out, ";");
            out.extend_from_slice(&4u32.to_le_bytes());
            wide(&mut out, ";");
            out.extend_from_slice(&(*data as u32).to_le_bytes());
            wide(&mut out, "]");
        }
    }
    out
}

/// The baseline TOML `baselint import stig` writes for the generated STIG.
fn baseline_toml(xccdf: &[u8], catalog: &Catalog) -> String {
    let file = decode("stig-xccdf.xml", xccdf);
    let parsed = ingest::xccdf::read(SourceId(0), &file, catalog);
    assert!(parsed.errors.is_empty(), "the generated STIG reads cleanly");
    baselint::import::stig_to_baseline_toml(&parsed.controls, catalog, "synthetic-xccdf.xml")
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stig");

/// The Windows 10 checklist fixture with its `VULN` entries repeated `copies` times (ids made
/// unique per copy).
fn repeat_ckl(copies: usize) -> String {
    let text = std::fs::read_to_string(format!("{FIXTURES}/win10-v2r2-excerpt.ckl"))
        .expect("the CKL fixture");
    let start = text.find("<VULN>").expect("a VULN entry");
    let end = text.rfind("</VULN>").expect("a VULN entry") + "</VULN>".len();
    let vulns = &text[start..end];
    let mut out = String::with_capacity(text.len() + vulns.len() * copies);
    out.push_str(&text[..start]);
    for copy in 0..copies {
        out.push_str(
            &vulns
                .replace(">V-", &format!(">V-{copy}"))
                .replace(">SV-", &format!(">SV-{copy}")),
        );
        out.push_str("\n\t\t\t");
    }
    out.push_str(&text[end..]);
    out
}

/// The RHEL 8 STIG Viewer 3 fixture with its rules repeated `copies` times.
fn repeat_cklb(copies: usize) -> String {
    let text = std::fs::read_to_string(format!("{FIXTURES}/rhel8-one-of-each-status.cklb"))
        .expect("the CKLB fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("the fixture parses");
    let rules = doc["stigs"][0]["rules"].as_array().expect("rules").clone();
    let mut repeated = Vec::with_capacity(rules.len() * copies);
    for copy in 0..copies {
        for rule in &rules {
            let mut rule = rule.clone();
            for field in ["group_id", "group_id_src", "rule_id", "rule_id_src", "uuid"] {
                if let Some(id) = rule[field].as_str() {
                    rule[field] = format!("{id}{copy}").into();
                }
            }
            repeated.push(rule);
        }
    }
    doc["stigs"][0]["rules"] = repeated.into();
    serde_json::to_string_pretty(&doc).expect("JSON serialises")
}

/// Decode like `baselint check` does (BOM and UTF-16 sniffing).
pub fn decode(name: &str, bytes: &[u8]) -> SourceFile {
    SourceFile::decode(Path::new(name), bytes).expect("benchmark input decodes")
}

/// A small tenant on disk for the end-to-end `check` benchmark; removed on drop.
pub struct TempTenant {
    pub dir: std::path::PathBuf,
    pub bytes: u64,
}

impl TempTenant {
    pub fn new(policies: usize) -> TempTenant {
        let dir = std::env::temp_dir().join(format!("baselint-bench-{}", std::process::id()));
        struct Disk<'a>(&'a Path, u64);
        impl Sink for Disk<'_> {
            fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
                let full = self.0.join(path);
                std::fs::create_dir_all(full.parent().expect("a parent"))
                    .map_err(|e| e.to_string())?;
                self.1 += bytes.len() as u64;
                std::fs::write(full, bytes).map_err(|e| e.to_string())
            }
        }
        let params = Params {
            policies,
            seed: 42,
            gpo: true,
            gpo_all_in_one: false,
            catalog_list: false,
            stig: true,
            stig_rules: 300,
        };
        let mut disk = Disk(&dir, 0);
        generator::generate(&params, &mut disk).expect("the generator runs");
        let bytes = disk.1;
        TempTenant { dir, bytes }
    }
}

impl Drop for TempTenant {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
