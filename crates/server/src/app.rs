//! Building the application: open the database and the index, start the indexer, make
//! sure there is an admin, and assemble the actix app with its middleware.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{App, web};
use anyhow::Context;
use verity_core::{Clock, Role};
use verity_index::{Opened, SearchIndex};
use verity_store::{Store, users};

use crate::auth::{self, TokenKeys};
use crate::indexer::Indexer;
use crate::site::Site;
use crate::state::AppState;
use crate::sync::ContentSync;

pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD_FILE: &str = "initial-admin-password";

pub struct Options {
    pub data_dir: PathBuf,
    /// `None`: SQLite at `DATA_DIR/verity.db`.
    pub database_url: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// The first admin's password; generated when `None`.
    pub admin_password: Option<String>,
    /// The Markdown folder kept in sync both ways (`--content`), if any.
    pub content: Option<PathBuf>,
    /// How long sign-ins last; `None`: 12 hours.
    pub session_hours: Option<u32>,
    /// The JWT signing secret (`VERITY_JWT_SECRET`); `None`: generated into the data dir.
    pub jwt_secret: Option<String>,
    /// The public URL and the trusted reverse proxies (`serve --public-url`, `--trusted-proxy`).
    pub site: Site,
}

/// A running application: shared state plus the indexer thread it owns.
pub struct Runtime {
    pub state: web::Data<AppState>,
    indexer: Indexer,
    sync: Option<ContentSync>,
    /// Set on the first start when the admin password was generated.
    pub generated_admin_password: Option<String>,
}

impl Runtime {
    pub fn open(options: Options) -> anyhow::Result<Runtime> {
        std::fs::create_dir_all(&options.data_dir)
            .with_context(|| format!("creating the data dir {}", options.data_dir.display()))?;
        // First, so that a refused secret stops the start before anything is created.
        let tokens = TokenKeys::load_or_create(&options.data_dir, options.jwt_secret.as_deref())?
            .with_session_hours(options.session_hours.unwrap_or(auth::DEFAULT_SESSION_HOURS));
        let store = open_store(&options.data_dir, options.database_url.as_deref())?;
        let generated_admin_password =
            ensure_admin(&store, &options.data_dir, options.admin_password.as_deref(), options.clock.now())?;
        let (index, opened) = SearchIndex::open(&options.data_dir.join("index"))?;
        let index = Arc::new(index);
        let indexer = Indexer::start(store.clone(), index.clone(), opened == Opened::Fresh)?;
        let sync = match options.content.filter(|dir| dir.is_dir()) {
            Some(dir) => Some(ContentSync::start(dir, store.clone(), indexer.handle(), options.clock.clone())?),
            None => None,
        };
        let state = web::Data::new(AppState {
            store,
            index,
            indexer: indexer.handle(),
            clock: options.clock,
            tokens,
            limiter: Default::default(),
            site: options.site,
            sync: sync.as_ref().map(ContentSync::handle),
        });
        Ok(Runtime { state, indexer, sync, generated_admin_password })
    }

    /// Stops the indexer after its current pass (everything committed stays committed).
    pub fn shutdown(self) {
        drop(self.state);
        if let Some(sync) = self.sync {
            sync.stop();
        }
        self.indexer.stop();
    }
}

pub fn open_store(data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<Store> {
    let default = data_dir.join("verity.db");
    let url = database_url.map(str::to_owned).unwrap_or_else(|| default.to_string_lossy().into_owned());
    Store::open(&url).context("opening the database")
}

/// On an empty database, creates `admin`. Returns the password if it was generated, after
/// saving it to `DATA_DIR/initial-admin-password` (mode 0600).
fn ensure_admin(
    store: &Store,
    data_dir: &Path,
    password: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<String>> {
    if store.read(users::count)? > 0 {
        return Ok(None);
    }
    let generated = password.is_none_or(str::is_empty).then(|| auth::random_string(20));
    let password = generated.as_deref().or(password).unwrap_or_default();
    let hash = auth::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = users::NewUser {
        username: ADMIN_USERNAME,
        display_name: "Administrator",
        email: None,
        password_hash: Some(&hash),
        role: Role::Admin,
    };
    store.write(|c| users::create(c, &admin, now))?;
    if let Some(pw) = &generated {
        auth::write_private(&data_dir.join(ADMIN_PASSWORD_FILE), pw).context("saving the initial admin password")?;
    }
    tracing::info!(user = ADMIN_USERNAME, "created the first admin");
    Ok(generated)
}

/// Over https (see [`Site::is_https`]), tells browsers to use nothing else for a year.
async fn strict_transport_security(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|state| state.site.is_https(req.request()));
    let mut response = next.call(req).await?;
    if https {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, header::HeaderValue::from_static("max-age=31536000"));
    }
    Ok(response)
}

/// Headers on every response: no sniffing, no framing, no inline script.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
}

/// The whole web application over `state`.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .wrap(actix_web::middleware::from_fn(crate::panics::catch))
        .wrap(actix_web::middleware::from_fn(crate::auth::check_api_token))
        .wrap(actix_web::middleware::from_fn(crate::csrf::guard))
        .wrap(security_headers())
        .wrap(actix_web::middleware::from_fn(strict_transport_security))
        .wrap(tracing_actix_web::TracingLogger::default())
        .configure(crate::routes::configure)
}
