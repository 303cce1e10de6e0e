//! Selected columns must belong to the entities the query reads from.
use tenantry::{Entity, TenantId, TenantScoped};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "invoices", tenant_scoped)]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub customer_id: Uuid,
}

#[derive(Entity)]
#[entity(table = "customers", tenant_scoped)]
pub struct Customer {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub name: String,
}

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db
        .select::<Invoice>()
        .columns((Invoice::ID, Customer::NAME));
}
