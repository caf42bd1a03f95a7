//! A seeded, deterministic generator of a synthetic Intune / Entra / GPO / STIG tenant, for
//! benchmarks.
//!
//! ```text
//! cargo run --release --example gen_tenant -- --policies 10000 --seed 42 --out DIR
//! ```
//!
//! Writes, in the shapes baselint reads (see `examples/contoso/`):
//!
//! * `intune/<name>.json`: one pretty-printed Graph object per policy. About 93 % are Settings
//!   Catalog policies (`deviceManagementConfigurationPolicy`) with 5 to 200 settings each, drawn
//!   from the Settings Catalog definition ids and options of baselint's built-in catalog (choice
//!   settings as `<definition id>_<option>`, simple settings as integer or string values); the
//!   rest are custom OMA-URI profiles (`windows10CustomConfiguration`). Each has `assignments`:
//!   group includes and exclusions, all devices, assignment filters, a few unknown groups.
//!   `--catalog-list` writes the Settings Catalog policies as one Graph list response
//!   `intune/configurationPolicies.json` instead (the same policies, in the same order).
//! * `entra/groups.json`: a Graph list of dynamic groups (`deviceTrustType` rules, other device
//!   and user rules) and static groups; `entra/assignmentFilters.json`: filters.
//! * `gpo/<name>.xml` (unless `--no-gpo`): about one GPO per 20 policies, each a
//!   `Get-GPOReport -ReportType Xml` report (UTF-16LE with BOM) with 5 to 60 Security Options,
//!   Administrative Templates and registry values from the catalog, security filtering, and
//!   links to OUs of `contoso.com` (some hybrid-joined, some domain-joined). `--gpo-all-in-one`
//!   writes one `Get-GPOReport -All` file `gpo/report-all.xml` instead.
//! * `stig/U_MS_Windows_11_Synthetic_STIG_V1R1_Manual-xccdf.xml` (unless `--no-stig`): a
//!   DISA-shaped XCCDF benchmark with `--stig-rules` (default 300) registry rules on settings
//!   the policies configure.
//! * `baselint.toml`: the inventory of the static groups' and OUs' join types, the STIG and
//!   `entra-joined-adjustments` selected as baselines, every rule selected.
//!
//! A sprinkle of policies and GPOs disable PKU2U and reach Entra-joined or hybrid-joined
//! devices, so the PKU2U rules fire.
//!
//! The output depends only on the arguments and the built-in catalog (splitmix64, no clock, no
//! hash order); the Intune and Entra files do not depend on `--no-gpo`, `--no-stig` or
//! `--stig-rules`. It is stable as the catalog changes: groups, filters, `baselint.toml`, policy
//! ids, names and assignments, OMA-URI profiles and everything of a GPO but its settings come
//! from streams keyed by (seed, purpose, index), which no catalog record draws from; the
//! settings a policy or GPO picks (rendezvous hashing), their values and usual values, and the
//! STIG's rules are keyed by definition id or catalog key, not position. A record added to or
//! removed from the catalog changes only the policies, GPOs and STIG rules that pick it (a
//! policy of `count` settings picks a given one of the about 3,600 definitions with probability
//! about count / 3,600). The directory is created; existing files of the same names are
//! overwritten.

#[path = "gen_tenant/mod.rs"]
mod generator;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use generator::{Params, Sink, Written};

// ---- command line ----

struct Args {
    params: Params,
    out: PathBuf,
}

const USAGE: &str = "usage: gen_tenant --out DIR [--policies N (default 1000)] [--seed S (default 42)]\n\
                     \x20                 [--no-gpo] [--gpo-all-in-one] [--catalog-list] [--no-stig]\n\
                     \x20                 [--stig-rules N (default 300)]";

fn parse_args() -> Result<Args, String> {
    let mut params = Params {
        policies: 1000,
        seed: 42,
        gpo: true,
        gpo_all_in_one: false,
        catalog_list: false,
        stig: true,
        stig_rules: 300,
    };
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--policies" => {
                params.policies = value("--policies")?
                    .parse()
                    .map_err(|e| format!("--policies: {e}"))?
            }
            "--seed" => {
                params.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--stig-rules" => {
                params.stig_rules = value("--stig-rules")?
                    .parse()
                    .map_err(|e| format!("--stig-rules: {e}"))?
            }
            "--no-gpo" => params.gpo = false,
            "--gpo-all-in-one" => params.gpo_all_in_one = true,
            "--catalog-list" => params.catalog_list = true,
            "--no-stig" => params.stig = false,
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let out = out.ok_or(format!("--out is required\n{USAGE}"))?;
    Ok(Args { params, out })
}

/// Writes files under a directory, creating each parent folder once.
struct DiskSink {
    root: PathBuf,
    created: BTreeSet<PathBuf>,
}

impl Sink for DiskSink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent()
            && !self.created.contains(parent)
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            self.created.insert(parent.to_path_buf());
        }
        std::fs::write(&full, bytes).map_err(|e| format!("cannot write {}: {e}", full.display()))
    }
}

fn print_summary(args: &Args, written: &Written) {
    let p = &args.params;
    println!(
        "wrote {} to {}\n  files:       {}\n  bytes:       {} ({:.1} MB)\n  policies:    {} ({} Settings Catalog, {} custom OMA-URI, {} disabling PKU2U)\n  settings:    {}\n  assignments: {}\n  groups:      {} ({} dynamic, {} static)\n  filters:     {}",
        p.policies,
        args.out.display(),
        written.files,
        written.bytes,
        written.bytes as f64 / 1e6,
        p.policies,
        written.catalog_policies,
        written.oma_policies,
        written.pku2u_policies,
        written.settings,
        written.assignments,
        written.groups,
        written.dynamic_groups,
        written.groups - written.dynamic_groups,
        written.filters,
    );
    if p.gpo {
        println!(
            "  gpos:        {} ({} settings, {} links to {} OUs, {} disabling PKU2U)",
            written.gpos, written.gpo_settings, written.gpo_links, written.ous, written.pku2u_gpos
        );
    }
    if p.stig {
        println!("  stig rules:  {}", written.stig_rules);
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut sink = DiskSink {
        root: args.out.clone(),
        created: BTreeSet::new(),
    };
    match generator::generate(&args.params, &mut sink) {
        Ok(written) => {
            print_summary(&args, &written);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("gen_tenant: {message}");
            ExitCode::FAILURE
        }
    }
}
