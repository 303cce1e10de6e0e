//! A tenant-scoped entity is inserted as its generated `New…` row, never as
//! the entity itself (which carries a `tenant_id`).
use tenantry::{Entity, TenantId, TenantScoped};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub amount_cents: i64,
}

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db.insert(Invoice {
        id: Uuid::nil(),
        tenant_id: TenantId::random(),
        amount_cents: 100,
    });
}
