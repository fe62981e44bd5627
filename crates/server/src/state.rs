use std::sync::Arc;

use verity_core::Clock;
use verity_index::SearchIndex;
use verity_store::Store;

use crate::auth::TokenKeys;
use crate::indexer::IndexerHandle;
use crate::limits::SignInLimiter;
use crate::site::Site;
use crate::sync::SyncHandle;

/// Everything a request needs, built once and shared (`web::Data<AppState>`).
pub struct AppState {
    pub store: Store,
    pub index: Arc<SearchIndex>,
    pub indexer: IndexerHandle,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenKeys,
    pub limiter: SignInLimiter,
    /// The public URL and trusted proxies: who the client is, whether it came over https.
    pub site: Site,
    /// The content folder's sync, when serving one.
    pub sync: Option<SyncHandle>,
}

impl AppState {
    /// After a card changed in the app: rewrite its file if it lives in the content folder.
    pub fn sync_card(&self, card_id: i64) {
        if let Some(sync) = &self.sync {
            sync.write_back(card_id);
        }
    }
}
