//! Tells when something under the content folder changed. One editor save arrives as
//! several events (temp file, rename, chmod); notify's debouncer folds them into one
//! batch, and the caller rescans the folder rather than trusting event kinds, which
//! differ between platforms and editors.

use std::path::{Component, Path};
use std::time::Duration;

use notify_debouncer_mini::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{Config, DebounceEventResult, Debouncer, new_debouncer_opt};

use crate::scan::{is_hidden, is_markdown};

/// How long a burst of events may last before it is reported as one change.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watches a folder until dropped.
pub struct FolderWatcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

impl FolderWatcher {
    /// Calls `on_change` (on the watcher's thread) after each burst of events that touches
    /// a Markdown file or a folder; hidden and temporary files are ignored.
    pub fn start(
        root: &Path,
        on_change: impl Fn() + Send + 'static,
    ) -> notify_debouncer_mini::notify::Result<FolderWatcher> {
        let given = root.to_owned();
        let base = root.canonicalize().unwrap_or_else(|_| root.to_owned());
        // Symlinked folders are neither read nor written (see `walk`), so they are not
        // watched either: a link to `/` would otherwise put a watch on every folder of the
        // machine before the server starts.
        let config = Config::default()
            .with_timeout(DEBOUNCE)
            .with_notify_config(notify::Config::default().with_follow_symlinks(false));
        let mut debouncer = new_debouncer_opt(config, move |result: DebounceEventResult| match result {
            Ok(events) => {
                let relevant = events.iter().any(|e| {
                    // Anything under a hidden folder (`.git/objects/…`) is not ours either.
                    let rel = e.path.strip_prefix(&given).or_else(|_| e.path.strip_prefix(&base));
                    let hidden = match rel {
                        Ok(rel) => rel.components().any(|c| matches!(c, Component::Normal(n) if is_hidden(n))),
                        Err(_) => e.path.file_name().is_some_and(is_hidden),
                    };
                    !hidden && (is_markdown(&e.path) || e.path.extension().is_none())
                });
                if relevant {
                    on_change();
                }
            }
            Err(e) => tracing::warn!(error = %e, "content watcher error"),
        })?;
        debouncer.watcher().watch(root, RecursiveMode::Recursive)?;
        Ok(FolderWatcher { _debouncer: debouncer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    fn wait_until(what: &str, f: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn markdown_changes_are_reported_and_temp_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let _w = FolderWatcher::start(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        std::fs::write(dir.path().join(".draft.md.swp"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
        std::fs::write(dir.path().join(".git/objects/HEAD"), "x").unwrap();
        std::fs::write(dir.path().join("notes.md~"), "x").unwrap();
        std::thread::sleep(DEBOUNCE * 3);
        assert_eq!(calls.load(Ordering::SeqCst), 0, "hidden and backup files are ignored");
        std::fs::write(dir.path().join("card.md"), "# Card").unwrap();
        wait_until("the change", || calls.load(Ordering::SeqCst) >= 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_folders_are_not_watched() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let _w = FolderWatcher::start(dir.path(), move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        std::fs::write(outside.path().join("card.md"), "# Card").unwrap();
        std::thread::sleep(DEBOUNCE * 3);
        assert_eq!(calls.load(Ordering::SeqCst), 0, "a change behind a symlinked folder is not ours");
        std::fs::write(dir.path().join("card.md"), "# Card").unwrap();
        wait_until("the change", || calls.load(Ordering::SeqCst) >= 1);
    }
}
