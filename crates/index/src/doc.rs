use chrono::{DateTime, Utc};
use tantivy::TantivyDocument;
use tantivy::schema::Facet;
use tantivy::tokenizer::TextAnalyzer;
use verity_core::verification::DueTimes;

use crate::pairs::CommonWords;
use crate::schema::Fields;
use crate::snippet;

/// What the index needs to know about a card; built by the server from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct CardDoc {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub headings: Vec<String>,
    /// The body as plain text (`verity_core::markdown::to_text`).
    pub text: String,
    pub tags: Vec<String>,
    pub collection: String,
    /// `None` while unverified.
    pub due: Option<DueTimes>,
    pub updated_at: DateTime<Utc>,
}

impl CardDoc {
    /// `analyzer` splits the searched fields again to find their common word pairs.
    pub(crate) fn to_document(&self, f: &Fields, analyzer: &mut TextAnalyzer, common: &CommonWords) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        let mut pairs = String::new();
        let searched = std::iter::once((f.title, &self.title))
            .chain(self.headings.iter().map(|h| (f.headings, h)))
            .chain(self.tags.iter().map(|t| (f.tags_text, t)))
            .chain(std::iter::once((f.body, &self.text)));
        for (field, text) in searched {
            common.pairs_of(analyzer, field, text, &mut pairs);
        }
        if !pairs.is_empty() {
            doc.add_text(f.pairs, pairs);
        }
        doc.add_u64(f.pairs_version, common.version());
        doc.add_u64(f.id, self.id as u64);
        doc.add_text(f.slug, &self.slug);
        doc.add_text(f.title, &self.title);
        for h in &self.headings {
            doc.add_text(f.headings, h);
        }
        for t in &self.tags {
            doc.add_text(f.tags_text, t);
            doc.add_facet(f.tag, Facet::from_path([t.as_str()]));
        }
        doc.add_text(f.body, &self.text);
        doc.add_text(f.excerpt, snippet::scope(&self.text, snippet::SNIPPET_SCAN_BYTES));
        doc.add_text(f.words, &self.title);
        doc.add_text(f.words, &self.text);
        doc.add_facet(f.collection, Facet::from_path([self.collection.as_str()]));
        doc.add_text(f.collection_slug, &self.collection);
        // Unverified cards carry zeros; every status rule checks `trusted` first.
        let (trusted, due_soon_at, due_at) = match self.due {
            Some(d) => (1, d.due_soon_at.timestamp(), d.due_at.timestamp()),
            None => (0, 0, 0),
        };
        doc.add_u64(f.trusted, trusted);
        doc.add_i64(f.due_soon_at, due_soon_at);
        doc.add_i64(f.due_at, due_at);
        doc.add_i64(f.updated_at, self.updated_at.timestamp());
        doc
    }
}
