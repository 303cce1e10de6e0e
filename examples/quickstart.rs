//! tenantry in five minutes, against the local PostgreSQL.
//!
//! Sets up its own database and an ordinary application role, creates two
//! tenant-scoped tables under row-level security, then writes and reads as
//! two tenants whose rows share the same ids, and shows what each one sees,
//! including what happens when hand-written SQL forgets the tenant filter or
//! tries to write into the other tenant. Last, it drops what it created.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! The administrator connection defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres`; set `TENANTRY_ADMIN_URL` to
//! use another. The application role it creates has no password, so the
//! server must trust local connections, as a development server does. What
//! has nothing to do with tenantry (the administrator's connection, making
//! and dropping the database and the role) is in `setup/`.

mod setup;

use std::process::ExitCode;

use setup::{Result, with_setting};
use tenantry::prelude::*;
use tokio_postgres::Client;

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

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = run(&setup::admin_url("TENANTRY_ADMIN_URL", 5432)).await;
    setup::exit_status("quickstart", outcome)
}

/// Runs the demo on the server of `admin_url` (a superuser's URL), and drops
/// what it created whether it succeeds or not. Fails if a tenant sees or
/// writes another's rows.
pub async fn run(admin_url: &str) -> Result<()> {
    let admin = setup::connect(admin_url, "TENANTRY_ADMIN_URL").await?;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?; // what an interrupted run left
    let outcome = demo(admin_url, &admin).await;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?;
    println!("\ncleaned up {DATABASE} and {APP_ROLE}");
    outcome
}

/// Creates the demo's database and role, and its tables under row-level
/// security. Returns the application role's URL.
async fn set_up(admin_url: &str, admin: &Client) -> Result<String> {
    setup::create(admin, DATABASE, APP_ROLE).await?;
    let owner_url = with_setting(admin_url, "dbname", DATABASE);
    let owner = setup::connect(&owner_url, "TENANTRY_ADMIN_URL").await?;
    owner.batch_execute(SCHEMA).await?;
    for table in ["customers", "invoices"] {
        tenantry::ops::rls::isolate_table(&owner, None, table).await?;
    }
    owner
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"
        ))
        .await?;
    Ok(with_setting(&owner_url, "user", APP_ROLE))
}

/// Two tenants write rows with the same ids, then each reads, by the builder
/// and by hand-written SQL, and one tries to write into the other.
async fn demo(admin_url: &str, admin: &Client) -> Result<()> {
    let app_url = set_up(admin_url, admin).await?;
    println!(
        "database {DATABASE} ready; the application connects as {APP_ROLE} (not a superuser, no BYPASSRLS)\n"
    );

    // Every tenant's rows are in the shared tables, and the configuration
    // says so: without a tenant registry, `connect` refuses to guess.
    let db = Tenantry::connect(Config::new(&app_url)?.pool_only()).await?;
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
        if !customer.name.contains(label) || unfiltered != 2 {
            return Err(format!("{label} sees another tenant's rows: isolation is broken").into());
        }
    }

    let attempt = acme
        .raw_execute(
            "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'intruder')",
            &[&globex.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    match attempt {
        Err(error) => println!("\nacme writing a row into globex with raw SQL is refused: {error}"),
        Ok(rows) => {
            return Err(
                format!("acme wrote {rows} row(s) into globex: isolation is broken").into(),
            );
        }
    }
    println!(
        "globex still has {} customer(s)",
        globex.select::<Customer>().count().await?
    );
    Ok(())
}
