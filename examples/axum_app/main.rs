//! A small multi-tenant API on axum: projects and their tasks (list, create,
//! update) and a report, each request's tenant resolved by the `Tenant`
//! extractor of `tenantry::axum`.
//!
//! At start, the operator migrates the example's database (the tenant
//! tables, and the global `api_keys`, which holds each key's SHA-256) and
//! provisions three tenants: `acme` in the shared tables, `globex` in a schema of its
//! own, `initech` on the `trial` plan, limited to a few statements a
//! second. The API then serves on 127.0.0.1:3000 (`AXUM_APP_ADDRESS`)
//! until Ctrl-C, and drops everything it created.
//!
//! ```text
//! cargo run --example axum_app --features axum
//! ```
//!
//! It prints a token and an API key of each tenant. A request proves its
//! tenant with either; the subdomain (`acme.app.localhost`), the
//! `X-Tenant` header and the `/t/{tenant}/...` path may name it too, and
//! must name the same tenant:
//!
//! ```text
//! curl -H "Authorization: Bearer $ACME_TOKEN" localhost:3000/projects
//! curl -H "Authorization: Bearer $ACME_TOKEN" -H 'Content-Type: application/json' \
//!      -d '{"name":"Launch"}' localhost:3000/t/acme/projects
//! curl -H "X-Api-Key: $GLOBEX_KEY" localhost:3000/report
//! curl -H "Authorization: Bearer $ACME_TOKEN" localhost:3000/t/globex/projects   # 403
//! ```
//!
//! The administrator URL defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres` (`TENANTRY_ADMIN_URL`), a
//! superuser's; the server must trust local connections (the application
//! role has no password). What has nothing to do with tenantry is in
//! `../setup/`.

#[path = "../setup/mod.rs"]
mod setup;

pub mod auth;
pub mod model;
pub mod routes;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

use setup::{Result, with_setting};
use tenantry::ops::{NewTenant, Operator, PlacementKind};
use tenantry::prelude::*;
use tenantry::{Limits, TenantRecord};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use auth::Secrets;

/// The example's database: the registry, the shared tables, the schema tenant.
pub const DATABASE: &str = "tenantry_axum_app";
/// The application's role.
pub const APP_ROLE: &str = "tenantry_axum_app_role";

/// The tenants: their slug, placement and plan.
const TENANTS: [(&str, PlacementKind, &str); 3] = [
    ("acme", PlacementKind::Pool, "standard"),
    ("globex", PlacementKind::Schema, "standard"),
    ("initech", PlacementKind::Pool, "trial"),
];

/// The statements a second a `trial` tenant may send, and its burst.
pub const TRIAL_RATE: u32 = 2;

/// The API, serving.
pub struct Running {
    /// Where it listens.
    pub address: SocketAddr,
    /// Its tenants, as provisioned.
    pub tenants: Vec<TenantRecord>,
    /// Its signing secret and API keys.
    pub secrets: Secrets,
    /// The operator of its database.
    pub operator: Operator,
    /// A superuser's URL of its database.
    pub database_url: String,
    admin_url: String,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The record of tenant `slug`.
    pub fn tenant(&self, slug: &str) -> &TenantRecord {
        self.tenants
            .iter()
            .find(|record| record.slug == slug)
            .expect("a tenant of the example")
    }

    /// Stops serving and drops the database and role.
    pub async fn stop(self) -> Result<()> {
        let _ = self.shutdown.send(());
        self.server.await??;
        let admin = setup::connect(&self.admin_url, "TENANTRY_ADMIN_URL").await?;
        setup::drop_all(&admin, &[DATABASE], APP_ROLE).await
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let url = setup::admin_url("TENANTRY_ADMIN_URL", 5432);
    let address = std::env::var("AXUM_APP_ADDRESS").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    setup::exit_status("axum_app", serve_until_interrupted(&url, &address).await)
}

/// Serves on `address` until Ctrl-C, then drops what it created.
async fn serve_until_interrupted(admin_url: &str, address: &str) -> Result<()> {
    let running = start(admin_url, address).await?;
    println!("serving on http://{}", running.address);
    for record in &running.tenants {
        let token = running
            .secrets
            .token(&record.slug, Duration::from_secs(3_600));
        println!(
            "\n{} ({}, plan {})",
            record.slug, record.placement, record.plan
        );
        println!("  token:   {token}");
        println!("  API key: {}", running.secrets.api_keys[&record.slug]);
    }
    tokio::signal::ctrl_c().await?;
    running.stop().await?;
    println!("\ndropped the example's database and role");
    Ok(())
}

/// Sets up the example's database on the server of `admin_url` (a
/// superuser's URL) and serves the API on `address` (port 0: any free one).
pub async fn start(admin_url: &str, address: &str) -> Result<Running> {
    let admin = setup::connect(admin_url, "TENANTRY_ADMIN_URL").await?;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?; // what an interrupted run left
    setup::create(&admin, DATABASE, APP_ROLE).await?;
    let database_url = with_setting(admin_url, "dbname", DATABASE);
    match serve(&database_url, address).await {
        Ok((address, tenants, secrets, operator, shutdown, server)) => Ok(Running {
            address,
            tenants,
            secrets,
            operator,
            database_url,
            admin_url: admin_url.to_owned(),
            shutdown,
            server,
        }),
        Err(error) => {
            setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?;
            Err(error)
        }
    }
}

/// What `serve` hands back: the address, the tenants, the secrets, the
/// operator, and the server's stop signal and task.
type Served = (
    SocketAddr,
    Vec<TenantRecord>,
    Secrets,
    Operator,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
);

/// The operator's part (migrations, tenants), then the application's: the
/// API on `address`, on the database of `url`.
async fn serve(url: &str, address: &str) -> Result<Served> {
    let operator = Operator::new(Config::new(url)?).grant_to(APP_ROLE)?;
    model::migrate(&operator).await?;
    let mut tenants = Vec::new();
    for (slug, placement, plan) in TENANTS {
        let tenant = NewTenant::new(slug, placement).with_plan(plan);
        tenants.push(operator.provision(&tenant, &model::TENANT).await?);
    }
    let per_second = NonZeroU32::new(TRIAL_RATE).expect("a rate above zero");
    let config = Config::new(&with_setting(url, "user", APP_ROLE))?
        .registry()
        .tier("trial", Limits::default().rate(per_second, per_second));
    let db = Tenantry::connect(config).await?;
    let secrets = Secrets::generate(&tenants);
    let keys = auth::KeyTable::new(db.global());
    for record in &tenants {
        keys.issue(record.id, &secrets.api_keys[&record.slug])
            .await?;
    }
    let app = routes::router(auth::resolver(db, &tenants, &secrets));
    let listener = TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok((address, tenants, secrets, operator, shutdown, server))
}
