//! What tenantry reports, printed by `tracing-subscriber`: a span per
//! statement, transaction and pool wait, each with the tenant, its tier and
//! placement and OpenTelemetry's database attributes, but never a parameter
//! value; then each tenant's usage over the last minute, the busiest first.
//!
//! ```text
//! cargo run --example telemetry
//! ```
//!
//! The administrator connection defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres`; set `TENANTRY_ADMIN_URL` to
//! use another (a server that trusts local connections, as in the
//! quickstart). Metrics go through the `metrics` facade: install a recorder
//! (a Prometheus exporter, say) and they are recorded too.

mod setup;

use std::process::ExitCode;

use setup::{Result, with_setting};
use tenantry::prelude::*;
use tenantry::telemetry::TelemetryConfig;
use tokio_postgres::Client;
use tracing_subscriber::fmt::format::FmtSpan;

/// A customer of one tenant.
#[derive(Entity, Debug, Clone)]
#[entity(table = "customers", tenant_scoped)]
pub struct Customer {
    /// Unique within its tenant.
    #[entity(primary_key)]
    pub id: Uuid,
    /// Its tenant, supplied by the scope.
    pub tenant_id: TenantId,
    /// The customer's name.
    pub name: String,
}

const DATABASE: &str = "tenantry_telemetry";
const APP_ROLE: &str = "tenantry_telemetry_app";

const SCHEMA: &str = "
CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
";

#[tokio::main]
async fn main() -> ExitCode {
    // Every span of tenantry is at DEBUG; each is printed when it closes,
    // with its fields and how long it was open.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .init();
    let outcome = run(&setup::admin_url("TENANTRY_ADMIN_URL", 5432)).await;
    setup::exit_status("telemetry", outcome)
}

/// Runs the demo on the server of `admin_url` (a superuser's URL), and
/// drops what it created whether it succeeds or not. Fails if the usage
/// does not count what the tenants ran.
pub async fn run(admin_url: &str) -> Result<()> {
    let admin = setup::connect(admin_url, "TENANTRY_ADMIN_URL").await?;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?; // what an interrupted run left
    let outcome = demo(admin_url, &admin).await;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?;
    outcome
}

/// Creates the demo's database, role and table under row-level security.
/// Returns the application role's URL.
async fn set_up(admin_url: &str, admin: &Client) -> Result<String> {
    setup::create(admin, DATABASE, APP_ROLE).await?;
    let owner_url = with_setting(admin_url, "dbname", DATABASE);
    let owner = setup::connect(&owner_url, "TENANTRY_ADMIN_URL").await?;
    owner.batch_execute(SCHEMA).await?;
    tenantry::ops::rls::isolate_table(&owner, None, "customers").await?;
    owner
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON customers TO {APP_ROLE}"
        ))
        .await?;
    Ok(with_setting(&owner_url, "user", APP_ROLE))
}

/// Two tenants work, one of them harder and with a failure; then the usage.
async fn demo(admin_url: &str, admin: &Client) -> Result<()> {
    let app_url = set_up(admin_url, admin).await?;
    // The SQL text (with `$n` placeholders, never values) is left out of
    // spans unless asked for.
    let telemetry = TelemetryConfig::default().query_text(true);
    let db = Tenantry::connect(Config::new(&app_url)?.pool_only().telemetry(telemetry)).await?;
    let busy = db.tenant(TenantId::random()).await?;
    let quiet = db.tenant(TenantId::random()).await?;

    let id = Uuid::new_v4();
    let ada = NewCustomer {
        id,
        name: "Ada, a value no span shows".to_owned(),
    };
    busy.insert(ada.clone()).exec().await?;
    // The same id again: the span records `error.type` and the SQLSTATE.
    let duplicate = busy.insert(ada).exec().await;
    if duplicate.is_ok() {
        return Err("a duplicate primary key was accepted".into());
    }
    let transaction = busy.transaction().await?;
    let renamed = transaction
        .update::<Customer>()
        .set(Customer::NAME, "Ada L.".to_owned())
        .filter(Customer::ID.eq(id))
        .exec()
        .await?;
    transaction.commit().await?;
    let found = quiet.select::<Customer>().count().await?;
    println!("\nrenamed {renamed}, the quiet tenant sees {found} customer(s)\n");

    println!("usage over the last minute, the busiest first:");
    let usage = db.usage();
    for tenant in &usage {
        println!(
            "  {} ({}, {}): {} statements, {} rows, {} errors, {:?}",
            tenant.name,
            tenant.tier,
            tenant.placement,
            tenant.statements,
            tenant.rows,
            tenant.errors,
            tenant.time
        );
    }
    let counted = |tenant: &Tenant| {
        usage
            .iter()
            .find(|usage| usage.tenant == tenant.tenant())
            .map(|usage| (usage.statements, usage.errors))
    };
    if (counted(&busy), counted(&quiet)) != (Some((3, 1)), Some((1, 0))) {
        return Err(format!("the usage miscounts: {usage:?}").into());
    }
    Ok(())
}
