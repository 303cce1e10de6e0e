//! The tenant column cannot be assigned: an UPDATE cannot move rows to
//! another tenant.
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
    let _ = db
        .update::<Invoice>()
        .set(Invoice::TENANT_ID, TenantId::random());
}
