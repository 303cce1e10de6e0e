//! How the API knows its tenants: a bearer token's `tenant` claim, signed
//! with the API's HS256 secret for its audience, or an API key; the host's
//! subdomain, the `X-Tenant` header and the `/t/{tenant}` path may name the
//! tenant too, and must then agree. A token issuer stands in for the
//! identity provider a real deployment has.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tenantry::axum::jsonwebtoken::{self, Algorithm, EncodingKey};
use tenantry::axum::{
    ApiKeyStore, ApiKeys, BoxFuture, Header, Jwt, Key, KeyHash, PathParam, StoredKey, Subdomain,
    TenantResolver,
};
use tenantry::prelude::*;
use tenantry::{Global, TenantRecord};

use super::model::ApiKey;

/// The audience the API's tokens are for.
pub const AUDIENCE: &str = "tenantry-axum-app";
/// The claim that names the tenant (its slug or id).
pub const CLAIM: &str = "tenant";
/// The domain whose subdomains name tenants: `acme.app.localhost`.
pub const DOMAIN: &str = "app.localhost";
/// The header that names a tenant.
pub const TENANT_HEADER: &str = "x-tenant";
/// The header that carries an API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// What the API's clients hold: the secret tokens are signed with, and
/// each tenant's API key (the API stores only their hashes).
pub struct Secrets {
    /// The HS256 secret.
    pub signing: Vec<u8>,
    /// Each tenant's key, by slug.
    pub api_keys: HashMap<String, String>,
}

impl Secrets {
    /// New random secrets for `tenants`.
    pub fn generate(tenants: &[TenantRecord]) -> Self {
        let random = || tenantry::Uuid::new_v4().simple().to_string();
        Self {
            signing: format!("{}{}", random(), random()).into_bytes(),
            api_keys: tenants
                .iter()
                .map(|record| {
                    (
                        record.slug.clone(),
                        format!("tk_{}_{}", record.slug, random()),
                    )
                })
                .collect(),
        }
    }

    /// A token for the tenant `tenant` names (a slug or an id), valid for
    /// `lifetime`: what the identity provider would issue.
    pub fn token(&self, tenant: &str, lifetime: Duration) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            tenant: &'a str,
            aud: &'a str,
            exp: u64,
            sub: &'a str,
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        let claims = Claims {
            tenant,
            aud: AUDIENCE,
            exp: (now + lifetime).as_secs(),
            sub: "demo-user",
        };
        let key = EncodingKey::from_secret(&self.signing);
        jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), &claims, &key)
            .expect("HS256 signs any claims")
    }
}

/// The API keys in the global `api_keys` table, looked up by their hash.
pub struct KeyTable {
    global: Global,
}

impl KeyTable {
    /// The table, through `global`.
    pub fn new(global: Global) -> Self {
        Self { global }
    }

    /// Records `key` (its hash) for `tenant`.
    pub async fn issue(&self, tenant: TenantId, key: &str) -> Result<(), Error> {
        let row = ApiKey {
            hash: KeyHash::of(key).to_hex(),
            tenant: tenant.as_uuid(),
        };
        self.global.insert(row).exec().await?;
        Ok(())
    }
}

impl ApiKeyStore for KeyTable {
    fn find<'a>(&'a self, hash: &'a KeyHash) -> BoxFuture<'a, Result<Option<StoredKey>, Error>> {
        Box::pin(async move {
            let row = self
                .global
                .select::<ApiKey>()
                .filter(ApiKey::HASH.eq(hash.to_hex()))
                .optional()
                .await?;
            Ok(row.and_then(|row| {
                Some(StoredKey {
                    hash: KeyHash::from_hex(&row.hash)?,
                    tenant: TenantId::from(row.tenant),
                })
            }))
        })
    }
}

/// The API's resolver: tokens and API keys prove the tenant; the subdomain,
/// the header and the path are checked against them.
pub fn resolver(db: Tenantry, tenants: &[TenantRecord], secrets: &Secrets) -> TenantResolver {
    let key = Key::hmac(Algorithm::HS256, &secrets.signing).expect("an HMAC key for HS256");
    let by_slug: HashMap<String, TenantId> = tenants
        .iter()
        .map(|record| (record.slug.clone(), record.id))
        .collect();
    let api_keys = KeyTable::new(db.global());
    TenantResolver::new(db)
        .verified_by(Jwt::new(key, AUDIENCE).claim(CLAIM))
        .verified_by(ApiKeys::new(API_KEY_HEADER, api_keys))
        .named_by(Subdomain::of(DOMAIN))
        .named_by(Header::new(TENANT_HEADER))
        .named_by(PathParam::new("tenant"))
        .directory(by_slug)
}
