//! A tenant-scoped entity must have a `tenant_id: TenantId` field; the derive
//! says so at the struct.
use tenantry::Entity;
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub amount_cents: i64,
}

fn main() {}
