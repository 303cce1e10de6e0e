//! A subquery correlated with an entity can only be used in a statement
//! that reads that entity.
use tenantry::{Entity, Filter, TenantId, TenantScoped};
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
    let invoices = db
        .select::<Invoice>()
        .correlate::<Customer>()
        .filter(Invoice::CUSTOMER_ID.eq_column(Customer::ID));
    // The outer statement reads invoices, not customers.
    let _ = db.select::<Invoice>().filter(Filter::exists(invoices));
}
