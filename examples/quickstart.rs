//! tenantry in five minutes, against the local PostgreSQL.
//!
//! Sets up its own database and an ordinary application role, creates two
//! tenant-scoped tables under row-level security, then writes and reads as
//! two tenants whose rows share the same ids, and shows what each one sees,
//! including what happens when hand-written SQL forgets the tenant filter or
//! tries to write into the other tenant.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! The administrator connection defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres`; set `TENANTRY_ADMIN_URL` to
//! use another. If the local server is down, its clusters are started.

#[path = "../tests/support/local_server.rs"]
#[allow(dead_code)] // the demo needs only the main server
mod local_server;

use tenantry::prelude::*;
use tokio_postgres::{Client, NoTls};

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

/// An invoice of one tenant.
#[derive(Entity, Debug, Clone)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    /// Unique within its tenant.
    #[entity(primary_key)]
    pub id: Uuid,
    /// Its tenant, supplied by the scope.
    pub tenant_id: TenantId,
    /// The customer billed.
    pub customer_id: Uuid,
    /// The amount, in cents.
    pub amount_cents: i64,
    /// When it was issued.
    pub created_at: OffsetDateTime,
}

const DATABASE: &str = "tenantry_quickstart";
const APP_ROLE: &str = "tenantry_quickstart_app";

const SCHEMA: &str = "
CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE invoices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    customer_id uuid NOT NULL,
    amount_cents bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
";

async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Creates the demo database and role afresh, with the schema under RLS.
/// Returns the application role's URL.
async fn set_up(admin_url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut config: tokio_postgres::Config = admin_url.parse()?;
    let admin = connect(admin_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {APP_ROLE}"))
        .await?;
    admin
        .batch_execute(&format!(
            "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"
        ))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
        .await?;

    config.dbname(DATABASE);
    let (owner, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    owner.batch_execute(SCHEMA).await?;
    for table in ["customers", "invoices"] {
        tenantry::ops::rls::isolate_table(&owner, None, table).await?;
    }
    owner
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"
        ))
        .await?;

    config.user(APP_ROLE);
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Ok(format!("postgres://{APP_ROLE}@{host}:{port}/{DATABASE}"))
}

fn server_address(admin_url: &str) -> Option<String> {
    let config: tokio_postgres::Config = admin_url.parse().ok()?;
    match config.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(host) => Some(format!(
            "{host}:{}",
            config.get_ports().first().copied().unwrap_or(5432)
        )),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let admin_url = std::env::var("TENANTRY_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    if let Some(address) = server_address(&admin_url) {
        local_server::ensure_running(&address);
    }
    let app_url = set_up(&admin_url).await?;
    println!(
        "database {DATABASE} ready; the application connects as {APP_ROLE} (not a superuser, no BYPASSRLS)\n"
    );

    let db = Tenantry::connect(Config::new(&app_url)?).await?;
    let acme = db.tenant(TenantId::random()).await?;
    let globex = db.tenant(TenantId::random()).await?;

    // Both tenants get a customer with the SAME id, and invoices for it.
    let shared_customer_id = Uuid::new_v4();
    for (tenant, name, amounts) in [
        (&acme, "Ada (acme)", [12_000_i64, 800]),
        (&globex, "Grace (globex)", [50_000, 30_000]),
    ] {
        tenant
            .insert(NewCustomer {
                id: shared_customer_id,
                name: name.to_owned(),
            })
            .exec()
            .await?;
        tenant
            .insert_many(amounts.map(|amount_cents| NewInvoice {
                id: Uuid::new_v4(),
                customer_id: shared_customer_id,
                amount_cents,
                created_at: OffsetDateTime::now_utc(),
            }))
            .exec()
            .await?;
    }

    for (label, tenant) in [("acme", &acme), ("globex", &globex)] {
        let customer = tenant
            .select::<Customer>()
            .filter(Customer::ID.eq(shared_customer_id))
            .one()
            .await?;
        let big: Vec<Invoice> = tenant
            .select::<Invoice>()
            .filter(Invoice::AMOUNT_CENTS.gt(1_000))
            .order_by(Invoice::AMOUNT_CENTS.desc())
            .all()
            .await?;
        let unfiltered = tenant
            .raw_query("SELECT count(*) FROM invoices", &[])
            .await?;
        let unfiltered: i64 = unfiltered[0].get(0);
        println!("{label} ({}):", tenant.tenant());
        println!("  customer {shared_customer_id} is {:?}", customer.name);
        println!(
            "  invoices over $10: {:?}",
            big.iter().map(|i| i.amount_cents).collect::<Vec<_>>()
        );
        println!("  raw `SELECT count(*) FROM invoices` (no tenant filter): {unfiltered}");
    }

    let attempt = acme
        .raw_execute(
            "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'intruder')",
            &[&globex.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    match attempt {
        Err(error) => println!("\nacme writing a row into globex with raw SQL is refused: {error}"),
        Ok(rows) => println!("\nacme wrote {rows} row(s) into globex: isolation is broken"),
    }
    println!(
        "globex still has {} customer(s)",
        globex.select::<Customer>().count().await?
    );

    let admin = connect(&admin_url).await?;
    drop(db);
    admin
        .batch_execute(&format!("DROP DATABASE {DATABASE} WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("DROP ROLE {APP_ROLE}"))
        .await?;
    println!("\ncleaned up {DATABASE} and {APP_ROLE}");
    Ok(())
}
