//! The tenant column cannot be set through an expression either.
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
        .set_expr(Invoice::TENANT_ID, Invoice::TENANT_ID);
}
