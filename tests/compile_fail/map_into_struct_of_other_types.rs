//! A struct filled from selected columns has their types, in their order.
use tenantry::{Entity, FromColumns, TenantId, TenantScoped};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub customer: String,
    pub amount_cents: i64,
}

/// The fields in the wrong order: a total before the customer.
#[derive(FromColumns)]
pub struct Revenue {
    pub total: Option<i64>,
    pub customer: String,
}

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db
        .select::<Invoice>()
        .columns((Invoice::CUSTOMER, Invoice::AMOUNT_CENTS.sum()))
        .group_by(Invoice::CUSTOMER)
        .map_into::<Revenue>();
}
