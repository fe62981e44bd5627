//! What counting and ranking need to know about every card of a segment — its
//! collection, its tags, the dates that decide its status and when it was last updated —
//! read from the segment's columns once, when a reload brings the segment in (a tantivy
//! [`Warmer`]), and kept while it lives.
//!
//! Counting the facets of a search reads these plain arrays for each match. Through
//! tantivy's facet collectors and column readers the counts took half of a multi-word
//! search over 100k cards; segments never change once written, so nothing goes stale.
//!
//! A common word matches most cards. Then the counts are those of the whole segment
//! (kept with the facts; statuses from due dates sorted once) minus those of the few
//! cards that do not match, so a search costs what its non-matches cost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, Searcher, SearcherGeneration, SegmentReader, Warmer};
use verity_core::Status;

use crate::schema::{DUE_AT, DUE_SOON_AT, TRUSTED, UPDATED_AT};
use crate::status_facet::status_of;

/// No collection (never the case for a card, but a document may lack the field).
const NONE: u32 = u32::MAX;

/// One segment's cards, by document id.
pub struct SegmentFacts {
    collection: Vec<u32>,
    collection_names: Vec<String>,
    /// Card `doc`'s tags are `tags[tag_starts[doc]..tag_starts[doc + 1]]`.
    tag_starts: Vec<u32>,
    tags: Vec<u32>,
    tag_names: Vec<String>,
    trusted: Vec<bool>,
    due_soon_at: Vec<i64>,
    due_at: Vec<i64>,
    /// For ranking: recency breaks ties (see `top`).
    updated_at: Vec<i64>,
    /// Counts over every document of the segment (deleted ones included).
    collection_totals: Vec<u64>,
    tag_totals: Vec<u64>,
    untrusted: u64,
    /// The trusted documents' due-soon times (never after their due time), sorted.
    trusted_due_soon_at: Vec<i64>,
    /// The trusted documents' due times, sorted.
    trusted_due_at: Vec<i64>,
}

impl SegmentFacts {
    fn read(segment: &SegmentReader) -> tantivy::Result<SegmentFacts> {
        let max_doc = segment.max_doc() as usize;
        let names = |reader: &tantivy::fastfield::FacetReader| -> tantivy::Result<Vec<String>> {
            let mut facet = Facet::root();
            (0..reader.num_facets() as u64)
                .map(|ord| {
                    reader.facet_from_ord(ord, &mut facet)?;
                    Ok(facet.to_path().last().map(|s| s.to_string()).unwrap_or_default())
                })
                .collect()
        };
        let collections = segment.facet_reader("collection")?;
        let collection = (0..max_doc as DocId)
            .map(|doc| collections.facet_ords(doc).next().map_or(NONE, |ord| ord as u32))
            .collect();
        let tag_reader = segment.facet_reader("tag")?;
        let (mut tag_starts, mut tags) = (Vec::with_capacity(max_doc + 1), Vec::with_capacity(max_doc * 2));
        for doc in 0..max_doc as DocId {
            tag_starts.push(tags.len() as u32);
            tags.extend(tag_reader.facet_ords(doc).map(|ord| ord as u32));
        }
        tag_starts.push(tags.len() as u32);
        let ff = segment.fast_fields();
        let (trusted, due_soon_at, due_at) = (ff.u64(TRUSTED)?, ff.i64(DUE_SOON_AT)?, ff.i64(DUE_AT)?);
        let updated_at = ff.i64(UPDATED_AT)?;
        let docs = 0..max_doc as DocId;
        let mut facts = SegmentFacts {
            collection,
            collection_names: names(&collections)?,
            tag_starts,
            tags,
            tag_names: names(&tag_reader)?,
            trusted: docs.clone().map(|d| trusted.first(d).unwrap_or(0) != 0).collect(),
            due_soon_at: docs.clone().map(|d| due_soon_at.first(d).unwrap_or(0)).collect(),
            due_at: docs.clone().map(|d| due_at.first(d).unwrap_or(0)).collect(),
            updated_at: docs.map(|d| updated_at.first(d).unwrap_or(0)).collect(),
            collection_totals: Vec::new(),
            tag_totals: Vec::new(),
            untrusted: 0,
            trusted_due_soon_at: Vec::new(),
            trusted_due_at: Vec::new(),
        };
        let mut totals = Counts::new(&facts);
        for doc in 0..max_doc as DocId {
            totals.add_facets(&facts, doc);
        }
        facts.collection_totals = totals.collections;
        facts.tag_totals = totals.tags;
        for d in 0..max_doc {
            if facts.trusted[d] {
                // A due-soon time after the due time changes no status: the card is
                // stale from its due time on either way.
                facts.trusted_due_soon_at.push(facts.due_soon_at[d].min(facts.due_at[d]));
                facts.trusted_due_at.push(facts.due_at[d]);
            } else {
                facts.untrusted += 1;
            }
        }
        facts.trusted_due_soon_at.sort_unstable();
        facts.trusted_due_at.sort_unstable();
        Ok(facts)
    }

