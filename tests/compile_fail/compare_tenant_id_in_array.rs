//! The tenant column cannot be compared through `= ANY` either: `TenantId`
//! is no array element.
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
        .select::<Invoice>()
        .filter(Invoice::TENANT_ID.eq_any(vec![TenantId::random()]));
}
