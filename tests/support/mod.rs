//! Entities shared by the test suites: an invoicing domain with two
//! tenant-scoped tables and one global table.

#![allow(dead_code)]

use tenantry::{Entity, TenantId};
use time::OffsetDateTime;
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

/// A subscription plan, shared by every tenant.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "plans", global, schema = "shared")]
pub struct Plan {
    #[entity(primary_key)]
    pub id: String,
    pub max_seats: i32,
    pub price: f64,
}
