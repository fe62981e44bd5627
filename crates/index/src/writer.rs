use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexWriter, Term};

use crate::schema::{self, Fields};
use crate::{CardDoc, IndexError, Result};
use crate::{SharedCommonWords, common_words};

/// Heap for the writer's in-memory segment before it flushes.
const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// The index's only writer. Updates are delete-by-id + add; nothing is visible until
/// [`Writer::commit`].
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
    /// The English analyzer, for the common word pairs; its stemmer remembers words
    /// across cards.
    analyzer: TextAnalyzer,
    common: SharedCommonWords,
}

impl Writer {
    pub(crate) fn new(index: &Index, fields: Fields, common: SharedCommonWords) -> Result<Self> {
        // One indexing thread: the other core keeps serving searches.
        let writer = index.writer_with_num_threads(1, WRITER_HEAP_BYTES).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => IndexError::Locked,
            other => IndexError::Tantivy(other),
        })?;
        Ok(Writer { writer, fields, analyzer: schema::english(), common })
    }

    pub fn upsert(&mut self, doc: &CardDoc) -> Result<()> {
        self.delete(doc.id);
        let common = common_words(&self.common);
        self.writer.add_document(doc.to_document(&self.fields, &mut self.analyzer, &common))?;
        Ok(())
    }

    pub fn delete(&mut self, id: i64) {
        self.writer.delete_term(Term::from_field_u64(self.fields.id, id as u64));
    }

    pub fn delete_all(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits everything so far, recording `seq` as the last applied change.
    pub fn commit(&mut self, seq: i64) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        Ok(())
    }

    /// Waits for background merges; call on shutdown.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}
