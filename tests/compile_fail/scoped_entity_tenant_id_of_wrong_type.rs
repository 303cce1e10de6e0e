//! The `tenant_id` of a tenant-scoped entity is a `TenantId`, not a bare uuid;
//! the derive checks its type at the field.
use tenantry::Entity;
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub amount_cents: i64,
}

fn main() {}
