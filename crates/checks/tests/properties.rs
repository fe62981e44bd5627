//! The fuzz targets' properties over random Unicode texts (proptest): combining marks,
//! no-break and zero-width spaces, emoji, CJK, right-to-left text, CRLF, no final
//! newline, and Markdown and YAML punctuation.

use proptest::prelude::*;
use verity_checks::texts::{unicode_lines, unicode_text};
use verity_checks::{front_matter, markdown, merge, slug};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merge_keeps_one_sides_edit_and_separate_edits(base in unicode_lines(), ours in unicode_lines(), theirs in unicode_lines()) {
        merge::check_texts(&base, &ours, &theirs);
    }

    #[test]
    fn markdown_renders_safely(text in unicode_text()) {
        markdown::check(text.as_bytes());
    }

    #[test]
    fn slugs_are_valid_for_any_text(text in unicode_text()) {
        slug::check(text.as_bytes());
    }

    #[test]
    fn front_matter_round_trips(title in unicode_text(), tag in unicode_text(), extra in unicode_text(), body in unicode_lines()) {
        let yaml_string = |s: &str| format!("\"{}\"", s.escape_default());
        let file = format!(
            "---\ntitle: {}\ntags: [{}]\nnote: {}\n---\n{body}",
            yaml_string(&title),
            yaml_string(&tag),
            yaml_string(&extra)
        );
        front_matter::check(file.as_bytes());
        front_matter::check(body.as_bytes());
    }
}
