//! Field names and analyzers, in one place.

use tantivy::Index;
use tantivy::schema::{
    FAST, FacetOptions, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, TokenizerManager};

use crate::stem::CachedStemmer;
use crate::tokenize::{Emit, WordTokenizer};

/// English words (see `tokenize`): words, compound parts and CJK bigrams, lowercased,
/// accents folded, stemmed (see `stem`).
pub const ENGLISH: &str = "verity_en";
/// The same words unstemmed: what typo tolerance and as-you-type prefixes match against
/// ("escalaton" is one edit from "escalation", but four from its stem "escal").
pub const RAW: &str = "verity_raw";

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: tantivy::schema::Field,
    pub slug: tantivy::schema::Field,
    pub title: tantivy::schema::Field,
    pub headings: tantivy::schema::Field,
    pub tags_text: tantivy::schema::Field,
    pub body: tantivy::schema::Field,
    /// The first `SNIPPET_SCAN_BYTES` of the body, stored for snippets.
    pub excerpt: tantivy::schema::Field,
    pub words: tantivy::schema::Field,
    /// Common words side by side in the searched fields, as one term (see `pairs`).
    pub pairs: tantivy::schema::Field,
    /// The version of the common words a card was indexed under.
    pub pairs_version: tantivy::schema::Field,
    pub collection: tantivy::schema::Field,
    pub collection_slug: tantivy::schema::Field,
    pub tag: tantivy::schema::Field,
    pub trusted: tantivy::schema::Field,
    pub due_soon_at: tantivy::schema::Field,
    pub due_at: tantivy::schema::Field,
    pub updated_at: tantivy::schema::Field,
}

pub const TRUSTED: &str = "trusted";
pub const DUE_SOON_AT: &str = "due_soon_at";
pub const DUE_AT: &str = "due_at";
pub const UPDATED_AT: &str = "updated_at";
pub const PAIRS_VERSION: &str = "pairs_version";

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let english = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ENGLISH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | FAST | STORED),
        slug: b.add_text_field("slug", STRING | STORED),
        title: b.add_text_field("title", english(true)),
        headings: b.add_text_field("headings", english(false)),
        tags_text: b.add_text_field("tags", english(true)),
        body: b.add_text_field("body", english(false)),
        // Snippets only look at a card's beginning, so only that is stored: loading and
        // decompressing whole 500 KB pages for every hit cost more than the search.
        excerpt: b.add_text_field("excerpt", STORED),
        words: b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default().set_tokenizer(RAW).set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        // A card's pairs, already analyzed, separated by spaces (see `pairs`).
        pairs: b.add_text_field(
            "pairs",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default().set_tokenizer("whitespace").set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        pairs_version: b.add_u64_field(PAIRS_VERSION, FAST),
        collection: b.add_facet_field("collection", FacetOptions::default()),
        collection_slug: b.add_text_field("collection_slug", STRING | STORED),
        tag: b.add_facet_field("tag", FacetOptions::default()),
        trusted: b.add_u64_field(TRUSTED, INDEXED | FAST | STORED),
        due_soon_at: b.add_i64_field(DUE_SOON_AT, INDEXED | FAST | STORED),
        due_at: b.add_i64_field(DUE_AT, INDEXED | FAST | STORED),
        updated_at: b.add_i64_field(UPDATED_AT, FAST | STORED),
    };
    (b.build(), fields)
}

/// The analyzers cards are indexed with.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(ENGLISH, english());
    index.tokenizers().register(RAW, analyzer(Emit::All, false));
}

/// How the English fields are indexed.
pub fn english() -> TextAnalyzer {
    analyzer(Emit::All, true)
}

/// The analyzers queries are split with: the same words, but compounds as their parts
/// only (a phrase); the whole identifier is asked for separately, see [`whole_words`].
pub fn query_analyzers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(ENGLISH, analyzer(Emit::Parts, true));
    manager.register(RAW, analyzer(Emit::Parts, false));
    manager
}

/// Only the compounds of a text, whole and stemmed like the English fields index them.
pub fn whole_words() -> TextAnalyzer {
    analyzer(Emit::Whole, true)
}

fn analyzer(emit: Emit, stem: bool) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(WordTokenizer::new(emit))
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    if stem { builder.filter(CachedStemmer).build() } else { builder.build() }
}
