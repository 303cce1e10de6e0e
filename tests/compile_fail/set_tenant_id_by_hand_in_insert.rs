//! The insert row of a tenant-scoped entity has no `tenant_id`: the handle
//! supplies it, so a row cannot be inserted for another tenant.
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
    let _ = db.insert(NewInvoice {
        id: Uuid::nil(),
        tenant_id: TenantId::random(),
        amount_cents: 100,
    });
}
