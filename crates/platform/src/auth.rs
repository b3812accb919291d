//! Authentication: every RPC but health and reflection carries a bearer
//! token, a JWT signed with HMAC-SHA256 by one of the configured keys (picked
//! by its key id, so keys rotate without downtime: add the new key, sign
//! with it, retire the old one). Issuer, audience, expiry and signature are
//! checked; the claims name the caller's department, roles and area scope
//! and travel with the request for the services' permission checks.
//!
//! The audience says which services a token is for: the deployment's
//! audience alone (`dualnet`) is every service's; `dualnet/<service>`
//! (`governance-grid`, `party-grid`, `complaints`, `arbitration`, `open311`)
//! is that service's only, and another service refuses it.

use std::{
    collections::BTreeMap,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use anyhow::{Context as _, bail};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{AuthConfig, Secret};

/// The shortest HMAC key accepted: as long as the hash.
pub const MIN_KEY_BYTES: usize = 32;

/// Where a caller may act: empty lists mean no area of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub subdistricts: Vec<String>,
    #[serde(default)]
    pub communities: Vec<String>,
    #[serde(default)]
    pub grids: Vec<String>,
}

impl Scope {
    /// Ids of one kind as UUIDs; an id that is not one names nothing.
    pub fn uuids(ids: &[String]) -> Vec<uuid::Uuid> {
        ids.iter().filter_map(|s| uuid::Uuid::parse_str(s).ok()).collect()
    }
}

/// Whom a token is for: one audience or several (JWT `aud`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self) -> Vec<&str> {
        match self {
            Self::One(a) => vec![a.as_str()],
            Self::Many(list) => list.iter().map(String::as_str).collect(),
        }
    }

    /// Whether a service `service` of the deployment whose audience is
    /// `base` accepts it: the deployment's audience, or the service's own.
    pub fn admits(&self, base: &str, service: &str) -> bool {
        let own = format!("{base}/{service}");
        self.names().iter().any(|a| *a == base || *a == own)
    }

    /// The audience of `services` only, in the deployment `base`.
    pub fn of_services(base: &str, services: &[&str]) -> Self {
        Self::Many(services.iter().map(|s| format!("{base}/{s}")).collect())
    }
}

impl From<&str> for Audience {
    fn from(a: &str) -> Self {
        Self::One(a.to_string())
    }
}

/// The services a token's audience may name.
pub const SERVICES: [&str; 5] = ["governance-grid", "party-grid", "complaints", "arbitration", "open311"];

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The person or system acting, e.g. a staff code.
    pub sub: String,
    pub iss: String,
    pub aud: Audience,
    /// Expiry and issue time, seconds since the epoch.
    pub exp: i64,
    pub iat: i64,
    pub department: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
}

impl Claims {
    /// Claims as `config` issues them (its issuer and audience), valid for
    /// `ttl_s` seconds from now.
    pub fn issue(
        config: &AuthConfig,
        sub: impl Into<String>,
        department: impl Into<String>,
        roles: Vec<String>,
        scope: Scope,
        ttl_s: i64,
    ) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            sub: sub.into(),
            iss: config.issuer.clone(),
            aud: Audience::One(config.audience.clone()),
            exp: now + ttl_s,
            iat: now,
            department: department.into(),
            roles,
            scope,
        }
    }
}

/// The area a call is confined to: `None` when it is not confined (no
/// authentication configured, or an `admin`), else the token's scope.
pub fn confinement(extensions: &tonic::Extensions) -> Option<Scope> {
    let claims = extensions.get::<Claims>()?;
    if claims.roles.iter().any(|r| r == "admin") {
        return None;
    }
    Some(claims.scope.clone())
}

/// The verified claims of a call; `None` while authentication is off.
pub fn caller(extensions: &tonic::Extensions) -> Option<Claims> {
    extensions.get::<Claims>().cloned()
}

