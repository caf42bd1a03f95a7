//! One DISA-shaped STIG benchmark (manual XCCDF 1.1, formats.md 5.1) with a few hundred
//! registry rules on settings the tenant's Intune policies and GPOs also configure.
//!
//! Each rule's check text is the registry block baselint's XCCDF reader understands
//! (`Registry Hive:` / `Registry Path:` / `Value Name:` / `Value Type:` / `Value:`); the expected
//! value is the tenant's usual value most of the time, so the baseline-deviation rule finds the
//! policies that deviate, plus some settings where the whole tenant deviates.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use baselint::catalog::Catalog;

use super::gpo::{Kind, candidate_values, escape, usual_values};
use super::intune::Def;
use super::rng::{Purpose, Rng, key, name_hash, rendezvous};

/// Where the generator writes the benchmark (relative to the tenant) and how
/// `baselint.toml` selects it.
pub const PATH: &str = "stig/U_MS_Windows_11_Synthetic_STIG_V1R1_Manual-xccdf.xml";

/// How often a rule expects the tenant's usual value.
const AGREES: f64 = 0.85;

/// Rule numbers: `V-9nnnnn`.
const NUMBERS: usize = 100_000;

/// A registry rule: catalog title, registry value and the expected data.
pub struct StigRule {
    /// In `0..NUMBERS`, drawn from the rule's own stream (unique: the next free one on a clash),
    /// so a rule keeps its number as other rules come and go.
    pub number: usize,
    pub area: &'static str,
    pub title: String,
    /// `HKLM` path without hive, without leading or trailing `\`.
    pub path: String,
    pub name: String,
    pub values: Vec<i64>,
}

