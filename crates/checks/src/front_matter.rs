//! Front matter: any file either parses or says why not, and what parses survives a
//! write and a read unchanged (the content folder rewrites files it reads).

use verity_content::{card_file, to_markdown};

/// The file's bytes, as a file of the content folder would hold them.
pub fn check(data: &[u8]) {
    let path = "ops/fuzzed-card.md";
    let Ok(file) = card_file(path, data.to_vec()) else { return };
    let written = to_markdown(&file.draft);
    let again = card_file(path, written.clone().into_bytes())
        .unwrap_or_else(|e| panic!("Verity cannot read back what it wrote ({e}):\n{written}"));
    assert_eq!(again.draft, file.draft, "a write and a read keep the draft:\n{written}");
    assert_eq!(again.slug, file.slug, "and the slug");
    assert_eq!(to_markdown(&again.draft), written, "and writing it again gives the same bytes");
}
