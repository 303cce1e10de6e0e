//! Four pool tenants in distributed, co-located tables: every builder
//! operation, hand-written SQL, transactions and joins see and write exactly
//! the tenant's own rows, each statement router-executed on one shard (the
//! application role errors on multi-shard queries), with no warning from
//! any worker; a write for another tenant is rejected on the worker; and
//! without Citus mode nothing is visible or writable. Support access reads
//! one tenant on its shard the same way, each use recorded.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use tenantry::{Error, Tenant};
use time::OffsetDateTime;
use uuid::Uuid;

use super::deployment::Deployment;
use crate::support::wire_tap::WireTap;
use crate::support::{Customer, Invoice, NewCustomer, NewInvoice};

/// Customer ids every tenant uses.
const CUSTOMERS: [Uuid; 2] = [Uuid::from_u128(0xc1), Uuid::from_u128(0xc2)];

/// Writes two customers and three invoices (100, 200, 300) into `tenant`.
async fn seed(tenant: &Tenant, label: &str) {
    tenant
        .insert_many(CUSTOMERS.map(|id| NewCustomer {
            id,
            name: format!("{label} {id}"),
            email: None,
        }))
        .exec()
        .await
        .expect("insert many");
    for (n, amount_cents) in [100, 200, 300].into_iter().enumerate() {
        tenant
            .insert(NewInvoice {
                id: Uuid::from_u128(0x10 + n as u128),
                customer_id: CUSTOMERS[n % 2],
                amount_cents,
                paid: false,
                note: Some(label.to_owned()),
                created_at: OffsetDateTime::UNIX_EPOCH,
            })
            .exec()
            .await
            .expect("insert");
    }
}

/// Every builder operation, as `label`'s tenant.
async fn every_operation(tenant: &Tenant, label: &str) {
    let id = tenant.tenant();
    let all = tenant.select::<Invoice>().all().await.unwrap();
    assert_eq!(all.len(), 3, "{label}");
    assert!(all.iter().all(|invoice| invoice.tenant_id == id));
    let top: Vec<i64> = tenant
        .select::<Invoice>()
        .filter(Invoice::AMOUNT_CENTS.ge(200))
        .order_by(Invoice::AMOUNT_CENTS.desc())
        .limit(1)
        .columns(Invoice::AMOUNT_CENTS)
        .all()
        .await
        .unwrap();
    assert_eq!(top, [300]);
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 2);
    assert!(tenant.select::<Customer>().exists().await.unwrap());
    let one = tenant
        .select::<Customer>()
        .filter(Customer::ID.eq(CUSTOMERS[0]))
        .one()
        .await
        .unwrap();
    assert_eq!(one.name, format!("{label} {}", CUSTOMERS[0]));
    let total: Vec<(Uuid, Option<i64>)> = tenant
        .select::<Invoice>()
        .columns((Invoice::CUSTOMER_ID, Invoice::AMOUNT_CENTS.sum()))
        .group_by(Invoice::CUSTOMER_ID)
        .order_by(Invoice::CUSTOMER_ID.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(
        total,
        [(CUSTOMERS[0], Some(400)), (CUSTOMERS[1], Some(200))]
    );
    let joined: Vec<(i64, String)> = tenant
        .select::<Invoice>()
        .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((Invoice::AMOUNT_CENTS, Customer::NAME))
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .all()
        .await
        .unwrap();
    let names: BTreeSet<&str> = joined.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(joined.len(), 3, "{label}: the co-located join");
    assert!(
        names.iter().all(|name| name.starts_with(label)),
        "{names:?}"
    );
    let streamed: Vec<Customer> = tenant
        .select::<Customer>()
        .stream()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 2);
    let upserted = tenant
        .insert(NewCustomer {
            id: CUSTOMERS[0],
            name: format!("{label} upserted"),
            email: None,
        })
        .on_conflict_update(Customer::NAME)
        .all()
        .await
        .unwrap();
    assert_eq!(upserted.len(), 1);
    let paid = tenant
        .update::<Invoice>()
        .set(Invoice::PAID, true)
        .filter(Invoice::AMOUNT_CENTS.ge(200))
        .all()
        .await
        .unwrap();
    assert_eq!(paid.len(), 2, "{label}");
    assert!(paid.iter().all(|invoice| invoice.tenant_id == id));
    let deleted = tenant
        .delete::<Invoice>()
        .filter(Invoice::AMOUNT_CENTS.eq(100))
        .exec()
        .await
        .unwrap();
    assert_eq!(deleted, 1, "{label}");
}