/// Up to `count` registry rules on HKLM settings of the Intune pool (so they meet policies),
/// by rule number. Which settings, by rendezvous hashing of their catalog keys; each rule's
/// number and values from a stream keyed by the catalog key.
pub fn stig_rules(catalog: &Catalog, intune: &[Def], count: usize, seed: u64) -> Vec<StigRule> {
    let usual = usual_values(catalog, intune, false);
    let mut candidates = Vec::new();
    let mut seen = BTreeSet::new();
    for def in catalog.settings() {
        let Some(registry) = def
            .registry
            .as_deref()
            .and_then(|r| r.strip_prefix(r"HKLM\"))
        else {
            continue;
        };
        let Some(&usual_value) = usual.get(def.key.as_str()) else {
            continue;
        };
        let Some((path, name)) = registry.rsplit_once('\\') else {
            continue;
        };
        let values = candidate_values(def, Kind::Registry);
        if values.is_empty() || !seen.insert(def.key.as_str()) {
            continue;
        }
        let hash = name_hash(def.key.as_str());
        candidates.push((def, hash, path, name, usual_value, values));
    }
    let prefix = key(seed, Purpose::StigPicks, &[]);
    let picks = rendezvous(prefix, candidates.iter().map(|c| c.1), count);
    let mut taken = BTreeSet::new();
    let mut rules = Vec::with_capacity(picks.len());
    for i in picks {
        let (def, hash, path, name, usual_value, values) = &candidates[i];
        let rng = &mut Rng::keyed(seed, Purpose::StigRule, &[*hash]);
        let mut number = rng.below(NUMBERS);
        while !taken.insert(number) {
            number = (number + 1) % NUMBERS;
        }
        let expected = if rng.chance(AGREES) || values.len() < 2 {
            *usual_value
        } else {
            *rng.pick(values)
        };
        // One rule in ten accepts two values ("1 or 2"), as some DISA rules do.
        let mut accepted = vec![expected];
        if values.len() > 2 && rng.chance(0.1) {
            let other = *rng.pick(values);
            if other != expected {
                accepted.push(other);
            }
        }
        rules.push(StigRule {
            number,
            area: if def.security_option.is_some() {
                "SO"
            } else if def.admx_backed {
                "CC"
            } else {
                "00"
            },
            title: def.title.to_string(),
            path: path.to_string(),
            name: name.to_string(),
            values: accepted,
        });
    }
    rules.sort_by_key(|rule| rule.number);
    rules
}

const HEADER: &str = r#"<?xml version="1.0" encoding="utf-8"?><?xml-stylesheet type='text/xsl' href='STIG_unclass.xsl'?><Benchmark xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cpe="http://cpe.mitre.org/language/2.0" xmlns:xhtml="http://www.w3.org/1999/xhtml" xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" xsi:schemaLocation="http://checklists.nist.gov/xccdf/1.1 http://nvd.nist.gov/schema/xccdf-1.1.4.xsd http://cpe.mitre.org/dictionary/2.0 http://cpe.mitre.org/files/cpe-dictionary_2.1.xsd" id="Synthetic_Windows_11_STIG" xml:lang="en" xmlns="http://checklists.nist.gov/xccdf/1.1"><status date="2026-01-05">accepted</status><title>Synthetic Microsoft Windows 11 Security Technical Implementation Guide</title><description>Synthetic benchmark written by baselint's gen_tenant example for benchmarks; shaped like the DISA Windows 11 STIG.</description><notice id="terms-of-use" xml:lang="en"></notice><front-matter xml:lang="en"></front-matter><rear-matter xml:lang="en"></rear-matter><reference href="https://cyber.mil"><dc:publisher>DISA</dc:publisher><dc:source>STIG.DOD.MIL</dc:source></reference><plain-text id="release-info">Release: 1 Benchmark Date: 05 Jan 2026</plain-text><plain-text id="generator">3.5.2</plain-text><plain-text id="conventionsVersion">1.10.0</plain-text><version>1</version>"#;

const PROFILES: [(&str, &str); 3] = [
    ("MAC-1_Classified", "I - Mission Critical Classified"),
    ("MAC-2_Public", "II - Mission Support Public"),
    ("MAC-3_Sensitive", "III - Administrative Sensitive"),
];

/// The benchmark document (UTF-8, one line per group, as DISA writes it).
pub fn xccdf(rules: &[StigRule]) -> String {
    let mut out = String::with_capacity(rules.len() * 3000);
    out.push_str(HEADER);
    for (id, title) in PROFILES {
        let _ = write!(
            out,
            "<Profile id=\"{id}\"><title>{title}</title><description>&lt;ProfileDescription&gt;&lt;/ProfileDescription&gt;</description>"
        );
        for rule in rules {
            let _ = write!(
                out,
                "<select idref=\"{}\" selected=\"true\" />",
                group_id(rule.number)
            );
        }
        out.push_str("</Profile>");
    }
    for rule in rules {
        out.push('\n');
        group(&mut out, rule);
    }
    out.push_str("</Benchmark>");
    out
}

fn group_id(n: usize) -> String {
    format!("V-9{n:05}")
}

fn group(out: &mut String, rule: &StigRule) {
    let n = rule.number;
    let revision = 990_000 + n * 7;
    let severity = ["medium", "medium", "medium", "low", "high"][n % 5];
    let stig_id = format!("WN11-{}-{:06}", rule.area, 900_000 + n);
    let title = escape(&format!("{} must be configured.", rule.title));
    let _ = write!(
        out,
        "<Group id=\"{gid}\"><title>SRG-OS-000480-GPOS-00227</title><description>&lt;GroupDescription&gt;&lt;/GroupDescription&gt;</description>\
         <Rule id=\"S{gid}r{revision}_rule\" weight=\"10.0\" severity=\"{severity}\"><version>{stig_id}</version><title>{title}</title>\
         <description>&lt;VulnDiscussion&gt;Synthetic requirement on {title_escaped}.&lt;/VulnDiscussion&gt;&lt;FalsePositives&gt;&lt;/FalsePositives&gt;&lt;FalseNegatives&gt;&lt;/FalseNegatives&gt;&lt;Documentable&gt;false&lt;/Documentable&gt;&lt;Mitigations&gt;&lt;/Mitigations&gt;&lt;SeverityOverrideGuidance&gt;&lt;/SeverityOverrideGuidance&gt;&lt;PotentialImpacts&gt;&lt;/PotentialImpacts&gt;&lt;ThirdPartyTools&gt;&lt;/ThirdPartyTools&gt;&lt;MitigationControl&gt;&lt;/MitigationControl&gt;&lt;Responsibility&gt;&lt;/Responsibility&gt;&lt;IAControls&gt;&lt;/IAControls&gt;</description>\
         <reference><dc:title>DPMS Target Microsoft Windows 11</dc:title><dc:publisher>DISA</dc:publisher><dc:type>DPMS Target</dc:type><dc:subject>Microsoft Windows 11</dc:subject><dc:identifier>5471</dc:identifier></reference>\
         <ident system=\"http://cyber.mil/cci\">CCI-000366</ident>\
         <fixtext fixref=\"F-9{n:05}r{revision}_fix\">Configure the policy value for {title} as the check text states.</fixtext><fix id=\"F-9{n:05}r{revision}_fix\" />\
         <check system=\"C-9{n:05}r{revision}_chk\"><check-content-ref href=\"Synthetic_Windows_11_STIG.xml\" name=\"M\" /><check-content>{check}</check-content></check></Rule></Group>",
        gid = group_id(n),
        title_escaped = escape(&escape(&rule.title)),
        check = escape(&check_text(n, rule)),
    );
}

/// The registry block; values written `1` or `0x00000001 (1)`, alternatives joined by "or".
fn check_text(n: usize, rule: &StigRule) -> String {
    let values: Vec<String> = rule
        .values
        .iter()
        .map(|&v| {
            if n.is_multiple_of(3) {
                v.to_string()
            } else {
                format!("0x{:08x} ({v})", v as u32)
            }
        })
        .collect();
    format!(
        "If the following registry value does not exist or is not configured as specified, this is a finding:\n\n\
         Registry Hive: HKEY_LOCAL_MACHINE\nRegistry Path: \\{}\\\n\nValue Name: {}\n\nValue Type: REG_DWORD\nValue: {}",
        rule.path,
        rule.name,
        values.join(" or ")
    )
}
