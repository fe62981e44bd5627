//! Passwords (argon2), tokens and the extractors that turn a request into the signed-in
//! user. Sessions are HS256 JWTs that travel as `Authorization: Bearer` (API) or in an
//! HttpOnly cookie (browser); personal API tokens (`vt_…`, kept hashed) travel as Bearer
//! and may call only what their scope allows (`scopes.rs`). Every request re-reads the
//! account, so a demotion, a disabled account or a revoked token takes effect at once.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use verity_store::tokens::{self, ApiToken, Scope};
use verity_store::users::{self, User};

use crate::blocking;
use crate::error::ApiError;
use crate::scopes;
use crate::state::AppState;

pub const COOKIE: &str = "verity_token";
const ISSUER: &str = "verity";
const AUDIENCE: &str = "verity";
/// Sessions last a working day unless `serve --session-hours` says otherwise.
pub const DEFAULT_SESSION_HOURS: u32 = 12;
const SECRET_FILE: &str = "jwt-secret";
/// HS256 with a shorter secret can be brute-forced offline from one token.
pub const MIN_SECRET_BYTES: usize = 32;
/// Personal API tokens start with this, so they are told apart from session JWTs.
pub const API_TOKEN_PREFIX: &str = "vt_";
/// Form field and header that carry the CSRF token of cookie-authenticated posts.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How often a personal token's "last used" time is written (not on every request).
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    uid: i64,
    /// The user's token version when issued; bumping it revokes the token.
    ver: i32,
    /// This session's id, so that signing out revokes this token alone.
    jti: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

/// The signing secret and the rules a token must pass.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Keys the CSRF tokens (derived from the secret, never the secret itself).
    csrf_key: [u8; 32],
    /// How long a session token lasts.
    ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        // Pinned to HS256: a token claiming any other algorithm ("none" included) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let csrf_key = Sha256::new().chain_update(b"verity csrf\0").chain_update(secret).finalize().into();
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            csrf_key,
            ttl_secs: i64::from(DEFAULT_SESSION_HOURS) * 3600,
        }
    }

    pub fn with_session_hours(mut self, hours: u32) -> Self {
        self.ttl_secs = i64::from(hours.max(1)) * 3600;
        self
    }

    /// How long a session token lasts, in seconds.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    /// The CSRF token of a browser session: bound to its cookie, so another site can
    /// neither read nor guess it.
    pub fn csrf_for(&self, session_cookie: &str) -> String {
        let digest = Sha256::new().chain_update(self.csrf_key).chain_update(session_cookie.as_bytes()).finalize();
        hex(&digest[..16])
    }

    /// The configured secret (`VERITY_JWT_SECRET`) if set, else the secret kept in the
    /// data dir (made on first run). A configured secret shorter than [`MIN_SECRET_BYTES`]
    /// is refused.
    pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<Self> {
        if let Some(secret) = configured.filter(|s| !s.is_empty()) {
            if secret.len() < MIN_SECRET_BYTES {
                anyhow::bail!(
                    "VERITY_JWT_SECRET is {} bytes long; it must have at least {MIN_SECRET_BYTES} \
                     (for example the output of `openssl rand -hex 32`), or leave it unset to \
                     have one generated into the data dir",
                    secret.len()
                );
            }
            return Ok(TokenKeys::new(secret.as_bytes()));
        }
        let path = data_dir.join(SECRET_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= MIN_SECRET_BYTES => s.trim().to_owned(),
            _ => {
                let s = random_string(64);
                write_private(&path, &s)?;
                s
            }
        };
        Ok(TokenKeys::new(secret.as_bytes()))
    }

    /// Signs a token for `user`. Expiry follows the wall clock, as token checks do.
    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.username.clone(),
            uid: user.id,
            ver: user.token_version,
            iat: now,
            exp: now + self.ttl_secs,
            jti: random_string(22),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::Unauthorized("the token is invalid or expired; sign in again"))
    }
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to compare against when the user does not exist, so that a wrong username
/// takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_string(20)).unwrap_or_default())
}

/// Checks a username and password; `None` for any mismatch or a disabled account.
pub fn authenticate(state: &AppState, username: &str, password: &str) -> Result<Option<User>, ApiError> {
    if username.is_empty() || username.len() > 200 || username.contains('\0') {
        return Ok(None);
    }
    let found = state.store.read(|c| users::find_with_hash(c, username))?;
    Ok(match found {
        Some((user, Some(hash))) if !user.disabled => verify_password(password, &hash).then_some(user),
        _ => {
            verify_password(password, dummy_hash());
            None
        }
    })
}

