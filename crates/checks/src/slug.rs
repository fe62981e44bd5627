//! Slugs: any text gives a valid slug, and a valid slug (short enough) is its own.

use verity_core::Slug;

pub fn check(data: &[u8]) {
    let text = crate::texts::from_bytes(data);
    for fallback in ["card", "general"] {
        let slug = Slug::from_text(&text, fallback);
        assert!(Slug::parse(slug.as_str()).is_ok(), "{text:?} gave the invalid slug {slug:?}");
        assert!(slug.as_str().len() <= 80, "{text:?} gave a slug of {} bytes", slug.as_str().len());
        assert_eq!(Slug::from_text(slug.as_str(), fallback), slug, "a slug of a slug is itself ({text:?})");
    }
    if let Ok(slug) = Slug::parse(&text)
        && text.len() <= 80
    {
        assert_eq!(Slug::from_text(&text, "card"), slug, "a valid slug is kept as it is");
    }
    let path_slug = verity_content::slug_for_path(&text);
    assert!(Slug::parse(path_slug.as_str()).is_ok(), "the path {text:?} gave the invalid slug {path_slug:?}");
}
