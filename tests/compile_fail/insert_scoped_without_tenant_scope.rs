//! An INSERT of a tenant-scoped row needs a `TenantScoped` handle: the global
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
    let _ = global.insert(NewInvoice {
        id: Uuid::nil(),
        amount_cents: 100,
    });
}