/// Checks a sign-in the way both sign-in forms do: refused while the account or the
/// address must wait after failures, hashed in a bounded number of slots, and counted.
pub async fn sign_in(
    state: &web::Data<AppState>,
    address: &str,
    username: String,
    password: String,
) -> Result<User, ApiError> {
    let now = state.clock.now();
    state.limiter.check(&username, address, now)?;
    let found = {
        let _slot = state.limiter.hashing_slot().await?;
        let (st, name) = (state.clone(), username.clone());
        blocking::block(move || authenticate(&st, &name, &password)).await??
    };
    match found {
        Some(user) => {
            state.limiter.succeeded(&username);
            Ok(user)
        }
        None => {
            state.limiter.failed(&username, address, now);
            Err(ApiError::Unauthorized("wrong username or password"))
        }
    }
}

/// Where a request comes from, for counting failed sign-ins: the peer, or the client a
/// trusted proxy forwards (see [`crate::site`]).
pub fn client_address(req: &HttpRequest) -> String {
    match state_of(req) {
        Ok(state) => state.site.client_address(req),
        Err(_) => req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into()),
    }
}

/// Sets `username`'s password for `actor` (see `accounts::set_password` for who may).
/// Changing one's own needs the current password, checked like a sign-in: refused while
/// the account or the address must wait, and counted as a failed sign-in when wrong (so it
/// cannot be used to guess). A wrong or missing current password is 403.
pub async fn change_password(
    state: &web::Data<AppState>,
    address: &str,
    actor: User,
    username: String,
    current_password: Option<String>,
    new_password: String,
) -> Result<(), ApiError> {
    let own = actor.username == username;
    let now = state.clock.now();
    if own {
        if current_password.is_none() {
            return Err(ApiError::Forbidden("changing your own password needs your current password"));
        }
        state.limiter.check(&username, address, now)?;
    }
    let current_ok = {
        let _slot = state.limiter.hashing_slot().await?;
        let (st, name) = (state.clone(), username.clone());
        blocking::block(move || -> Result<bool, ApiError> {
            if let Some(current) = current_password.filter(|_| own)
                && authenticate(&st, &name, &current)?.is_none()
            {
                return Ok(false);
            }
            crate::accounts::set_password(&st, &actor, &name, &new_password)?;
            Ok(true)
        })
        .await??
    };
    if !current_ok {
        state.limiter.failed(&username, address, now);
        return Err(ApiError::Forbidden("the current password is wrong"));
    }
    Ok(())
}

/// A new personal API token and the hash to keep of it.
pub fn new_api_token() -> (String, String) {
    let token = format!("{API_TOKEN_PREFIX}{}", random_string(40));
    let hash = hash_api_token(&token);
    (token, hash)
}

pub fn hash_api_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn random_string(len: usize) -> String {
    rand::rng().sample_iter(Alphanumeric).take(len).map(char::from).collect()
}

/// Writes a secret readable by its owner only.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// The credential a request presents, and so the one that authenticates it: a Bearer
/// token if there is one, else the session cookie. The CSRF check asks this too, so it
/// skips only requests that a Bearer token authenticates (an `Authorization: Basic …`
/// from an HTTP-auth proxy does not count: the cookie still carries the authority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Bearer(String),
    Cookie(String),
}

pub fn presented_credential(req: &HttpRequest) -> Option<Presented> {
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer_token);
    match bearer {
        Some(token) => Some(Presented::Bearer(token)),
        None => req.cookie(COOKIE).map(|c| Presented::Cookie(c.value().to_owned())),
    }
}

