use std::sync::Arc;

use verity_core::Clock;
use verity_index::SearchIndex;
use verity_store::Store;

use crate::auth::TokenKeys;
use crate::indexer::IndexerHandle;

/// Everything a request needs, built once and shared (`web::Data<AppState>`).
pub struct AppState {
    pub store: Store,
    pub index: Arc<SearchIndex>,
    pub indexer: IndexerHandle,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenKeys,
}
