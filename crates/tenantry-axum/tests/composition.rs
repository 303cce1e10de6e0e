//! How the sources compose: credentials prove, naming sources must agree
//! with them and identify nothing alone, unless the application trusts
//! them. Identification reads no data: the resolver's database is the main
//! test server's, in a pool-only deployment.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::Request;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use jsonwebtoken::{Algorithm, EncodingKey, Header as JwtHeader, encode};
use serde_json::json;
use tenantry_axum::{
    ApiKeyTable, ApiKeys, Header, Identified, Jwt, Key, KeyHash, Problem, ProblemKind, StoredKey,
    Subdomain, Tenant, TenantResolver,
};
use tenantry_postgres::{Config, Tenantry};
use tenantry_query::TenantId;
use tenantry_test_support::servers::admin_url;

const AUDIENCE: &str = "https://api.example.com";
const SECRET: &[u8] = b"a secret of at least thirty-two bytes";

struct World {
    acme: TenantId,
    globex: TenantId,
    db: Tenantry,
}

impl World {
    async fn new() -> Self {
        let config = Config::new(&admin_url())
            .unwrap()
            .pool_only()
            .allow_privileged_role();
        Self {
            acme: TenantId::random(),
            globex: TenantId::random(),
            db: Tenantry::connect(config).await.unwrap(),
        }
    }

    fn slugs(&self) -> HashMap<String, TenantId> {
        HashMap::from([
            ("acme".to_owned(), self.acme),
            ("globex".to_owned(), self.globex),
        ])
    }

    /// Bearer tokens, API keys, subdomains and `x-tenant` cross-checked.
    fn verified(&self) -> TenantResolver {
        TenantResolver::new(self.db.clone())
            .verified_by(Jwt::new(
                Key::hmac(Algorithm::HS256, SECRET).unwrap(),
                AUDIENCE,
            ))
            .verified_by(ApiKeys::new(
                "x-api-key",
                ApiKeyTable::new([StoredKey {
                    hash: KeyHash::of("key-globex"),
                    tenant: self.globex,
                }]),
            ))
            .named_by(Subdomain::of("example.com"))
            .named_by(Header::new("x-tenant"))
            .directory(self.slugs())
    }
}

