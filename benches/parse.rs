//! Parse-only throughput per input format, in MB/s, plus `check` end to end on a small tenant.
//!
//! ```text
//! cargo bench --bench parse             # every benchmark (about a minute)
//! cargo bench --bench parse -- gpo      # those whose name contains `gpo`
//! ```
//!
//! Each benchmark decodes the bytes as `baselint check` does (`SourceFile::decode`: BOM and
//! UTF-16 sniffing) and runs one reader, through the public functions the fuzz targets use.
//! Inputs are built once, in memory, before the first benchmark (see `support/mod.rs` and
//! `README.md` here).

use std::sync::LazyLock;
use std::time::Duration;

use baselint::catalog::Catalog;
use baselint::ingest::{self, membership_rule};
use baselint::model::Model;
use baselint::source::SourceId;
use divan::Bencher;
use divan::counter::BytesCount;

mod support;

use support::{Inputs, decode};

static INPUTS: LazyLock<Inputs> = LazyLock::new(Inputs::build);

fn main() {
    inputs_read_cleanly();
    // Inputs of a few MB take milliseconds per iteration: a few samples of one iteration each
    // give stable MB/s and keep the whole run near a minute on a busy two-core machine.
    divan::Divan::from_args()
        .sample_count(10)
        .sample_size(1)
        .max_time(Duration::from_secs(3))
        .main();
}

/// Generated inputs must read without input errors, or the figures measure error paths.
fn inputs_read_cleanly() {
    let catalog = Catalog::builtin();
    let inputs = &*INPUTS;
    let id = SourceId(0);
    let parsed = [
        (
            "intune",
            ingest::intune::read_json(id, &decode("p.json", &inputs.intune_json), catalog),
        ),
        (
            "groups",
            ingest::intune::read_json(id, &decode("g.json", &inputs.groups_json), catalog),
        ),
        (
            "gpo report",
            ingest::gpo_report::read(id, &decode("r.xml", &inputs.gpo_report), catalog),
        ),
        (
            "GptTmpl.inf",
            ingest::security_template::read(
                id,
                &decode("GptTmpl.inf", &inputs.security_template),
                None,
                catalog,
            ),
        ),
        (
            "xccdf",
            ingest::xccdf::read(id, &decode("x.xml", &inputs.xccdf), catalog),
        ),
        (
            "ckl",
            ingest::checklist::read_ckl(id, &decode("h.ckl", &inputs.ckl)),
        ),
        (
            "cklb",
            ingest::checklist::read_cklb(id, &decode("h.cklb", &inputs.cklb)),
        ),
        (
            "baseline",
            ingest::baseline::read(id, &decode("b.toml", &inputs.baseline_toml), catalog),
        ),
    ];
    for (name, parsed) in parsed {
        assert!(
            parsed.errors.is_empty(),
            "{name}: {:?}",
            parsed.errors.first()
        );
    }
    for bytes in &inputs.intune_files {
        let parsed = ingest::intune::read_json(id, &decode("p.json", bytes), catalog);
        assert!(
            parsed.errors.is_empty(),
            "policy file: {:?}",
            parsed.errors.first()
        );
    }
    let mut model = Model::default();
    let pol = std::path::Path::new("Machine/Registry.pol");
    ingest::registry_pol::load(pol, &inputs.registry_pol, None, &mut model, catalog);
    assert!(
        model.errors.is_empty(),
        "Registry.pol: {:?}",
        model.errors.first()
    );
    let broken = inputs
        .membership_rules
        .iter()
        .filter(|rule| membership_rule::parse(rule).is_err())
        .count();
    assert_eq!(broken, 0, "membership rules that do not parse");
}

/// Decode and read one file's bytes; the counter is the file's size.
fn bench_file(bencher: Bencher, name: &str, bytes: &'static [u8], read: fn(&str, &[u8]) -> usize) {
    bencher
        .counter(BytesCount::new(bytes.len()))
        .bench(|| read(name, divan::black_box(bytes)));
}

/// Decode and read one Intune JSON file; the number of policies read.
fn intune_policies(name: &str, bytes: &[u8]) -> usize {
    let file = decode(name, bytes);
    ingest::intune::read_json(SourceId(0), &file, Catalog::builtin())
        .policies
        .len()
}

#[divan::bench]
fn intune_json(bencher: Bencher) {
    bench_file(
        bencher,
        "policies.json",
        &INPUTS.intune_json,
        intune_policies,
    );
}

