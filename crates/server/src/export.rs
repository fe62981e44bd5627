//! `verity export DIR`: every live card as Markdown with front matter, in the content
//! folder's layout (a card keeps its file path; others go to `collection/slug.md`).

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use std::collections::HashSet;

use verity_content::confined::{self, Flush};
use verity_content::{CardDraft, ROOT_COLLECTION, extra_from_json, slug_for_path, to_markdown};
use verity_store::cards::{self, Card};
use verity_store::{Store, StoreError};

/// The front matter and body that stand for a card in a file. A verification that an
/// untrusted edit voided is left out, so re-importing keeps the card unverified.
pub fn draft_of(card: &Card) -> CardDraft {
    let trusted = card.trusted && card.verified_at.is_some();
    let path = file_path(card);
    let slug_from_path = slug_for_path(&path.to_string_lossy().replace('\\', "/"));
    CardDraft {
        title: card.title.clone(),
        slug: (slug_from_path.as_str() != card.slug).then(|| card.slug.clone()),
        body: card.body.clone(),
        tags: card.tags.clone(),
        owner: card.owner.clone(),
        verifier: card.verifier.clone(),
        verify_every: Some(card.interval),
        verified_at: card.verified_at.filter(|_| trusted),
        verified_by: card.verified_by.clone().filter(|_| trusted),
        extra: extra_from_json(&card.extra),
    }
}

/// Where a card's file goes, relative to the export root.
pub fn file_path(card: &Card) -> PathBuf {
    if let Some(path) = card.source_path.as_deref().map(Path::new).filter(|p| is_safe(p)) {
        return path.to_owned();
    }
    if card.collection == ROOT_COLLECTION {
        PathBuf::from(format!("{}.md", card.slug))
    } else {
        Path::new(&card.collection).join(format!("{}.md", card.slug))
    }
}

/// Relative, and never climbing out of the folder.
fn is_safe(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Exports every live card; returns how many files were written.
pub fn export_dir(store: &Store, dir: &Path, progress: &dyn Fn(usize, usize)) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ids = store.read(cards::all_ids)?;
    let mut written = 0;
    let mut taken: HashSet<PathBuf> = HashSet::new();
    for chunk in ids.chunks(500) {
        let batch = store.read(|c| -> Result<Vec<Card>, StoreError> { cards::many(c, chunk) })?;
        for card in batch.iter().filter(|c| c.archived_at.is_none()) {
            // Two cards may want one path (a file `ops/deploy.md` and an app card `deploy`
            // in `ops`); the second gets `deploy-2.md`, and its slug in the front matter.
            let mut rel = file_path(card);
            let mut n = 2;
            while !taken.insert(rel.clone()) {
                rel = file_path(card).with_file_name(format!("{}-{n}.md", card.slug));
                n += 1;
            }
            let mut draft = draft_of(card);
            if rel != file_path(card) {
                draft.slug = Some(card.slug.clone());
            }
            let rel = rel.to_string_lossy().replace('\\', "/");
            // The same writer as the content folder's: never through a link planted in DIR.
            confined::write_file(dir, &rel, to_markdown(&draft).as_bytes(), Flush::Lazy)
                .with_context(|| format!("writing {}", dir.join(&rel).display()))?;
            written += 1;
            progress(written, ids.len());
        }
    }
    Ok(written)
}
