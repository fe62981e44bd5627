//! Walks a content folder: every Markdown file becomes a [`CardFile`] or a [`FileError`].

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use verity_core::Slug;
use walkdir::WalkDir;

use crate::front_matter::{CardDraft, parse};

/// The collection of files that sit directly in the content root.
pub const ROOT_COLLECTION: &str = "general";

/// A good Markdown file and the card it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct CardFile {
    /// Relative to the content root, with `/` separators: the card's identity in the folder.
    pub path: String,
    /// Slug of the first folder under the root, or `general`.
    pub collection: Slug,
    /// The folder's own name, for the collection's display name.
    pub collection_dir: Option<String>,
    /// Derived from the path, so it is stable and unique within the folder.
    pub slug: Slug,
    pub draft: CardDraft,
}

/// A file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<CardFile>,
    pub errors: Vec<FileError>,
}

/// Reads every `*.md` / `*.markdown` file under `root`, skipping hidden files and folders.
/// Bad files are reported, never fatal: the rest still come back. Sorted by path.
pub fn scan(root: &Path) -> Scan {
    let (paths, errors) = walk(root);
    let mut out = Scan { files: Vec::with_capacity(paths.len()), errors };
    for rel in paths {
        match read_file(root, &rel) {
            Ok((file, _hash)) => out.files.push(file),
            Err(reason) => out.errors.push(FileError { path: rel, reason }),
        }
    }
    out
}

/// The relative paths of the Markdown files under `root` (sorted), and what could not be
/// walked. Nothing is read yet. Symlinked folders are not followed, and they are reported,
/// as are links named like Verity's own files: both are where a write could be led
/// outside the folder.
pub fn walk(root: &Path) -> (Vec<String>, Vec<FileError>) {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    if let Err(e) = root.canonicalize() {
        errors.push(FileError { path: root.display().to_string(), reason: format!("cannot open the folder: {e}") });
        return (paths, errors);
    }
    let walker = WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter();
    let wanted = |e: &walkdir::DirEntry| e.depth() == 0 || !is_hidden(e.file_name()) || e.path_is_symlink();
    for entry in walker.filter_entry(wanted) {
        match entry {
            Ok(e) if e.depth() > 0 && e.path_is_symlink() => {
                if let Some(reason) = symlink_problem(&e) {
                    errors.push(FileError { path: relative(root, e.path()), reason: reason.into() });
                } else if !is_hidden(e.file_name()) && is_markdown(e.path()) {
                    paths.push(relative(root, e.path()));
                }
            }
            Ok(e) if !e.file_type().is_dir() && is_markdown(e.path()) => paths.push(relative(root, e.path())),
            Ok(_) => {}
            Err(e) => {
                let path = e.path().map(|p| relative(root, p)).unwrap_or_default();
                errors.push(FileError { path, reason: e.to_string() });
            }
        }
    }
    (paths, errors)
}

/// Why a symlink met in the walk is reported, if it is.
fn symlink_problem(e: &walkdir::DirEntry) -> Option<&'static str> {
    let name = e.file_name().to_string_lossy();
    if name.starts_with('.') && name.contains("verity") {
        // `.verity-archive`, `.welcome.md.verity-tmp`: Verity makes these itself, as
        // real files and folders; a link there was planted.
        return Some(
            "a symlink named like Verity's own files (its archive or temporary files); it is never followed: remove it",
        );
    }
    // `metadata` follows the link without opening anything.
    let to_folder = !is_hidden(e.file_name()) && std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir());
    to_folder.then_some("a symlinked folder: Verity neither reads nor writes files through links")
}

/// Reads and parses one file given by its path relative to `root`; also returns the hash
/// of its bytes (to recognise content already seen).
pub fn read_file(root: &Path, rel: &str) -> Result<(CardFile, String), String> {
    let bytes = read_bytes(root, rel)?;
    let hash = hash_bytes(&bytes);
    Ok((card_file(rel, bytes)?, hash))
}

