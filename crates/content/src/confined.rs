//! Writing inside a folder and never outside it.
//!
//! The content folder is shared with whoever can write to it (a git checkout, a network
//! share), so anything in it may be a symlink planted to point elsewhere: at the server's
//! JWT secret, say. Every write, move and removal here therefore walks the path from the
//! folder's root one component at a time without following links (`symlink_metadata`),
//! refuses a symlinked folder or file anywhere on the way, writes through a temporary file
//! created exclusively under a random name (`O_EXCL`, which never follows a link), and
//! checks the path again just before the rename that puts the file in place.
//!
//! What this cannot close without directory handles (`openat`) is a swap of a folder for
//! a link between that last check and the rename; the window is a few system calls.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path leads through a symlink, or at something other than a regular file:
    /// nothing was written or moved. Says what stands in the way.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Whether a write waits for the disk before the new file takes its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// The live content folder: after a crash the file holds the old bytes or the new
    /// ones, never an empty file that the next scan would take for an emptied card.
    Durable,
    /// A one-off export: after a crash one exports again, and a sync per file costs
    /// about 2 ms (minutes for 100k cards).
    Lazy,
}

/// Temporary files start with this (hidden, so scans and the watcher skip them).
const TEMP_PREFIX: &str = ".verity-tmp-";

