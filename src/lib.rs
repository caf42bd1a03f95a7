//! baselint: a linter for Windows security baselines written as code.
//!
//! Files in, one model, rules over the model, findings out:
//! [`ingest`] reads every file into the [`model`], [`scope`] works out which devices each
//! assignment reaches, the [`rules`] engine evaluates the rule files, and [`report`] writes
//! the findings.
//!
//! No unsafe code: every input is untrusted, and the speed comes from the design
//! (docs/performance.md).
#![forbid(unsafe_code)]

pub mod audit;
pub mod baselines;
pub mod catalog;
pub mod config;
pub mod exceptions;
pub mod finding;
pub mod history;
pub mod import;
pub mod ingest;
pub mod inspect;
pub mod model;
pub mod positioned;
pub mod report;
pub mod rules;
pub mod scope;
pub mod source;
#[cfg(test)]
mod testing;
pub mod timings;

use std::path::PathBuf;

use catalog::Catalog;
use config::Config;
use finding::Finding;
use model::{InputError, Model};
use rules::Rule;

/// What to lint and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// An explicit config file; otherwise `baselint.toml` is looked up from the first path.
    pub config: Option<PathBuf>,
    /// Rule ids to run (replaces the config's `select`); `ALL` means every rule.
    pub select: Vec<String>,
    /// Rule ids to skip (added to the config's `ignore`).
    pub ignore: Vec<String>,
    /// Extra folders of rule files.
    pub rule_dirs: Vec<PathBuf>,
    /// The day exceptions are judged on (`--today`); None = the system date.
    pub today: Option<model::Date>,
    /// Days before expiry from which an exception is "expiring" (`--within`); None = the
    /// config's `expiring-within`, else 30.
    pub expiring_within: Option<i64>,
    /// Read the inputs and run no rule (`baselint inspect`).
    pub read_only: bool,
    /// Largest file read, in bytes (`--max-file-size`); None = the config's `[limits]
    /// max-file-size`, else [`ingest::MAX_FILE_SIZE`].
    pub max_file_size: Option<u64>,
    /// Walk folders without honouring `.gitignore` files (`--no-ignore`).
    pub no_ignore: bool,
    /// The join types a policy without assignments (a GPO without enabled links) is checked as
    /// reaching (`--unassigned`); None = the config's `[inventory] unassigned`, else none.
    pub unassigned: Option<model::JoinTypeSet>,
    /// An input error when the paths hold nothing baselint reads, so that a gate over an
    /// empty or misnamed export folder does not pass (the commands set it; the lint of a
    /// `--since` revision, which may predate the exports, does not).
    pub expect_input: bool,
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub model: Model,
    pub config: Config,
    /// The rules that ran, with configured severities applied.
    pub rules: Vec<Rule>,
    /// Findings no valid exception covers.
    pub findings: Vec<Finding>,
    /// Findings a valid exception covers (`Finding::exception` says which).
    pub excepted: Vec<Finding>,
    /// Every exception's state, and checklist entries that document deviations.
    pub audit: exceptions::Audit,
}

impl Outcome {
    /// Input errors: unreadable files, broken JSON, rule files, config, membership rules.
    pub fn errors(&self) -> &[InputError] {
        &self.model.errors
    }

    /// Drop what only the lint itself needed (the model's policies, groups, filters, controls,
    /// exceptions and checklist entries; the exception audit), keeping the findings, the
    /// rules, the sources their locations point into and the input errors: what comparing
    /// another lint with this one needs (`--since`).
    pub fn keep_findings(&mut self) {
        let model = std::mem::take(&mut self.model);
        self.model = Model {
            sources: model.sources,
            errors: model.errors,
            ..Model::default()
        };
        self.audit = exceptions::Audit::default();
    }
}

