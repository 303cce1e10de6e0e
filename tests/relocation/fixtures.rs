//! What the relocation suites move: customers with an invoice and an event
//! each (every column type the binary copy and the digest must carry), and
//! how to read them where they live.

use std::time::Duration;

use tenantry::ops::{Destination, Place, PlacementKind, RelocationReport};
use tenantry::{Error, Placement, Tenant, TenantId, Tenantry};
use time::macros::{date, datetime, time};
use tokio_postgres::Client;
use uuid::Uuid;

use crate::support::eventually::eventually;
use crate::support::placements::TENANT;
use crate::support::tenants::{Location, Tenants};
use crate::support::{Customer, Event, Invoice, NewCustomer, NewEvent, NewInvoice};

/// Writes `customers` customers named `{prefix}{n}`, each with an invoice
/// and an event.
pub(super) async fn fill(tenant: &Tenant, prefix: &str, customers: usize) {
    for n in 0..customers {
        let customer = tenant
            .insert(NewCustomer::named(&format!("{prefix}{n}")))
            .returning()
            .one()
            .await
            .unwrap();
        tenant
            .insert(NewInvoice {
                id: Uuid::new_v4(),
                customer_id: customer.id,
                amount_cents: 100 + n as i64,
                paid: n % 2 == 0,
                note: (n % 3 == 0).then(|| format!("note {n}")),
                created_at: time::OffsetDateTime::now_utc(),
            })
            .exec()
            .await
            .unwrap();
        tenant
            .insert(NewEvent {
                id: n as i64,
                small: -3,
                medium: 70_000 + n as i32,
                ratio: 0.1 + n as f32,
                score: (n % 2 == 1).then_some(1.0 / 3.0),
                payload: vec![0, 1, 2, 255, n as u8],
                details: serde_json::json!({"n": n, "tags": ["a", "b"]}),
                day: date!(2026 - 11 - 23),
                at_time: time!(12:34:56.789),
                local_at: datetime!(2026-11-23 12:34:56.123456),
            })
            .exec()
            .await
            .unwrap();
    }
}

/// Everything of a tenant, as its handle reads it, in a stable order.
#[derive(Debug, PartialEq)]
pub(super) struct Contents {
    pub(super) customers: Vec<Customer>,
    pub(super) invoices: Vec<Invoice>,
    pub(super) events: Vec<Event>,
}

/// Reads everything of `tenant`.
pub(super) async fn contents(tenant: &Tenant) -> Result<Contents, Error> {
    let mut customers = tenant.select::<Customer>().all().await?;
    customers.sort_by_key(|customer| customer.id);
    let mut invoices = tenant.select::<Invoice>().all().await?;
    invoices.sort_by_key(|invoice| invoice.id);
    let mut events = tenant.select::<Event>().all().await?;
    events.sort_by_key(|event| event.id);
    Ok(Contents {
        customers,
        invoices,
        events,
    })
}

/// The destination of `placement` on `server`.
pub(super) fn to(placement: PlacementKind, server: &str) -> Destination {
    Destination::new(placement).on_server(server)
}

/// Relocates `id` to `destination` with the test migrations.
pub(super) async fn relocate(
    tenants: &Tenants,
    id: TenantId,
    destination: &Destination,
) -> RelocationReport {
    tenants
        .world
        .operator
        .relocate(id, destination, &TENANT)
        .await
        .unwrap_or_else(|error| panic!("relocate {id} to {destination:?}: {error}"))
}

/// How many rows of `id` the customers table of `place` holds, read by a
/// superuser; `None` if its schema or database is gone.
pub(super) async fn customers_at(tenants: &Tenants, place: &Place, id: TenantId) -> Option<i64> {
    let (database, schema) = match &place.placement {
        Placement::Pool => (None, "public".to_owned()),
        Placement::Schema(schema) => (None, schema.as_str().to_owned()),
        Placement::Database(database) => (Some(database.as_str()), "public".to_owned()),
    };
    let admin = tenants.world.admin(&place.server, None).await;
    if let Some(database) = database {
        let exists: bool = admin
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)",
                &[&database],
            )
            .await
            .unwrap()
            .get(0);
        if !exists {
            return None;
        }
    }
    let admin = tenants.world.admin(&place.server, database).await;
    let exists: bool = admin
        .query_one(
            "SELECT to_regclass(format('%I.customers', $1::text)) IS NOT NULL",
            &[&schema],
        )
        .await
        .unwrap()
        .get(0);
    if !exists {
        return None;
    }
    let count = admin
        .query_one(
            &format!("SELECT count(*) FROM \"{schema}\".customers WHERE tenant_id = $1"),
            &[&id.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    Some(count)
}

/// A handle of `id` made by `db` once it routes to `place` (its registry
/// notification may come a moment after the flip).
pub(super) async fn handle_at(db: &Tenantry, id: TenantId, place: &Place) -> Tenant {
    let tenant = eventually(
        Duration::from_secs(10),
        || async { db.tenant(id).await.unwrap() },
        |tenant| tenant.placement() == &place.placement && tenant.server() == place.server,
    )
    .await;
    assert_eq!(
        tenant.placement(),
        &place.placement,
        "never routed to {place}"
    );
    tenant
}

/// Whether `result` is the refusal of a handle made before its tenant moved.
pub(super) fn moved<T>(result: &Result<T, Error>, id: TenantId) -> bool {
    matches!(result, Err(Error::TenantMoved { id: moved }) if *moved == id)
}

/// The indexes and constraints of the tenant tables in `client`'s `public`
/// schema, each `table name definition`, sorted.
pub(super) async fn keys_and_indexes(client: &Client) -> Vec<String> {
    let rows = client
        .query(
            "SELECT format('%s %s %s', tablename, indexname, indexdef) FROM pg_indexes
             WHERE schemaname = 'public' AND tablename IN ('customers', 'invoices', 'events')
             UNION ALL
             SELECT format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
             FROM pg_constraint
             WHERE conrelid IN ('public.customers'::regclass, 'public.invoices'::regclass,
                                'public.events'::regclass)
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

/// Where `place`'s rows are.
pub(super) fn location(place: &Place) -> Location {
    Location::of(&place.server, &place.placement)
}
