//! A tenant proved by a claim of a verified JSON Web Token.

use std::time::Duration;

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode, decode_header};
use serde_json::{Map, Value};

use super::keys::{Key, KeySet};
use super::{BoxFuture, Credential};
use crate::name::TenantName;
use crate::problem::{Problem, ProblemKind};

/// The claim that names the tenant unless told otherwise.
const DEFAULT_CLAIM: &str = "tenant_id";

/// Proves the tenant by a claim of the bearer token (`Authorization: Bearer
/// <jwt>`), once its signature verifies with one of the [`KeySet`]'s keys,
/// with the algorithm that key is pinned to, and its expiry (`exp`) and
/// audience (`aud`) hold; both are required. A token that names no
/// algorithm this crate knows (`alg: none`) is refused; so is one whose
/// algorithm no key is pinned to, or whose `kid` names no key.
///
/// ```
/// use jsonwebtoken::Algorithm;
/// use tenantry_axum::{Jwt, Key};
///
/// let key = Key::hmac(Algorithm::HS256, b"a secret of at least 32 bytes.....")?;
/// let jwt = Jwt::new(key, "https://api.example.com") // the audience this API is
///     .claim("org")                                   // the claim naming the tenant
///     .issuer("https://auth.example.com");
/// # let _ = jwt;
/// # Ok::<(), tenantry_axum::KeyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Jwt {
    keys: KeySet,
    audience: String,
    issuer: Option<String>,
    claim: String,
    leeway: Duration,
}

impl Jwt {
    /// Tokens signed with `keys` for `audience`, naming the tenant in the
    /// claim `tenant_id` (an id or a slug), with a minute's leeway on expiry.
    pub fn new(keys: impl Into<KeySet>, audience: &str) -> Self {
        Self {
            keys: keys.into(),
            audience: audience.to_owned(),
            issuer: None,
            claim: DEFAULT_CLAIM.to_owned(),
            leeway: Duration::from_secs(60),
        }
    }

    /// Reads the tenant from claim `name`.
    pub fn claim(mut self, name: &str) -> Self {
        self.claim = name.to_owned();
        self
    }

    /// Requires the tokens' issuer (`iss`) to be `issuer`.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Accepts tokens up to `leeway` past their expiry (clock skew).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The tenant `token` proves, or why it proves none.
    pub fn tenant_of(&self, token: &str) -> Result<TenantName, Problem> {
        let header = decode_header(token)
            .map_err(|_| refused("the bearer token is malformed or names no signing algorithm"))?;
        let mut last = None;
        for key in self.keys.candidates(header.alg, header.kid.as_deref()) {
            match decode::<Map<String, Value>>(token, &key.key, &self.validation(key)) {
                Ok(data) => return self.named(&data.claims),
                Err(error) => last = Some(error),
            }
        }
        Err(match last.as_ref().map(|error| error.kind()) {
            None => refused("no key of this API verifies the bearer token's algorithm and key id"),
            Some(ErrorKind::ExpiredSignature) => refused("the bearer token has expired"),
            Some(ErrorKind::InvalidAudience) => refused("the bearer token is for another audience"),
            Some(ErrorKind::InvalidIssuer) => refused("the bearer token is from another issuer"),
            Some(ErrorKind::ImmatureSignature) => refused("the bearer token is not valid yet"),
            Some(ErrorKind::MissingRequiredClaim(claim)) => {
                refused(format!("the bearer token has no {claim} claim"))
            }
            Some(_) => refused("the bearer token's signature does not verify"),
        })
    }

    /// The checks of a token signed with `key`: its algorithm alone, expiry
    /// and audience required, the issuer if configured.
    fn validation(&self, key: &Key) -> Validation {
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = self.leeway.as_secs();
        validation.set_audience(&[&self.audience]);
        let mut required = vec!["exp", "aud"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        validation.validate_nbf = true;
        validation
    }

    /// The tenant the verified `claims` name.
    fn named(&self, claims: &Map<String, Value>) -> Result<TenantName, Problem> {
        claims
            .get(&self.claim)
            .and_then(Value::as_str)
            .and_then(TenantName::parse)
            .ok_or_else(|| {
                refused(format!(
                    "the bearer token names no tenant in its {} claim",
                    self.claim
                ))
            })
    }
}

/// A credential that was presented and does not verify.
fn refused(detail: impl Into<std::borrow::Cow<'static, str>>) -> Problem {
    Problem::new(ProblemKind::NotIdentified, detail)
}

/// The bearer token of the request, if it has one.
fn bearer(parts: &Parts) -> Result<Option<&str>, Problem> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| refused("the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Ok(None),
    }
}

impl Credential for Jwt {
    fn verify<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
        let proved =
            bearer(parts).and_then(|token| token.map(|token| self.tenant_of(token)).transpose());
        Box::pin(std::future::ready(proved))
    }

    fn describe(&self) -> String {
        "bearer token".to_owned()
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("Bearer")
    }
}
