//! What the erasure suites erase: customers and invoices of a tenant, and a
//! shared table on both servers that refers to tenants; and the tombstone
//! a handle meets after.

use tenantry::{Error, MAIN_SERVER, Placement, Tenant, TenantTransaction, Tenantry};
use uuid::Uuid;

use crate::support::placements::SECOND;
use crate::support::tenants::{Placed, Spot, Tenants};
use crate::support::{NewCustomer, NewInvoice};

/// Tenants provisioned at `spots` beside the shared usage table, the
/// application connected with a handle for each, and `customers` customers
/// (with their invoices and usage) written for each.
pub(super) async fn filled(spots: &[Spot], customers: usize) -> (Tenants, Tenantry, Vec<Tenant>) {
    let tenants = Tenants::provision(spots).await;
    add_shared_usage(&tenants).await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        fill(&tenants, placed, tenant, customers).await;
    }
    (tenants, db, handles)
}

/// A transaction of `tenant` that has written a customer, `late`: a status
/// change of the tenant waits for it to end.
pub(super) async fn writing(tenant: &Tenant) -> TenantTransaction {
    let transaction = tenant.transaction().await.unwrap();
    transaction
        .insert(NewCustomer::named("late"))
        .exec()
        .await
        .unwrap();
    transaction
}

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
pub(super) async fn usage_rows(tenants: &Tenants, tenant: Uuid) -> i64 {
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

pub(super) fn erased(
    result: Result<impl std::fmt::Debug, Error>,
    id: tenantry::TenantId,
    what: &str,
) {
    match result {
        Err(Error::TenantErased { id: erased }) => assert_eq!(erased, id, "{what}"),
        other => panic!("{what}: expected TenantErased, got {other:?}"),
    }
}
