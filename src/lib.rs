//! baselint: a linter for Windows security baselines written as code.
//!
//! Files in, one model, rules over the model, findings out:
//! [`ingest`] reads every file into the [`model`], [`scope`] works out which devices each
//! assignment reaches, the [`rules`] engine evaluates the rule files, and [`report`] writes
//! the findings.

pub mod catalog;
pub mod config;
pub mod finding;
pub mod ingest;
pub mod model;
pub mod report;
pub mod rules;
pub mod scope;
pub mod source;

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
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub model: Model,
    pub config: Config,
    /// The rules that ran, with configured severities applied.
    pub rules: Vec<Rule>,
    pub findings: Vec<Finding>,
}

impl Outcome {
    /// Input errors: unreadable files, broken JSON, rule files, config, membership rules.
    pub fn errors(&self) -> &[InputError] {
        &self.model.errors
    }
}

/// Load the config and rules, read the inputs, and run the rules.
pub fn check(options: &Options) -> Outcome {
    let catalog = Catalog::builtin();
    let mut model = Model::default();
    let config = load_config(options, &mut model);
    let mut rule_dirs = config.rule_paths.clone();
    rule_dirs.extend(options.rule_dirs.iter().cloned());
    let (all_rules, rule_errors) = rules::load_all(&rule_dirs, &mut model.sources, catalog);
    model.errors.extend(rule_errors);
    let rules = select_rules(all_rules, &config, options, &mut model);

    let (files, walk_errors) = ingest::collect_files(&options.paths);
    model.errors.extend(walk_errors);
    ingest::load(&files, &mut model, catalog);

    let (scope, scope_errors) = scope::Scope::new(&model, &config.inventory);
    let ctx = rules::engine::Context {
        model: &model,
        scope: &scope,
        catalog,
    };
    let findings = rules::engine::run(&rules, &ctx);
    drop(scope);
    model.errors.extend(scope_errors);
    Outcome {
        model,
        config,
        rules,
        findings,
    }
}

fn load_config(options: &Options, model: &mut Model) -> Config {
    let path = options.config.clone().or_else(|| {
        let start = options
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        config::discover(&start)
    });
    let Some(path) = path else {
        return Config::default();
    };
    match ingest::read_source(&path) {
        Ok(file) => {
            let id = model.sources.add(file);
            let (config, errors) = config::parse(id, model.sources.get(id));
            model.errors.extend(errors);
            config
        }
        Err(e) => {
            model.errors.push(e);
            Config::default()
        }
    }
}

/// Apply `select`, `ignore` and severity overrides; unknown rule ids are positioned errors.
fn select_rules(
    all: Vec<Rule>,
    config: &Config,
    options: &Options,
    model: &mut Model,
) -> Vec<Rule> {
    let known = |id: &str| id == "ALL" || all.iter().any(|r| r.id == id);
    let config_refs = config
        .select
        .iter()
        .chain(&config.ignore)
        .chain(config.severity.iter().map(|(r, _)| r));
    for rule_ref in config_refs {
        if !known(&rule_ref.id) {
            let file = model.sources.get(rule_ref.location.file);
            let (line, column) = file.line_col(rule_ref.location.span.start as usize);
            model.errors.push(InputError {
                path: file.display_path.clone(),
                location: Some(rule_ref.location),
                line: Some(line),
                column: Some(column),
                message: format!("unknown rule `{}` (see `baselint rules`)", rule_ref.id),
            });
        }
    }
    for id in options.select.iter().chain(&options.ignore) {
        if !known(id) {
            model.errors.push(InputError {
                path: "<command line>".to_string(),
                location: None,
                line: None,
                column: None,
                message: format!("unknown rule `{id}` (see `baselint rules`)"),
            });
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
    all.into_iter()
        .filter(|r| select.is_empty() || select.contains(&"ALL") || select.contains(&r.id.as_str()))
        .filter(|r| !ignore.contains(&r.id.as_str()))
        .map(|mut r| {
            if let Some((_, severity)) = config.severity.iter().find(|(s, _)| s.id == r.id) {
                r.severity = *severity;
            }
            r
        })
        .collect()
}
