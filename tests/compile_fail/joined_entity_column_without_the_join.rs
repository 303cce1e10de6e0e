//! A joined entity's columns can be named only after the join that brings
//! it in: before `left_join_entity`, a condition on it does not compile.
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
}

fn main() {
    let db = TenantScoped::shared(TenantId::random());
    let _ = db
        .select::<Invoice>()
        .filter(Customer::NAME.eq("Ada"))
        .left_join_entity::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID));
}
