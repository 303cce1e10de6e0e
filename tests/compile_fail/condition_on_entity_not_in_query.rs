//! A condition on an entity the query does not read from is a compile error,
//! not an SQL error at run time.
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
        .filter(Customer::NAME.eq("Ada".to_owned()));
}
