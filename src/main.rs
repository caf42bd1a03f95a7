//! The `baselint` command: parses arguments, calls the library, sets the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use baselint::report::{self, Format};
use baselint::rules::{self, Severity};

#[derive(Parser)]
#[command(
    name = "baselint",
    version,
    about = "Lint Windows security baselines: Intune exports, Entra groups, GPOs, CIS and STIG"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint files and folders (folders are walked recursively).
    Check(CheckArgs),
    /// List the rules (built-in and from --rules folders).
    Rules {
        /// Extra folder of rule files.
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
    /// Print a rule's documentation.
    Explain {
        /// Rule id (e.g. pku2u-disabled-on-entra-joined) or code (BL001).
        rule: String,
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to lint [default: .]
    paths: Vec<PathBuf>,
    /// Config file [default: baselint.toml in the first path or its parents]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Run only these rules (repeatable; ALL for every rule).
    #[arg(long, value_name = "ID")]
    select: Vec<String>,
    /// Skip these rules (repeatable).
    #[arg(long, value_name = "ID")]
    ignore: Vec<String>,
    /// Extra folder of rule files (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
    /// Colour in the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The documented exit codes.
#[derive(Clone, Copy)]
enum Exit {
    Clean = 0,
    Findings = 1,
    Error = 2,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Clean
            };
            return ExitCode::from(code as u8);
        }
    };
    let exit = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules { rule_dirs } => list_rules(&rule_dirs),
        Command::Explain { rule, rule_dirs } => explain(&rule, &rule_dirs),
    };
    ExitCode::from(exit as u8)
}

/// Write to stdout; a closed pipe (`baselint check | head`) is not an error.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("baselint: cannot write output: {e}");
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn check(args: CheckArgs) -> Exit {
    let options = baselint::Options {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths
        },
        config: args.config,
        select: args.select,
        ignore: args.ignore,
        rule_dirs: args.rule_dirs,
    };
    let outcome = baselint::check(&options);
    let text = match args.format {
        Format::Human => report::human::render(
            &outcome,
            report::human::Style {
                color: use_color(args.color),
                width: terminal_width(),
            },
        ),
        Format::Json => report::json::render(&outcome),
    };
    emit(&text);
    if !outcome.errors().is_empty() {
        return Exit::Error;
    }
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    let failing = threshold.is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    if failing { Exit::Findings } else { Exit::Clean }
}

fn load_rules(rule_dirs: &[PathBuf]) -> Result<Vec<rules::Rule>, Exit> {
    let mut sources = baselint::source::Sources::default();
    let (rules, errors) = rules::load_all(
        rule_dirs,
        &mut sources,
        baselint::catalog::Catalog::builtin(),
    );
    for e in &errors {
        let position = match (e.line, e.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", e.path),
            _ => e.path.clone(),
        };
        eprintln!("error[input]: {position}: {}", e.message);
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(Exit::Error)
    }
}

fn list_rules(rule_dirs: &[PathBuf]) -> Exit {
    let mut rules = match load_rules(rule_dirs) {
        Ok(rules) => rules,
        Err(exit) => return exit,
    };
    rules.sort_by(|a, b| {
        (a.code.is_none(), &a.code, &a.id).cmp(&(b.code.is_none(), &b.code, &b.id))
    });
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for rule in &rules {
        text.push_str(&format!(
            "{:<6} {:<width$}  {:<7}  {}\n",
            rule.code.as_deref().unwrap_or("-"),
            rule.id,
            rule.severity.name(),
            rule.summary
        ));
    }
    emit(&text);
    Exit::Clean
}

fn explain(wanted: &str, rule_dirs: &[PathBuf]) -> Exit {
    let rules = match load_rules(rule_dirs) {
        Ok(rules) => rules,
        Err(exit) => return exit,
    };
    let Some(rule) = rules.iter().find(|r| {
        r.id == wanted
            || r.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(wanted))
    }) else {
        eprintln!("baselint: no rule `{wanted}` (see `baselint rules`)");
        return Exit::Error;
    };
    emit(&baselint::rules::explain(rule));
    Exit::Clean
}