/// Load the config and rules, read the inputs, and run the rules.
pub fn check(options: &Options) -> Outcome {
    timings::start();
    let mut model = Model::default();
    // The embedded catalog is built (about 20 ms) while the config is read and the folders walked.
    let (catalog, (config, (files, walk_errors))) = rayon::join(Catalog::builtin, || {
        let config = load_config(options, &mut model);
        let walk = ingest::collect_files_with(&options.paths, !options.no_ignore);
        (config, walk)
    });
    timings::phase("catalog, config, walk");
    let mut rule_dirs = config.rule_paths.clone();
    rule_dirs.extend(options.rule_dirs.iter().cloned());
    let (all_rules, rule_errors) = rules::load_all(&rule_dirs, &mut model.sources, catalog);
    model.errors.extend(rule_errors);
    let (all_rules, selected) = select_rules(all_rules, &config, options, &mut model);
    timings::phase("rules");
    let all_rules = if options.read_only {
        Vec::new()
    } else {
        all_rules
    };
    let max_file_size = options
        .max_file_size
        .or(config.max_file_size)
        .unwrap_or(ingest::MAX_FILE_SIZE);
    let (sources_before, errors_before) = (model.sources.len(), model.errors.len());
    model.errors.extend(walk_errors);
    ingest::load_within(&files, &mut model, catalog, max_file_size);
    drop_companion_duplicates(&mut model);
    ingest::gpo_copies::merge(&mut model);
    ingest::gpp_passwords::hide_autologon_passwords(&mut model);
    load_baselines(&config, &mut model, catalog, max_file_size);
    load_exceptions(&config, &mut model, max_file_size);
    let nothing_read = model.sources.len() == sources_before && model.errors.len() == errors_before;
    if options.expect_input && nothing_read {
        model.errors.push(nothing_to_lint(&options.paths));
    }
    if let Some(types) = options.unassigned.or(config.inventory.unassigned) {
        assume_reach_of_unassigned(&mut model, types);
    }
    timings::phase("read, parse");

    let (scope, scope_errors) = scope::Scope::new(&model, &config.inventory);
    timings::phase("scope");
    let ctx = rules::engine::Context::new(&model, &scope, catalog, config.missing_controls);
    // Only the selected rules are reported, but a rule an exception may cover runs whether
    // selected or not, so that the exception audit (used, unused) is the same either way.
    let needed = |rule: &Rule| {
        selected.iter().any(|id| rule.id == *id)
            || exceptions::may_cover_rule(&model.exceptions, &rule.id)
    };
    let mut findings = rules::engine::run(&all_rules, needed, &ctx);
    timings::phase("checks");
    drop(scope);
    model.errors.extend(scope_errors);
    let today = options.today.unwrap_or_else(model::Date::today);
    let within = options
        .expiring_within
        .or(config.expiring_within)
        .unwrap_or(exceptions::DEFAULT_EXPIRING_WITHIN);
    let (mut excepted, audit) = exceptions::apply(&mut findings, &model, today, within);
    let status = exceptions::status_findings(&all_rules, &model, &audit);
    let is_selected = |f: &Finding| selected.iter().any(|id| f.rule == *id);
    findings.retain(is_selected);
    excepted.retain(is_selected);
    // The engine's findings come sorted, and applying exceptions keeps their order: only the
    // exceptions' own findings need placing among them.
    if !status.is_empty() {
        findings.extend(status.into_iter().filter(is_selected));
        rules::engine::sort_findings(&mut findings, &model.sources);
    }
    timings::phase("exceptions");
    let rules: Vec<Rule> = all_rules
        .into_iter()
        .filter(|r| selected.iter().any(|id| r.id == *id))
        .collect();
    Outcome {
        model,
        config,
        rules,
        findings,
        excepted,
        audit,
    }
}

/// The error for paths that hold no file baselint reads (and no file it failed to read).
fn nothing_to_lint(paths: &[PathBuf]) -> InputError {
    let shown: Vec<String> = paths.iter().map(|p| source::display_path(p)).collect();
    let path = match shown.first() {
        Some(first) if !first.is_empty() => first.clone(),
        _ => ".".to_string(),
    };
    let place = if shown.len() > 1 {
        format!("in {}", shown.join(", "))
    } else {
        "here".to_string()
    };
    InputError::about(
        path,
        format!(
            "nothing to lint: no file {place} is one baselint reads (Intune and Entra Graph \
             JSON, GPO reports and backups, GptTmpl.inf, Registry.pol, STIG XCCDF and \
             checklists, finding lists). A walk skips hidden and git-ignored files (--no-ignore \
             reads the ignored ones) and STIG or CIS baselines that [baselines] use does not name"
        ),
    )
}

/// For a review before deployment: a policy that reaches no device yet (no include assignment,
/// or a GPO with no enabled link) gets an assignment to `types`, pointing at its name, so that
/// the rules check it as it would be once assigned.
fn assume_reach_of_unassigned(model: &mut Model, types: model::JoinTypeSet) {
    use model::{Assignment, Mode, Target};
    for policy in &mut model.policies {
        if !policy.reaches_nothing() {
            continue;
        }
        policy.assignments.push(Assignment {
            target: Target::Unassigned(types),
            mode: Mode::Include,
            filter: None,
            span: policy.name_span,
            target_span: policy.name_span,
            file: None,
        });
    }
}

/// IntuneManagement writes an endpoint-security intent twice: the intent (with its id and
/// settings) and a `<name>_Settings.json` companion (settings only, no id). When both were read,
/// keep the intent.
fn drop_companion_duplicates(model: &mut Model) {
    let named_intents: std::collections::HashSet<String> = model
        .policies
        .iter()
        .filter(|p| p.kind == model::PolicyKind::EndpointSecurityIntent && p.id.is_some())
        .map(|p| p.name.clone())
        .collect();
    model.policies.retain(|p| {
        !(p.kind == model::PolicyKind::EndpointSecurityIntent
            && p.id.is_none()
            && named_intents.contains(&p.name))
    });
}

