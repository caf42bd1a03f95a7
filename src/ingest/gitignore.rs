//! `.gitignore` in directory walks, with the matcher of the `ignore` crate (ripgrep's).
//!
//! What a walk honours, like `git status` on an untracked tree:
//!
//! * every `.gitignore` in the walked folders, a deeper one taking precedence over a shallower
//!   one, and within one file the last matching line winning (so `!keep.json` re-includes);
//! * when the walked folder is inside a git repository (a `.git` folder, or a `.git` file as in
//!   worktrees and submodules, in it or a parent): the `.gitignore` files of its parents up to
//!   the repository root, and the repository's `.git/info/exclude` (below every `.gitignore`);
//! * an ignored folder is not entered, so nothing below it can be re-included (as in git);
//! * patterns match in any letter case on Windows and macOS, as git's `core.ignorecase` makes
//!   them there, and in the case written elsewhere;
//! * inside a folder read as one GPO (a backup, a SYSVOL `{GUID}` folder), the files the GPO's
//!   reader would read are matched too ([`InFolder`]), against the ignore files above the folder
//!   and its own; `.gitignore` files in its subfolders are not read.
//!
//! Not honoured: the user's global excludes (`core.excludesFile`), so that what is linted does
//! not depend on who runs baselint; `.ignore` and `.rgignore` files. Tracked files that match
//! a pattern are skipped too (git would still list them; baselint does not read the index).
//! Lines that are not valid patterns are skipped, as git does; an unreadable `.gitignore` is an
//! input error, since the walk may then lint files the user meant to leave out.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::model::InputError;
use crate::source::display_path;

/// Whether patterns match in any letter case: git sets `core.ignorecase` when a repository is
/// made on the case-insensitive file systems of Windows and macOS, and then does so.
const IGNORE_CASE: bool = cfg!(any(windows, target_os = "macos"));

/// The ignore files in force at one point of a walk, most general first.
#[derive(Clone, Debug, Default)]
pub struct Ignores {
    enabled: bool,
    levels: Vec<Arc<Gitignore>>,
}

impl Ignores {
    /// No file is ignored (`--no-ignore`).
    pub fn disabled() -> Ignores {
        Ignores::default()
    }

    /// The ignore files that apply above `root` (a canonical path): the repository's
    /// `info/exclude` and the `.gitignore` files of the folders between the repository root
    /// and `root` (`root`'s own is read by [`Ignores::enter`]).
    pub fn above(root: &Path, errors: &mut Vec<InputError>) -> Ignores {
        let mut ignores = Ignores {
            enabled: true,
            levels: Vec::new(),
        };
        let Some(repo) = Repository::holding(root) else {
            return ignores;
        };
        let exclude = repo.git_dir.join("info").join("exclude");
        ignores.push_file(&repo.root, &exclude, errors);
        let mut parents: Vec<&Path> = root
            .ancestors()
            .skip(1)
            .take_while(|dir| dir.starts_with(&repo.root))
            .collect();
        parents.reverse();
        for dir in parents {
            ignores.push_file(dir, &dir.join(".gitignore"), errors);
        }
        ignores
    }

    /// Read `dir`'s `.gitignore` (matched against paths under `seen_as`, the folder's path as
    /// the walk names it for matching). Returns the mark to give [`Ignores::leave`].
    pub fn enter(&mut self, dir: &Path, seen_as: &Path, errors: &mut Vec<InputError>) -> usize {
        let mark = self.levels.len();
        if self.enabled {
            self.push_file(seen_as, &dir.join(".gitignore"), errors);
        }
        mark
    }

    /// Forget the ignore files read since `mark`.
    pub fn leave(&mut self, mark: usize) {
        self.levels.truncate(mark);
    }