/// A fresh signing secret: 32 random bytes, base64 (44 characters).
pub fn generate_key() -> String {
    use aes_gcm::aead::{OsRng, rand_core::RngCore};
    use base64::Engine;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Why a service may not start with this configuration: no keys, and
/// authentication not explicitly disabled.
pub fn refusal(config: &AuthConfig) -> Option<&'static str> {
    (config.keys.is_empty() && !config.disabled).then_some(
        "auth.keys is empty: configure a signing key (DUALNET_AUTH__KEYS__<ID>, a secret of 32 bytes or more; \
         see docs/operations.md), or set auth.disabled = true (DUALNET_AUTH__DISABLED=true) to serve without \
         authentication on a trusted network",
    )
}

/// Checks tokens against the configured keys.
pub struct Verifier {
    keys: BTreeMap<String, DecodingKey>,
    validation: Validation,
    audience: String,
    leeway_s: u64,
    max_lifetime_s: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("the token names no key id, or a key id not configured")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("invalid token: {0}")]
    Invalid(String),
}

impl Verifier {
    /// `None` when no keys are configured: authentication is off.
    pub fn from_config(config: &AuthConfig) -> anyhow::Result<Option<Self>> {
        if config.keys.is_empty() {
            return Ok(None);
        }
        let mut keys = BTreeMap::new();
        for (kid, secret) in &config.keys {
            check_key(kid, secret)?;
            keys.insert(kid.clone(), DecodingKey::from_secret(secret.expose().as_bytes()));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        // The audience is checked per service (`verify_for`).
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = config.leeway_s;
        validation.validate_nbf = true;
        Ok(Some(Self {
            keys,
            validation,
            audience: config.audience.clone(),
            leeway_s: config.leeway_s,
            max_lifetime_s: config.max_lifetime_s,
        }))
    }

    /// The claims of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::HS256 {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let key = header.kid.as_ref().and_then(|k| self.keys.get(k)).ok_or(AuthError::UnknownKey)?;
        let claims =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map(|d| d.claims).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                    _ => AuthError::Invalid(e.to_string()),
                }
            })?;
        // A token from the future, or one minted to live for years, is not
        // one the issuer meant to hand out.
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(self.leeway_s).unwrap_or(i64::MAX);
        if claims.iat > now.saturating_add(leeway) {
            return Err(AuthError::Invalid("the token is issued in the future (iat)".into()));
        }
        let max = i64::try_from(self.max_lifetime_s).unwrap_or(i64::MAX);
        if claims.exp.saturating_sub(claims.iat) > max {
            return Err(AuthError::Invalid(format!(
                "the token lives longer than the {max} s this deployment allows (auth.max_lifetime_s)"
            )));
        }
        Ok(claims)
    }

    /// The claims of a valid token for `service` (one of [`SERVICES`]):
    /// its audience is the deployment's or that service's own.
    pub fn verify_for(&self, token: &str, service: &str) -> Result<Claims, AuthError> {
        let claims = self.verify(token)?;
        if !claims.aud.admits(&self.audience, service) {
            return Err(AuthError::Invalid(format!(
                "the token is not for {service}: its audience is {:?}, {service} takes {:?} or {:?}",
                claims.aud.names(),
                self.audience,
                format!("{}/{service}", self.audience)
            )));
        }
        Ok(claims)
    }

    /// The claims of an `authorization: Bearer …` header value, for `service`.
    pub fn verify_header(&self, value: Option<&str>, service: &str) -> Result<Claims, AuthError> {
        let token = value
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        self.verify_for(token, service)
    }
}

fn check_key(kid: &str, secret: &Secret) -> anyhow::Result<()> {
    if kid.is_empty() {
        bail!("auth.keys: a key id must not be empty");
    }
    if secret.expose().len() < MIN_KEY_BYTES {
        bail!("auth.keys.{kid}: a key must be at least {MIN_KEY_BYTES} bytes");
    }
    Ok(())
}

/// Signs `claims` with the configured signing key (`auth.signing_kid`).
pub fn mint(config: &AuthConfig, claims: &Claims) -> anyhow::Result<String> {
    let kid = config.signing_kid.as_deref().context("auth.signing_kid names no key to sign with")?;
    let secret = config.keys.get(kid).with_context(|| format!("auth.signing_kid {kid:?} is not in auth.keys"))?;
    check_key(kid, secret)?;
    let header = Header { kid: Some(kid.to_string()), ..Header::new(Algorithm::HS256) };
    Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret.expose().as_bytes()))?)
}

