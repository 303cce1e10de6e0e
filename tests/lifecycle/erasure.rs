//! Erasure with a proof, in every placement on two servers: foreign keys
//! between scoped tables, a shared table that refers to the tenant, a
//! writing transaction under way, a run killed mid-way and resumed, and the
//! tombstone every handle and every later provisioning meets.

use std::sync::Arc;

use tenantry::ops::{Error as OpsError, NewTenant, PlacementKind, Reason};
use tenantry::{Error, MAIN_SERVER, Placement, Tenant, TenantStatus};
use tokio::sync::Notify;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::{Placed, Tenants};
use crate::support::{Customer, Invoice, NewCustomer, NewInvoice};

/// A shared table that refers to tenants (and, on the main server, to
/// their invoices in the pool), on both servers.
async fn add_shared_usage(tenants: &Tenants) {
    for server in [MAIN_SERVER, SECOND] {
        let reference = if server == MAIN_SERVER {
            ", FOREIGN KEY (tenant_id, invoice_id) REFERENCES public.invoices (tenant_id, id)"
        } else {
            ""
        };
        tenants
            .world
            .admin(server, None)
            .await
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS shared; CREATE TABLE shared.usage (tenant_id uuid NOT NULL, invoice_id uuid, units int{reference})"
            ))
            .await
            .unwrap();
    }
}

/// Writes `customers` customers with an invoice each for `tenant`, and a
/// usage row for it on both servers (referring to its first invoice where it
/// is in the main server's pool).
async fn fill(tenants: &Tenants, placed: &Placed, tenant: &Tenant, customers: usize) {
    let mut first_invoice = None;
    for n in 0..customers {
        let customer = tenant
            .insert(NewCustomer::named(&format!("c{n}")))
            .returning()
            .one()
            .await
            .unwrap();
        let invoice = tenant
            .insert(NewInvoice {
                id: Uuid::new_v4(),
                customer_id: customer.id,
                amount_cents: 100,
                paid: false,
                note: None,
                created_at: time::OffsetDateTime::now_utc(),
            })
            .returning()
            .one()
            .await
            .unwrap();
        first_invoice.get_or_insert(invoice.id);
    }
    let in_main_pool =
        placed.record.placement == Placement::Pool && placed.record.server == MAIN_SERVER;
    for server in [MAIN_SERVER, SECOND] {
        let invoice = first_invoice.filter(|_| in_main_pool && server == MAIN_SERVER);
        tenants
            .world
            .admin(server, None)
            .await
            .execute(
                "INSERT INTO shared.usage VALUES ($1, $2, 7)",
                &[&placed.uuid(), &invoice],
            )
            .await
            .unwrap();
    }
}