    /// Whether `path` (under the walked root, as the walk names it for matching) is ignored:
    /// the deepest ignore file with a matching line decides.
    pub fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        for level in self.levels.iter().rev() {
            match level.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Add the patterns of `file` (relative to `base`), when it exists.
    fn push_file(&mut self, base: &Path, file: &Path, errors: &mut Vec<InputError>) {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            // No ignore file here (or a folder by that name).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound || file.is_dir() => return,
            Err(e) => {
                errors.push(InputError::about(
                    display_path(file),
                    format!("cannot read ignore file: {e} (--no-ignore lints every file)"),
                ));
                return;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut builder = GitignoreBuilder::new(base);
        // Infallible for a boolean; the builder returns itself.
        let _ = builder.case_insensitive(IGNORE_CASE);
        for line in text.trim_start_matches('\u{feff}').lines() {
            // An invalid pattern is skipped, as git does.
            let _ = builder.add_line(Some(file.to_path_buf()), line);
        }
        if let Ok(matcher) = builder.build()
            && !matcher.is_empty()
        {
            self.levels.push(Arc::new(matcher));
        }
    }

    /// True when some ignore file is in force.
    pub fn any(&self) -> bool {
        !self.levels.is_empty()
    }
}

/// The ignore files in force in a folder read as one GPO, for the files its reader reads
/// (found by name, not by a walk).
#[derive(Clone, Debug)]
pub struct InFolder {
    ignores: Ignores,
    /// The folder, as its reader names the files in it.
    dir: PathBuf,
    /// The folder as the walk names it for matching.
    seen_as: PathBuf,
}

impl InFolder {
    /// The ignore files in force in `dir` (its own `.gitignore` read already), None when there
    /// are none.
    pub fn new(ignores: &Ignores, dir: &Path, seen_as: &Path) -> Option<InFolder> {
        ignores.any().then(|| InFolder {
            ignores: ignores.clone(),
            dir: dir.to_path_buf(),
            seen_as: seen_as.to_path_buf(),
        })
    }

    /// Whether `path`, a file below the folder, is ignored: itself, or a folder it is in, as
    /// git does (nothing below an ignored folder is re-included). A path outside the folder
    /// is not.
    pub fn ignores(&self, path: &Path) -> bool {
        let Ok(inside) = path.strip_prefix(&self.dir) else {
            return false;
        };
        let mut seen_as = self.seen_as.clone();
        let mut parts = inside.components().peekable();
        while let Some(part) = parts.next() {
            seen_as.push(part);
            let is_dir = parts.peek().is_some();
            if self.ignores.ignores(&seen_as, is_dir) {
                return true;
            }
        }
        false
    }
}

/// A git repository: its root folder and its git folder.
struct Repository {
    root: PathBuf,
    git_dir: PathBuf,
}

impl Repository {
    /// The repository `dir` is in, if any: the nearest folder at or above it holding `.git`.
    fn holding(dir: &Path) -> Option<Repository> {
        dir.ancestors().find_map(|folder| {
            let dot_git = folder.join(".git");
            let git_dir = if dot_git.is_dir() {
                dot_git
            } else if dot_git.is_file() {
                linked_git_dir(folder, &dot_git)?
            } else {
                return None;
            };
            Some(Repository {
                root: folder.to_path_buf(),
                git_dir,
            })
        })
    }
}

/// The git folder a `.git` file points to (`gitdir: ...`, in worktrees and submodules); for a
/// worktree, the shared folder its `commondir` names, which holds `info/exclude`.
fn linked_git_dir(folder: &Path, dot_git: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dot_git).ok()?;
    let git_dir = folder.join(text.trim().strip_prefix("gitdir:")?.trim());
    Some(match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(common) => git_dir.join(common.trim()),
        Err(_) => git_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(base: &str, lines: &[&str]) -> Gitignore {
        let mut builder = GitignoreBuilder::new(base);
        for line in lines {
            builder.add_line(None, line).unwrap();
        }
        builder.build().unwrap()
    }

    #[test]
    fn deeper_files_and_later_lines_win() {
        // As in a walk: the root's file alone at the root, both inside `sub`.
        let mut ignores = Ignores {
            enabled: true,
            levels: vec![Arc::new(matcher(
                "/r",
                &["*.json", "!keep.json", "/top.xml"],
            ))],
        };
        assert!(ignores.ignores(Path::new("/r/a.json"), false));
        assert!(!ignores.ignores(Path::new("/r/keep.json"), false));
        assert!(ignores.ignores(Path::new("/r/top.xml"), false));
        ignores
            .levels
            .push(Arc::new(matcher("/r/sub", &["keep.json", "!other.json"])));
        assert!(ignores.ignores(Path::new("/r/sub/keep.json"), false));
        assert!(!ignores.ignores(Path::new("/r/sub/other.json"), false));
        assert!(ignores.ignores(Path::new("/r/sub/a.json"), false));
        assert!(!ignores.ignores(Path::new("/r/sub/top.xml"), false));
    }

    #[test]
    fn directory_patterns_match_directories_only() {
        let ignores = Ignores {
            enabled: true,
            levels: vec![Arc::new(matcher("/r", &["scratch/"]))],
        };
        assert!(ignores.ignores(Path::new("/r/a/scratch"), true));
        assert!(!ignores.ignores(Path::new("/r/a/scratch"), false));
    }

    /// A file in a GPO folder is ignored by its own pattern or by a folder it is in; a pattern
    /// that re-includes it below an ignored folder does not bring it back.
    #[test]
    fn files_inside_a_gpo_folder_are_matched_with_their_folders() {
        let ignores = Ignores {
            enabled: true,
            levels: vec![Arc::new(matcher(
                "/r",
                &[
                    "gpreport.xml",
                    "Preferences/",
                    "!Preferences/Groups/Groups.xml",
                ],
            ))],
        };
        let folder =
            InFolder::new(&ignores, Path::new("/tmp/x/{B}"), Path::new("/r/gpo/{B}")).unwrap();
        let file = |rest: &str| Path::new("/tmp/x/{B}").join(rest);
        assert!(folder.ignores(&file("gpreport.xml")));
        assert!(folder.ignores(&file(
            "DomainSysvol/GPO/Machine/Preferences/Groups/Groups.xml"
        )));
        assert!(!folder.ignores(&file("DomainSysvol/GPO/Machine/registry.pol")));
        assert!(!folder.ignores(&file("Backup.xml")));
        assert!(
            !folder.ignores(Path::new("/tmp/x/gpreport.xml")),
            "outside the folder"
        );
        assert!(InFolder::new(&Ignores::disabled(), Path::new("/x"), Path::new("/x")).is_none());
    }

    /// As git on each system: patterns match in any case where file names do (Windows, macOS).
    #[test]
    fn patterns_match_in_any_case_where_the_file_system_does() {
        let dir = std::env::temp_dir().join(format!("baselint-ignore-case-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".gitignore"), "Registry.pol\n*.JSON\n").unwrap();
        let mut ignores = Ignores {
            enabled: true,
            levels: Vec::new(),
        };
        let mut errors = Vec::new();
        ignores.enter(&dir, &dir, &mut errors);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(ignores.ignores(&dir.join("Registry.pol"), false));
        assert_eq!(
            ignores.ignores(&dir.join("registry.pol"), false),
            IGNORE_CASE
        );
        assert_eq!(ignores.ignores(&dir.join("a.json"), false), IGNORE_CASE);
    }

    #[test]
    fn a_disabled_walk_reads_no_ignore_file() {
        let mut ignores = Ignores::disabled();
        let mut errors = Vec::new();
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mark = ignores.enter(here, here, &mut errors);
        assert!(ignores.levels.is_empty() && errors.is_empty());
        ignores.leave(mark);
    }
}
