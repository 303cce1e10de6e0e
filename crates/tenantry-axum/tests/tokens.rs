//! Bearer tokens: each kind of key verifies its own tokens, and every token
//! that is unsigned, signed with another key or algorithm, expired, for
//! another audience or without its tenant claim proves nothing.
//!
//! The keys in `keys/` were made with `openssl genpkey` for these tests and
//! sign nothing else.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tenantry_axum::{Jwt, Key, KeyError, KeySet, ProblemKind, TenantName};
use tenantry_query::TenantId;

const AUDIENCE: &str = "https://api.example.com";
const SECRET: &[u8] = b"a secret of at least thirty-two bytes";
const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa_public.pem");
const OTHER_RSA_PRIVATE: &[u8] = include_bytes!("keys/other_rsa_private.pem");
const EC_PRIVATE: &[u8] = include_bytes!("keys/ec_private_pkcs8.pem");
const EC_PUBLIC: &[u8] = include_bytes!("keys/ec_public.pem");
const ED_PRIVATE: &[u8] = include_bytes!("keys/ed25519_private.pem");
const ED_PUBLIC: &[u8] = include_bytes!("keys/ed25519_public.pem");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims naming `tenant` for the API, valid for an hour.
fn claims(tenant: TenantId) -> Value {
    json!({ "tenant_id": tenant.to_string(), "aud": AUDIENCE, "exp": now() + 3_600, "sub": "user-1" })
}

fn sign(algorithm: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(SECRET),
    )
}

fn hmac_jwt() -> Jwt {
    Jwt::new(Key::hmac(Algorithm::HS256, SECRET).unwrap(), AUDIENCE)
}

/// What `jwt` makes of `token`: the tenant, or the refusal's detail.
fn verdict(jwt: &Jwt, token: &str) -> Result<TenantName, String> {
    jwt.tenant_of(token).map_err(|problem| {
        assert_eq!(problem.kind(), ProblemKind::NotIdentified, "{problem}");
        problem.detail().to_owned()
    })
}

#[test]
fn each_kind_of_key_verifies_its_own_tokens() {
    let tenant = TenantId::random();
    let proved = Ok(TenantName::Id(tenant));

    assert_eq!(verdict(&hmac_jwt(), &hs256(&claims(tenant))), proved);

    let rsa = Jwt::new(
        Key::rsa_pem(Algorithm::RS256, RSA_PUBLIC).unwrap(),
        AUDIENCE,
    );
    let token = sign(
        Algorithm::RS256,
        None,
        &claims(tenant),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
    );
    assert_eq!(verdict(&rsa, &token), proved);

    let ec = Jwt::new(Key::ec_pem(Algorithm::ES256, EC_PUBLIC).unwrap(), AUDIENCE);
    let token = sign(
        Algorithm::ES256,
        None,
        &claims(tenant),
        &EncodingKey::from_ec_pem(EC_PRIVATE).unwrap(),
    );
    assert_eq!(verdict(&ec, &token), proved);

    let pss = Jwt::new(
        Key::rsa_pem(Algorithm::PS256, RSA_PUBLIC).unwrap(),
        AUDIENCE,
    );
    let token = sign(
        Algorithm::PS256,
        None,
        &claims(tenant),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
    );
    assert_eq!(verdict(&pss, &token), proved);

    let ed = Jwt::new(Key::ed_pem(ED_PUBLIC).unwrap(), AUDIENCE);
    let token = sign(
        Algorithm::EdDSA,
        None,
        &claims(tenant),
        &EncodingKey::from_ed_pem(ED_PRIVATE).unwrap(),
    );
    assert_eq!(verdict(&ed, &token), proved);
}

#[test]
fn a_jwk_set_verifies_each_keys_tokens_by_key_id() {
    let rsa_private = EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap();
    let ec_private = EncodingKey::from_ec_pem(EC_PRIVATE).unwrap();
    let mut rsa = Jwk::from_encoding_key(&rsa_private, Algorithm::RS256).unwrap();
    rsa.common.key_id = Some("rsa-1".to_owned());
    let mut ec = Jwk::from_encoding_key(&ec_private, Algorithm::ES256).unwrap();
    ec.common.key_id = Some("ec-1".to_owned());
    // A provider's set, as its JSON reads.
    let set: JwkSet = serde_json::from_value(json!({ "keys": [rsa, ec] })).unwrap();
    let jwt = Jwt::new(KeySet::from_jwk_set(&set).unwrap(), AUDIENCE);

    let tenant = TenantId::random();
    let by_rsa = sign(
        Algorithm::RS256,
        Some("rsa-1"),
        &claims(tenant),
        &rsa_private,
    );
    let by_ec = sign(Algorithm::ES256, Some("ec-1"), &claims(tenant), &ec_private);
    assert_eq!(verdict(&jwt, &by_rsa), Ok(TenantName::Id(tenant)));
    assert_eq!(verdict(&jwt, &by_ec), Ok(TenantName::Id(tenant)));

    let unknown_kid = sign(
        Algorithm::RS256,
        Some("rsa-2"),
        &claims(tenant),
        &rsa_private,
    );
    assert!(verdict(&jwt, &unknown_kid).unwrap_err().contains("no key"));
    // The EC key's id on an RSA signature: the key is pinned to ES256.
    let wrong_alg_for_kid = sign(
        Algorithm::RS256,
        Some("ec-1"),
        &claims(tenant),
        &rsa_private,
    );
    assert!(verdict(&jwt, &wrong_alg_for_kid).is_err());
}

