//! What pull-request mode compares the working tree with: the tree at a git revision, read
//! with git plumbing (`rev-parse`, `ls-tree`, `cat-file`) into a temporary folder without
//! touching the working tree or the index, and baseline files of known findings.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::{Options, Outcome};

/// Why a revision or a baseline file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The version of the baseline file format; a file with a newer one is refused.
pub const BASELINE_VERSION: u32 = 1;

/// A baseline file: the fingerprints of findings accepted as known (`--write-baseline`),
/// suppressed by `--baseline-file`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_VERSION`] when written.
    pub version: u32,
    /// Which baselint wrote it (for humans).
    #[serde(default)]
    pub tool: String,
    /// The known findings.
    pub findings: Vec<BaselineEntry>,
}

/// One known finding. The fingerprint and the members are matched; the rest is for humans.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// [`crate::finding::Finding::fingerprint`].
    pub fingerprint: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub message: String,
    /// For a grouped finding, the facts it stood for ([`crate::finding::Finding::members`], 16
    /// hex digits each, sorted): the finding is new again when it gains one. Absent for other
    /// findings, and in files written before baselint recorded them (those match by
    /// fingerprint alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl BaselineEntry {
    /// Whether this entry accepts `finding`: same fingerprint, and no member the entry lacks
    /// (an entry without members accepts any, as files of older versions were written).
    pub fn accepts(&self, finding: &crate::finding::Finding) -> bool {
        if self.fingerprint != finding.fingerprint {
            return false;
        }
        if self.members.is_empty() {
            return true;
        }
        finding.members.iter().all(|&m| {
            let digits = member_digits(m);
            self.members
                .binary_search_by(|text| text.as_bytes().cmp(&digits[..]))
                .is_ok()
        })
    }
}

/// How a member hash is written in a baseline file: 16 lower-case hex digits in a string,
/// since JSON readers lose digits of integers past 2^53.
fn member_text(member: u64) -> String {
    member_digits(member)
        .iter()
        .map(|&d| char::from(d))
        .collect()
}

/// [`member_text`]'s digits, without allocating: a grouped finding may stand for thousands of
/// policies, each looked up in its entry.
fn member_digits(member: u64) -> [u8; 16] {
    let mut digits = [0; 16];
    for (i, digit) in digits.iter_mut().enumerate() {
        *digit = b"0123456789abcdef"[((member >> (60 - 4 * i)) & 0xf) as usize];
    }
    digits
}

impl Baseline {
    /// Every finding of a run, sorted by path, rule and fingerprint so that the file diffs well.
    pub fn from_outcome(outcome: &Outcome) -> Baseline {
        let mut findings: Vec<BaselineEntry> = outcome
            .findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule.to_string(),
                path: outcome
                    .model
                    .sources
                    .get(f.primary.location.file)
                    .display_path
                    .clone(),
                message: format!("{}: {}", f.summary, f.message),
                members: sorted_members(&f.members),
            })
            .collect();
        findings.sort_by(|a, b| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
        });
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: BASELINE_VERSION,
            tool: format!("baselint {}", env!("CARGO_PKG_VERSION")),
            findings,
        }
    }

    /// The file's text: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("baseline serialises");
        text.push('\n');
        text
    }

    /// Parse a baseline file; errors name the line and column.
    pub fn parse(text: &str) -> Result<Baseline, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut baseline: Baseline = serde_json::from_str(text).map_err(|e| {
            Error(format!(
                "{}:{}: not a baselint baseline file: {e}",
                e.line(),
                e.column()
            ))
        })?;
        if baseline.version > BASELINE_VERSION {
            return Err(Error(format!(
                "version {} was written by a newer baselint (this one reads version {BASELINE_VERSION})",
                baseline.version
            )));
        }
        // Matching looks members up by binary search; a hand-edited file may be unsorted.
        for entry in &mut baseline.findings {
            entry.members.sort();
        }
        Ok(baseline)
    }

    /// Read and parse a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, Error> {
        let shown = crate::source::display_path(path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error(format!("cannot read baseline file {shown}: {e}")))?;
        Baseline::parse(&text).map_err(|e| Error(format!("{shown}:{e}")))
    }
}

fn sorted_members(members: &[u64]) -> Vec<String> {
    let mut texts: Vec<String> = members.iter().copied().map(member_text).collect();
    texts.sort();
    texts.dedup();
    texts
}

/// A git working tree: its top level, and where the working directory is below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    root: PathBuf,
    prefix: String,
}