    fn max_doc(&self) -> usize {
        self.collection.len()
    }

    /// Documents per status at `now`, over the whole segment, in [`Status::ALL`] order.
    fn status_totals(&self, now: i64) -> [u64; 4] {
        let due = |sorted: &[i64]| sorted.partition_point(|at| *at <= now) as u64;
        let stale = due(&self.trusted_due_at);
        let due_soon = due(&self.trusted_due_soon_at) - stale;
        let verified = self.trusted_due_at.len() as u64 - stale - due_soon;
        [verified, due_soon, stale, self.untrusted]
    }

    pub fn status(&self, doc: DocId, now: i64) -> Status {
        let d = doc as usize;
        status_of(now, u64::from(self.trusted[d]), self.due_soon_at[d], self.due_at[d])
    }

    pub fn updated_at(&self, doc: DocId) -> i64 {
        self.updated_at[doc as usize]
    }

    /// Which of this segment's collections (by ordinal) are among `slugs`.
    pub fn collections_among(&self, slugs: &[String]) -> Vec<bool> {
        self.collection_names.iter().map(|name| slugs.contains(name)).collect()
    }

    /// Is card `doc` in one of `collections` (as [`SegmentFacts::collections_among`] gives them)?
    pub fn in_collections(&self, doc: DocId, collections: &[bool]) -> bool {
        let ordinal = self.collection[doc as usize];
        ordinal != NONE && collections[ordinal as usize]
    }
}

/// The facts of every live segment. Register with the index reader as a warmer.
#[derive(Default)]
pub struct Facts {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacts>>>,
}

