//! What a connection holds, read from the server: its backend, its tenant
//! context, and the application role's backends left inside a transaction.

use std::time::Duration;

use tenantry::Tenant;
use tokio_postgres::Client;

/// The server process behind the connection `tenant`'s next statement gets.
pub async fn backend_pid(tenant: &Tenant) -> i32 {
    tenant
        .raw_query("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()[0]
        .get(0)
}

/// The tenant setting `tenant`'s statements run with.
pub async fn context_of(tenant: &Tenant) -> String {
    tenant
        .raw_query("SELECT current_setting('tenantry.tenant_id', true)", &[])
        .await
        .unwrap()[0]
        .get(0)
}

/// Backends of `role` that sit inside a transaction.
pub async fn idle_in_transaction(admin: &Client, role: &str) -> i64 {
    // A moment for the server to process what a dropped future left queued.
    tokio::time::sleep(Duration::from_millis(50)).await;
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state LIKE 'idle in transaction%'",
            &[&role],
        )
        .await
        .unwrap()
        .get(0)
}
