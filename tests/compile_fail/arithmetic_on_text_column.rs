//! `add`, `sub` and `mul` apply to numeric columns only.
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

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db
        .update::<Customer>()
        .set_expr(Customer::NAME, Customer::NAME.add("!".to_owned()));
}