/// The bytes of one Markdown file, read only once it is known to be a regular file inside
/// the folder and no bigger than a card may be. A symlink is followed only when it stays
/// inside the folder; a FIFO, a device or a socket is never opened (opening a FIFO waits
/// for a writer, and `/dev/zero` never ends).
pub fn read_bytes(root: &Path, rel: &str) -> Result<Vec<u8>, String> {
    if rel.split('/').any(|part| part.contains("..")) {
        return Err("a name containing `..`".into());
    }
    let canonical_root = root.canonicalize().map_err(|e| format!("cannot open the folder: {e}"))?;
    // Resolving a path follows its links but opens nothing.
    let real = root.join(rel).canonicalize().map_err(|e| format!("cannot resolve: {e}"))?;
    if !real.starts_with(&canonical_root) {
        return Err("a symlink that points outside the content folder".into());
    }
    let not_regular = "not a regular file (a folder, FIFO, device or socket)";
    if !std::fs::metadata(&real).is_ok_and(|m| m.is_file()) {
        return Err(not_regular.into());
    }
    // Swapped for something else since? Non-blocking, so a FIFO cannot hold the open, and
    // the opened file is checked again: that is the one that will be read.
    let file = open_for_reading(&real).map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(not_regular.into());
    }
    let limit = verity_core::max_card_bytes();
    let too_large = |len: u64| format!("the file is {len} bytes; cards are limited to {limit} bytes");
    if meta.len() > limit as u64 {
        return Err(too_large(meta.len()));
    }
    // A file growing while it is read stops one byte past the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_for_reading(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW).open(path)
}

#[cfg(not(unix))]
fn open_for_reading(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Parses the bytes of the file at `rel` (relative to the content root) into the card
/// it describes.
pub fn card_file(rel: &str, bytes: Vec<u8>) -> Result<CardFile, String> {
    let text =
        String::from_utf8(bytes).map_err(|e| format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()))?;
    let draft = parse(&text, &stem(rel)).map_err(|e| e.to_string())?;
    let collection_dir = first_folder(rel);
    let collection = match &collection_dir {
        Some(dir) => Slug::from_text(dir, ROOT_COLLECTION),
        None => Slug::from_text(ROOT_COLLECTION, ROOT_COLLECTION),
    };
    let slug = match &draft.slug {
        Some(s) => Slug::parse(s).map_err(|e| e.to_string())?,
        None => slug_for_path(rel),
    };
    Ok(CardFile { path: rel.to_owned(), collection, collection_dir, slug, draft })
}

/// The slug a file's path gives: `engineering/deploy.md` -> `engineering-deploy`.
pub fn slug_for_path(rel: &str) -> Slug {
    Slug::from_text(&without_extension(rel).replace('/', " "), "card")
}

/// SHA-256 of some bytes, as hex: how files and written cards are recognised.
pub fn hash_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A folder name as people read it: `time-zones` -> `Time zones`.
pub fn collection_name(dir: &str) -> String {
    let words = dir.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => ROOT_COLLECTION.into(),
    }
}

pub(crate) fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_none_or(|n| n.starts_with('.') || n.starts_with('_') || n.ends_with('~'))
}

pub(crate) fn is_markdown(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "markdown"))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel: PathBuf =
        path.strip_prefix(root).unwrap_or(path).components().filter(|c| matches!(c, Component::Normal(_))).collect();
    rel.to_string_lossy().replace('\\', "/")
}

fn first_folder(rel: &str) -> Option<String> {
    rel.split_once('/').map(|(dir, _)| dir.to_owned())
}

/// `a/b/runbook.html.md` -> `a/b/runbook` (the `.html` of static-site sources goes too).
fn without_extension(rel: &str) -> &str {
    let s = rel.strip_suffix(".md").or_else(|| rel.strip_suffix(".markdown")).unwrap_or(rel);
    s.strip_suffix(".html").unwrap_or(s)
}