/// Read the baselines `[baselines] use` selects: shipped ones from the binary, files by format.
fn load_baselines(config: &Config, model: &mut Model, catalog: &Catalog, max_file_size: u64) {
    for baseline in &config.baselines {
        match &baseline.path {
            None => {
                let text = baselines::shipped(&baseline.name).unwrap_or_default();
                let name = format!("baselines/{}.toml", baseline.name.trim_end_matches(".toml"));
                let file = source::SourceFile::from_text(
                    std::path::Path::new(&name),
                    text.to_string(),
                    source::Encoding::Utf8,
                );
                let id = model.sources.add(file);
                ingest::baseline::read(id, model.sources.get(id), catalog).merge_into(model);
            }
            Some(path)
                if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("toml")) =>
            {
                match ingest::read_source_within(path, max_file_size) {
                    Ok(file) => {
                        let id = model.sources.add(file);
                        ingest::baseline::read(id, model.sources.get(id), catalog)
                            .merge_into(model);
                    }
                    Err(e) => model.errors.push(e),
                }
            }
            Some(path) => {
                let unit = ingest::Unit::File(path.clone());
                ingest::load_within(&[unit], model, catalog, max_file_size);
            }
        }
    }
}

/// Read `[exceptions] file`.
fn load_exceptions(config: &Config, model: &mut Model, max_file_size: u64) {
    let Some(path) = &config.exceptions_file else {
        return;
    };
    match ingest::read_source_within(path, max_file_size) {
        Ok(file) => {
            let id = model.sources.add(file);
            ingest::exceptions::read(id, model.sources.get(id)).merge_into(model);
        }
        Err(e) => model.errors.push(e),
    }
}

/// The config a run with `options` would use, and the errors reading it gave (a command can
/// then refuse what its config lacks before reading every input).
pub fn config_for(options: &Options) -> (Config, Vec<InputError>) {
    let mut model = Model::default();
    let config = load_config(options, &mut model);
    (config, model.errors)
}

fn load_config(options: &Options, model: &mut Model) -> Config {
    let found = || {
        let start = options
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        config::discover(&start)
    };
    // A config found in the linted tree names files inside its repository only; one given
    // with --config is the caller's, and trusted.
    let (path, found_in_tree) = match &options.config {
        Some(path) => (path.clone(), false),
        None => match found() {
            Some(path) => (path, true),
            None => return Config::default(),
        },
    };
    let max_file_size = options.max_file_size.unwrap_or(ingest::MAX_FILE_SIZE);
    match ingest::read_source_within(&path, max_file_size) {
        Ok(file) => {
            let root = found_in_tree.then(|| config::confinement_root(&path));
            let id = model.sources.add(file);
            let (config, errors) = config::parse_within(id, model.sources.get(id), root.as_deref());
            model.errors.extend(errors);
            config
        }
        Err(e) => {
            model.errors.push(e);
            Config::default()
        }
    }
}

/// Apply severity overrides to every rule and work out which are selected (`select` minus
/// `ignore`); unknown rule ids are positioned errors.
fn select_rules(
    all: Vec<Rule>,
    config: &Config,
    options: &Options,
    model: &mut Model,
) -> (Vec<Rule>, Vec<String>) {
    let known = |id: &str| id == "ALL" || all.iter().any(|r| r.id == id);
    let config_refs = config
        .select
        .iter()
        .chain(&config.ignore)
        .chain(config.severity.iter().map(|(r, _)| r));
    for rule_ref in config_refs {
        if !known(&rule_ref.id) {
            let file = model.sources.get(rule_ref.location.file);
            let message = format!("unknown rule `{}` (see `baselint rules`)", rule_ref.id);
            let error = InputError::at(
                rule_ref.location.file,
                file,
                rule_ref.location.span,
                message,
            );
            model.errors.push(error);
        }
    }
    for id in options.select.iter().chain(&options.ignore) {
        if !known(id) {
            model.errors.push(InputError::about(
                "<command line>".to_string(),
                format!("unknown rule `{id}` (see `baselint rules`)"),
            ));
        }
    }
    let select: Vec<&str> = if options.select.is_empty() {
        config.select.iter().map(|r| r.id.as_str()).collect()
    } else {
        options.select.iter().map(String::as_str).collect()
    };
    let ignore: Vec<&str> = config
        .ignore
        .iter()
        .map(|r| r.id.as_str())
        .chain(options.ignore.iter().map(String::as_str))
        .collect();
    let selected = all
        .iter()
        .filter(|r| select.is_empty() || select.contains(&"ALL") || select.contains(&r.id.as_str()))
        .filter(|r| !ignore.contains(&r.id.as_str()))
        .map(|r| r.id.to_string())
        .collect();
    let all = all
        .into_iter()
        .map(|mut r| {
            if let Some((_, severity)) = config.severity.iter().find(|(s, _)| r.id == s.id) {
                r.severity = *severity;
            }
            r
        })
        .collect();
    (all, selected)
}