/// The same list through the reference reader (the `jsonc-parser` AST every file the fast path
/// declines goes through).
#[divan::bench]
fn intune_json_reference(bencher: Bencher) {
    bench_file(
        bencher,
        "policies.json",
        &INPUTS.intune_json,
        |name, bytes| {
            let file = decode(name, bytes);
            ingest::intune::read_json_reference(SourceId(0), &file, Catalog::builtin())
                .policies
                .len()
        },
    );
}

/// The list's policies one per file: most go through the Settings Catalog fast path.
#[divan::bench]
fn intune_policy_files(bencher: Bencher) {
    let files = &INPUTS.intune_files;
    let bytes: usize = files.iter().map(Vec::len).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        files
            .iter()
            .map(|bytes| intune_policies("policy.json", divan::black_box(bytes)))
            .sum::<usize>()
    });
}

#[divan::bench]
fn entra_groups_json(bencher: Bencher) {
    bench_file(
        bencher,
        "groups.json",
        &INPUTS.groups_json,
        |name, bytes| {
            let file = decode(name, bytes);
            ingest::intune::read_json(SourceId(0), &file, Catalog::builtin())
                .groups
                .len()
        },
    );
}

#[divan::bench]
fn gpo_report_utf16(bencher: Bencher) {
    bench_file(
        bencher,
        "report-all.xml",
        &INPUTS.gpo_report,
        |name, bytes| {
            let file = decode(name, bytes);
            ingest::gpo_report::read(SourceId(0), &file, Catalog::builtin())
                .policies
                .len()
        },
    );
}

#[divan::bench]
fn security_template_inf(bencher: Bencher) {
    bench_file(
        bencher,
        "GptTmpl.inf",
        &INPUTS.security_template,
        |name, bytes| {
            let file = decode(name, bytes);
            ingest::security_template::read(SourceId(0), &file, None, Catalog::builtin())
                .policies
                .len()
        },
    );
}

#[divan::bench]
fn registry_pol(bencher: Bencher) {
    // Registry.pol is binary: `load` reads it and renders its listing source into the model.
    bench_file(
        bencher,
        "Machine/Registry.pol",
        &INPUTS.registry_pol,
        |name, bytes| {
            let mut model = Model::default();
            let path = std::path::Path::new(name);
            ingest::registry_pol::load(path, bytes, None, &mut model, Catalog::builtin());
            model.policies.len()
        },
    );
}

#[divan::bench]
fn xccdf(bencher: Bencher) {
    bench_file(bencher, "stig-xccdf.xml", &INPUTS.xccdf, |name, bytes| {
        let file = decode(name, bytes);
        ingest::xccdf::read(SourceId(0), &file, Catalog::builtin())
            .controls
            .len()
    });
}

#[divan::bench]
fn ckl(bencher: Bencher) {
    bench_file(bencher, "host.ckl", &INPUTS.ckl, |name, bytes| {
        let file = decode(name, bytes);
        ingest::checklist::read_ckl(SourceId(0), &file)
            .checklist_entries
            .len()
    });
}

#[divan::bench]
fn cklb(bencher: Bencher) {
    bench_file(bencher, "host.cklb", &INPUTS.cklb, |name, bytes| {
        let file = decode(name, bytes);
        ingest::checklist::read_cklb(SourceId(0), &file)
            .checklist_entries
            .len()
    });
}

#[divan::bench]
fn baseline_toml(bencher: Bencher) {
    bench_file(
        bencher,
        "baseline.toml",
        &INPUTS.baseline_toml,
        |name, bytes| {
            let file = decode(name, bytes);
            ingest::baseline::read(SourceId(0), &file, Catalog::builtin())
                .controls
                .len()
        },
    );
}

/// Every Entra membership rule and assignment filter rule of the tenant, parsed one by one.
#[divan::bench]
fn membership_rules(bencher: Bencher) {
    let rules = &INPUTS.membership_rules;
    let bytes: usize = rules.iter().map(String::len).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        rules
            .iter()
            .filter(|rule| membership_rule::parse(divan::black_box(rule)).is_ok())
            .count()
    });
}

/// `baselint::check` (config, rules, walk, read, scope, every rule; no report rendering) on a
/// 300-policy tenant with 15 GPOs and the STIG, written to a temporary folder.
#[divan::bench]
fn check_300_policies(bencher: Bencher) {
    let tenant = support::TempTenant::new(300);
    let options = baselint::Options {
        paths: vec![tenant.dir.clone()],
        ..baselint::Options::default()
    };
    bencher
        .counter(BytesCount::new(tenant.bytes))
        .bench(|| baselint::check(&options).findings.len());
}
