//! An aggregate of an entity the query does not read does not compile.
use tenantry::{Entity, TenantId, TenantScoped};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "customers", tenant_scoped)]
pub struct Customer {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
}

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub customer_id: Uuid,
    pub amount_cents: i64,
}

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db
        .select::<Invoice>()
        .columns((Invoice::CUSTOMER_ID, Customer::ID.count()))
        .group_by(Invoice::CUSTOMER_ID);
}
