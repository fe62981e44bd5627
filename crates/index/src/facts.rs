//! What counting needs to know about every card of a segment — its collection, its tags
//! and the dates that decide its status — read from the segment's columns once, when a
//! reload brings the segment in (a tantivy [`Warmer`]), and kept while it lives.
//!
//! Counting the facets of a search reads these plain arrays for each match. Through
//! tantivy's facet collectors and column readers the counts took half of a multi-word
//! search over 100k cards; segments never change once written, so nothing goes stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, Searcher, SearcherGeneration, SegmentReader, Warmer};
use verity_core::Status;

use crate::schema::{DUE_AT, DUE_SOON_AT, TRUSTED};
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
        let docs = 0..max_doc as DocId;
        Ok(SegmentFacts {
            collection,
            collection_names: names(&collections)?,
            tag_starts,
            tags,
            tag_names: names(&tag_reader)?,
            trusted: docs.clone().map(|d| trusted.first(d).unwrap_or(0) != 0).collect(),
            due_soon_at: docs.clone().map(|d| due_soon_at.first(d).unwrap_or(0)).collect(),
            due_at: docs.map(|d| due_at.first(d).unwrap_or(0)).collect(),
        })
    }

    pub fn status(&self, doc: DocId, now: i64) -> Status {
        let d = doc as usize;
        status_of(now, u64::from(self.trusted[d]), self.due_soon_at[d], self.due_at[d])
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
    collections: Vec<u64>,
    tags: Vec<u64>,
    statuses: [u64; 4],
}

impl Collector for TallyCollector<'_> {
    type Fruit = Tally;
    type Child = SegmentTally;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentTally> {
        let facts = self.facts.of(segment)?;
        Ok(SegmentTally {
            now: self.now,
            collections: vec![0; facts.collection_names.len()],
            tags: vec![0; facts.tag_names.len()],
            statuses: [0; 4],
            facts,
        })
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
        let f = &*self.facts;
        let d = doc as usize;
        if let Some(n) = self.collections.get_mut(f.collection[d] as usize) {
            *n += 1;
        }
        for tag in &f.tags[f.tag_starts[d] as usize..f.tag_starts[d + 1] as usize] {
            self.tags[*tag as usize] += 1;
        }
        let status = f.status(doc, self.now);
        self.statuses[Status::ALL.iter().position(|s| *s == status).unwrap_or(0)] += 1;
    }

    fn harvest(self) -> Tally {
        let named = |counts: Vec<u64>, names: &[String]| -> HashMap<String, u64> {
            counts.into_iter().zip(names).filter(|(n, _)| *n > 0).map(|(n, name)| (name.clone(), n)).collect()
        };
        Tally {
            collections: named(self.collections, &self.facts.collection_names),
            tags: named(self.tags, &self.facts.tag_names),
            statuses: self.statuses,
        }
    }
}