/// Hand-written SQL sees only the tenant's rows: filtered by tenant it is
/// router-executed; without a filter (multi-shard, allowed for that
/// transaction only) row-level security on every shard still hides the
/// other tenants' rows. A transaction's statements commit together, or not
/// at all.
async fn raw_sql_and_transactions(tenant: &Tenant, label: &str) {
    let id = tenant.tenant().as_uuid();
    let rows = tenant
        .raw_query("SELECT note FROM invoices WHERE tenant_id = $1", &[&id])
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "{label}: after the delete");
    assert!(
        rows.iter()
            .all(|row| row.get::<_, Option<String>>(0).as_deref() == Some(label))
    );
    let joined = tenant
        .raw_query(
            "SELECT count(*) FROM invoices i JOIN customers c
                 ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
             WHERE i.tenant_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(
        joined[0].get::<_, i64>(0),
        2,
        "{label}: a hand-written join"
    );
    assert_eq!(
        unfiltered_notes(tenant).await,
        vec![Some(label.to_owned()); 2]
    );
    let transaction = tenant.transaction().await.unwrap();
    transaction
        .insert(NewCustomer::named(&format!("{label} committed")))
        .exec()
        .await
        .unwrap();
    transaction
        .raw_execute(
            "UPDATE invoices SET paid = false WHERE tenant_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let seen = transaction.select::<Customer>().count().await.unwrap();
    assert_eq!(seen, 3, "{label}: the transaction sees its own write");
    transaction.commit().await.unwrap();
    let rolled_back = tenant.transaction().await.unwrap();
    rolled_back
        .delete::<Customer>()
        .exec()
        .await
        .expect_err("invoices reference the customers");
    rolled_back.rollback().await.unwrap();
    let after: Vec<bool> = tenant
        .select::<Invoice>()
        .columns(Invoice::PAID)
        .all()
        .await
        .unwrap();
    assert_eq!(after, [false, false], "{label}");
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 3);
}

/// The notes of every invoice `tenant`'s hand-written SQL sees when it
/// names no tenant: a multi-shard query, allowed for its transaction.
async fn unfiltered_notes(tenant: &Tenant) -> Vec<Option<String>> {
    let transaction = tenant.transaction().await.unwrap();
    transaction
        .raw_execute("SET LOCAL citus.multi_task_query_log_level = off", &[])
        .await
        .unwrap();
    let rows = transaction
        .raw_query("SELECT note FROM invoices", &[])
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

#[tokio::test]
async fn four_tenants_each_reach_only_their_own_rows_on_one_shard() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let tap = WireTap::start(deployment.database.cluster.coordinator.port).await;
    let db = deployment.connect_through(tap.port).await;
    let labels = ["a", "b", "c", "d"];
    let tenants = deployment.pool_tenants(&db, &labels).await;
    for (tenant, label) in tenants.iter().zip(labels) {
        seed(tenant, label).await;
    }
    for (tenant, label) in tenants.iter().zip(labels) {
        every_operation(tenant, label).await;
        raw_sql_and_transactions(tenant, label).await;
    }
    // What the superuser sees: each tenant's rows, where it wrote them.
    let admin = deployment.database.admin().await;
    let rows = admin
        .query(
            "SELECT tenant_id, count(*) FILTER (WHERE note = ANY($1)), count(*)
             FROM invoices GROUP BY tenant_id",
            &[&labels.to_vec()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|row| row.get::<_, i64>(2) == 2));
    assert_eq!(
        tap.counts.notices.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the coordinator relayed notices or warnings from the workers"
    );
}

#[tokio::test]
async fn a_transaction_start_replays_nothing_on_the_workers() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let tap = WireTap::start(deployment.database.cluster.coordinator.port).await;
    let db = deployment.connect_through(tap.port).await;
    let tenant = &deployment.pool_tenants(&db, &["a"]).await[0];
    seed(tenant, "a").await;
    for _ in 0..3 {
        let transaction = tenant.transaction().await.unwrap();
        assert_eq!(transaction.select::<Invoice>().count().await.unwrap(), 3);
        transaction.commit().await.unwrap();
    }
    assert_eq!(
        tap.counts.notices.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a worker warned (a stray BEGIN)"
    );
}