/// Rows of `tenant` in shared.usage on both servers.
async fn usage_rows(tenants: &Tenants, tenant: Uuid) -> i64 {
    let mut total = 0;
    for server in [MAIN_SERVER, SECOND] {
        total += tenants
            .world
            .admin(server, None)
            .await
            .query_one(
                "SELECT count(*) FROM shared.usage WHERE tenant_id = $1",
                &[&tenant],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
    }
    total
}

fn erased(result: Result<impl std::fmt::Debug, Error>, id: tenantry::TenantId, what: &str) {
    match result {
        Err(Error::TenantErased { id: erased }) => assert_eq!(erased, id, "{what}"),
        other => panic!("{what}: expected TenantErased, got {other:?}"),
    }
}

#[tokio::test]
async fn an_erasure_leaves_nothing_in_any_placement_and_proves_it() {
    let tenants = Tenants::provision(&[
        ("pool_main", PlacementKind::Pool, MAIN_SERVER),
        ("pool_second", PlacementKind::Pool, SECOND),
        ("schema_second", PlacementKind::Schema, SECOND),
        ("db_main", PlacementKind::Database, MAIN_SERVER),
        ("stays_pool", PlacementKind::Pool, MAIN_SERVER),
        ("stays_schema", PlacementKind::Schema, SECOND),
    ])
    .await;
    add_shared_usage(&tenants).await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        fill(&tenants, placed, tenant, 3).await;
    }
    let operator = tenants.world.operator();
    let why = Reason::new("dpo@example.com", "right to erasure").with_reference("GDPR-2024-17");
    for (placed, tenant) in tenants.placed.iter().zip(&handles).take(4) {
        let label = placed.label;
        // A transaction that has written holds the erasure back, and what it
        // committed is erased too.
        let transaction = tenant.transaction().await.unwrap();
        transaction
            .insert(NewCustomer::named("late"))
            .exec()
            .await
            .unwrap();
        let erasure = tokio::spawn({
            let operator = tenants.world.operator();
            let (id, why) = (placed.record.id, why.clone());
            async move { operator.erase(id, &why).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !erasure.is_finished(),
            "{label}: the erasure waits for the writer"
        );
        transaction.commit().await.unwrap();
        let record = erasure
            .await
            .unwrap()
            .unwrap_or_else(|error| panic!("{label}: {error}"));

        assert_eq!(
            (record.tenant, record.slug.as_str()),
            (placed.record.id, placed.record.slug.as_str())
        );
        assert_eq!(record.placement, placed.record.placement.to_string());
        assert_eq!(
            record.servers[0], placed.record.server,
            "{label}: its server first"
        );
        assert_eq!(record.servers.len(), 2);
        assert_eq!(
            (
                record.actor.as_str(),
                record.reason.as_str(),
                record.reference.as_deref()
            ),
            ("dpo@example.com", "right to erasure", Some("GDPR-2024-17"))
        );
        assert!(
            record.checks.iter().all(|check| check.remaining == 0),
            "{label}: {record:#?}"
        );
        for server in [MAIN_SERVER, SECOND] {
            for table in ["public.customers", "public.invoices", "shared.usage"] {
                assert!(
                    record
                        .checks
                        .iter()
                        .any(|check| check.server == server && check.object == table),
                    "{label}: {table} on {server} not checked: {:#?}",
                    record.checks
                );
            }
        }
        if let Placement::Schema(own) | Placement::Database(own) = &placed.record.placement {
            assert!(
                record
                    .checks
                    .iter()
                    .any(|check| check.object.ends_with(own.as_str())),
                "{label}: its own schema or database is not checked"
            );
        }
        assert!(record.is_intact() && record.digest.len() == 64, "{label}");
        assert_eq!(
            operator.erasure_record(placed.record.id).await.unwrap(),
            record
        );
        // Idempotent: the same proof again.
        assert_eq!(
            operator.erase(placed.record.id, &why).await.unwrap(),
            record,
            "{label}"
        );

        // What the proof says, seen independently.
        let location = placed.location();
        let admin = tenants.world.admin(&location.server, None).await;
        let customers: i64 = admin
            .query_one(
                "SELECT count(*) FROM public.customers WHERE tenant_id = $1",
                &[&placed.uuid()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(customers, 0, "{label}");
        assert_eq!(usage_rows(&tenants, placed.uuid()).await, 0, "{label}");
        let own_gone: bool = admin
            .query_one(
                "SELECT NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)
                    AND NOT EXISTS (SELECT FROM pg_database WHERE datname = $1)",
                &[&placed.record.slug.replace(
                    &placed.record.slug,
                    &format!("tenant_{}", placed.record.slug),
                )],
            )
            .await
            .unwrap()
            .get(0);
        assert!(own_gone, "{label}: its schema or database is left");

        // The tombstone: every handle, old or new, gets the typed error.
        erased(
            tenant.select::<Customer>().count().await,
            placed.record.id,
            label,
        );
        erased(
            db.tenant(placed.record.id).await.map(drop),
            placed.record.id,
            label,
        );
        let fresh = tenants.connect().await;
        erased(
            fresh.tenant(placed.record.id).await.map(drop),
            placed.record.id,
            label,
        );
        // Its slug and its id are never provisioned again.
        let kind = match placed.record.placement {
            Placement::Pool => PlacementKind::Pool,
            Placement::Schema(_) => PlacementKind::Schema,
            Placement::Database(_) => PlacementKind::Database,
        };
        for again in [
            NewTenant::new(&placed.record.slug, kind).on_server(&placed.record.server),
            NewTenant::new("another_slug", kind).with_id(placed.record.id),
        ] {
            match operator.provision(&again, &TENANT).await {
                Err(OpsError::Runtime(Error::TenantErased { id })) => {
                    assert_eq!(id, placed.record.id)
                }
                other => panic!("{label}: provisioning an erased tenant again: {other:?}"),
            }
        }
        assert!(matches!(
            operator
                .resume(placed.record.id, &Reason::new("ops", "undo"))
                .await,
            Err(OpsError::Runtime(Error::TenantErased { .. }))
        ));
    }
    // The neighbours keep everything.
    for (placed, tenant) in tenants.placed.iter().zip(&handles).skip(4) {
        assert_eq!(
            tenant.select::<Customer>().count().await.unwrap(),
            3,
            "{}",
            placed.label
        );
        assert_eq!(
            tenant.select::<Invoice>().count().await.unwrap(),
            3,
            "{}",
            placed.label
        );
        assert_eq!(
            usage_rows(&tenants, placed.uuid()).await,
            2,
            "{}",
            placed.label
        );
    }
    // The proof and the tombstone cannot be rewritten, even by their owner.
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let erased_id = tenants.placed[0].uuid();
    for sql in [
        "UPDATE tenantry_control.erasures SET actor = 'nobody'",
        "DELETE FROM tenantry_control.erasures",
        "TRUNCATE tenantry_control.erasures",
    ] {
        let error = admin.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
    for sql in [
        "UPDATE tenantry_control.tenants SET status = 'active' WHERE id = $1",
        "DELETE FROM tenantry_control.tenants WHERE id = $1",
    ] {
        let error = admin.execute(sql, &[&erased_id]).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn an_erasure_killed_mid_way_finishes_when_run_again_and_never_claims_success_before() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, SECOND)]).await;
    add_shared_usage(&tenants).await;
    let db = tenants.connect().await;
    let placed = &tenants.placed[0];
    let tenant = &tenants.handles(&db).await[0];
    fill(&tenants, placed, tenant, 40).await;
    let id = placed.record.id;
    let operator = Arc::new(tenants.world.operator().erase_batch(10));

    let first_batch = Arc::new(Notify::new());
    let erasure = tokio::spawn({
        let (operator, first_batch) = (operator.clone(), first_batch.clone());
        async move {
            operator
                .erase_with_progress(id, &Reason::new("dpo", "request 1"), &move |rows| {
                    if rows > 0 {
                        first_batch.notify_one();
                    }
                })
                .await
        }
    });
    first_batch.notified().await;
    erasure.abort();
    assert!(erasure.await.unwrap_err().is_cancelled());

    let admin = tenants.world.admin(SECOND, None).await;
    let left = |sql: &'static str| {
        let admin = &admin;
        async move {
            admin
                .query_one(sql, &[&id.as_uuid()])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let invoices = left("SELECT count(*) FROM public.invoices WHERE tenant_id = $1").await;
    let customers = left("SELECT count(*) FROM public.customers WHERE tenant_id = $1").await;
    assert!(
        invoices < 40 && invoices + customers > 0,
        "killed mid-way: {invoices} invoices, {customers} customers left"
    );
    // Killed: no proof, yet a tombstone.
    assert!(matches!(
        operator.erasure_record(id).await,
        Err(OpsError::NoErasureRecord { id: none }) if none == id
    ));
    erased(
        tenant.select::<Customer>().count().await,
        id,
        "after the kill",
    );
    let listed = operator.tenants().await.unwrap();
    assert_eq!(listed[0].status, TenantStatus::Erased);

    // Run again, by someone else: it finishes, for the reason first given.
    let record = operator
        .erase(id, &Reason::new("cron", "retry"))
        .await
        .unwrap();
    assert_eq!(
        (record.actor.as_str(), record.reason.as_str()),
        ("dpo", "request 1")
    );
    assert!(record.checks.iter().all(|check| check.remaining == 0));
    assert!(record.is_intact());
    assert_eq!(
        left("SELECT count(*) FROM public.invoices WHERE tenant_id = $1").await,
        0
    );
    assert_eq!(
        left("SELECT count(*) FROM public.customers WHERE tenant_id = $1").await,
        0
    );
    assert_eq!(usage_rows(&tenants, id.as_uuid()).await, 0);
    // A record whose fields were changed no longer matches its digest.
    let mut forged = record.clone();
    forged.checks[0].remaining = 1;
    assert!(!forged.is_intact());
}
