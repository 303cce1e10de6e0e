//! What a tenant sees: its rows read every way, who owns returned rows, the
//! connection it is on, and what the global handle sees of tenant rows.

use futures_util::TryStreamExt;
use tokio_postgres::Client;
use uuid::Uuid;

use super::Seeded;
use crate::support::{Customer, Invoice};
use tenantry::{Entity, Error, Tenant, TenantId, Tenantry};

/// A tenant's rows as its own handle reads them, ordered by id.
#[derive(Debug, PartialEq)]
pub struct View {
    pub customers: Vec<Customer>,
    pub invoices: Vec<Invoice>,
}

impl View {
    /// Reads `tenant`'s rows; panics if a statement fails.
    pub async fn of(tenant: &Tenant) -> Self {
        Self::read(tenant).await.expect("read a tenant's rows")
    }

    /// Reads `tenant`'s rows.
    pub async fn read(tenant: &Tenant) -> Result<Self, Error> {
        let customers = tenant
            .select::<Customer>()
            .order_by(Customer::ID.asc())
            .all()
            .await?;
        let invoices = tenant
            .select::<Invoice>()
            .order_by(Invoice::ID.asc())
            .all()
            .await?;
        Ok(Self {
            customers,
            invoices,
        })
    }
}

/// Asserts that every one of `rows` belongs to `tenant`.
pub fn assert_owned<R: Owned>(tenant: &Tenant, rows: &[R], what: &str) {
    for row in rows {
        assert_eq!(
            row.owner(),
            tenant.tenant(),
            "{what} returned a row of another tenant: {row:?}"
        );
    }
}

/// A tenant-scoped row that says whose it is.
pub trait Owned: std::fmt::Debug {
    fn owner(&self) -> TenantId;
}

impl Owned for Customer {
    fn owner(&self) -> TenantId {
        self.tenant_id
    }
}

impl Owned for Invoice {
    fn owner(&self) -> TenantId {
        self.tenant_id
    }
}

/// The server process behind the connection `tenant`'s next statement gets.
pub async fn backend_pid(tenant: &Tenant) -> i32 {
    tenant
        .raw_query("SELECT pg_backend_pid()", &[])
        .await
        .expect("read the backend pid")[0]
        .get(0)
}

/// Asserts that `tenant` is in its own context and reads exactly `expected`,
/// through the builder, a stream and hand-written SQL without a tenant filter.
pub async fn assert_sees_exactly(tenant: &Tenant, expected: &View, when: &str) {
    let fail = |error: Error| -> ! { panic!("{when}: a statement failed: {error}") };
    let context: String = tenant
        .raw_query(
            "SELECT coalesce(current_setting('tenantry.tenant_id', true), '')",
            &[],
        )
        .await
        .unwrap_or_else(|error| fail(error))[0]
        .get(0);
    assert_eq!(
        context,
        tenant.tenant().to_string(),
        "{when}: the tenant context"
    );
    let built = View::read(tenant).await.unwrap_or_else(|error| fail(error));
    assert_eq!(&built, expected, "{when}: the builder read other rows");
    let mut streamed: Vec<Invoice> = tenant
        .select::<Invoice>()
        .stream()
        .await
        .unwrap_or_else(|error| fail(error))
        .try_collect()
        .await
        .unwrap_or_else(|error| fail(error));
    streamed.sort_by_key(|invoice| invoice.id);
    assert_eq!(
        streamed, expected.invoices,
        "{when}: a stream read other rows"
    );
    let raw: Vec<(Uuid, Uuid, String)> = tenant
        .raw_query("SELECT tenant_id, id, name FROM customers ORDER BY id", &[])
        .await
        .unwrap_or_else(|error| fail(error))
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let wanted: Vec<(Uuid, Uuid, String)> = expected
        .customers
        .iter()
        .map(|customer| {
            (
                customer.tenant_id.as_uuid(),
                customer.id,
                customer.name.clone(),
            )
        })
        .collect();
    assert_eq!(raw, wanted, "{when}: hand-written SQL read other rows");
}

/// A view of every customer in the main server's pool table, read with the
/// privileges of whoever queries it (so row-level security applies), and a
/// global entity over it: what the global handle can see of tenant rows.
pub const POOL_CUSTOMERS_VIEW: &str =
    "CREATE OR REPLACE VIEW shared.pool_customers WITH (security_invoker = true) AS
     SELECT id, tenant_id AS owner, name FROM public.customers";

/// A pool customer as the global handle sees it, through [`POOL_CUSTOMERS_VIEW`].
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "pool_customers", global, schema = "shared")]
pub struct PoolCustomer {
    #[entity(primary_key)]
    pub id: Uuid,
    pub owner: Uuid,
    pub name: String,
}

/// Creates [`POOL_CUSTOMERS_VIEW`] in the main test database, readable by the application.
pub async fn create_pool_customers_view(seeded: &Seeded) {
    let admin: Client = seeded.tenants.world.main.admin().await;
    admin
        .batch_execute(&format!(
            "{POOL_CUSTOMERS_VIEW}; GRANT SELECT ON shared.pool_customers TO {}",
            seeded.tenants.world.main.app_role
        ))
        .await
        .expect("create the pool customers view");
}

/// The pool customers the global handle sees.
pub async fn seen_by_the_global_handle(db: &Tenantry) -> Result<Vec<PoolCustomer>, Error> {
    db.global().select::<PoolCustomer>().all().await
}
