//! The `baselint` command: parses arguments, calls the library, sets the exit code.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use baselint::history::{self, Baseline};
use baselint::report::{self, Format, RepoPaths, Report};
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
    /// Show what baselint read from files and folders: policies, settings, assignments, links.
    Inspect(InspectArgs),
    /// Audit the exceptions: status, what each covers, days left.
    Exceptions(ExceptionsArgs),
    /// Write a baseline in baselint's TOML format from another format.
    Import {
        #[command(subcommand)]
        what: ImportKind,
    },
    /// Print a rule's documentation.
    Explain {
        /// Rule id (e.g. pku2u-disabled-on-entra-joined) or code (BL001).
        rule: String,
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportKind {
    /// A DISA STIG XCCDF benchmark (printed to standard output).
    Stig {
        /// The XCCDF file (`U_MS_Windows_11_STIG_..._Manual-xccdf.xml`).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InspectFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// Files or folders [default: .]
    paths: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
    format: InspectFormat,
    #[command(flatten)]
    input: InputArgs,
}

/// How the inputs are found and read: the same for every command that reads a tenant.
#[derive(clap::Args)]
struct InputArgs {
    /// Refuse files larger than SIZE (bytes, or 64M, 512MiB...) [default: [limits]
    /// max-file-size in baselint.toml, else 512MiB].
    #[arg(long, value_name = "SIZE", value_parser = baselint::config::parse_size)]
    max_file_size: Option<u64>,
    /// Also read files that .gitignore files or .git/info/exclude leave out of folder walks
    /// (not related to --ignore, which skips rules).
    #[arg(long)]
    no_ignore: bool,
    /// Threads to read files and run rules on [default: one per core, or RAYON_NUM_THREADS].
    /// The output is the same whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Check policies that have no assignment yet (GPOs with no enabled link) as if they
    /// reached these devices: entra, hybrid, domain, registered (comma-separated) or all, for a
    /// review before deployment [default: [inventory] unassigned in baselint.toml, else they
    /// reach no device].
    #[arg(long, value_name = "JOIN_TYPES", value_parser = baselint::model::JoinType::parse_list)]
    unassigned: Option<baselint::model::JoinTypeSet>,
}

impl InputArgs {
    /// Size the thread pool before anything runs on it.
    fn apply_threads(&self) {
        if let Some(n) = self.threads {
            // Only fails once the pool exists, and nothing has used it yet.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(usize::from(n))
                .build_global();
        }
    }
}

#[derive(clap::Args)]
struct ExceptionsArgs {
    /// Files or folders to lint against the exceptions [default: .]
    paths: Vec<PathBuf>,
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = baselint::audit::AuditFormat::Human)]
    format: baselint::audit::AuditFormat,
    /// Judge expiry on this day instead of today.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<baselint::model::Date>,
    /// Days before expiry from which an exception is "expiring" [default: 30].
    #[arg(long, value_name = "DAYS")]
    within: Option<i64>,
    #[command(flatten)]
    input: InputArgs,
}

fn parse_date(text: &str) -> Result<baselint::model::Date, String> {
    baselint::model::Date::parse(text).ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)"))
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
    /// Write the report to FILE; the human report then goes to standard error.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity (after --since and --baseline-file).
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Report only findings that the tree at git revision REV did not have.
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// With --since, also list the findings of REV that are gone.
    #[arg(long, requires = "since")]
    show_fixed: bool,
    /// Suppress the findings listed in FILE (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    baseline_file: Option<PathBuf>,
    /// Write the fingerprints of every current finding to FILE and exit 0 (2 on input errors).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["since", "baseline_file", "output"])]
    write_baseline: Option<PathBuf>,
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
    /// Judge exception expiry on this day instead of today.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<baselint::model::Date>,
    /// Days before expiry from which an exception is "expiring" [default: 30].
    #[arg(long, value_name = "DAYS")]
    within: Option<i64>,
    #[command(flatten)]
    input: InputArgs,
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
        Command::Inspect(args) => inspect(args),
        Command::Exceptions(args) => exceptions(args),
        Command::Import {
            what: ImportKind::Stig { file },
        } => import_stig(&file),
        Command::Rules { rule_dirs } => list_rules(&rule_dirs),
        Command::Explain { rule, rule_dirs } => explain(&rule, &rule_dirs),
    };
    ExitCode::from(exit as u8)
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

fn import_stig(file: &std::path::Path) -> Exit {
    match baselint::import::stig_file_to_baseline_toml(file, baselint::catalog::Catalog::builtin())
    {
        Ok(toml) => {
            emit(&toml);
            Exit::Clean
        }
        Err(errors) => {
            print_input_errors(&errors);
            Exit::Error
        }
    }
}

