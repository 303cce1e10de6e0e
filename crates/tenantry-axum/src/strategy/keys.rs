//! The keys a token may be signed with, each pinned to one algorithm.

use std::str::FromStr;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};

/// A key that cannot verify tokens as configured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The algorithm is not one of the key's kind (`RS256` for an HMAC
    /// secret, say).
    #[error("algorithm {algorithm:?} does not fit a {kind} key")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        algorithm: Algorithm,
        /// What the key is.
        kind: &'static str,
    },
    /// A JWK gives no signing algorithm (`alg`) and its curve implies none:
    /// a key that does not say its algorithm could be tried with another.
    #[error("the JWK {id:?} gives no signing algorithm (alg)")]
    NoAlgorithm {
        /// Its `kid`, if it has one.
        id: Option<String>,
    },
    /// The key's material does not parse.
    #[error("the key cannot be read: {0}")]
    Unreadable(#[from] jsonwebtoken::errors::Error),
}

/// One verification key, pinned to the one algorithm it accepts, with the
/// key id (`kid`) tokens name it by, if any.
///
/// ```
/// use jsonwebtoken::Algorithm;
/// use tenantry_axum::Key;
///
/// let key = Key::hmac(Algorithm::HS256, b"a secret of at least 32 bytes.....")?.id("2026-12");
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(Key::hmac(Algorithm::RS256, b"secret").is_err()); // pinned to its family
/// # Ok::<(), tenantry_axum::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Key {
    pub(crate) id: Option<String>,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// An HMAC secret for `algorithm` (`HS256`, `HS384`, `HS512`).
    pub fn hmac(algorithm: Algorithm, secret: &[u8]) -> Result<Self, KeyError> {
        Self::pinned(algorithm, DecodingKey::from_secret(secret), "HMAC")
    }

    /// An RSA public key in PEM for `algorithm` (`RS*`, `PS*`).
    pub fn rsa_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self, KeyError> {
        Self::pinned(algorithm, DecodingKey::from_rsa_pem(pem)?, "RSA")
    }

    /// An elliptic-curve public key in PEM for `algorithm` (`ES256` on
    /// P-256, `ES384` on P-384).
    pub fn ec_pem(algorithm: Algorithm, pem: &[u8]) -> Result<Self, KeyError> {
        Self::pinned(algorithm, DecodingKey::from_ec_pem(pem)?, "elliptic-curve")
    }

    /// An Ed25519 public key in PEM (`EdDSA`).
    pub fn ed_pem(pem: &[u8]) -> Result<Self, KeyError> {
        Self::pinned(Algorithm::EdDSA, DecodingKey::from_ed_pem(pem)?, "Ed25519")
    }

    /// A key of a JWK set: its algorithm is its `alg`, or what its curve
    /// implies (`P-256` ES256, `P-384` ES384, `Ed25519` EdDSA); an RSA or
    /// secret key without `alg` is refused.
    pub fn jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let id = jwk.common.key_id.clone();
        let named = jwk
            .common
            .key_algorithm
            .as_ref()
            .map(|algorithm| Algorithm::from_str(&algorithm.to_string()))
            .transpose()?;
        let implied = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(params) => match params.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => None,
            },
            AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
            _ => None,
        };
        let algorithm = named
            .or(implied)
            .ok_or_else(|| KeyError::NoAlgorithm { id: id.clone() })?;
        let key = Self::pinned(algorithm, DecodingKey::from_jwk(jwk)?, "JWK")?;
        Ok(match id {
            Some(id) => key.id(&id),
            None => key,
        })
    }

    /// This key, named `id` (the `kid` of the tokens it signs).
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// The one algorithm it verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn pinned(
        algorithm: Algorithm,
        key: DecodingKey,
        kind: &'static str,
    ) -> Result<Self, KeyError> {
        if !key.family().algorithms().contains(&algorithm) {
            return Err(KeyError::AlgorithmMismatch { algorithm, kind });
        }
        Ok(Self {
            id: None,
            algorithm,
            key,
        })
    }
}

/// The keys tokens may be signed with: several during a rotation, or a
/// provider's JWK set.
///
/// ```
/// use jsonwebtoken::jwk::JwkSet;
/// use tenantry_axum::KeySet;
///
/// let jwks: JwkSet = serde_json::from_str(r#"{"keys": [{
///     "kty": "EC", "crv": "P-256", "kid": "signer-1", "use": "sig",
///     "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
///     "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
/// }]}"#)?;
/// let keys = KeySet::from_jwk_set(&jwks)?;
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub(crate) keys: Vec<Key>,
}

impl KeySet {
    /// No keys: no token verifies.
    pub fn new() -> Self {
        Self::default()
    }

    /// These keys and `key`.
    pub fn with(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Every key of a JWK set, each pinned to its algorithm.
    pub fn from_jwk_set(set: &JwkSet) -> Result<Self, KeyError> {
        let keys = set.keys.iter().map(Key::jwk).collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys a token signed with `algorithm`, naming key `id`, may be
    /// checked against: those pinned to that algorithm, and of those the
    /// one named `id` when the token names one.
    pub(crate) fn candidates<'a>(
        &'a self,
        algorithm: Algorithm,
        id: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.iter().filter(move |key| {
            key.algorithm == algorithm && id.is_none_or(|id| key.id.as_deref() == Some(id))
        })
    }
}

impl From<Key> for KeySet {
    fn from(key: Key) -> Self {
        Self::new().with(key)
    }
}
