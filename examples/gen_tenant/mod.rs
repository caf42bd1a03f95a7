//! The synthetic tenant generator behind `examples/gen_tenant.rs`, also included by
//! `benches/parse.rs` (`#[path]` modules: no library API). Files go to a [`Sink`], so the
//! example writes them to disk and the benchmarks keep them in memory.
//!
//! Randomness (see `rng.rs`): every group, filter, policy, policy's assignments and GPO draws
//! from a stream of its own, keyed by (seed, purpose, index); whatever concerns a catalog
//! record (its usual value, whether a policy, GPO or the STIG picks it, the value a policy
//! gives it) is keyed by the record's definition id or catalog key, never its position. So a
//! catalog that gains or loses records changes only the policies, GPOs and STIG rules that pick
//! those records, and turning GPOs or the STIG off leaves the Intune files unchanged.

pub mod gpo;
pub mod intune;
pub mod json;
pub mod rng;
pub mod stig;

use std::fmt::Write as _;

use baselint::catalog::Catalog;

use intune::{
    GroupKind, Tenant, catalog_policy, filter_json, group_json, make_filters, make_groups,
    oma_policy, settings_pool,
};
use json::{J, pretty, s};
use rng::{Purpose, Rng};

/// What to generate.
pub struct Params {
    pub policies: usize,
    pub seed: u64,
    /// GPO reports (about one per 20 policies) and `[inventory.ous]`.
    pub gpo: bool,
    /// One `Get-GPOReport -All` file instead of one report per GPO.
    pub gpo_all_in_one: bool,
    /// The Settings Catalog policies in one Graph list response
    /// (`intune/configurationPolicies.json`) instead of one file each.
    pub catalog_list: bool,
    /// A STIG XCCDF benchmark, selected in `baselint.toml`.
    pub stig: bool,
    /// Registry rules in the STIG.
    pub stig_rules: usize,
}

/// Where generated files go; `path` is relative to the tenant, `/`-separated.
pub trait Sink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> Result<(), String>;
}

/// What was written, for the summary.
#[derive(Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
    pub settings: usize,
    pub catalog_policies: usize,
    pub oma_policies: usize,
    pub pku2u_policies: usize,
    pub assignments: usize,
    pub groups: usize,
    pub dynamic_groups: usize,
    pub filters: usize,
    pub gpos: usize,
    pub gpo_settings: usize,
    pub gpo_links: usize,
    pub pku2u_gpos: usize,
    pub ous: usize,
    pub stig_rules: usize,
}

fn put(sink: &mut dyn Sink, path: &str, bytes: &[u8], written: &mut Written) -> Result<(), String> {
    sink.put(path, bytes)?;
    written.files += 1;
    written.bytes += bytes.len() as u64;
    Ok(())
}

/// The tenant for `params`, drawn from baselint's built-in catalog.
pub fn generate(params: &Params, sink: &mut dyn Sink) -> Result<Written, String> {
    generate_with(params, Catalog::builtin(), sink)
}