fn inspect(args: InspectArgs) -> Exit {
    args.input.apply_threads();
    let outcome = baselint::check(&baselint::Options {
        paths: default_paths(args.paths),
        config: args.config,
        read_only: true,
        max_file_size: args.input.max_file_size,
        no_ignore: args.input.no_ignore,
        unassigned: args.input.unassigned,
        expect_input: true,
        ..Default::default()
    });
    write_stdout(|out| match args.format {
        InspectFormat::Text => baselint::inspect::write_text(&outcome, out),
        InspectFormat::Json => baselint::inspect::write_json(&outcome, out),
    });
    if outcome.errors().is_empty() {
        Exit::Clean
    } else {
        Exit::Error
    }
}

fn exceptions(args: ExceptionsArgs) -> Exit {
    args.input.apply_threads();
    let options = baselint::Options {
        paths: default_paths(args.paths),
        config: args.config,
        today: args.today,
        expiring_within: args.within,
        max_file_size: args.input.max_file_size,
        no_ignore: args.input.no_ignore,
        unassigned: args.input.unassigned,
        expect_input: true,
        ..Default::default()
    };
    // Said before every input is read and linted for nothing.
    let (config, config_errors) = baselint::config_for(&options);
    if config.exceptions_file.is_none() {
        print_input_errors(&config_errors);
        eprintln!("baselint: no exceptions file: set [exceptions] file in baselint.toml");
        return Exit::Error;
    }
    let outcome = baselint::check(&options);
    emit(&baselint::audit::render(&outcome, args.format));
    print_input_errors(outcome.errors());
    let failing = outcome.audit.entries.iter().any(|e| {
        matches!(
            e.status,
            baselint::exceptions::Status::Expired | baselint::exceptions::Status::Incomplete
        )
    });
    if !outcome.errors().is_empty() {
        Exit::Error
    } else if failing {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// Input errors on standard error, one line each (for commands without a report format).
fn print_input_errors(errors: &[baselint::model::InputError]) {
    for e in errors {
        eprintln!("error[input]: {}: {}", e.position(), e.message);
    }
}

/// Write to stdout; a closed pipe (`baselint check | head`) is not an error.
fn emit(text: &str) {
    write_stdout(|out| out.write_all(text.as_bytes()));
}

/// How much of a report is written at once: a 13 MB JSON report took 2.8k `write` calls
/// through the default 8 KiB (stdout's line buffer splits each chunk at its last newline).
const OUTPUT_BUFFER: usize = 1 << 16;

/// Write to stdout through a buffer; a closed pipe (`| head`) is not an error.
fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut stdout = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
    if let Err(e) = write(&mut stdout).and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("baselint: cannot write output: {e}");
    }
}

/// Colour for a stream: `--color`, then `NO_COLOR`, then whether the stream is a terminal.
fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn check(args: CheckArgs) -> Exit {
    args.input.apply_threads();
    let options = baselint::Options {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        },
        config: args.config.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        rule_dirs: args.rule_dirs.clone(),
        today: args.today,
        expiring_within: args.within,
        read_only: false,
        max_file_size: args.input.max_file_size,
        no_ignore: args.input.no_ignore,
        unassigned: args.input.unassigned,
        expect_input: true,
    };
    let progress = Progress::for_run(&options);
    // The revision first: what its comparison needs is kept, the rest dropped before the
    // working tree is read.
    let previous = match &args.since {
        Some(revision) => match lint_revision(revision, &options, &progress) {
            Ok(previous) => Some(previous),
            Err(exit) => return exit,
        },
        None => None,
    };
    progress.show(&format!("reading {} files", progress.files));
    let outcome = baselint::check(&options);
    progress.clear();
    if let Some(path) = &args.write_baseline {
        return write_baseline(&outcome, path, &args);
    }
    let baseline = match args.baseline_file.as_deref().map(Baseline::read) {
        Some(Ok(baseline)) => Some(baseline),
        Some(Err(e)) => {
            eprintln!("baselint: {e}");
            return Exit::Error;
        }
        None => None,
    };
    let mut report = Report::new(&outcome).with_paths(repo_paths(args.format));
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline_file) {
        report.apply_baseline(&baselint::source::display_path(path), baseline);
    }
    if let Some(previous) = &previous {
        report.compare(
            &previous.outcome,
            &previous.revision,
            &previous.commit,
            args.show_fixed,
        );
    }
    if let Err(exit) = deliver(&report, &args) {
        return exit;
    }
    baselint::timings::phase("report");
    let status = exit_status(&report, args.fail_on);
    // The process ends here: freeing the model piece by piece costs about 5 % of a large run,
    // and the operating system reclaims it at once (as rustc and ruff do).
    std::mem::forget(report);
    std::mem::forget(previous);
    std::mem::forget(outcome);
    status
}