impl Repo {
    /// The repository that contains the working directory.
    pub fn discover() -> Result<Repo, Error> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error(format!("cannot read the working directory: {e}")))?;
        let out = git(&cwd, &["rev-parse", "--show-toplevel", "--show-prefix"])?;
        let text = String::from_utf8_lossy(&out);
        let mut lines = text.lines();
        let root = lines.next().unwrap_or_default().trim();
        let prefix = lines.next().unwrap_or_default().trim();
        if root.is_empty() {
            return Err(Error(
                "the working directory is not inside a git work tree".into(),
            ));
        }
        Ok(Repo {
            root: PathBuf::from(root),
            prefix: prefix.to_string(),
        })
    }

    /// The top level of the working tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The working directory relative to the top level: empty, or `/`-separated ending in `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The commit a revision names (`HEAD~1`, `origin/main`, a tag, a hash).
    pub fn resolve(&self, revision: &str) -> Result<String, Error> {
        if revision.starts_with('-') || revision.is_empty() {
            return Err(Error(format!("invalid revision `{revision}`")));
        }
        let spec = format!("{revision}^{{commit}}");
        let out = git(
            &self.root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        )
        .map_err(|_| Error(format!("unknown revision `{revision}` (is it fetched?)")))?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// Write every file of `commit` below `dest`, and its symbolic links that stay inside the
    /// tree (no submodules); returns how many entries were written.
    pub fn export(&self, commit: &str, dest: &Path) -> Result<usize, Error> {
        let listing = git(&self.root, &["ls-tree", "-r", "-z", "--full-tree", commit])?;
        let blobs = parse_ls_tree(&listing);
        self.write_blobs(&blobs, dest)?;
        Ok(blobs.len())
    }

    /// Make an exported tree a repository root for the walk, as the working tree is: a `.git`
    /// folder holding a copy of this repository's `info/exclude`. The walk of the revision
    /// then honours the `.gitignore` files above the linted folder and the exclude file, as
    /// the walk of the working tree does (else a tracked file they match would be linted in
    /// the revision only, and reported fixed).
    fn mark_as_repository(&self, tree: &Path) -> Result<(), Error> {
        let info = tree.join(".git").join("info");
        std::fs::create_dir_all(&info)
            .map_err(|e| Error(format!("cannot create {}: {e}", info.display())))?;
        let out = git(&self.root, &["rev-parse", "--git-path", "info/exclude"])?;
        let exclude = self.root.join(String::from_utf8_lossy(&out).trim());
        match std::fs::copy(&exclude, info.join("exclude")) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error(format!("cannot read {}: {e}", exclude.display()))),
        }
    }

    /// Stream blobs through one `git cat-file --batch` and write them under `dest`.
    fn write_blobs(&self, blobs: &[Blob], dest: &Path) -> Result<(), Error> {
        let mut child = Command::new("git")
            .args(["cat-file", "--batch"])
            .current_dir(&self.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let request: String = blobs.iter().map(|b| format!("{}\n", b.object)).collect();
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        // A large buffer: a tenant's files are tens of kilobytes each, read and written in
        // one piece.
        let mut stdout =
            BufReader::with_capacity(1 << 20, child.stdout.take().expect("piped stdout"));
        let mut links = Vec::new();
        // Folders made so far (the listing is sorted: a folder's files come together).
        let mut made: Option<PathBuf> = None;
        let result = blobs.iter().try_for_each(|blob| {
            if blob.link {
                links.push((&blob.path, read_blob_bytes(&mut stdout)?));
                return Ok(());
            }
            let path = dest.join(&blob.path);
            if let Some(parent) = path.parent()
                && made.as_deref() != Some(parent)
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Error(format!("cannot create {}: {e}", parent.display())))?;
                made = Some(parent.to_path_buf());
            }
            read_blob_into(&mut stdout, &path)
        });
        drop(stdout);
        let _ = writer.join();
        let status = child
            .wait()
            .map_err(|e| Error(format!("git cat-file: {e}")))?;
        result?;
        if !status.success() {
            return Err(Error(format!("git cat-file --batch exited with {status}")));
        }
        // Links last, so that no file is written through one.
        make_links(dest, &links)
    }
}

/// Make the revision's links (path and target) under `dest`: those whose target reads as
/// inside the tree, then only those that really resolve inside it.
fn make_links(dest: &Path, links: &[(&PathBuf, Vec<u8>)]) -> Result<(), Error> {
    let mut made = Vec::new();
    for (path, target) in links {
        if make_link(dest, path, target)? {
            made.push(dest.join(path));
        }
    }
    keep_links_inside(dest, made);
    Ok(())
}

/// Remove the links made that do not really resolve to something inside `tree`: the check
/// before making them reads the target as text, and `..` after a link to a folder goes up from
/// where that link points, so a chain of links can leave the tree. The lint writes folders in
/// the tree (a config's rule folder, the working directory), which must never land outside it.
/// Removing one link can break another that went through it, so this repeats until none goes.
fn keep_links_inside(tree: &Path, mut links: Vec<PathBuf>) {
    let Ok(root) = tree.canonicalize() else {
        links
            .iter()
            .for_each(|link| drop(std::fs::remove_file(link)));
        return;
    };
    loop {
        let before = links.len();
        links.retain(|link| {
            let inside = link
                .canonicalize()
                .is_ok_and(|real| real.starts_with(&root));
            if !inside {
                let _ = std::fs::remove_file(link);
            }
            inside
        });
        if links.len() == before {
            return;
        }
    }
}

