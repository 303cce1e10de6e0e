//! The setting of the isolation tests: tenants in every placement seeded
//! with the same ids and values, snapshots of everybody's rows, and an
//! application with one connection per pool.

use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use super::View;
use crate::support::placements::SECOND;
use crate::support::tenants::{Dump, EVERY_PLACEMENT, Placed, Spot, Tenants};
use crate::support::{NewCustomer, NewInvoice};
use tenantry::{MAIN_SERVER, Tenant, TenantId, Tenantry};

/// Customer ids every tenant has.
pub const SHARED_CUSTOMERS: [Uuid; 3] = [
    Uuid::from_u128(0xc1),
    Uuid::from_u128(0xc2),
    Uuid::from_u128(0xc3),
];

/// Invoice ids every tenant has, with their customer and amount (the same in
/// every tenant too).
pub const SHARED_INVOICES: [(Uuid, Uuid, i64); 4] = [
    (Uuid::from_u128(0x11), SHARED_CUSTOMERS[0], 100),
    (Uuid::from_u128(0x12), SHARED_CUSTOMERS[0], 200),
    (Uuid::from_u128(0x13), SHARED_CUSTOMERS[1], 300),
    (Uuid::from_u128(0x14), SHARED_CUSTOMERS[2], 400),
];

/// The customers each tenant is seeded with: the shared ones and its private one.
pub const SEEDED_CUSTOMERS: usize = SHARED_CUSTOMERS.len() + 1;

const CREATED_AT: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);

/// The id of the customer only `tenant` has (its own id, which no other tenant uses).
pub fn private_customer(tenant: TenantId) -> Uuid {
    tenant.as_uuid()
}

/// A customer to insert, without an email.
pub fn new_customer(id: Uuid, name: impl Into<String>) -> NewCustomer {
    NewCustomer {
        id,
        name: name.into(),
        email: None,
    }
}

/// Writes `label`'s seed rows into `tenant`.
pub async fn seed(tenant: &Tenant, label: &str) {
    let customers = SHARED_CUSTOMERS
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, format!("{label} customer {n}")))
        .chain([(
            private_customer(tenant.tenant()),
            format!("{label} private"),
        )])
        .map(|(id, name)| NewCustomer {
            id,
            name,
            email: Some("billing@example.com".to_owned()),
        });
    tenant
        .insert_many(customers)
        .exec()
        .await
        .expect("seed customers");
    let invoices = SHARED_INVOICES
        .iter()
        .map(|&(id, customer_id, amount_cents)| NewInvoice {
            id,
            customer_id,
            amount_cents,
            paid: false,
            note: Some(label.to_owned()),
            created_at: CREATED_AT,
        });
    tenant
        .insert_many(invoices)
        .exec()
        .await
        .expect("seed invoices");
}

/// Everybody's rows at one moment: each tenant's view and the administrator's dump.
pub struct Snapshot {
    views: Vec<View>,
    dump: Dump,
}

/// Tenants provisioned, connected and seeded.
/// The application is declared first, so that it is closed before the
/// tenants' databases are dropped.
pub struct Seeded {
    pub db: Tenantry,
    pub handles: Vec<Tenant>,
    pub tenants: Tenants,
}

impl Seeded {
    /// A tenant in every placement on both servers.
    pub async fn everywhere() -> Self {
        Self::at(&EVERY_PLACEMENT).await
    }

    /// A tenant at each of `spots`.
    pub async fn at(spots: &[Spot]) -> Self {
        let tenants = Tenants::provision(spots).await;
        let db = tenants.connect().await;
        let handles = tenants.handles(&db).await;
        for (placed, tenant) in tenants.placed.iter().zip(&handles) {
            seed(tenant, placed.label).await;
        }
        Self {
            db,
            handles,
            tenants,
        }
    }

    /// Each tenant with its handle.
    pub fn each(&self) -> impl Iterator<Item = (&Placed, &Tenant)> {
        self.tenants.placed.iter().zip(&self.handles)
    }

    /// The handle of the tenant labelled `label`.
    pub fn handle(&self, label: &str) -> &Tenant {
        let id = self.tenants.get(label).record.id;
        self.handles
            .iter()
            .find(|tenant| tenant.tenant() == id)
            .expect("every tenant has a handle")
    }

    /// The ids of every tenant but `placed`.
    pub fn others(&self, placed: &Placed) -> Vec<TenantId> {
        self.tenants
            .placed
            .iter()
            .filter(|other| other.record.id != placed.record.id)
            .map(|other| other.record.id)
            .collect()
    }

    /// Each tenant's rows as its own handle reads them, in provisioning order.
    pub async fn views(&self) -> Vec<View> {
        let mut views = Vec::new();
        for tenant in &self.handles {
            views.push(View::of(tenant).await);
        }
        views
    }

    /// Everybody's rows now.
    pub async fn snapshot(&self) -> Snapshot {
        Snapshot {
            views: self.views().await,
            dump: self.tenants.dump().await,
        }
    }

    /// Asserts that from `before` to now nobody's rows changed but `actor`'s,
    /// as every other tenant reads them and as the administrator does.
    pub async fn assert_only_changed(&self, before: &Snapshot, actor: Option<&Placed>) {
        let after = self.snapshot().await;
        for ((placed, old), new) in self
            .tenants
            .placed
            .iter()
            .zip(&before.views)
            .zip(&after.views)
        {
            if Some(placed.record.id) != actor.map(|actor| actor.record.id) {
                assert_eq!(
                    old,
                    new,
                    "{}'s rows changed while {} worked",
                    placed.label,
                    actor.map_or("nobody", |actor| actor.label)
                );
            }
        }
        self.tenants
            .assert_only_changed(&before.dump, &after.dump, actor);
    }
}

/// The tenants that share each server's own pool (pool and schema
/// placements), by server, in the order they take turns on it.
pub const SHARING: [(&str, [&str; 3]); 2] = [
    (MAIN_SERVER, ["pool_main_a", "schema_main", "pool_main_b"]),
    (SECOND, ["pool_second_a", "schema_second", "pool_second_b"]),
];

/// The tenants' handles on an application with one connection per pool,
/// and the rows each must see.
pub struct OneConnection {
    pub db: Tenantry,
    pub handles: Vec<Tenant>,
    pub expected: Vec<View>,
    pub seeded: Seeded,
}

impl OneConnection {
    /// A tenant in every placement on both servers.
    pub async fn everywhere() -> Self {
        Self::at(&EVERY_PLACEMENT).await
    }

    /// Only the tenants of [`SHARING`].
    pub async fn sharing_servers() -> Self {
        let spots: Vec<Spot> = EVERY_PLACEMENT
            .into_iter()
            .filter(|(label, _, _)| SHARING.iter().any(|(_, turns)| turns.contains(label)))
            .collect();
        Self::at(&spots).await
    }

    async fn at(spots: &[Spot]) -> Self {
        let seeded = Seeded::at(spots).await;
        let expected = seeded.views().await;
        let db = seeded.tenants.connect_single().await;
        let handles = seeded.tenants.handles(&db).await;
        Self {
            db,
            handles,
            expected,
            seeded,
        }
    }

    /// The handle of the tenant labelled `label`, and the rows it must see.
    pub fn get(&self, label: &str) -> (&Tenant, &View) {
        let at = self
            .seeded
            .tenants
            .placed
            .iter()
            .position(|placed| placed.label == label)
            .expect("a provisioned label");
        (&self.handles[at], &self.expected[at])
    }
}