/// The token of an `Authorization: Bearer TOKEN` value (the scheme is case-insensitive).
fn bearer_token(value: &str) -> Option<String> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A session JWT: its id and expiry (Unix seconds).
    Session { jti: String, exp: i64 },
    /// A personal API token, by id, with what it may do.
    ApiToken { id: i64, scope: Scope },
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// Resolves the request's token to a current user: the signature and expiry must hold
/// (or the API token must be live), and the account must still exist, be enabled and not
/// have revoked the token since.
pub async fn authenticate_request(req: &HttpRequest) -> Result<(User, Credential), ApiError> {
    let state = state_of(req)?;
    let token = match presented_credential(req) {
        Some(Presented::Bearer(token) | Presented::Cookie(token)) => token,
        None => return Err(ApiError::Unauthorized("sign in first: send a bearer token or the session cookie")),
    };
    if token.starts_with(API_TOKEN_PREFIX) {
        if let Some(TokenOwner(owner, credential)) = req.extensions().get::<TokenOwner>().cloned() {
            return Ok((owner, credential));
        }
        return api_token_user(req, state, &token).await;
    }
    let claims = state.tokens.verify(&token)?;
    let revoked = ApiError::Unauthorized("the token has been revoked; sign in again");
    let (user, signed_out) = blocking::block({
        let (state, jti) = (state.clone(), claims.jti.clone());
        move || {
            state.store.read(|c| -> verity_store::Result<_> {
                Ok((users::by_id(c, claims.uid)?, tokens::session_revoked(c, &jti)?))
            })
        }
    })
    .await??;
    match user {
        Some(user) if !user.disabled && user.token_version == claims.ver && !signed_out => {
            Ok((user, Credential::Session { jti: claims.jti, exp: claims.exp }))
        }
        _ => Err(revoked),
    }
}

/// A request's personal API token, resolved by [`check_api_token`].
#[derive(Clone)]
struct TokenOwner(User, Credential);

/// Middleware: a request bearing a personal API token is checked before the route's
/// extractors run, so that a token that is unknown, expired or outside its scope gets its
/// 401 or 403 before any body is read or validated (extractors run side by side, and a
/// body error would otherwise win the race). The owner is kept for [`AuthUser`].
pub async fn check_api_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(Presented::Bearer(token)) = presented_credential(req.request())
        && token.starts_with(API_TOKEN_PREFIX)
    {
        let checked = match state_of(req.request()) {
            Ok(state) => api_token_user(req.request(), state, &token).await,
            Err(e) => Err(e),
        };
        match checked {
            Ok((owner, credential)) => {
                req.extensions_mut().insert(TokenOwner(owner, credential));
            }
            Err(e) => return Ok(req.into_response(e.error_response()).map_into_right_body()),
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// A personal API token's owner, if the token is live, unexpired and its scope allows
/// this route.
async fn api_token_user(
    req: &HttpRequest,
    state: web::Data<AppState>,
    token: &str,
) -> Result<(User, Credential), ApiError> {
    let hash = hash_api_token(token);
    let now = state.clock.now();
    let st = state.clone();
    let found = blocking::block(move || {
        st.store.read(|c| -> verity_store::Result<_> {
            let Some(t) = tokens::find_live(c, &hash)? else { return Ok(None) };
            Ok(users::by_id(c, t.user_id)?.map(|u| (u, t)))
        })
    })
    .await??;
    let (user, t) = match found {
        Some((user, t)) if !user.disabled => (user, t),
        _ => return Err(ApiError::Unauthorized("the API token is unknown or revoked")),
    };
    if t.expired(now) {
        return Err(ApiError::Unauthorized("the API token has expired; make a new one on /account"));
    }
    check_scope(req, t.scope)?;
    touch_token(state, &t).await?;
    Ok((user, Credential::ApiToken { id: t.id, scope: t.scope }))
}

/// Refuses a token whose scope does not cover this route (see [`scopes`]).
fn check_scope(req: &HttpRequest, scope: Scope) -> Result<(), ApiError> {
    let pattern = req.match_pattern();
    match pattern.as_deref().and_then(|p| scopes::required_scope(req.method(), p)) {
        None => Err(ApiError::Forbidden(
            "API tokens cannot do this (minting tokens, changing passwords and pages need a signed-in session): sign in with your password",
        )),
        Some(needed) if needed > scope => Err(ApiError::Forbidden(match needed {
            Scope::Admin => "this API token's scope does not allow this: it needs the admin scope",
            _ => "this API token's scope does not allow this: it needs the write scope",
        })),
        Some(_) => Ok(()),
    }
}

/// Records when a token was last used (at most once a minute, not on every request).
async fn touch_token(state: web::Data<AppState>, t: &ApiToken) -> Result<(), ApiError> {
    let now = state.clock.now();
    if t.last_used_at.is_some_and(|at| (now - at).num_seconds() < TOUCH_EVERY_SECS) {
        return Ok(());
    }
    let id = t.id;
    blocking::block(move || state.store.write(|c| tokens::touch(c, id, now))).await??;
    Ok(())
}

/// Signs out the session the request carries (a session JWT; API tokens are revoked by
/// deleting them).
pub async fn revoke_current_session(state: &web::Data<AppState>, req: &HttpRequest) -> Result<(), ApiError> {
    let (_, credential) = authenticate_request(req).await?;
    let Credential::Session { jti, exp } = credential else {
        return Err(ApiError::BadRequest("API tokens are revoked with DELETE /api/v1/tokens/{id}".into()));
    };
    let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or_else(chrono::Utc::now);
    let st = state.clone();
    blocking::block(move || st.store.write(|c| tokens::revoke_session(c, &jti, expires_at))).await??;
    Ok(())
}

/// The session cookie for a freshly signed-in browser. `Secure` when the site is served
/// over https (its public URL, or a trusted proxy, says so).
pub fn session_cookie(req: &HttpRequest, token: String, ttl_secs: i64) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(over_https(req))
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(ttl_secs))
        .finish()
}

