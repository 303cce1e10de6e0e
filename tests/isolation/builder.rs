//! Every builder operation (filtered, ordered and limited selects, one and
//! optional, count, exists, columns, inserts of one and many rows with
//! RETURNING, upserts on keys other tenants hold too, updates and deletes
//! with RETURNING, streams) reads and writes only its tenant's rows, for a
//! tenant in every placement at once, every tenant holding the same ids and
//! values. After each tenant's turn every other tenant's rows are the same as
//! before, read through their own handles and by an administrator.

use futures_util::TryStreamExt;
use tenantry::{Tenant, TenantId};
use uuid::Uuid;

use super::{
    SEEDED_CUSTOMERS, SHARED_CUSTOMERS, SHARED_INVOICES, Seeded, assert_owned, new_customer,
    private_customer,
};
use crate::support::{Customer, Invoice, NewInvoice};

/// A customer id no tenant is seeded with; every tenant inserts it.
const NEW_CUSTOMER: Uuid = Uuid::from_u128(0xc4);

/// Invoice ids no tenant is seeded with; every tenant inserts them.
const NEW_INVOICES: [Uuid; 2] = [Uuid::from_u128(0x15), Uuid::from_u128(0x16)];

#[tokio::test]
async fn every_builder_operation_reads_and_writes_only_its_tenants_rows() {
    let seeded = Seeded::everywhere().await;
    for (placed, tenant) in seeded.each() {
        let before = seeded.snapshot().await;
        let others = seeded.others(placed);
        reads_stay_within(tenant, placed.label, &others).await;
        writes_stay_within(tenant, placed.label, &others).await;
        seeded.assert_only_changed(&before, Some(placed)).await;
    }
    // Every tenant made the same writes to the same ids, each to its own rows.
    for (placed, tenant) in seeded.each() {
        let count = tenant.select::<Customer>().count().await.unwrap();
        assert_eq!(count as usize, SEEDED_CUSTOMERS + 2, "{}", placed.label);
    }
}

async fn reads_stay_within(tenant: &Tenant, label: &str, others: &[TenantId]) {
    let top = tenant
        .select::<Invoice>()
        .filter(Invoice::AMOUNT_CENTS.ge(200))
        .order_by(Invoice::AMOUNT_CENTS.desc())
        .limit(2)
        .all()
        .await
        .unwrap();
    assert_owned(tenant, &top, "a filtered, ordered, limited select");
    let amounts: Vec<i64> = top.iter().map(|invoice| invoice.amount_cents).collect();
    assert_eq!(amounts, [400, 300], "{label}");
    assert!(
        top.iter()
            .all(|invoice| invoice.note.as_deref() == Some(label))
    );
    let page = tenant
        .select::<Invoice>()
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .limit(2)
        .offset(1)
        .columns(Invoice::AMOUNT_CENTS)
        .all()
        .await
        .unwrap();
    assert_eq!(page, [200, 300], "{label}: a page of another tenant's rows");
    // The same id is in every tenant: `one` fails on a second row.
    let shared = tenant
        .select::<Invoice>()
        .filter(Invoice::ID.eq(SHARED_INVOICES[0].0))
        .one()
        .await
        .unwrap();
    assert_owned(tenant, &[shared], "one");
    assert_eq!(
        tenant.select::<Invoice>().count().await.unwrap() as usize,
        SHARED_INVOICES.len(),
        "{label}: count"
    );
    let own = private_customer(tenant.tenant());
    assert!(
        tenant
            .select::<Customer>()
            .filter(Customer::ID.eq(own))
            .exists()
            .await
            .unwrap()
    );
    for other in others {
        let theirs = || {
            tenant
                .select::<Customer>()
                .filter(Customer::ID.eq(private_customer(*other)))
        };
        let seen = (
            theirs().exists().await.unwrap(),
            theirs().count().await.unwrap(),
            theirs().optional().await.unwrap(),
        );
        assert_eq!(seen, (false, 0, None), "{label} sees {other}'s customer");
    }
    let every_private = others.iter().copied().map(private_customer).chain([own]);
    let names: Vec<(Uuid, String)> = tenant
        .select::<Customer>()
        .filter(Customer::ID.is_in(every_private))
        .columns((Customer::ID, Customer::NAME))
        .all()
        .await
        .unwrap();
    assert_eq!(names, [(own, format!("{label} private"))]);
    let streamed: Vec<Customer> = tenant
        .select::<Customer>()
        .filter(Customer::EMAIL.eq("billing@example.com".to_owned()))
        .stream()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_owned(tenant, &streamed, "a stream");
    assert_eq!(streamed.len(), SEEDED_CUSTOMERS, "{label}: streamed rows");
}