#[tokio::test]
async fn a_constraint_broken_on_a_worker_is_named() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let db = deployment.connect().await;
    let tenant = &deployment.pool_tenants(&db, &["a"]).await[0];
    seed(tenant, "a").await;
    let duplicate = tenant
        .insert(NewCustomer {
            id: CUSTOMERS[0],
            name: "again".to_owned(),
            email: None,
        })
        .exec()
        .await;
    match duplicate {
        Err(Error::Constraint { constraint, .. }) => {
            assert_eq!(constraint.as_deref(), Some("customers_pkey"));
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
}

#[tokio::test]
async fn a_write_for_another_tenant_is_rejected_on_the_worker() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let db = deployment.connect().await;
    let tenants = deployment.pool_tenants(&db, &["a", "b"]).await;
    let (mine, theirs) = (&tenants[0], &tenants[1]);
    let written = mine
        .raw_execute(
            "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'planted')",
            &[&theirs.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    assert!(
        matches!(written, Err(Error::PermissionDenied { .. })),
        "{written:?}"
    );
    seed(mine, "mine").await;
    let moved = mine
        .raw_execute(
            "UPDATE customers SET tenant_id = $1 WHERE tenant_id = $2",
            &[&theirs.tenant().as_uuid(), &mine.tenant().as_uuid()],
        )
        .await;
    assert!(moved.is_err(), "rows moved to another tenant: {moved:?}");
    assert_eq!(mine.select::<Customer>().count().await.unwrap(), 2);
    assert_eq!(theirs.select::<Customer>().count().await.unwrap(), 0);
}

#[tokio::test]
async fn without_citus_mode_nothing_is_visible_or_writable() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let db = deployment.connect().await;
    let tenant = &deployment.pool_tenants(&db, &["a"]).await[0];
    seed(tenant, "a").await;
    let blind =
        tenantry::Tenantry::connect(deployment.database.app_config().citus(false).registry())
            .await
            .unwrap();
    let same = blind.tenant(tenant.tenant()).await.unwrap();
    assert_eq!(same.select::<Invoice>().count().await.unwrap(), 0);
    let filtered = same
        .raw_query(
            "SELECT * FROM customers WHERE tenant_id = $1",
            &[&tenant.tenant().as_uuid()],
        )
        .await
        .unwrap();
    assert!(filtered.is_empty());
    assert!(unfiltered_notes(&same).await.is_empty());
    assert!(
        same.insert(NewCustomer::named("lost"))
            .exec()
            .await
            .is_err()
    );
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 2);
}

#[tokio::test]
async fn support_access_reaches_one_tenant_on_its_shard_and_is_recorded() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let tap = WireTap::start(deployment.database.cluster.coordinator.port).await;
    let db = deployment.connect_through(tap.port).await;
    let labels = ["a", "b"];
    let tenants = deployment.pool_tenants(&db, &labels).await;
    for (tenant, label) in tenants.iter().zip(labels) {
        seed(tenant, label).await;
    }
    let access = tenantry::Access {
        actor: "ada@support".to_owned(),
        reason: "on Citus".to_owned(),
        ticket: Some("SUP-7".to_owned()),
        expires: OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    let id = tenants[0].tenant();
    let support = db.support_access(id, access).await.unwrap();
    let invoices = support.select::<Invoice>().all().await.unwrap();
    assert_eq!(invoices.len(), 3);
    assert!(invoices.iter().all(|invoice| invoice.tenant_id == id));
    let transaction = support.transaction().await.unwrap();
    assert_eq!(transaction.select::<Customer>().count().await.unwrap(), 2);
    // Unfiltered hand-written SQL goes to every shard: allowed here, as in
    // the tenant's own test above, to show row-level security keeps it in.
    transaction
        .raw_execute("SET LOCAL citus.multi_task_query_log_level = off", &[])
        .await
        .unwrap();
    let owners: Vec<Uuid> = transaction
        .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(owners, [id.as_uuid()]);
    transaction.commit().await.unwrap();
    let written = support
        .raw_query(
            "UPDATE invoices SET paid = true WHERE tenant_id = $1 RETURNING id",
            &[&id.as_uuid()],
        )
        .await
        .expect_err("a write through support access");
    let refused = std::error::Error::source(&written)
        .and_then(|source| source.downcast_ref::<tokio_postgres::Error>())
        .and_then(tokio_postgres::Error::code);
    assert_eq!(
        refused,
        Some(&tokio_postgres::error::SqlState::READ_ONLY_SQL_TRANSACTION),
        "{written}"
    );

    let admin = deployment.database.admin().await;
    let recorded: i64 = admin
        .query_one(
            "SELECT count(*) FROM tenantry_control.support_access WHERE tenant_id = $1",
            &[&id.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 2);
    let paid: i64 = admin
        .query_one("SELECT count(*) FROM invoices WHERE paid", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(paid, 0);
    assert_eq!(
        tap.counts.notices.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a worker warned"
    );
}