/// A regular file or a symbolic link (whose blob is its target) in a tree listing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Blob {
    object: String,
    path: PathBuf,
    link: bool,
}

/// Parse `git ls-tree -r -z`: `<mode> SP <type> SP <object> TAB <path> NUL`. Keeps regular
/// files and symbolic links with safe relative paths.
fn parse_ls_tree(listing: &[u8]) -> Vec<Blob> {
    listing
        .split(|&b| b == 0)
        .filter_map(|record| {
            let text = std::str::from_utf8(record).ok()?;
            let (meta, path) = text.split_once('\t')?;
            let mut fields = meta.split(' ');
            let (mode, kind, object) = (fields.next()?, fields.next()?, fields.next()?);
            let link = mode == "120000";
            let kept = kind == "blob" && (link || mode == "100644" || mode == "100755");
            (kept && is_safe_relative(path)).then(|| Blob {
                object: object.to_string(),
                path: PathBuf::from(path),
                link,
            })
        })
        .collect()
}

/// Recreate a symbolic link of the revision when its target stays inside the tree (true when
/// it was made), so that the walk follows it as it follows the working tree's link (only
/// inside the walked folder; without it, the files a link brings in were new in every
/// comparison). A link leaving the tree is left out: the working tree's walk does not follow
/// it either. Not on systems without symbolic links.
fn make_link(dest: &Path, path: &Path, target: &[u8]) -> Result<bool, Error> {
    let Some(target) = target_inside_tree(path, target) else {
        return Ok(false);
    };
    let link = dest.join(path);
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error(format!("cannot create {}: {e}", parent.display())))?;
    }
    // A link that cannot be made (a name taken twice on a case-insensitive file system) is
    // left out, as every link was before links were made.
    #[cfg(unix)]
    return Ok(std::os::unix::fs::symlink(&target, &link).is_ok());
    #[cfg(not(unix))]
    {
        let _ = (target, link);
        Ok(false)
    }
}

/// A link's target (its blob's text) when it is relative and, resolved from the link's folder,
/// names a place inside the tree (not the tree itself, not `.git`).
fn target_inside_tree(link: &Path, target: &[u8]) -> Option<PathBuf> {
    let target = Path::new(std::str::from_utf8(target).ok()?);
    // An empty target would name the link's own folder; an absolute one, resolved, keeps its
    // root, which `is_safe_relative` refuses.
    if target.as_os_str().is_empty() {
        return None;
    }
    let resolved = lexical_normalize(&link.parent()?.join(target));
    is_safe_relative(resolved.to_str()?).then(|| target.to_path_buf())
}

/// No absolute paths, `..`, `.git` or empty components: nothing can land outside `dest`.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path).components().all(|c| match c {
            Component::Normal(name) => !name.eq_ignore_ascii_case(".git"),
            _ => false,
        })
}

/// Longest link target kept (Linux's `PATH_MAX`); a longer one is read and dropped.
const MAX_LINK_TARGET: u64 = 4096;

/// Read one answer of `git cat-file --batch` (a link's target): its bytes, or none when it is
/// longer than a link target can be.
fn read_blob_bytes(stdout: &mut impl BufRead) -> Result<Vec<u8>, Error> {
    let size = read_blob_header(stdout)?;
    let mut bytes = Vec::new();
    let copied = if size <= MAX_LINK_TARGET {
        stdout.take(size).read_to_end(&mut bytes).map(|n| n as u64)
    } else {
        std::io::copy(&mut stdout.take(size), &mut std::io::sink())
    }
    .map_err(|e| Error(format!("git cat-file: {e}")))?;
    read_blob_end(stdout, copied, size)?;
    Ok(bytes)
}

/// Read one `<object> blob <size>\n<bytes>\n` answer of `git cat-file --batch` into `path`
/// (whose folder exists).
fn read_blob_into(stdout: &mut impl BufRead, path: &Path) -> Result<(), Error> {
    let size = read_blob_header(stdout)?;
    let mut file = std::fs::File::create(path)
        .map_err(|e| Error(format!("cannot create {}: {e}", path.display())))?;
    let copied = std::io::copy(&mut stdout.take(size), &mut file)
        .map_err(|e| Error(format!("cannot write {}: {e}", path.display())))?;
    read_blob_end(stdout, copied, size)
}

/// The size an answer's header (`<object> blob <size>`) announces.
fn read_blob_header(stdout: &mut impl BufRead) -> Result<u64, Error> {
    let mut header = String::new();
    stdout
        .read_line(&mut header)
        .map_err(|e| Error(format!("git cat-file: {e}")))?;
    let size: u64 = header
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| header.contains(" blob "))
        .ok_or_else(|| {
            Error(format!(
                "git cat-file: unexpected answer `{}`",
                header.trim()
            ))
        })?;
    Ok(size)
}