async fn writes_stay_within(tenant: &Tenant, label: &str, others: &[TenantId]) {
    let inserted = tenant
        .insert(new_customer(NEW_CUSTOMER, format!("{label} new")))
        .one()
        .await
        .unwrap();
    assert_owned(tenant, &[inserted], "insert one");
    let invoices = tenant
        .insert_many(NEW_INVOICES.map(|id| NewInvoice {
            id,
            customer_id: NEW_CUSTOMER,
            amount_cents: 500,
            paid: false,
            note: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        }))
        .all()
        .await
        .unwrap();
    assert_owned(tenant, &invoices, "insert many");
    assert_eq!(invoices.len(), NEW_INVOICES.len());

    // Upserts on keys every tenant holds: only this tenant's row is updated.
    let upserted = tenant
        .insert(new_customer(
            SHARED_CUSTOMERS[0],
            format!("{label} upserted"),
        ))
        .on_conflict_update(Customer::NAME)
        .all()
        .await
        .unwrap();
    assert_owned(tenant, &upserted, "an upsert");
    assert_eq!(upserted.len(), 1, "{label}: the upsert touched other rows");
    assert_eq!(upserted[0].name, format!("{label} upserted"));
    let skipped = tenant
        .insert(new_customer(SHARED_CUSTOMERS[1], "skipped"))
        .on_conflict_do_nothing()
        .all()
        .await
        .unwrap();
    assert!(skipped.is_empty(), "{label}: {skipped:?}");
    // Another tenant's private id is free in this tenant: a new row of its own.
    let theirs = private_customer(others[0]);
    let taken = tenant
        .insert(new_customer(theirs, format!("{label} took the id")))
        .on_conflict_update(Customer::NAME)
        .one()
        .await
        .unwrap();
    assert_owned(tenant, &[taken], "an upsert on another tenant's key");

    let paid = tenant
        .update::<Invoice>()
        .set(Invoice::PAID, true)
        .filter(Invoice::AMOUNT_CENTS.ge(300))
        .all()
        .await
        .unwrap();
    assert_owned(tenant, &paid, "update");
    assert_eq!(paid.len(), 4, "{label}: 300, 400 and the two new invoices");
    assert!(paid.iter().all(|invoice| invoice.paid));
    let renamed = tenant
        .update::<Customer>()
        .set(Customer::NAME, "renamed")
        .filter(Customer::ID.eq(private_customer(others[others.len() - 1])))
        .exec()
        .await
        .unwrap();
    assert_eq!(renamed, 0, "{label} renamed another tenant's customer");

    let deleted = tenant
        .delete::<Invoice>()
        .filter(
            Invoice::AMOUNT_CENTS
                .eq(100)
                .or(Invoice::ID.eq(NEW_INVOICES[1])),
        )
        .all()
        .await
        .unwrap();
    assert_owned(tenant, &deleted, "delete");
    assert_eq!(deleted.len(), 2, "{label}: deleted {deleted:?}");
    let removed = tenant
        .delete::<Customer>()
        .filter(Customer::ID.eq(private_customer(others[others.len() - 1])))
        .exec()
        .await
        .unwrap();
    assert_eq!(removed, 0, "{label} deleted another tenant's customer");
    let left: Vec<i64> = tenant
        .select::<Invoice>()
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .columns(Invoice::AMOUNT_CENTS)
        .all()
        .await
        .unwrap();
    assert_eq!(left, [200, 300, 400, 500], "{label}");
}