impl Facts {
    /// The segment's facts, read now if no reload has (an index opened without warming).
    pub fn of(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacts>> {
        let id = segment.segment_id();
        if let Some(facts) = self.lock().get(&id) {
            return Ok(facts.clone());
        }
        let facts = Arc::new(SegmentFacts::read(segment)?);
        self.lock().insert(id, facts.clone());
        Ok(facts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentFacts>>> {
        // The map stays consistent whatever a panicking thread was doing: it only inserts.
        self.segments.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Warmer for Facts {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for segment in searcher.segment_readers() {
            self.of(segment)?;
        }
        Ok(())
    }

    fn garbage_collect(&self, live: &[&SearcherGeneration]) {
        self.lock().retain(|id, _| live.iter().any(|generation| generation.segments().contains_key(id)));
    }
}

/// Counts per collection, per tag and per status of all matches.
#[derive(Debug, Default)]
pub struct Tally {
    pub collections: HashMap<String, u64>,
    pub tags: HashMap<String, u64>,
    /// In the order of [`Status::ALL`].
    pub statuses: [u64; 4],
}

impl Tally {
    fn add(&mut self, other: Tally) {
        for (name, n) in other.collections {
            *self.collections.entry(name).or_default() += n;
        }
        for (name, n) in other.tags {
            *self.tags.entry(name).or_default() += n;
        }
        for (total, n) in self.statuses.iter_mut().zip(other.statuses) {
            *total += n;
        }
    }
}

/// Collects a [`Tally`] from the segments' facts.
pub struct TallyCollector<'a> {
    pub facts: &'a Facts,
    pub now: i64,
}

pub struct SegmentTally {
    facts: Arc<SegmentFacts>,
    now: i64,
    matches: DocBits,
}

impl Collector for TallyCollector<'_> {
    type Fruit = Tally;
    type Child = SegmentTally;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentTally> {
        let facts = self.facts.of(segment)?;
        Ok(SegmentTally { now: self.now, matches: DocBits::new(facts.max_doc()), facts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Tally>) -> tantivy::Result<Tally> {
        let mut total = Tally::default();
        for fruit in fruits {
            total.add(fruit);
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Tally;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.matches.insert(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for doc in docs {
            self.matches.insert(*doc);
        }
    }

    fn harvest(self) -> Tally {
        let f = &*self.facts;
        let mut counts = Counts::new(f);
        if self.matches.count * 2 <= f.max_doc() {
            for doc in self.matches.ones() {
                counts.add_facets(f, doc);
                counts.statuses[status_index(f.status(doc, self.now))] += 1;
            }
        } else {
            // Most cards match: the segment's totals minus the cards that do not (deleted
            // ones included, as the totals include them).
            let mut missing = Counts::new(f);
            for doc in self.matches.zeros() {
                missing.add_facets(f, doc);
                missing.statuses[status_index(f.status(doc, self.now))] += 1;
            }
            let minus = |all: &[u64], out: &mut [u64], missing: &[u64]| {
                for ((o, a), m) in out.iter_mut().zip(all).zip(missing) {
                    *o = a - m;
                }
            };
            minus(&f.collection_totals, &mut counts.collections, &missing.collections);
            minus(&f.tag_totals, &mut counts.tags, &missing.tags);
            minus(&f.status_totals(self.now), &mut counts.statuses, &missing.statuses);
        }
        let named = |counts: Vec<u64>, names: &[String]| -> HashMap<String, u64> {
            counts.into_iter().zip(names).filter(|(n, _)| *n > 0).map(|(n, name)| (name.clone(), n)).collect()
        };
        Tally {
            collections: named(counts.collections, &f.collection_names),
            tags: named(counts.tags, &f.tag_names),
            statuses: counts.statuses,
        }
    }
}

fn status_index(status: Status) -> usize {
    match status {
        Status::Verified => 0,
        Status::DueSoon => 1,
        Status::Stale => 2,
        Status::Unverified => 3,
    }
}

/// Counts by segment-local ordinal.
struct Counts {
    collections: Vec<u64>,
    tags: Vec<u64>,
    statuses: [u64; 4],
}

impl Counts {
    fn new(f: &SegmentFacts) -> Self {
        Counts { collections: vec![0; f.collection_names.len()], tags: vec![0; f.tag_names.len()], statuses: [0; 4] }
    }

    fn add_facets(&mut self, f: &SegmentFacts, doc: DocId) {
        let d = doc as usize;
        if let Some(n) = self.collections.get_mut(f.collection[d] as usize) {
            *n += 1;
        }
        for tag in &f.tags[f.tag_starts[d] as usize..f.tag_starts[d + 1] as usize] {
            self.tags[*tag as usize] += 1;
        }
    }
}

/// A set of a segment's documents.
struct DocBits {
    words: Vec<u64>,
    len: usize,
    count: usize,
}

impl DocBits {
    fn new(len: usize) -> Self {
        DocBits { words: vec![0; len.div_ceil(64)], len, count: 0 }
    }

    fn insert(&mut self, doc: DocId) {
        let (word, bit) = (doc as usize / 64, 1u64 << (doc % 64));
        if let Some(w) = self.words.get_mut(word)
            && *w & bit == 0
        {
            *w |= bit;
            self.count += 1;
        }
    }

    /// The documents in the set, in order.
    fn ones(&self) -> impl Iterator<Item = DocId> + '_ {
        bits(&self.words, false, self.len)
    }

    /// The documents not in the set, in order.
    fn zeros(&self) -> impl Iterator<Item = DocId> + '_ {
        bits(&self.words, true, self.len)
    }
}

fn bits(words: &[u64], invert: bool, len: usize) -> impl Iterator<Item = DocId> + '_ {
    words
        .iter()
        .enumerate()
        .flat_map(move |(i, word)| {
            let mut w = if invert { !word } else { *word };
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some((i * 64) as DocId + bit)
            })
        })
        .filter(move |doc| (*doc as usize) < len)
}