/// After an answer's bytes: all of them were there, and the newline that ends it.
fn read_blob_end(stdout: &mut impl BufRead, copied: u64, size: u64) -> Result<(), Error> {
    let mut newline = [0u8; 1];
    if copied != size || stdout.read_exact(&mut newline).is_err() {
        return Err(Error("git cat-file: truncated answer".into()));
    }
    Ok(())
}

/// Run git in `dir` and return its standard output.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(spawn_error)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Error(format!("git {}: {}", args.join(" "), stderr.trim())));
    }
    Ok(output.stdout)
}

fn spawn_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error("git is not installed or not on PATH".into())
    } else {
        Error(format!("cannot run git: {e}"))
    }
}

/// Where the working directory is below the repository's top level (`git rev-parse
/// --show-prefix`), or `None` outside a repository or without git.
pub fn repo_prefix() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let out = git(&cwd, &["rev-parse", "--show-prefix"]).ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_string())
}

/// Export the tree of `commit` into a new temporary folder (as `tree` in it). Where nothing
/// says otherwise (`TMPDIR`), a folder in memory (`/dev/shm`) is tried first: writing a
/// tenant of 10,000 files to a disk took 5-8 s of a `--since` run, to memory under one. A
/// folder there too small (a container's is 64 MB) is given up for the usual temporary
/// folder.
fn export_to_temp(repo: &Repo, commit: &str) -> Result<(TempDir, PathBuf), Error> {
    let mut bases = Vec::new();
    let in_memory = Path::new("/dev/shm");
    if cfg!(target_os = "linux") && std::env::var_os("TMPDIR").is_none() && in_memory.is_dir() {
        bases.push(in_memory.to_path_buf());
    }
    bases.push(std::env::temp_dir());
    export_to_first(repo, commit, &bases)
}

/// [`export_to_temp`] in the first of `bases` where the export succeeds (a failed one's
/// folder is removed); the last failure when none does.
fn export_to_first(
    repo: &Repo,
    commit: &str,
    bases: &[PathBuf],
) -> Result<(TempDir, PathBuf), Error> {
    let mut failure = None;
    for base in bases {
        let attempt = TempDir::new_in(base).and_then(|temp| {
            remove_stale(base, temp.path());
            let tree = temp.path().join("tree");
            repo.export(commit, &tree)?;
            Ok((temp, tree))
        });
        match attempt {
            Ok(exported) => return Ok(exported),
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.expect("one base at least"))
}

/// The lint of a revision's tree, as far as a comparison needs it: its findings, rules,
/// sources and input errors (the model's policies, groups and the rest are dropped).
#[derive(Debug)]
pub struct Revision {
    /// As the user wrote it.
    pub revision: String,
    /// The commit it names.
    pub commit: String,
    pub outcome: Outcome,
}

/// Lint the tree at `revision` with the same options, paths and config (relative to the
/// repository) as the working tree.
///
/// The tree is written to a temporary folder, and the process's working directory is moved
/// to the matching folder in it while the lint runs, so that display paths and config
/// discovery come out as they do in the working tree. Not for use while other threads depend
/// on the working directory.
pub fn lint_revision(revision: &str, options: &Options) -> Result<Revision, Error> {
    let repo = Repo::discover()?;
    let commit = repo.resolve(revision)?;
    let (temp, tree) = export_to_temp(&repo, &commit)?;
    repo.mark_as_repository(&tree)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error(format!("cannot read the working directory: {e}")))?;
    let mapper = PathMapper {
        repo: &repo,
        cwd: &cwd,
        tree: &tree,
    };
    let old_options = mapper.options(options, temp.path())?;
    let work_dir = tree.join(&repo.prefix);
    std::fs::create_dir_all(&work_dir)
        .map_err(|e| Error(format!("cannot create {}: {e}", work_dir.display())))?;
    let mut outcome = {
        let _inside = EnterDir::new(&work_dir)?;
        crate::check(&old_options)
    };
    // The working tree is linted next: its model and this one were the run's peak together.
    outcome.keep_findings();
    Ok(Revision {
        revision: revision.to_string(),
        commit,
        outcome,
    })
}

/// Where a path given for the working tree is inside the revision's tree.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    /// Below the repository root: this relative path.
    Inside(PathBuf),
    /// Outside the repository: the same file serves both lints.
    Outside(PathBuf),
}

/// Maps the working tree's options onto the revision's tree.
struct PathMapper<'a> {
    repo: &'a Repo,
    cwd: &'a Path,
    tree: &'a Path,
}

