//! Markdown files with YAML front matter, turned into card drafts.
//!
//! This crate knows files, not the database: [`scan`] walks a content folder and returns
//! what each good file says and why each bad one was skipped; the server decides what
//! that means for the cards it stores.

pub mod confined;
mod front_matter;
mod scan;
mod watch;
mod write;

pub use front_matter::{CardDraft, ParseError, parse};
pub use scan::{
    CardFile, FileError, ROOT_COLLECTION, Scan, card_file, collection_name, hash_bytes, read_bytes, read_file, scan,
    slug_for_path, walk,
};
pub use watch::{DEBOUNCE, FolderWatcher};
pub use write::{extra_from_json, to_markdown};