/// The tenant for `params`, drawn from `catalog` (tests compare two catalogs).
pub fn generate_with(
    params: &Params,
    catalog: &Catalog,
    sink: &mut dyn Sink,
) -> Result<Written, String> {
    let seed = params.seed;
    let pool = settings_pool(catalog, seed);
    if pool.is_empty() {
        return Err("the catalog has no Settings Catalog definitions".into());
    }
    let mut written = Written::default();

    // Groups: about 0.5 per policy (10k policies: 5,200 groups).
    let groups = make_groups(params.policies / 2 + 200, seed);
    let group_list: Vec<J> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| group_json(g, i, seed))
        .collect();
    let groups_doc = list_response(
        "https://graph.microsoft.com/v1.0/$metadata#groups",
        group_list,
    );
    put(
        sink,
        "entra/groups.json",
        pretty(&groups_doc).as_bytes(),
        &mut written,
    )?;
    written.groups = groups.len();
    written.dynamic_groups = groups
        .iter()
        .filter(|g| !matches!(g.kind, GroupKind::Static(_)))
        .count();

    let filters = make_filters(10 + params.policies / 500, seed);
    let filters_doc = list_response(
        "https://graph.microsoft.com/beta/$metadata#deviceManagement/assignmentFilters",
        filters.iter().map(filter_json).collect(),
    );
    put(
        sink,
        "entra/assignmentFilters.json",
        pretty(&filters_doc).as_bytes(),
        &mut written,
    )?;
    written.filters = filters.len();

    let indices = |kind: GroupKind| -> Vec<usize> {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.kind == kind)
            .map(|(i, _)| i)
            .collect()
    };
    let tenant = Tenant {
        entra: indices(GroupKind::EntraJoined),
        hybrid: indices(GroupKind::HybridJoined),
        groups: &groups,
        filters: &filters,
        all_devices: (25.0 / params.policies.max(1) as f64).min(0.05),
    };
    if tenant.entra.is_empty() || tenant.hybrid.is_empty() {
        return Err("too few groups: use --policies 10 or more".into());
    }

    let mut listed = Vec::new();
    for index in 0..params.policies {
        let rng = &mut Rng::keyed(seed, Purpose::Policy, &[index as u64]);
        let (name, policy) = if rng.chance(0.07) {
            oma_policy(index, &tenant, seed, rng, &mut written)
        } else {
            let (name, policy) = catalog_policy(index, &pool, &tenant, seed, rng, &mut written);
            if params.catalog_list {
                listed.push(policy);
                continue;
            }
            (name, policy)
        };
        put(
            sink,
            &format!("intune/{name}.json"),
            pretty(&policy).as_bytes(),
            &mut written,
        )?;
    }
    if params.catalog_list {
        let list = list_response(
            "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies(settings(),assignments())",
            listed,
        );
        put(
            sink,
            "intune/configurationPolicies.json",
            pretty(&list).as_bytes(),
            &mut written,
        )?;
    }

    let ous = gpo::organisational_units();
    if params.gpo {
        write_gpos(params, catalog, &pool, &ous, sink, &mut written)?;
    }
    if params.stig {
        let rules = stig::stig_rules(catalog, &pool, params.stig_rules, seed);
        written.stig_rules = rules.len();
        put(
            sink,
            stig::PATH,
            stig::xccdf(&rules).as_bytes(),
            &mut written,
        )?;
    }

    let config = config_toml(params, &groups, &ous);
    put(sink, "baselint.toml", config.as_bytes(), &mut written)?;
    Ok(written)
}

/// A Graph list response: `items` under `value`, beside the `@odata.context` annotation.
fn list_response(context: &str, items: Vec<J>) -> J {
    J::Obj(vec![
        ("@odata.context", s(context)),
        ("value", J::Arr(items)),
    ])
}

/// About one GPO per 20 policies, as UTF-16 reports under `gpo/`.
fn write_gpos(
    params: &Params,
    catalog: &Catalog,
    intune_pool: &[intune::Def],
    ous: &[gpo::Ou],
    sink: &mut dyn Sink,
    written: &mut Written,
) -> Result<(), String> {
    let pool = gpo::gpo_pool(catalog, intune_pool, params.seed);
    if pool.is_empty() {
        return Err("the catalog has no GPO-settable settings".into());
    }
    written.ous = ous.len();
    let count = (params.policies / 20).max(1);
    let mut all = Vec::new();
    for index in 0..count {
        let standalone = !params.gpo_all_in_one;
        let (name, text, counts) = gpo::gpo_report(index, &pool, ous, params.seed, standalone);
        written.gpos += 1;
        written.gpo_settings += counts.settings;
        written.gpo_links += counts.links;
        written.pku2u_gpos += usize::from(counts.pku2u);
        if standalone {
            put(
                sink,
                &format!("gpo/{name}.xml"),
                &gpo::utf16le(&text),
                written,
            )?;
        } else {
            all.push(text);
        }
    }
    if params.gpo_all_in_one {
        let report = gpo::report_all(&all);
        put(sink, "gpo/report-all.xml", &gpo::utf16le(&report), written)?;
    }
    Ok(())
}

/// Inventory of the static groups' (and OUs') join types, the STIG selected, every rule.
fn config_toml(params: &Params, groups: &[intune::Group], ous: &[gpo::Ou]) -> String {
    let mut config = String::from(
        "# Synthetic tenant written by `cargo run --example gen_tenant`.\n\n[inventory.groups]\n\
         # Static groups: their members' join types cannot be read from Entra.\n",
    );
    for group in groups {
        if let GroupKind::Static(join) = group.kind {
            let _ = writeln!(config, "\"{}\" = [\"{join}\"]", group.name);
        }
    }
    if params.gpo {
        let (name, join) = gpo::DECLARED_FILTER_GROUP;
        let _ = writeln!(
            config,
            "# An AD group GPOs are security-filtered to.\n\"{name}\" = [\"{join}\"]"
        );
        config
            .push_str("\n[inventory.ous]\n# What kind of computers sit in each OU GPOs link to.\n");
        for ou in ous {
            let _ = writeln!(config, "\"{}\" = [\"{}\"]", ou.inventory_key, ou.join);
        }
    }
    if params.stig {
        let _ = write!(
            config,
            "\n[baselines]\nuse = [\"{}\", \"entra-joined-adjustments\"]\n",
            stig::PATH
        );
    }
    config.push_str("\n[rules]\nselect = [\"ALL\"]\n");
    config
}
