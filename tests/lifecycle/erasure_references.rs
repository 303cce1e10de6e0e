//! Tables without the tenant column whose foreign keys refer to a tenant's
//! rows: an erasure deletes the rows that refer to the tenant's (directly
//! or through another such table), children first, and counts them in its
//! proof; a reference that lets its row outlive its target (`SET NULL`)
//! keeps the row without it. No other tenant's rows are touched.

use tenantry::MAIN_SERVER;
use tenantry::ops::{PlacementKind, Reason};
use tokio_postgres::Client;
use uuid::Uuid;

use super::erasure_fixtures::filled;
use crate::support::Invoice;

/// Payments of invoices, receipts of payments (neither with the tenant
/// column), and exports that remember an invoice until it goes.
const REFERRING_TABLES: &str = "
    CREATE UNIQUE INDEX invoices_id_unique ON public.invoices (id);
    CREATE SCHEMA IF NOT EXISTS shared;
    CREATE TABLE shared.payments (
        id uuid PRIMARY KEY,
        invoice_id uuid NOT NULL REFERENCES public.invoices (id));
    CREATE TABLE shared.receipts (
        id uuid PRIMARY KEY,
        payment_id uuid NOT NULL REFERENCES shared.payments (id) ON DELETE RESTRICT);
    CREATE TABLE shared.exports (
        id uuid PRIMARY KEY,
        last_invoice uuid REFERENCES public.invoices (id) ON DELETE SET NULL);";

/// A payment with a receipt and an export for each of `invoices`.
async fn refer_to(admin: &Client, invoices: &[Invoice]) {
    for invoice in invoices {
        let payment = Uuid::new_v4();
        admin
            .execute(
                "INSERT INTO shared.payments VALUES ($1, $2)",
                &[&payment, &invoice.id],
            )
            .await
            .unwrap();
        admin
            .execute(
                "INSERT INTO shared.receipts VALUES ($1, $2)",
                &[&Uuid::new_v4(), &payment],
            )
            .await
            .unwrap();
        admin
            .execute(
                "INSERT INTO shared.exports VALUES ($1, $2)",
                &[&Uuid::new_v4(), &invoice.id],
            )
            .await
            .unwrap();
    }
}