impl PathMapper<'_> {
    fn options(&self, options: &Options, temp: &Path) -> Result<Options, Error> {
        let config = self.config(options, temp)?;
        let rule_dirs = options
            .rule_dirs
            .iter()
            .map(|dir| {
                let mapped = self.path(dir);
                if matches!(self.place(dir), Place::Inside(_)) {
                    // A rules folder added since the revision: no rules then, and no error.
                    let _ = std::fs::create_dir_all(self.absolute_in_tree(&mapped));
                }
                mapped
            })
            .collect();
        Ok(Options {
            paths: options.paths.iter().map(|p| self.path(p)).collect(),
            config: Some(config),
            select: options.select.clone(),
            ignore: options.ignore.clone(),
            rule_dirs,
            // The revision may predate the exports: nothing to read there is no error.
            expect_input: false,
            ..options.clone()
        })
    }

    /// The config the working tree uses, at the same place in the revision's tree; a config
    /// that did not exist then (or none at all) is an empty one, so discovery never climbs
    /// out of the temporary tree.
    fn config(&self, options: &Options, temp: &Path) -> Result<PathBuf, Error> {
        let current = options.config.clone().or_else(|| {
            let start = options
                .paths
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            crate::config::discover(&start)
        });
        if let Some(path) = current {
            let mapped = self.path(&path);
            let exists = match self.place(&path) {
                Place::Inside(_) => self.absolute_in_tree(&mapped).is_file(),
                Place::Outside(_) => true,
            };
            if exists {
                return Ok(mapped);
            }
        }
        let empty = temp.join(crate::config::FILE_NAME);
        std::fs::write(&empty, "")
            .map_err(|e| Error(format!("cannot write {}: {e}", empty.display())))?;
        Ok(empty)
    }

    /// A relative path inside the repository stays as written (the lint runs in the matching
    /// folder of the tree); an absolute one inside moves into the tree; one outside is made
    /// absolute.
    fn path(&self, path: &Path) -> PathBuf {
        match self.place(path) {
            Place::Inside(_) if path.is_relative() => path.to_path_buf(),
            Place::Inside(relative) => self.tree.join(relative),
            Place::Outside(absolute) => absolute,
        }
    }

    fn absolute_in_tree(&self, mapped: &Path) -> PathBuf {
        if mapped.is_absolute() {
            mapped.to_path_buf()
        } else {
            self.tree.join(&self.repo.prefix).join(mapped)
        }
    }

    fn place(&self, path: &Path) -> Place {
        if path.is_relative() {
            let relative = lexical_normalize(&Path::new(&self.repo.prefix).join(path));
            return if relative.starts_with("..") {
                Place::Outside(lexical_normalize(&self.cwd.join(path)))
            } else {
                Place::Inside(relative)
            };
        }
        let absolute = lexical_normalize(path);
        let root = self.repo.root();
        if let Ok(relative) = absolute.strip_prefix(root) {
            return Place::Inside(relative.to_path_buf());
        }
        // Either side may be reached through a symlink.
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        match canonical(&absolute)
            .strip_prefix(canonical(root))
            .map(Path::to_path_buf)
        {
            Ok(relative) => Place::Inside(relative),
            Err(_) => Place::Outside(absolute),
        }
    }
}

