//! Joins and subqueries never pull another tenant's rows, although every
//! tenant's invoices point at customer ids that every other tenant has too:
//! inner and left joins and IN subqueries built by the tenant's handle, the
//! same shapes (and a correlated EXISTS) written by hand without any tenant
//! filter, and subqueries from another tenant's handle, which are refused.

use tenantry::{Error, Filter, QueryError, Tenant};
use uuid::Uuid;

use super::{SHARED_INVOICES, Seeded, private_customer};
use crate::support::{Customer, Invoice};

#[tokio::test]
async fn joins_and_subqueries_only_meet_the_tenants_own_rows() {
    let seeded = Seeded::everywhere().await;
    let before = seeded.snapshot().await;
    for (placed, tenant) in seeded.each() {
        built_joins_stay_within(tenant, placed.label).await;
        hand_written_joins_stay_within(tenant, placed.label).await;
    }
    seeded.assert_only_changed(&before, None).await;
}

async fn built_joins_stay_within(tenant: &Tenant, label: &str) {
    let joined: Vec<(Uuid, String, Option<String>)> = tenant
        .select::<Invoice>()
        .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((Invoice::ID, Customer::NAME, Invoice::NOTE))
        .order_by(Invoice::ID.asc())
        .all()
        .await
        .unwrap();
    let expected: Vec<(Uuid, String, Option<String>)> = SHARED_INVOICES
        .iter()
        .map(|&(id, customer, _)| (id, customer_name(label, customer), Some(label.to_owned())))
        .collect();
    assert_eq!(joined, expected, "{label}: inner join");

    // Every customer once per own invoice; the private one with none.
    let left: Vec<(String, Option<i64>)> = tenant
        .select::<Customer>()
        .left_join::<Invoice>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((Customer::NAME, Invoice::AMOUNT_CENTS.nullable()))
        .order_by(Customer::NAME.asc())
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .all()
        .await
        .unwrap();
    let mut expected_left: Vec<(String, Option<i64>)> = SHARED_INVOICES
        .iter()
        .map(|&(_, customer, amount)| (customer_name(label, customer), Some(amount)))
        .chain([(format!("{label} private"), None)])
        .collect();
    expected_left.sort();
    assert_eq!(left, expected_left, "{label}: left join");

    let of_first_customer =
        invoices_of_customers(tenant, Customer::NAME.like(format!("{label} customer 0"))).await;
    assert_eq!(of_first_customer.len(), 2, "{label}: IN subquery");
    // The subquery cannot find customers by other tenants' names.
    let by_other_names =
        invoices_of_customers(tenant, Customer::NAME.like(format!("{label}%")).not()).await;
    assert!(by_other_names.is_empty(), "{label}: {by_other_names:?}");
}

async fn hand_written_joins_stay_within(tenant: &Tenant, label: &str) {
    let count = |sql: &'static str| async move {
        tenant.raw_query(sql, &[]).await.unwrap()[0].get::<_, i64>(0)
    };
    let invoices = SHARED_INVOICES.len() as i64;
    assert_eq!(
        count("SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id").await,
        invoices,
        "{label}: a hand-written join"
    );
    assert_eq!(
        count("SELECT count(*) FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id")
            .await,
        invoices + 1,
        "{label}: a hand-written left join"
    );
    assert_eq!(
        count("SELECT count(*) FROM invoices WHERE customer_id IN (SELECT id FROM customers)")
            .await,
        invoices,
        "{label}: a hand-written IN subquery"
    );
    let foreign: i64 = tenant
        .raw_query(
            "SELECT count(*) FROM invoices i WHERE EXISTS
                 (SELECT 1 FROM customers c WHERE c.id = i.customer_id AND c.name NOT LIKE $1)",
            &[&format!("{label}%")],
        )
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(
        foreign, 0,
        "{label}: a correlated EXISTS met another tenant's customer"
    );
    let owners: Vec<Uuid> = tenant
        .raw_query(
            "SELECT DISTINCT c.tenant_id FROM customers c
             WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id)
                OR c.id = $1",
            &[&private_customer(tenant.tenant())],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(owners, [tenant.tenant().as_uuid()], "{label}");
}

#[tokio::test]
async fn a_subquery_from_another_tenants_handle_or_transaction_is_refused() {
    let seeded = Seeded::everywhere().await;
    for (outer_placed, outer) in seeded.each() {
        for (inner_placed, inner) in seeded.each() {
            let transaction = inner.transaction().await.unwrap();
            let from_handle = outer
                .select::<Invoice>()
                .filter(
                    Invoice::CUSTOMER_ID.in_query(inner.select::<Customer>().columns(Customer::ID)),
                )
                .count()
                .await;
            let from_transaction = outer
                .select::<Invoice>()
                .filter(
                    Invoice::CUSTOMER_ID
                        .in_query(transaction.select::<Customer>().columns(Customer::ID)),
                )
                .count()
                .await;
            transaction.rollback().await.unwrap();
            let pair = format!("{} inside {}", inner_placed.label, outer_placed.label);
            if outer.tenant() == inner.tenant() {
                let own = SHARED_INVOICES.len() as u64;
                assert_eq!(from_handle.unwrap(), own, "{pair}");
                assert_eq!(from_transaction.unwrap(), own, "{pair}");
            } else {
                for mixed in [from_handle, from_transaction] {
                    assert!(
                        matches!(mixed, Err(Error::Query(QueryError::ScopeMismatch { .. }))),
                        "{pair}: {mixed:?}"
                    );
                }
            }
        }
    }
}

/// The invoices of `tenant`'s customers that `customers` selects, through an IN subquery.
async fn invoices_of_customers(tenant: &Tenant, customers: Filter<(Customer, ())>) -> Vec<Invoice> {
    let subquery = tenant
        .select::<Customer>()
        .columns(Customer::ID)
        .filter(customers);
    tenant
        .select::<Invoice>()
        .filter(Invoice::CUSTOMER_ID.in_query(subquery))
        .all()
        .await
        .unwrap()
}

/// The seeded name of `label`'s shared customer `id`.
fn customer_name(label: &str, id: Uuid) -> String {
    let n = super::SHARED_CUSTOMERS
        .iter()
        .position(|shared| *shared == id)
        .expect("a shared customer");
    format!("{label} customer {n}")
}
