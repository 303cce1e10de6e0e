//! A statement of the global handle cannot join a tenant-scoped entity: it
//! has no tenant to constrain it with.
use tenantry::{Entity, GlobalScope, TenantId};
use uuid::Uuid;

#[derive(Entity)]
#[entity(table = "plans", global, schema = "shared")]
pub struct Plan {
    #[entity(primary_key)]
    pub id: String,
    pub max_seats: i32,
}

#[derive(Entity)]
#[entity(table = "customers", tenant_scoped)]
pub struct Customer {
    #[entity(primary_key)]
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub plan_id: String,
}

fn main() {
    let global = GlobalScope::new();
    let _ = global
        .select::<Plan>()
        .inner_join::<Customer>(Customer::PLAN_ID.eq_column(Plan::ID));
}