/// 2 for input errors, 1 for an open finding at or above `--fail-on`, else 0.
fn exit_status(report: &Report, fail_on: FailOn) -> Exit {
    if !report.outcome.errors().is_empty() {
        return Exit::Error;
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    if threshold.is_some_and(|t| report.fails(t)) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// Lint the tree at `revision`; warn when it had input errors (their files' findings then
/// count as new).
fn lint_revision(
    revision: &str,
    options: &baselint::Options,
    progress: &Progress,
) -> Result<history::Revision, Exit> {
    progress.show(&format!("reading {revision}"));
    let result = history::lint_revision(revision, options);
    progress.clear();
    let previous = result.map_err(|e| {
        eprintln!("baselint: --since {revision}: {e}");
        Exit::Error
    })?;
    let errors = previous.outcome.errors().len();
    if errors > 0 {
        eprintln!(
            "baselint: warning: the tree at {revision} has {errors} input error{}; findings in files that could not be read there count as new",
            if errors == 1 { "" } else { "s" }
        );
    }
    Ok(previous)
}

/// Paths relative to the repository root for the formats that CI systems read.
fn repo_paths(format: Format) -> RepoPaths {
    match format {
        Format::Human | Format::Json => RepoPaths::default(),
        _ => history::repo_prefix()
            .map(|prefix| RepoPaths::new(&prefix))
            .unwrap_or_default(),
    }
}

/// Print the report, or write it to `--output` and print the human one to stderr.
fn deliver(report: &Report, args: &CheckArgs) -> Result<(), Exit> {
    let width = terminal_width();
    let Some(path) = &args.output else {
        let style = report::human::Style {
            color: use_color(args.color, std::io::stdout().is_terminal()),
            width,
        };
        write_stdout(|out| report::write(args.format, report, style, out));
        return Ok(());
    };
    let plain = report::human::Style {
        color: false,
        width,
    };
    write_report(path, args.format, report, plain)?;
    if args.format != Format::Human {
        let style = report::human::Style {
            color: use_color(args.color, std::io::stderr().is_terminal()),
            width,
        };
        eprint!("{}", report::human::render(report, style));
    }
    Ok(())
}

/// `--output`: the report streamed into a file.
fn write_report(
    path: &Path,
    format: Format,
    report: &Report,
    style: report::human::Style,
) -> Result<(), Exit> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut out = std::io::BufWriter::with_capacity(OUTPUT_BUFFER, file);
        report::write(format, report, style, &mut out)?;
        out.flush()
    });
    written.map_err(|e| {
        eprintln!("baselint: cannot write {}: {e}", path.display());
        Exit::Error
    })
}

fn write_file(path: &Path, text: &str) -> Result<(), Exit> {
    std::fs::write(path, text).map_err(|e| {
        eprintln!("baselint: cannot write {}: {e}", path.display());
        Exit::Error
    })
}

/// `--write-baseline`: accept every current finding. Refused on input errors, since the
/// findings of unreadable files would be missing from it.
fn write_baseline(outcome: &baselint::Outcome, path: &Path, args: &CheckArgs) -> Exit {
    if !outcome.errors().is_empty() {
        let style = report::human::Style {
            color: use_color(args.color, std::io::stderr().is_terminal()),
            width: terminal_width(),
        };
        eprint!("{}", report::human::render(&Report::new(outcome), style));
        eprintln!(
            "baselint: not writing {}: fix the input errors first",
            path.display()
        );
        return Exit::Error;
    }
    let baseline = Baseline::from_outcome(outcome);
    if let Err(exit) = write_file(path, &baseline.to_json()) {
        return exit;
    }
    let n = baseline.findings.len();
    eprintln!(
        "baselint: wrote {n} finding{} to {}",
        if n == 1 { "" } else { "s" },
        path.display()
    );
    Exit::Clean
}

/// A one-line "reading…" message on stderr for long runs, only when stderr is a terminal.
struct Progress {
    enabled: bool,
    /// Input files found by the walk (counted only when stderr is a terminal).
    files: usize,
}

impl Progress {
    /// Runs of at least this many files show progress.
    const MIN_FILES: usize = 200;

    fn for_run(options: &baselint::Options) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                enabled: false,
                files: 0,
            };
        }
        let files = baselint::ingest::collect_files_with(&options.paths, !options.no_ignore)
            .0
            .len();
        Progress {
            enabled: files >= Progress::MIN_FILES,
            files,
        }
    }

    fn show(&self, what: &str) {
        if self.enabled {
            eprint!("\r\x1b[2Kbaselint: {what}…");
        }
    }

    fn clear(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}

fn load_rules(rule_dirs: &[PathBuf]) -> Result<Vec<rules::Rule>, Exit> {
    let mut sources = baselint::source::Sources::default();
    let (rules, errors) = rules::load_all(
        rule_dirs,
        &mut sources,
        baselint::catalog::Catalog::builtin(),
    );
    print_input_errors(&errors);
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