/// What refers to `invoices`: (payments, receipts of those, exports).
async fn referring(admin: &Client, invoices: &[Uuid]) -> (i64, i64, i64) {
    let row = admin
        .query_one(
            "SELECT (SELECT count(*) FROM shared.payments WHERE invoice_id = ANY($1)),
                    (SELECT count(*) FROM shared.receipts r
                     JOIN shared.payments p ON p.id = r.payment_id
                     WHERE p.invoice_id = ANY($1)),
                    (SELECT count(*) FROM shared.exports WHERE last_invoice = ANY($1))",
            &[&invoices],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// Every row of the referring tables: (payments, receipts, exports).
async fn all_rows(admin: &Client) -> (i64, i64, i64) {
    let row = admin
        .query_one(
            "SELECT (SELECT count(*) FROM shared.payments),
                    (SELECT count(*) FROM shared.receipts),
                    (SELECT count(*) FROM shared.exports)",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

#[tokio::test]
async fn an_erasure_deletes_the_rows_that_refer_to_the_tenants_and_counts_them() {
    let (tenants, _db, handles) = filled(
        &[
            ("erased", PlacementKind::Pool, MAIN_SERVER),
            ("neighbour", PlacementKind::Pool, MAIN_SERVER),
        ],
        3,
    )
    .await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    admin.batch_execute(REFERRING_TABLES).await.unwrap();
    let mut invoices = Vec::new();
    for tenant in &handles {
        let own = tenant.select::<Invoice>().all().await.unwrap();
        refer_to(&admin, &own).await;
        invoices.push(own.iter().map(|invoice| invoice.id).collect::<Vec<_>>());
    }
    assert_eq!(referring(&admin, &invoices[0]).await, (3, 3, 3));
    let before = all_rows(&admin).await;

    let erased = &tenants.placed[0];
    let record = tenants
        .world
        .operator()
        .erase(erased.record.id, &Reason::new("dpo", "right to erasure"))
        .await
        .unwrap();

    // The proof counts the referring tables the catalog's keys lead to, and
    // only those.
    for table in ["shared.payments", "shared.receipts"] {
        assert!(
            record
                .checks
                .iter()
                .any(|check| check.server == MAIN_SERVER && check.object == table),
            "{table} not checked: {:#?}",
            record.checks
        );
    }
    assert!(
        !record
            .checks
            .iter()
            .any(|check| check.object == "shared.exports"),
        "{:#?}",
        record.checks
    );
    assert!(record.checks.iter().all(|check| check.remaining == 0));
    // The tenant's payments and their receipts are gone; its exports stay,
    // without the invoice.
    assert_eq!(referring(&admin, &invoices[0]).await, (0, 0, 0));
    assert_eq!(
        all_rows(&admin).await,
        (before.0 - 3, before.1 - 3, before.2)
    );
    let forgotten: i64 = admin
        .query_one(
            "SELECT count(*) FROM shared.exports WHERE last_invoice IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(forgotten, 3);
    // The neighbour keeps everything.
    assert_eq!(referring(&admin, &invoices[1]).await, (3, 3, 3));
    assert_eq!(handles[1].select::<Invoice>().count().await.unwrap(), 3);
}

/// The schema of a schema tenant's record.
fn schema_of(record: &tenantry::TenantRecord) -> String {
    match &record.placement {
        tenantry::Placement::Schema(schema) => schema.to_string(),
        other => panic!("not a schema tenant: {other:?}"),
    }
}

#[tokio::test]
async fn erasing_a_schema_tenant_deletes_the_rows_elsewhere_that_refer_to_its_tables() {
    let (tenants, _db, handles) = filled(
        &[
            ("erased", PlacementKind::Schema, MAIN_SERVER),
            ("neighbour", PlacementKind::Schema, MAIN_SERVER),
        ],
        3,
    )
    .await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let (erased, neighbour) = (
        schema_of(&tenants.placed[0].record),
        schema_of(&tenants.placed[1].record),
    );
    // Dropping the schema would drop these keys and leave their rows.
    admin
        .batch_execute(&format!(
            "CREATE UNIQUE INDEX ON {erased}.invoices (id);
             CREATE UNIQUE INDEX ON {neighbour}.invoices (id);
             CREATE SCHEMA IF NOT EXISTS shared;
             CREATE TABLE shared.payments (
                 id uuid PRIMARY KEY,
                 erased_invoice uuid REFERENCES {erased}.invoices (id),
                 neighbour_invoice uuid REFERENCES {neighbour}.invoices (id));
             CREATE TABLE shared.receipts (
                 id uuid PRIMARY KEY,
                 payment_id uuid NOT NULL REFERENCES shared.payments (id));
             CREATE TABLE shared.exports (
                 id uuid PRIMARY KEY,
                 last_invoice uuid REFERENCES {erased}.invoices (id) ON DELETE SET NULL);"
        ))
        .await
        .unwrap();
    let columns = ["erased_invoice", "neighbour_invoice"];
    for (tenant, column) in handles.iter().zip(columns) {
        for invoice in tenant.select::<Invoice>().all().await.unwrap() {
            let payment = Uuid::new_v4();
            admin
                .execute(
                    &format!("INSERT INTO shared.payments (id, {column}) VALUES ($1, $2)"),
                    &[&payment, &invoice.id],
                )
                .await
                .unwrap();
            admin
                .execute(
                    "INSERT INTO shared.receipts VALUES ($1, $2)",
                    &[&Uuid::new_v4(), &payment],
                )
                .await
                .unwrap();
            if column == "erased_invoice" {
                admin
                    .execute(
                        "INSERT INTO shared.exports VALUES ($1, $2)",
                        &[&Uuid::new_v4(), &invoice.id],
                    )
                    .await
                    .unwrap();
            }
        }
    }

    let record = tenants
        .world
        .operator()
        .erase(
            tenants.placed[0].record.id,
            &Reason::new("dpo", "right to erasure"),
        )
        .await
        .unwrap();
    assert!(record.checks.iter().all(|check| check.remaining == 0));

    let counts = admin
        .query_one(
            "SELECT (SELECT count(*) FROM shared.payments WHERE neighbour_invoice IS NULL),
                    (SELECT count(*) FROM shared.payments WHERE neighbour_invoice IS NOT NULL),
                    (SELECT count(*) FROM shared.receipts),
                    (SELECT count(*) FROM shared.exports WHERE last_invoice IS NULL),
                    (SELECT count(*) FROM shared.exports)",
            &[],
        )
        .await
        .unwrap();
    let counts: (i64, i64, i64, i64, i64) = (
        counts.get(0),
        counts.get(1),
        counts.get(2),
        counts.get(3),
        counts.get(4),
    );
    // The erased tenant's payments and their receipts are gone, the
    // neighbour's stay; the exports stay, without their invoice.
    assert_eq!(counts, (0, 3, 3, 3, 3));
    let schema_left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
            &[&erased],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(schema_left, 0);
    assert_eq!(handles[1].select::<Invoice>().count().await.unwrap(), 3);
}