#[test]
fn an_unsigned_token_is_refused() {
    let segment = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    let claims = claims(TenantId::random());
    for alg in ["none", "None", "NONE"] {
        let header = json!({ "alg": alg, "typ": "JWT" });
        for signature in ["", "c2lnbmF0dXJl"] {
            let token = format!("{}.{}.{signature}", segment(&header), segment(&claims));
            let refusal = verdict(&hmac_jwt(), &token).unwrap_err();
            assert!(refusal.contains("names no signing algorithm"), "{refusal}");
        }
    }
}

#[test]
fn a_token_signed_with_another_key_or_algorithm_is_refused() {
    let claims = claims(TenantId::random());
    let other_secret = sign(
        Algorithm::HS256,
        None,
        &claims,
        &EncodingKey::from_secret(b"another secret, also long enough!!"),
    );
    assert!(
        verdict(&hmac_jwt(), &other_secret)
            .unwrap_err()
            .contains("signature")
    );

    let rsa = Jwt::new(
        Key::rsa_pem(Algorithm::RS256, RSA_PUBLIC).unwrap(),
        AUDIENCE,
    );
    let other_rsa = sign(
        Algorithm::RS256,
        None,
        &claims,
        &EncodingKey::from_rsa_pem(OTHER_RSA_PRIVATE).unwrap(),
    );
    assert!(verdict(&rsa, &other_rsa).unwrap_err().contains("signature"));

    // The public key used as an HMAC secret: no key is pinned to HS256.
    let confused = sign(
        Algorithm::HS256,
        None,
        &claims,
        &EncodingKey::from_secret(RSA_PUBLIC),
    );
    assert!(verdict(&rsa, &confused).unwrap_err().contains("no key"));
    // Another algorithm of the same family than the key is pinned to.
    let rs384 = sign(
        Algorithm::RS384,
        None,
        &claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
    );
    assert!(verdict(&rsa, &rs384).unwrap_err().contains("no key"));
}

#[test]
fn expiry_and_audience_are_required_and_checked() {
    let tenant = TenantId::random();
    let mut expired = claims(tenant);
    expired["exp"] = json!(now() - 3_600);
    assert!(
        verdict(&hmac_jwt(), &hs256(&expired))
            .unwrap_err()
            .contains("expired")
    );

    let mut elsewhere = claims(tenant);
    elsewhere["aud"] = json!("https://other.example.com");
    assert!(
        verdict(&hmac_jwt(), &hs256(&elsewhere))
            .unwrap_err()
            .contains("another audience")
    );

    for claim in ["exp", "aud"] {
        let mut without = claims(tenant);
        without.as_object_mut().unwrap().remove(claim);
        let refusal = verdict(&hmac_jwt(), &hs256(&without)).unwrap_err();
        assert!(refusal.contains(claim), "{refusal}");
    }

    let jwt = hmac_jwt().issuer("https://auth.example.com");
    assert!(
        verdict(&jwt, &hs256(&claims(tenant)))
            .unwrap_err()
            .contains("iss")
    );
}

#[test]
fn the_tenant_is_read_from_the_configured_claim() {
    let tenant = TenantId::random();
    let mut token_claims = claims(tenant);
    token_claims["org"] = json!("acme");
    let token = hs256(&token_claims);
    assert_eq!(
        verdict(&hmac_jwt().claim("org"), &token),
        Ok(TenantName::Slug("acme".to_owned()))
    );
    assert!(
        verdict(&hmac_jwt().claim("team"), &token)
            .unwrap_err()
            .contains("team claim")
    );
}

#[test]
fn keys_are_pinned_to_an_algorithm_of_their_kind() {
    assert!(matches!(
        Key::hmac(Algorithm::RS256, SECRET),
        Err(KeyError::AlgorithmMismatch { .. })
    ));
    assert!(matches!(
        Key::rsa_pem(Algorithm::ES256, RSA_PUBLIC),
        Err(KeyError::AlgorithmMismatch { .. })
    ));
    let mut jwk = Jwk::from_encoding_key(
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    jwk.common.key_algorithm = None;
    assert!(matches!(Key::jwk(&jwk), Err(KeyError::NoAlgorithm { .. })));
}
