//! An entity must say whose rows it holds: `tenant_scoped` or `global`.
use tenantry::Entity;

#[derive(Entity)]
#[entity(table = "plans")]
pub struct Plan {
    #[entity(primary_key)]
    pub id: String,
    pub max_seats: i32,
}

fn main() {}
