//! A SELECT of tenant-scoped rows can only come from a `TenantScoped` handle:
//! a `Select` cannot be constructed directly, around the handles.
use tenantry::{Entity, GlobalScope, Select, TenantId};
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
    let _ = Select::<GlobalScope, Invoice>::new(&global);
}