/// Resolve `.` and `..` without touching the file system.
fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Remove the folders that runs of this user left in `base` when they were killed: a
/// `baselint-since-<pid>-...` folder whose process is gone. Cleaning up on a signal would need
/// a handler, and a folder in memory (`/dev/shm`) would hold its tree until the machine
/// restarts.
#[cfg(target_os = "linux")]
fn remove_stale(base: &Path, ours: &Path) {
    for (path, name, _) in left_folders(base, ours) {
        let pid = (name.strip_prefix(SINCE_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let gone = pid.is_some_and(|pid| {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        });
        if gone {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Elsewhere there is no `/proc` to ask whether a run is alive: the folders runs left are
/// removed once they are a day old, which no `--since` run lasts (on Windows they are in the
/// user's own temporary folder, on disk).
#[cfg(not(target_os = "linux"))]
fn remove_stale(base: &Path, ours: &Path) {
    remove_older_than(base, ours, std::time::Duration::from_secs(24 * 60 * 60));
}

/// Remove the folders runs left in `base` last changed more than `age` ago.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn remove_older_than(base: &Path, ours: &Path, age: std::time::Duration) {
    let now = std::time::SystemTime::now();
    for (path, _, meta) in left_folders(base, ours) {
        let old = (meta.modified().ok())
            .and_then(|changed| now.duration_since(changed).ok())
            .is_some_and(|elapsed| elapsed > age);
        if old {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// What each run's temporary folder is named after.
const SINCE_PREFIX: &str = "baselint-since-";

/// The folders in `base` that runs may have left, other than `ours` (this run's): named
/// `baselint-since-...`, real folders (a link of that name is left, and nothing is followed),
/// and on Unix owned by the user of `ours`. With each, its name and metadata.
fn left_folders(base: &Path, ours: &Path) -> Vec<(PathBuf, String, std::fs::Metadata)> {
    #[cfg(unix)]
    let Ok(owner) = std::fs::metadata(ours).map(|m| std::os::unix::fs::MetadataExt::uid(&m)) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let left = entries.flatten().filter_map(|entry| {
        let name = entry.file_name().into_string().ok()?;
        let path = entry.path();
        if !name.starts_with(SINCE_PREFIX) || path == ours {
            return None;
        }
        let meta = std::fs::symlink_metadata(&path).ok()?;
        #[cfg(unix)]
        if std::os::unix::fs::MetadataExt::uid(&meta) != owner {
            return None;
        }
        meta.file_type().is_dir().then_some((path, name, meta))
    });
    left.collect()
}

/// A temporary folder, removed when dropped.
struct TempDir(PathBuf);

/// Create a folder only its owner can enter: mode 0700 on Unix; on Windows the folder takes the
/// access list of the one it is made in (the user's own temporary folder).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir(dir)
    }
}

impl TempDir {
    #[cfg(test)]
    fn new() -> Result<TempDir, Error> {
        TempDir::new_in(&std::env::temp_dir())
    }

    /// A new folder in `base`, readable by this user only (the tree of a revision can hold
    /// what the repository does not show everyone).
    fn new_in(base: &Path) -> Result<TempDir, Error> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let dir = base.join(format!(
                "{SINCE_PREFIX}{}-{nanos:08x}-{attempt}",
                std::process::id()
            ));
            match private_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error(format!(
                        "cannot create a temporary folder in {}: {e}",
                        base.display()
                    )));
                }
            }
        }
        Err(Error("cannot create a temporary folder".into()))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Moves the process into a folder and back out when dropped.
struct EnterDir {
    previous: PathBuf,
}

impl EnterDir {
    fn new(dir: &Path) -> Result<EnterDir, Error> {
        let previous = std::env::current_dir()
            .map_err(|e| Error(format!("cannot read the working directory: {e}")))?;
        std::env::set_current_dir(dir)
            .map_err(|e| Error(format!("cannot enter {}: {e}", dir.display())))?;
        crate::source::working_directory_changed();
        Ok(EnterDir { previous })
    }
}

impl Drop for EnterDir {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.previous);
        crate::source::working_directory_changed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_tree_keeps_regular_files_and_links_with_safe_paths() {
        let listing = b"100644 blob aaa\tdir/a b.json\0\
100755 blob bbb\trun.sh\0\
120000 blob ccc\tlink\0\
160000 commit ddd\tsub\0\
100644 blob eee\t../escape\0\
120000 blob ggg\t.git/hooks/x\0\
100644 blob fff\tx/.GIT/config\0";
        let blobs = parse_ls_tree(listing);
        let paths: Vec<_> = blobs.iter().map(|b| b.path.to_str().unwrap()).collect();
        assert_eq!(paths, ["dir/a b.json", "run.sh", "link"]);
        assert_eq!(blobs[0].object, "aaa");
        let links: Vec<bool> = blobs.iter().map(|b| b.link).collect();
        assert_eq!(links, [false, false, true]);
    }

    #[test]
    fn only_links_that_stay_inside_the_tree_are_made() {
        let inside = |link: &str, target: &str| {
            target_inside_tree(Path::new(link), target.as_bytes()).is_some()
        };
        assert!(inside("tenant/intune/p.json", "../shared/p.json"));
        assert!(inside("tenant/p.json", "p2.json"));
        assert!(inside("a/b/c.json", "../../d/./e.json"));
        assert!(!inside("tenant/p.json", "../../outside.json"));
        assert!(!inside("p.json", "../p.json"));
        assert!(!inside("tenant/p.json", "/etc/passwd"));
        assert!(!inside("tenant/p.json", ".."), "the tree itself");
        assert!(!inside("tenant/p.json", "../.git/config"));
        assert!(!inside("tenant/p.json", ""));
        assert!(target_inside_tree(Path::new("a/p"), b"\xff\xfe").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_chain_of_links_that_leaves_the_tree_is_removed() {
        let temp = TempDir::new().unwrap();
        let tree = temp.path().join("tree");
        for file in ["a/b/c/f.json", "d/g.json"] {
            std::fs::create_dir_all(tree.join(file).parent().unwrap()).unwrap();
            std::fs::write(tree.join(file), "{}").unwrap();
        }
        // `up` points shallower than it stands; through it, `..` climbs out of the tree,
        // although each target read as text stays inside.
        let links = [
            ("a/b/c/up", "../../../d"),
            ("z", "a/b/c/up/../../.."),
            ("y", "z/d"),
        ];
        let paths: Vec<PathBuf> = links.iter().map(|(path, _)| PathBuf::from(path)).collect();
        let links: Vec<_> = paths
            .iter()
            .zip(links)
            .map(|(path, (_, target))| (path, target.as_bytes().to_vec()))
            .collect();
        // Each target, read as text, stays inside: all three links are made.
        for (path, target) in &links {
            assert!(
                target_inside_tree(path, target).is_some(),
                "{}",
                path.display()
            );
        }
        make_links(&tree, &links).unwrap();
        let exists = |p: &str| std::fs::symlink_metadata(tree.join(p)).is_ok();
        assert!(exists("a/b/c/up"));
        assert_eq!(
            std::fs::read_to_string(tree.join("a/b/c/up/g.json")).unwrap(),
            "{}"
        );
        assert!(!exists("z"), "resolves above the tree");
        assert!(!exists("y"), "went through z");
    }

    #[test]
    fn link_targets_are_read_whole_and_long_ones_dropped() {
        let long = "x".repeat(MAX_LINK_TARGET as usize + 1);
        let answers = format!(
            "a blob 9\n../b.json\nb blob {}\n{long}\nc blob 1\nz\n",
            long.len()
        );
        let mut stdout = answers.as_bytes();
        assert_eq!(read_blob_bytes(&mut stdout).unwrap(), b"../b.json");
        assert!(read_blob_bytes(&mut stdout).unwrap().is_empty());
        assert_eq!(
            read_blob_bytes(&mut stdout).unwrap(),
            b"z",
            "the stream stays in step"
        );
        let mut short: &[u8] = b"a blob 9\n../b";
        assert!(read_blob_bytes(&mut short).is_err());
    }

    #[test]
    fn cat_file_answers_are_written_whole() {
        let dir = TempDir::new().unwrap();
        let mut answer: &[u8] = b"abc blob 5\nhello\nabd blob 0\n\n";
        std::fs::create_dir(dir.path().join("a")).unwrap();
        read_blob_into(&mut answer, &dir.path().join("a/b.txt")).unwrap();
        read_blob_into(&mut answer, &dir.path().join("empty")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b.txt")).unwrap(), b"hello");
        assert_eq!(std::fs::read(dir.path().join("empty")).unwrap(), b"");
        let mut missing: &[u8] = b"abc missing\n";
        assert!(read_blob_into(&mut missing, &dir.path().join("m")).is_err());
        let mut short: &[u8] = b"abc blob 9\nhello";
        assert!(read_blob_into(&mut short, &dir.path().join("s")).is_err());
    }

    #[test]
    fn baseline_round_trips_and_refuses_newer_versions() {
        let baseline = Baseline {
            version: 1,
            tool: "baselint test".into(),
            findings: vec![BaselineEntry {
                fingerprint: "0123456789abcdef".into(),
                rule: "r".into(),
                path: "a.json".into(),
                message: "m".into(),
                members: vec![member_text(1), member_text(u64::MAX)],
            }],
        };
        assert_eq!(Baseline::parse(&baseline.to_json()).unwrap(), baseline);
        let minimal = Baseline::parse(r#"{"version":1,"findings":[{"fingerprint":"f"}]}"#).unwrap();
        let fingerprints: Vec<&str> = minimal
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        assert_eq!(fingerprints, ["f"]);
        let newer = Baseline::parse(r#"{"version":2,"findings":[]}"#).unwrap_err();
        assert!(newer.0.contains("newer baselint"), "{newer}");
        let broken = Baseline::parse("{\n  \"version\": 1,\n  \"findings\": [}").unwrap_err();
        assert!(broken.0.starts_with("3:"), "{broken}");
    }

    #[test]
    fn members_are_written_as_16_hex_digits() {
        for m in [0, 1, 0xa, 0x0123_4567_89ab_cdef, u64::MAX] {
            assert_eq!(member_text(m), format!("{m:016x}"));
        }
    }

    #[test]
    fn an_entry_accepts_its_finding_while_it_gains_no_member() {
        let file = r#"{"version":1,"findings":[{"fingerprint":"f",
            "members":["000000000000000b","000000000000000a"]}]}"#;
        let baseline = Baseline::parse(file).unwrap();
        let entry = &baseline.findings[0];
        let finding = |fingerprint: &str, members: &[u64]| crate::finding::Finding {
            fingerprint: fingerprint.into(),
            members: members.to_vec(),
            ..crate::testing::finding()
        };
        assert!(
            entry.accepts(&finding("f", &[0xa, 0xb])),
            "unsorted in the file"
        );
        assert!(entry.accepts(&finding("f", &[0xb])), "a member left");
        assert!(
            !entry.accepts(&finding("f", &[0xa, 0xc])),
            "a member joined"
        );
        assert!(!entry.accepts(&finding("g", &[0xa])), "another finding");
        let old = BaselineEntry {
            fingerprint: "f".into(),
            ..BaselineEntry::default()
        };
        assert!(old.accepts(&finding("f", &[0xc])), "no members recorded");
    }

    /// The export goes to the first base where it succeeds (a base that cannot hold it is
    /// given up for the next), into a folder only its owner can enter, removed when dropped.
    #[test]
    fn a_revision_is_exported_to_the_first_base_that_takes_it() {
        let scratch = std::env::temp_dir().join(format!("baselint-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let (root, good) = (scratch.join("repo"), scratch.join("good"));
        std::fs::create_dir_all(root.join("tenant")).unwrap();
        std::fs::create_dir_all(&good).unwrap();
        std::fs::write(root.join("tenant/p.json"), "{}").unwrap();
        let git_ok = |args: &[&str]| {
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(&root)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !(git_ok(&["init", "-q"]) && git_ok(&["add", "-A"]) && git_ok(&["commit", "-qm", "x"])) {
            eprintln!("skipped: git is not available");
            return;
        }
        let repo = Repo {
            root: root.clone(),
            prefix: String::new(),
        };
        // Not a folder: no temporary folder can be made in it.
        let not_a_folder = root.join("tenant/p.json");
        let (temp, tree) = export_to_first(&repo, "HEAD", &[not_a_folder, good.clone()]).unwrap();
        assert!(temp.path().starts_with(&good));
        assert_eq!(
            std::fs::read_to_string(tree.join("tenant/p.json")).unwrap(),
            "{}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(temp.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let folder = temp.path().to_path_buf();
        drop(temp);
        assert!(!folder.exists());
        let nowhere = [scratch.join("missing")];
        assert!(export_to_first(&repo, "HEAD", &nowhere).is_err());
        std::fs::remove_dir_all(&scratch).unwrap();
    }

    /// A folder `base` holding this run's folder (`ours`), a folder of another name and a link
    /// named as a run's folder to it, for the tests of what runs left.
    #[cfg(unix)]
    struct LeftFolders {
        base: PathBuf,
        ours: TempDir,
        other: PathBuf,
        link: PathBuf,
    }

    #[cfg(unix)]
    impl LeftFolders {
        fn new(name: &str) -> LeftFolders {
            let base = std::env::temp_dir().join(format!("baselint-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&base);
            std::fs::create_dir_all(&base).unwrap();
            let ours = TempDir::new_in(&base).unwrap();
            let other = base.join("something-else-99999999");
            std::fs::create_dir(&other).unwrap();
            let link = base.join("baselint-since-99999998-0-0");
            std::os::unix::fs::symlink(&other, &link).unwrap();
            LeftFolders {
                base,
                ours,
                other,
                link,
            }
        }

        /// A run's folder of that name, with a file in it.
        fn run(&self, name: &str) -> PathBuf {
            let dir = self.base.join(name);
            std::fs::create_dir_all(dir.join("tree/tenant")).unwrap();
            std::fs::write(dir.join("tree/tenant/p.json"), "{}").unwrap();
            dir
        }

        /// What must stay whatever is removed: the other folder, this run's and the link.
        fn assert_kept(&self) {
            assert!(self.other.exists() && self.ours.path().exists());
            assert!(
                std::fs::symlink_metadata(&self.link).is_ok(),
                "a link is left"
            );
        }
    }

    #[cfg(unix)]
    impl Drop for LeftFolders {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }

    /// Where no process can be asked about (not Linux), a run's folder is removed once old
    /// enough; a newer one, links, other names and this run's folder are not.
    #[cfg(unix)]
    #[test]
    fn folders_of_runs_are_removed_once_old() {
        let folders = LeftFolders::new("old");
        let left = folders.run("baselint-since-42-0000abcd-0");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let ours = folders.ours.path();
        remove_older_than(&folders.base, ours, std::time::Duration::from_secs(3600));
        assert!(left.exists(), "younger than the age");
        remove_older_than(&folders.base, ours, std::time::Duration::from_millis(10));
        assert!(!left.exists());
        folders.assert_kept();
    }

    /// A folder a killed run left (its process gone) is removed; those of live processes,
    /// links and other names are not.
    #[cfg(target_os = "linux")]
    #[test]
    fn folders_of_killed_runs_are_removed() {
        let folders = LeftFolders::new("stale");
        // Above any process id Linux gives (at most 2^22).
        let killed = folders.run("baselint-since-99999999-0000abcd-0");
        let alive = folders.run("baselint-since-1-0000abcd-0");
        remove_stale(&folders.base, folders.ours.path());
        assert!(!killed.exists());
        assert!(alive.exists());
        folders.assert_kept();
    }

    #[test]
    fn paths_map_into_the_revision_tree() {
        // Absolute paths on this system (on Windows, on a drive).
        let drive = if cfg!(windows) { "C:" } else { "" };
        let abs = |path: &str| PathBuf::from(format!("{drive}{path}"));
        let repo = Repo {
            root: abs("/repo"),
            prefix: "sub/".into(),
        };
        let (cwd, tree) = (abs("/repo/sub"), abs("/tmp/t/tree"));
        let mapper = PathMapper {
            repo: &repo,
            cwd: &cwd,
            tree: &tree,
        };
        assert_eq!(mapper.path(Path::new("x.json")), PathBuf::from("x.json"));
        assert_eq!(mapper.path(Path::new("../y")), PathBuf::from("../y"));
        assert_eq!(
            mapper.path(&abs("/repo/sub/x.json")),
            abs("/tmp/t/tree/sub/x.json")
        );
        assert_eq!(
            mapper.path(Path::new("../../elsewhere/r")),
            abs("/elsewhere/r")
        );
        assert_eq!(mapper.path(&abs("/etc/rules")), abs("/etc/rules"));
        assert_eq!(
            mapper.absolute_in_tree(Path::new("x.json")),
            abs("/tmp/t/tree/sub/x.json")
        );
    }
}
