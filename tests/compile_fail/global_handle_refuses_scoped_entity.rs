//! The global handle builds statements on global entities only: selecting a
//! tenant-scoped entity through it does not compile.
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
    let _ = global.select::<Invoice>();
}