/// Paths callers reach without a token: health checks and reflection.
fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// The tower layer that refuses unauthenticated calls with
/// `UNAUTHENTICATED` and hands the claims of the others to the services
/// (as a request extension).
#[derive(Clone)]
pub struct Authenticate {
    pub verifier: Option<Arc<Verifier>>,
}

impl<S> tower_layer::Layer<S> for Authenticate {
    type Service = Authenticated<S>;
    fn layer(&self, inner: S) -> Authenticated<S> {
        Authenticated { inner, verifier: self.verifier.clone() }
    }
}

#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    verifier: Option<Arc<Verifier>>,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for Authenticated<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        if let Some(verifier) = &self.verifier
            && !is_open(req.uri().path())
        {
            let header = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            let service = crate::permissions::service_of(req.uri().path()).unwrap_or("");
            let refusal = match verifier.verify_header(header, service) {
                Ok(claims) => match crate::permissions::required(req.uri().path()) {
                    Some(p) if crate::permissions::granted(&claims.roles, p) => {
                        req.extensions_mut().insert(claims);
                        None
                    }
                    Some(p) => Some(tonic::Status::permission_denied(format!(
                        "none of the caller's roles grants the {p:?} permission this call needs"
                    ))),
                    None => Some(tonic::Status::permission_denied("this call is not in the permission matrix")),
                },
                Err(e) => Some(tonic::Status::unauthenticated(e.to_string())),
            };
            if let Some(status) = refusal {
                tracing::info!(rpc = %req.uri().path(), code = ?status.code(), reason = %status.message(), "call refused");
                let answer = status.into_http::<R>();
                return Box::pin(async move { Ok(answer) });
            }
        }
        let answer = self.inner.call(req);
        Box::pin(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(keys: &[(&str, &str)], signing: &str) -> AuthConfig {
        AuthConfig {
            keys: keys.iter().map(|(k, v)| (k.to_string(), Secret::new(*v))).collect(),
            signing_kid: Some(signing.to_string()),
            ..AuthConfig::default()
        }
    }

    fn claims(exp_in: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: "gw-0001".into(),
            iss: "dualnet".into(),
            aud: "dualnet".into(),
            exp: now + exp_in,
            iat: now,
            department: "bantian-grid-office".into(),
            roles: vec!["grid_worker".into()],
            scope: Scope { grids: vec!["g1".into()], ..Scope::default() },
        }
    }

    const K1: &str = "k1-0123456789abcdef0123456789abcdef";
    const K2: &str = "k2-0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_for_years_from_the_future_or_not_yet_valid_is_refused() {
        let c = config(&[("k1", K1)], "k1");
        let verifier = Verifier::from_config(&c).unwrap().unwrap();
        // Within the deployment's maximum lifetime (24 h by default): fine.
        assert!(verifier.verify(&mint(&c, &claims(23 * 3600)).unwrap()).is_ok());
        let ten_years = mint(&c, &claims(10 * 365 * 86_400)).unwrap();
        let refused = verifier.verify(&ten_years).unwrap_err().to_string();
        assert!(refused.contains("max_lifetime_s"), "{refused}");
        let mut future = claims(600);
        future.iat += 3600;
        future.exp += 3600;
        let refused = verifier.verify(&mint(&c, &future).unwrap()).unwrap_err().to_string();
        assert!(refused.contains("future"), "{refused}");
        // `nbf` is honoured when present.
        #[derive(serde::Serialize)]
        struct WithNbf {
            #[serde(flatten)]
            claims: Claims,
            nbf: i64,
        }
        let not_yet = WithNbf { claims: claims(600), nbf: chrono::Utc::now().timestamp() + 300 };
        let header = Header { kid: Some("k1".into()), ..Header::new(Algorithm::HS256) };
        let token = jsonwebtoken::encode(&header, &not_yet, &EncodingKey::from_secret(K1.as_bytes())).unwrap();
        assert!(verifier.verify(&token).is_err(), "not valid before its nbf");
    }

    #[test]
    fn a_token_signed_by_a_configured_key_carries_its_claims() {
        let c = config(&[("k1", K1)], "k1");
        let v = Verifier::from_config(&c).unwrap().unwrap();
        let token = mint(&c, &claims(600)).unwrap();
        assert_eq!(v.verify_header(Some(&format!("Bearer {token}")), "complaints").unwrap(), claims(600));
    }

    #[test]
    fn missing_expired_foreign_and_tampered_tokens_are_refused() {
        let c = config(&[("k1", K1)], "k1");
        let v = Verifier::from_config(&c).unwrap().unwrap();
        assert_eq!(v.verify_header(None, "complaints"), Err(AuthError::Missing));
        assert_eq!(v.verify_header(Some("Basic abc"), "complaints"), Err(AuthError::Missing));
        assert_eq!(v.verify(&mint(&c, &claims(-3600)).unwrap()), Err(AuthError::Expired));
        // Signed with another secret under the same key id.
        let forged = mint(&config(&[("k1", K2)], "k1"), &claims(600)).unwrap();
        assert!(matches!(v.verify(&forged), Err(AuthError::Invalid(_))));
        // A key id the service does not know.
        let unknown = mint(&config(&[("k9", K2)], "k9"), &claims(600)).unwrap();
        assert_eq!(v.verify(&unknown), Err(AuthError::UnknownKey));
        let mut other_audience = claims(600);
        other_audience.aud = "someone-else".into();
        assert!(matches!(v.verify_for(&mint(&c, &other_audience).unwrap(), "complaints"), Err(AuthError::Invalid(_))));
        let good = mint(&c, &claims(600)).unwrap();
        let tampered = good.replace('.', ".x");
        assert!(v.verify(&tampered).is_err());
    }

    #[test]
    fn a_token_for_one_service_is_refused_by_the_others() {
        let c = config(&[("k1", K1)], "k1");
        let v = Verifier::from_config(&c).unwrap().unwrap();
        let mut complaints_only = claims(600);
        complaints_only.aud = Audience::of_services("dualnet", &["complaints"]);
        let token = mint(&c, &complaints_only).unwrap();
        assert!(v.verify_for(&token, "complaints").is_ok());
        for other in ["governance-grid", "party-grid", "arbitration", "open311"] {
            let refused = v.verify_for(&token, other).unwrap_err().to_string();
            assert!(refused.contains("not for"), "{other}: {refused}");
        }
        // The deployment's audience alone is every service's.
        let everywhere = mint(&c, &claims(600)).unwrap();
        assert!(SERVICES.iter().all(|s| v.verify_for(&everywhere, s).is_ok()));
        // Several named services: those.
        let mut two = claims(600);
        two.aud = Audience::of_services("dualnet", &["complaints", "open311"]);
        let token = mint(&c, &two).unwrap();
        assert!(v.verify_for(&token, "open311").is_ok() && v.verify_for(&token, "arbitration").is_err());
    }

    #[test]
    fn keys_rotate_by_key_id() {
        // Old tokens (k1) and new ones (k2) are both accepted while both
        // keys are configured; once k1 is retired, only k2's.
        let both = config(&[("k1", K1), ("k2", K2)], "k2");
        let old = mint(&config(&[("k1", K1)], "k1"), &claims(600)).unwrap();
        let new = mint(&both, &claims(600)).unwrap();
        let v = Verifier::from_config(&both).unwrap().unwrap();
        assert!(v.verify(&old).is_ok() && v.verify(&new).is_ok());
        let retired = Verifier::from_config(&config(&[("k2", K2)], "k2")).unwrap().unwrap();
        assert_eq!(retired.verify(&old), Err(AuthError::UnknownKey));
        assert!(retired.verify(&new).is_ok());
    }

    #[test]
    fn short_keys_and_no_keys_are_told_apart() {
        assert!(Verifier::from_config(&config(&[("k1", "short")], "k1")).is_err());
        assert!(Verifier::from_config(&AuthConfig::default()).unwrap().is_none());
    }
}