fn token(tenant: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({ "tenant_id": tenant, "aud": AUDIENCE, "exp": exp });
    encode(
        &JwtHeader::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// A request with `headers`.
fn request(headers: &[(&str, &str)]) -> Parts {
    let mut builder = Request::builder().uri("/projects");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

async fn identify(
    resolver: &TenantResolver,
    headers: &[(&str, &str)],
) -> Result<Identified, Problem> {
    resolver.identify(&mut request(headers)).await
}

fn refused(outcome: Result<Identified, Problem>, kind: ProblemKind) -> String {
    let problem = outcome.expect_err("refused");
    assert_eq!(problem.kind(), kind, "{problem}");
    problem.detail().to_owned()
}

#[tokio::test]
async fn a_credential_proves_its_tenant_and_naming_sources_must_agree() {
    let world = World::new().await;
    let resolver = world.verified();
    let bearer = format!("Bearer {}", token("acme"));

    let by_token = identify(&resolver, &[("authorization", &bearer)])
        .await
        .unwrap();
    assert_eq!(
        by_token,
        Identified {
            id: world.acme,
            by: "bearer token".to_owned()
        }
    );
    let by_key = identify(&resolver, &[("x-api-key", "key-globex")])
        .await
        .unwrap();
    assert_eq!(by_key.id, world.globex);

    let agreeing = [
        ("authorization", bearer.as_str()),
        ("host", "acme.example.com"),
        ("x-tenant", "acme"),
    ];
    assert_eq!(identify(&resolver, &agreeing).await.unwrap().id, world.acme);
    let acme_id = world.acme.to_string();
    let by_id = [
        ("authorization", bearer.as_str()),
        ("x-tenant", acme_id.as_str()),
    ];
    assert_eq!(identify(&resolver, &by_id).await.unwrap().id, world.acme);

    for (name, value) in [
        ("host", "globex.example.com"),
        ("x-tenant", "globex"),
        ("x-tenant", "initech"),
    ] {
        let detail = refused(
            identify(&resolver, &[("authorization", &bearer), (name, value)]).await,
            ProblemKind::Mismatch,
        );
        assert!(
            detail.contains("another tenant than the bearer token"),
            "{detail}"
        );
    }
    let two_credentials = [
        ("authorization", bearer.as_str()),
        ("x-api-key", "key-globex"),
    ];
    refused(
        identify(&resolver, &two_credentials).await,
        ProblemKind::Mismatch,
    );
}

#[tokio::test]
async fn naming_sources_alone_identify_nothing_unless_trusted() {
    let world = World::new().await;
    let resolver = world.verified();
    refused(identify(&resolver, &[]).await, ProblemKind::NotIdentified);
    for (name, value) in [("host", "acme.example.com"), ("x-tenant", "acme")] {
        let detail = refused(
            identify(&resolver, &[(name, value)]).await,
            ProblemKind::NotIdentified,
        );
        assert!(detail.contains("no credential proves it"), "{detail}");
    }
    refused(
        identify(&resolver, &[("x-api-key", "key-forged")]).await,
        ProblemKind::NotIdentified,
    );
    refused(
        identify(&resolver, &[("x-tenant", "Acme; DROP")]).await,
        ProblemKind::MalformedName,
    );

    // Behind a gateway that sets x-gateway-tenant: it identifies alone, and
    // must still agree with a credential presented.
    let gateway = world.verified().trusting(Header::new("X-Gateway-Tenant"));
    let trusted = identify(&gateway, &[("x-gateway-tenant", "globex")])
        .await
        .unwrap();
    assert_eq!(
        trusted,
        Identified {
            id: world.globex,
            by: "header x-gateway-tenant".to_owned()
        }
    );
    let bearer = format!("Bearer {}", token("acme"));
    refused(
        identify(
            &gateway,
            &[("authorization", &bearer), ("x-gateway-tenant", "globex")],
        )
        .await,
        ProblemKind::Mismatch,
    );
    refused(
        identify(&gateway, &[("x-gateway-tenant", "initech")]).await,
        ProblemKind::UnknownTenant,
    );
    // What the gateway identifies, the other names are checked against.
    let named = [
        ("x-gateway-tenant", "globex"),
        ("host", "globex.example.com"),
    ];
    assert_eq!(identify(&gateway, &named).await.unwrap().id, world.globex);
    let edited = [("x-gateway-tenant", "globex"), ("x-tenant", "acme")];
    let detail = refused(identify(&gateway, &edited).await, ProblemKind::Mismatch);
    assert!(
        detail.contains("than the header x-gateway-tenant"),
        "{detail}"
    );
}

#[tokio::test]
async fn the_extractor_hands_over_the_handle_of_the_proved_tenant_or_the_problem() {
    let world = World::new().await;
    let resolver = world.verified();
    let bearer = format!("Bearer {}", token("acme"));
    let mut parts = request(&[("authorization", &bearer), ("x-tenant", "acme")]);
    let tenant = Tenant::from_request_parts(&mut parts, &resolver)
        .await
        .unwrap();
    assert_eq!(tenant.tenant(), world.acme);
    assert_eq!(tenant.identified().by, "bearer token");

    let mut parts = request(&[("x-tenant", "acme")]);
    let problem = Tenant::from_request_parts(&mut parts, &resolver)
        .await
        .err()
        .expect("a name alone is refused");
    assert_eq!(problem.challenge(), Some("Bearer"));
    let response = problem.into_response();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn without_a_directory_only_ids_name_tenants() {
    let world = World::new().await;
    let resolver = TenantResolver::new(world.db.clone()).trusting(Header::new("x-tenant"));
    refused(
        identify(&resolver, &[("x-tenant", "acme")]).await,
        ProblemKind::UnknownTenant,
    );
    let id = world.acme.to_string();
    assert_eq!(
        identify(&resolver, &[("x-tenant", &id)]).await.unwrap().id,
        world.acme
    );
    refused(
        identify(&TenantResolver::new(world.db.clone()), &[("x-tenant", &id)]).await,
        ProblemKind::NotIdentified,
    );
}