fn stem(rel: &str) -> String {
    let name = without_extension(rel).rsplit('/').next().unwrap_or(rel);
    name.replace(['-', '_'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &[u8]) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn folders_become_collections_and_paths_become_slugs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "welcome.md", b"# Welcome\n");
        write(dir.path(), "time-zones/overlap-hours.md", b"---\ntitle: Overlap hours\n---\nText\n");
        write(dir.path(), "engineering/runbooks/deploy.html.md", b"# Deploy\n");
        write(dir.path(), "notes.txt", b"not markdown");
        write(dir.path(), ".git/HEAD.md", b"hidden");
        write(dir.path(), "drafts/.secret.md", b"hidden");
        let scan = scan(dir.path());
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        let got: Vec<(&str, &str, &str, &str)> = scan
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.collection.as_str(), f.slug.as_str(), f.draft.title.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("engineering/runbooks/deploy.html.md", "engineering", "engineering-runbooks-deploy", "Deploy"),
                ("time-zones/overlap-hours.md", "time-zones", "time-zones-overlap-hours", "Overlap hours"),
                ("welcome.md", "general", "welcome", "Welcome"),
            ]
        );
        assert_eq!(collection_name("time-zones"), "Time zones");
    }

    #[test]
    fn bad_files_are_reported_and_the_rest_still_scan() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/good.md", b"# Good\n");
        write(dir.path(), "a/binary.md", &[0xff, 0xfe, 0x00, 0x41]);
        write(dir.path(), "a/broken.md", b"---\ntitle: [oops\n---\n");
        write(dir.path(), "a/z-also-good.md", b"plain");
        let scan = scan(dir.path());
        assert_eq!(
            scan.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            vec!["a/good.md", "a/z-also-good.md"]
        );
        assert_eq!(scan.files[1].draft.title, "z also good");
        let errors: Vec<(&str, &str)> = scan.errors.iter().map(|e| (e.path.as_str(), e.reason.as_str())).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, "a/binary.md");
        assert!(errors[0].1.contains("UTF-8"), "{errors:?}");
        assert_eq!(errors[1].0, "a/broken.md");
        assert!(errors[1].1.contains("YAML"), "{errors:?}");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_outside_the_folder_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.md", b"# Secret\n");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/inside.md", b"# Inside\n");
        std::os::unix::fs::symlink(outside.path().join("secret.md"), dir.path().join("a/link.md")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a/inside.md"), dir.path().join("a/alias.md")).unwrap();
        let scan = scan(dir.path());
        assert_eq!(scan.errors.len(), 1, "{:?}", scan.errors);
        assert_eq!(scan.errors[0].path, "a/link.md");
        assert!(scan.errors[0].reason.contains("outside"));
        assert_eq!(scan.files.len(), 2);
    }

    /// Reads (rather than hangs on) what is not a regular file, and lists it as a problem.
    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_symlinked_folders_are_reported_without_being_opened() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "elsewhere.md", b"# Elsewhere\n");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/good.md", b"# Good\n");
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("a/zero.md")).unwrap();
        let made = std::process::Command::new("mkfifo").arg(dir.path().join("a/pipe.md")).status().unwrap();
        assert!(made.success(), "mkfifo");
        std::os::unix::fs::symlink(dir.path().join("a/pipe.md"), dir.path().join("a/to-pipe.md")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".verity-archive")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("elsewhere.md"), dir.path().join(".welcome.md.verity-tmp"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".obsidian")).unwrap();
        let started = std::time::Instant::now();
        let scan = scan(dir.path());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(scan.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), vec!["a/good.md"]);
        let errors: Vec<(&str, &str)> = scan.errors.iter().map(|e| (e.path.as_str(), e.reason.as_str())).collect();
        let reason = |path: &str| errors.iter().find(|(p, _)| *p == path).map(|(_, r)| *r).unwrap_or_default();
        assert!(reason(".verity-archive").contains("named like Verity's own files"), "{errors:?}");
        assert!(reason(".welcome.md.verity-tmp").contains("named like Verity's own files"), "{errors:?}");
        assert!(reason("a/pipe.md").contains("not a regular file"), "{errors:?}");
        assert!(reason("a/to-pipe.md").contains("not a regular file"), "{errors:?}");
        assert!(reason("a/zero.md").contains("outside"), "{errors:?}");
        assert!(reason("linked").contains("symlinked folder"), "{errors:?}");
        assert_eq!(errors.len(), 6, "a hidden link of someone else's is not Verity's business: {errors:?}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "big.md", &vec![b'x'; verity_core::max_card_bytes() + 1]);
        let err = read_bytes(dir.path(), "big.md").unwrap_err();
        assert!(err.contains("limited"), "{err}");
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let scan = scan(Path::new("/definitely/not/here"));
        assert!(scan.files.is_empty());
        assert_eq!(scan.errors.len(), 1);
    }
}
