//! Entities shared by the test suites: an invoicing domain with two
//! tenant-scoped tables and one global table.

#![allow(dead_code)]

pub mod capture;
pub mod database;
pub mod eventually;
pub mod kills;
pub use tenantry_test_support::local_server;
pub mod notes;
pub mod placements;
pub mod pooler;
pub mod probes;
pub mod projects;
pub mod recorder;
pub mod relay;
pub mod tenants;
pub mod turns;
pub mod wire_tap;

use tenantry::{Entity, TenantId};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

/// A customer of a tenant.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "customers", tenant_scoped)]
pub struct Customer {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
    pub email: Option<String>,
}

/// An invoice of a tenant, for one of its customers.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub customer_id: Uuid,
    #[entity(column = "amount")]
    pub amount_cents: i64,
    pub paid: bool,
    pub note: Option<String>,
    pub created_at: OffsetDateTime,
}

impl NewCustomer {
    /// A new customer named `name`, with a random id and no email.
    pub fn named(name: &str) -> Self {
        Self {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            email: None,
        }
    }
}

/// Maps the `bigint` amount column of invoices to an `i32`: a schema drift
/// the compiler cannot see, so a statement on it fails on the client.
#[derive(Entity, Debug)]
#[entity(table = "invoices", tenant_scoped)]
#[allow(dead_code)] // only ever filtered on, never read
pub struct DriftedInvoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub amount: i32,
}

/// A subscription plan, shared by every tenant.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "plans", global, schema = "shared")]
pub struct Plan {
    #[entity(primary_key)]
    pub id: String,
    pub max_seats: i32,
    pub price: f64,
}

/// An entity with one field of every supported column type.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "events", tenant_scoped)]
pub struct Event {
    #[entity(primary_key)]
    pub id: i64,
    pub tenant_id: TenantId,
    pub small: i16,
    pub medium: i32,
    pub ratio: f32,
    pub score: Option<f64>,
    pub payload: Vec<u8>,
    pub details: serde_json::Value,
    pub day: Date,
    pub at_time: Time,
    pub local_at: PrimitiveDateTime,
}