/// Tells the browser to forget the session cookie.
pub fn removal_cookie(req: &HttpRequest) -> actix_web::cookie::Cookie<'static> {
    let mut cookie = actix_web::cookie::Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(over_https(req))
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

fn over_https(req: &HttpRequest) -> bool {
    state_of(req).is_ok_and(|state| state.site.is_https(req))
}

async fn current_user(req: &HttpRequest) -> Result<User, ApiError> {
    authenticate_request(req).await.map(|(user, _)| user)
}

/// The signed-in user of an API request (401 JSON otherwise).
pub struct AuthUser(pub User);

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { current_user(&req).await.map(AuthUser) })
    }
}

/// What every page's header shows about the signed-in user.
#[derive(Debug, Clone)]
pub struct Nav {
    pub user: User,
    /// Cards waiting for this user's verification.
    pub queue: i64,
    pub unread: i64,
    /// Goes into every form the page posts (see [`CSRF_FIELD`]).
    pub csrf: String,
}

async fn nav_for(req: &HttpRequest, user: User) -> Result<Nav, ApiError> {
    let state = state_of(req)?;
    let now = state.clock.now();
    let csrf = req.cookie(COOKIE).map(|c| state.tokens.csrf_for(c.value())).unwrap_or_default();
    blocking::block(move || {
        state.store.read(|c| -> Result<Nav, ApiError> {
            let hidden = crate::access::Access::load(c, &user)?.hidden_ids();
            let names = crate::service::verifier_names(c, &user)?;
            let queue = verity_store::verification::queue_count(c, &names, &hidden, now)?;
            let unread = verity_store::reminders::unread_count(c, &user.username)?;
            Ok(Nav { user, queue, unread, csrf })
        })
    })
    .await?
}

/// The signed-in user of a page (with the header's counts); anyone else is sent to the
/// sign-in page and back.
pub struct PageUser(pub Nav);

impl FromRequest for PageUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current_user(&req).await {
                Ok(user) => Ok(PageUser(nav_for(&req, user).await?)),
                Err(ApiError::Unauthorized(_)) => {
                    let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
                    let location = format!("/login?next={}", urlencode(next));
                    let response = HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
                    Err(actix_web::error::InternalError::from_response("sign in first", response).into())
                }
                Err(other) => Err(other.into()),
            }
        })
    }
}

/// The signed-in user if there is one (pages that also serve visitors, like /login).
pub struct MaybeUser(pub Option<User>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current_user(&req).await {
                Ok(user) => Ok(MaybeUser(Some(user))),
                Err(ApiError::Unauthorized(_)) => Ok(MaybeUser(None)),
                Err(other) => Err(other),
            }
        })
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where to go after signing in: only paths on this site. Anything but plain printable
/// ASCII is refused, because browsers drop tabs and newlines from URLs (so `/\t/evil`
/// would become `//evil`) and such bytes cannot go in a header anyway.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("Correct horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn sessions_last_as_long_as_configured() {
        let user = User {
            id: 1,
            username: "ann".into(),
            display_name: "Ann".into(),
            email: None,
            role: verity_core::Role::Editor,
            disabled: false,
            token_version: 0,
            created_at: chrono::Utc::now(),
        };
        for (keys, hours) in [(TokenKeys::new(&[7; 32]), 12), (TokenKeys::new(&[7; 32]).with_session_hours(2), 2)] {
            let claims = keys.verify(&keys.issue(&user).unwrap()).unwrap();
            assert_eq!(claims.exp - claims.iat, hours * 3600);
        }
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/cards/x?y=1")), "/cards/x?y=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n",
            "/ok\r\nSet-Cookie: x",
            "/é",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
