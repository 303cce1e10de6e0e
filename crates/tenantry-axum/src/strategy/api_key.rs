//! A tenant proved by an API key, which the application stores only as a
//! SHA-256 hash.

use std::sync::Arc;

use axum::http::HeaderName;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use tenantry_postgres::Error;
use tenantry_query::TenantId;

use super::{BoxFuture, Credential, header_name};
use crate::name::TenantName;
use crate::problem::{Problem, ProblemKind};

/// The SHA-256 of an API key: what the application stores instead of the
/// key, so that its table leaks no key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// The hash of `key`.
    ///
    /// ```
    /// let hash = tenantry_axum::KeyHash::of("tk_live_4f9a...");
    /// assert_eq!(hash.to_hex().len(), 64);
    /// ```
    pub fn of(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// The hash whose 64 hexadecimal digits are `hex`, as stored.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// Its 64 hexadecimal digits, lower case.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Whether it is `other`, in time that does not depend on where they
    /// differ.
    pub fn matches(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyHash({})", self.to_hex())
    }
}

/// A stored API key: its hash and the tenant it acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredKey {
    /// The SHA-256 of the key.
    pub hash: KeyHash,
    /// The tenant it acts for.
    pub tenant: TenantId,
}

/// Where the application keeps its API keys' hashes: a table of its own
/// (looked up by the hash, an index's job), a cache, or an [`ApiKeyTable`].
pub trait ApiKeyStore: Send + Sync + 'static {
    /// The stored key whose hash is `hash`, if any. The caller compares the
    /// hash it returns with `hash` again, in constant time.
    fn find<'a>(&'a self, hash: &'a KeyHash) -> BoxFuture<'a, Result<Option<StoredKey>, Error>>;
}

/// API keys held in memory: each lookup compares the hash with every stored
/// hash in constant time, so its time says nothing of which key matched.
///
/// ```
/// use tenantry_axum::{ApiKeyTable, KeyHash, StoredKey};
/// # let acme = tenantry_query::TenantId::random();
/// let table = ApiKeyTable::new([StoredKey { hash: KeyHash::of("tk_acme_1"), tenant: acme }]);
/// # let _ = table;
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApiKeyTable {
    keys: Vec<StoredKey>,
}

impl ApiKeyTable {
    /// The table of `keys`.
    pub fn new(keys: impl IntoIterator<Item = StoredKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// The key hashed `hash`, every stored hash compared.
    fn lookup(&self, hash: &KeyHash) -> Option<StoredKey> {
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (position, key) in self.keys.iter().enumerate() {
            let matched = key.hash.0.ct_eq(&hash.0);
            index = u64::conditional_select(&index, &(position as u64), matched);
            found |= matched;
        }
        bool::from(found).then(|| self.keys[index as usize])
    }
}

impl ApiKeyStore for ApiKeyTable {
    fn find<'a>(&'a self, hash: &'a KeyHash) -> BoxFuture<'a, Result<Option<StoredKey>, Error>> {
        Box::pin(std::future::ready(Ok(self.lookup(hash))))
    }
}

/// Proves the tenant by an API key in a header (`X-Api-Key: ...`): its
/// SHA-256 is looked up in the application's [`ApiKeyStore`] and compared in
/// constant time; a key that is not stored is refused.
///
/// ```
/// use tenantry_axum::{ApiKeyTable, ApiKeys};
///
/// let keys = ApiKeys::new("x-api-key", ApiKeyTable::default());
/// # let _ = keys;
/// ```
#[derive(Clone)]
pub struct ApiKeys {
    header: HeaderName,
    store: Arc<dyn ApiKeyStore>,
}

impl ApiKeys {
    /// Keys sent in header `header` (in any case), looked up in `store`.
    ///
    /// # Panics
    ///
    /// If `header` is not a valid header name.
    pub fn new(header: &str, store: impl ApiKeyStore) -> Self {
        Self {
            header: header_name(header),
            store: Arc::new(store),
        }
    }

    /// The tenant `key` acts for.
    async fn tenant_of(&self, key: &str) -> Result<TenantName, Problem> {
        let hash = KeyHash::of(key);
        let stored = self.store.find(&hash).await?;
        match stored {
            Some(stored) if stored.hash.matches(&hash) => Ok(TenantName::Id(stored.tenant)),
            _ => Err(Problem::new(
                ProblemKind::NotIdentified,
                format!("the key in {} is not a key of this API", self.header),
            )),
        }
    }
}

impl Credential for ApiKeys {
    fn verify<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
        Box::pin(async move {
            let Some(value) = parts.headers.get(&self.header) else {
                return Ok(None);
            };
            let key = value.to_str().map_err(|_| {
                Problem::new(
                    ProblemKind::NotIdentified,
                    format!("the key in {} is not text", self.header),
                )
            })?;
            self.tenant_of(key).await.map(Some)
        })
    }

    fn describe(&self) -> String {
        format!("API key in {}", self.header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_finds_the_tenant_of_a_stored_key_only() {
        let (acme, globex) = (TenantId::random(), TenantId::random());
        let table = ApiKeyTable::new([
            StoredKey {
                hash: KeyHash::of("key-acme"),
                tenant: acme,
            },
            StoredKey {
                hash: KeyHash::of("key-globex"),
                tenant: globex,
            },
        ]);
        assert_eq!(
            table
                .lookup(&KeyHash::of("key-globex"))
                .map(|key| key.tenant),
            Some(globex)
        );
        assert_eq!(
            table.lookup(&KeyHash::of("key-acme")).map(|key| key.tenant),
            Some(acme)
        );
        assert_eq!(table.lookup(&KeyHash::of("key-initech")), None);
        assert_eq!(
            ApiKeyTable::default().lookup(&KeyHash::of("key-acme")),
            None
        );
    }

    /// A store whose index matches loosely (by a prefix, say): it returns
    /// a key whatever the hash.
    struct Loose(StoredKey);

    impl ApiKeyStore for Loose {
        fn find<'a>(&'a self, _: &'a KeyHash) -> BoxFuture<'a, Result<Option<StoredKey>, Error>> {
            Box::pin(std::future::ready(Ok(Some(self.0))))
        }
    }

    #[tokio::test]
    async fn a_key_is_accepted_only_if_its_hash_is_the_stored_one() {
        let acme = TenantId::random();
        let keys = ApiKeys::new(
            "X-Api-Key",
            Loose(StoredKey {
                hash: KeyHash::of("key-acme"),
                tenant: acme,
            }),
        );
        assert_eq!(
            keys.tenant_of("key-acme").await.unwrap(),
            TenantName::Id(acme)
        );
        let refused = keys.tenant_of("key-forged").await.unwrap_err();
        assert_eq!(refused.kind(), ProblemKind::NotIdentified);
    }

    #[test]
    fn a_hash_reads_back_from_its_hex() {
        let hash = KeyHash::of("key-acme");
        assert_eq!(KeyHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(
            KeyHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(KeyHash::from_hex("zz"), None);
    }
}
