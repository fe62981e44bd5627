//! Passwords (argon2), tokens (HS256 JWTs) and the extractors that turn a request into
//! the signed-in user. Tokens travel as `Authorization: Bearer` (API, scripts) or in an
//! HttpOnly cookie (browser); either works everywhere.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use verity_store::users::{self, User};

use crate::error::ApiError;
use crate::state::AppState;

pub const COOKIE: &str = "verity_token";
const ISSUER: &str = "verity";
const AUDIENCE: &str = "verity";
/// Tokens last a working day.
pub const TOKEN_TTL_SECS: i64 = 12 * 60 * 60;
const SECRET_FILE: &str = "jwt-secret";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    uid: i64,
    /// The user's token version when issued; bumping it revokes the token.
    ver: i32,
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
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        // Pinned to HS256: a token claiming any other algorithm ("none" included) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        TokenKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation }
    }

    /// `VERITY_JWT_SECRET` if set, else the secret kept in the data dir (made on first run).
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        if let Ok(secret) = std::env::var("VERITY_JWT_SECRET")
            && !secret.is_empty()
        {
            return Ok(TokenKeys::new(secret.as_bytes()));
        }
        let path = data_dir.join(SECRET_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => s.trim().to_owned(),
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
            exp: now + TOKEN_TTL_SECS,
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

fn token_from(req: &HttpRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    bearer.or_else(|| req.cookie(COOKIE).map(|c| c.value().to_owned()))
}

/// Resolves the request's token to a current user: the signature and expiry must hold,
/// and the account must still exist, be enabled and not have revoked the token since.
async fn current_user(req: &HttpRequest) -> Result<User, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let token =
        token_from(req).ok_or(ApiError::Unauthorized("sign in first: send a bearer token or the session cookie"))?;
    let claims = state.tokens.verify(&token)?;
    let user = web::block(move || state.store.read(|c| users::by_id(c, claims.uid)).map(|u| (u, claims.ver))).await??;
    match user {
        (Some(user), ver) if !user.disabled && user.token_version == ver => Ok(user),
        _ => Err(ApiError::Unauthorized("the token has been revoked; sign in again")),
    }
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
}

async fn nav_for(req: &HttpRequest, user: User) -> Result<Nav, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let now = state.clock.now();
    web::block(move || {
        state.store.read(|c| -> Result<Nav, ApiError> {
            let names = crate::service::verifier_names(c, &user)?;
            let queue = verity_store::verification::queue_count(c, &names, now)?;
            let unread = verity_store::reminders::unread_count(c, &user.username)?;
            Ok(Nav { user, queue, unread })
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