/// Writes `bytes` to `rel` under `root` (creating missing folders), through a temporary
/// file and a rename, so a reader never sees half a file. A file already there keeps its
/// permissions.
pub fn write_file(root: &Path, rel: &str, bytes: &[u8], flush: Flush) -> Result<(), WriteError> {
    let target = check(root, rel)?;
    let dir = make_parents(root, rel)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    if let Some(permissions) = fs::symlink_metadata(&target).map(|m| m.permissions()).ok().or_else(new_file_permissions)
    {
        builder.permissions(permissions);
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    if flush == Flush::Durable {
        tmp.as_file().sync_all()?;
    }
    check(root, rel)?;
    tmp.persist(&target).map_err(|e| WriteError::Io(e.error))?;
    Ok(())
}

/// Moves the regular file `from` to `to` (creating missing folders), both under `root`.
pub fn move_file(root: &Path, from: &str, to: &str) -> Result<(), WriteError> {
    let source = check(root, from)?;
    if !is_regular_file(root, from) {
        return Err(WriteError::Io(std::io::Error::new(ErrorKind::NotFound, format!("`{from}` does not exist"))));
    }
    let target = check(root, to)?;
    make_parents(root, to)?;
    check(root, from)?;
    check(root, to)?;
    fs::rename(source, target)?;
    Ok(())
}

/// Removes the regular file `rel` under `root`; `Ok(false)` when there was none.
pub fn remove_file(root: &Path, rel: &str) -> Result<bool, WriteError> {
    let path = check(root, rel)?;
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// True when `rel` is a regular file reached through real folders only.
pub fn is_regular_file(root: &Path, rel: &str) -> bool {
    check(root, rel).is_ok_and(|path| fs::symlink_metadata(path).is_ok_and(|m| m.is_file()))
}

/// True when `rel` is a folder reached through real folders only (not a link to one).
pub fn is_real_dir(root: &Path, rel: &str) -> bool {
    let Ok(path) = check_parents(root, rel) else { return false };
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// True when nothing at all is at `rel` (not even a dangling link).
pub fn is_free(root: &Path, rel: &str) -> bool {
    matches!(fs::symlink_metadata(root.join(rel)), Err(e) if e.kind() == ErrorKind::NotFound)
}

/// The full path of `rel`, if every folder on the way is a real folder and whatever is
/// at the end (if anything) is a regular file.
fn check(root: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let path = check_parents(root, rel)?;
    match fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => Err(refused(rel, "is a symlink")),
        Ok(m) if !m.is_file() => Err(refused(rel, "is not a regular file")),
        Ok(_) => Ok(path),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(path),
        Err(e) => Err(e.into()),
    }
}

/// The full path of `rel`, if it is a plain relative path and every folder on the way
/// that exists is a real folder.
fn check_parents(root: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let parts: Vec<&std::ffi::OsStr> = Path::new(rel)
        .components()
        .map(|c| match c {
            Component::Normal(part) => Ok(part),
            _ => Err(WriteError::Refused(format!("`{rel}` is not a plain path inside the folder"))),
        })
        .collect::<Result<_, _>>()?;
    let Some((_, folders)) = parts.split_last() else {
        return Err(WriteError::Refused("an empty path".into()));
    };
    let mut path = root.to_path_buf();
    let mut shown = PathBuf::new();
    for folder in folders {
        path.push(folder);
        shown.push(folder);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => return Err(refused_folder(&shown, "is a symlink")),
            Ok(m) if !m.is_dir() => return Err(refused_folder(&shown, "is not a folder")),
            Ok(_) => {}
            // The rest of the way does not exist yet: nothing there to follow.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(root.join(rel)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(root.join(rel))
}

/// Creates the folders `rel` lives in, one at a time, each checked to be a real folder.
fn make_parents(root: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let mut dir = root.to_path_buf();
    let mut shown = PathBuf::new();
    let parent = Path::new(rel).parent().unwrap_or(Path::new(""));
    for folder in parent.components() {
        dir.push(folder);
        shown.push(folder);
        match fs::create_dir(&dir) {
            Ok(()) => {}
            // Made by someone else meanwhile, or already there: it must be a real folder.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
        let m = fs::symlink_metadata(&dir)?;
        if m.file_type().is_symlink() {
            return Err(refused_folder(&shown, "is a symlink"));
        }
        if !m.is_dir() {
            return Err(refused_folder(&shown, "is not a folder"));
        }
    }
    Ok(dir)
}

fn refused(rel: &str, what: &str) -> WriteError {
    WriteError::Refused(format!("`{rel}` {what}; Verity writes only regular files and never through links"))
}

fn refused_folder(folder: &Path, what: &str) -> WriteError {
    WriteError::Refused(format!(
        "the folder `{}` {what}; Verity never writes through links",
        folder.to_string_lossy().replace('\\', "/")
    ))
}

/// What `std::fs::write` gives a new file: readable by all, as the umask allows (a
/// temporary file would otherwise keep its private 0600).
#[cfg(unix)]
fn new_file_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o666))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<fs::Permissions> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn writes_create_folders_and_leave_no_temporary_file() {
        let root = tempfile::tempdir().unwrap();
        write_file(root.path(), "ops/runbooks/deploy.md", b"# Deploy\n", Flush::Durable).unwrap();
        write_file(root.path(), "ops/runbooks/deploy.md", b"# Deploy again\n", Flush::Durable).unwrap();
        assert_eq!(fs::read_to_string(root.path().join("ops/runbooks/deploy.md")).unwrap(), "# Deploy again\n");
        assert_eq!(names(&root.path().join("ops/runbooks")), vec!["deploy.md"]);
    }

    #[test]
    fn a_planted_temporary_file_link_is_never_written_through() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("jwt-secret");
        fs::write(&secret, "s3cret").unwrap();
        fs::write(root.path().join("welcome.md"), "# Welcome\n").unwrap();
        // The name the old write-back used for its temporary file.
        symlink(&secret, root.path().join(".welcome.md.verity-tmp")).unwrap();
        write_file(root.path(), "welcome.md", b"# Welcome, edited\n", Flush::Durable).unwrap();
        assert_eq!(fs::read_to_string(&secret).unwrap(), "s3cret");
        assert_eq!(fs::read_to_string(root.path().join("welcome.md")).unwrap(), "# Welcome, edited\n");
        assert!(fs::symlink_metadata(root.path().join(".welcome.md.verity-tmp")).unwrap().file_type().is_symlink());
    }

    #[test]
    fn symlinked_folders_and_files_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("paging.md"), "outside").unwrap();
        symlink(outside.path(), root.path().join("ops")).unwrap();
        let err = write_file(root.path(), "ops/paging.md", b"x", Flush::Durable).unwrap_err();
        assert!(matches!(&err, WriteError::Refused(r) if r.contains("`ops` is a symlink")), "{err}");
        let err = write_file(root.path(), "ops/new/deeper.md", b"x", Flush::Durable).unwrap_err();
        assert!(matches!(err, WriteError::Refused(_)));
        assert_eq!(names(outside.path()), vec!["paging.md"]);
        assert_eq!(fs::read_to_string(outside.path().join("paging.md")).unwrap(), "outside");

        fs::create_dir(root.path().join("docs")).unwrap();
        fs::write(root.path().join("docs/real.md"), "real").unwrap();
        symlink(root.path().join("docs/real.md"), root.path().join("docs/alias.md")).unwrap();
        let err = write_file(root.path(), "docs/alias.md", b"x", Flush::Durable).unwrap_err();
        assert!(matches!(&err, WriteError::Refused(r) if r.contains("`docs/alias.md` is a symlink")), "{err}");
        assert_eq!(fs::read_to_string(root.path().join("docs/real.md")).unwrap(), "real");
        assert!(!is_regular_file(root.path(), "docs/alias.md"));
        assert!(is_regular_file(root.path(), "docs/real.md"));
        assert!(!is_real_dir(root.path(), "ops") && is_real_dir(root.path(), "docs"));
    }

    #[test]
    fn moves_and_removals_refuse_a_symlinked_archive() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("ops")).unwrap();
        fs::write(root.path().join("ops/old.md"), "old").unwrap();
        symlink(outside.path(), root.path().join(".verity-archive")).unwrap();
        let err = move_file(root.path(), "ops/old.md", ".verity-archive/ops/old.md").unwrap_err();
        assert!(matches!(&err, WriteError::Refused(r) if r.contains("`.verity-archive` is a symlink")), "{err}");
        assert!(names(outside.path()).is_empty(), "nothing created outside");
        assert_eq!(fs::read_to_string(root.path().join("ops/old.md")).unwrap(), "old");

        fs::create_dir(outside.path().join("ops")).unwrap();
        fs::write(outside.path().join("ops/old.md"), "keep me").unwrap();
        assert!(remove_file(root.path(), ".verity-archive/ops/old.md").is_err());
        assert_eq!(fs::read_to_string(outside.path().join("ops/old.md")).unwrap(), "keep me");

        fs::remove_file(root.path().join(".verity-archive")).unwrap();
        move_file(root.path(), "ops/old.md", ".verity-archive/ops/old.md").unwrap();
        assert_eq!(fs::read_to_string(root.path().join(".verity-archive/ops/old.md")).unwrap(), "old");
        assert!(remove_file(root.path(), ".verity-archive/ops/old.md").unwrap());
        assert!(!remove_file(root.path(), ".verity-archive/ops/old.md").unwrap());
    }

    #[test]
    fn paths_climbing_out_are_refused() {
        let root = tempfile::tempdir().unwrap();
        for bad in ["../x.md", "/etc/x.md", "a/../../x.md", ""] {
            assert!(
                matches!(write_file(root.path(), bad, b"x", Flush::Durable), Err(WriteError::Refused(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_existing_file_keeps_its_permissions_and_a_new_one_is_readable() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        write_file(root.path(), "new.md", b"x", Flush::Durable).unwrap();
        let mode = fs::metadata(root.path().join("new.md")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o444, 0o444, "readable by all (as std::fs::write makes it), not 0600: {mode:o}");
        fs::set_permissions(root.path().join("new.md"), fs::Permissions::from_mode(0o640)).unwrap();
        write_file(root.path(), "new.md", b"y", Flush::Durable).unwrap();
        assert_eq!(fs::metadata(root.path().join("new.md")).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
