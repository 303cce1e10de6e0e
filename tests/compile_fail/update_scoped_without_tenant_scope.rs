//! An UPDATE of tenant-scoped rows needs a `TenantScoped` handle: the global
//! handle refuses it.
use tenantry::{Entity, GlobalScope, TenantId};
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
    let global = GlobalScope::new();
    let _ = global.update::<Invoice>().set(Invoice::AMOUNT_CENTS, 0);
}
