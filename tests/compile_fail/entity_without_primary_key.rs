//! An entity must mark its primary key.
use tenantry::{Entity, TenantId};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub amount_cents: i64,
}

fn main() {}
