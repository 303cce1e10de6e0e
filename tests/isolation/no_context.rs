//! Without any tenant context, the application role sees and changes
//! nothing: a plain connection as that role (no library, no tenant setting,
//! or an empty one) reads zero rows of every placement's tables, where the
//! administrator sees every tenant's, and cannot insert, update or delete;
//! and the global handle sees no tenant's rows either.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use super::{Seeded, create_pool_customers_view, seen_by_the_global_handle};
use crate::support::tenants::{Location, TABLES};

#[tokio::test]
async fn the_application_role_without_a_context_sees_and_changes_nothing() {
    let seeded = Seeded::everywhere().await;
    let before = seeded.snapshot().await;
    for location in seeded.tenants.locations() {
        let app = seeded.tenants.app_client(&location).await;
        let setting: Option<String> = app
            .query_one("SELECT current_setting('tenantry.tenant_id', true)", &[])
            .await
            .unwrap()
            .get(0);
        assert!(setting.unwrap_or_default().is_empty(), "{location:?}");
        assert_sees_and_changes_nothing(&seeded, &location, &app).await;
        app.batch_execute("SET tenantry.tenant_id = ''")
            .await
            .unwrap();
        assert_sees_and_changes_nothing(&seeded, &location, &app).await;
    }
    seeded.assert_only_changed(&before, None).await;
}

async fn assert_sees_and_changes_nothing(seeded: &Seeded, location: &Location, app: &Client) {
    let admin = seeded.tenants.admin(location).await;
    let owner = seeded
        .tenants
        .placed
        .iter()
        .find(|placed| placed.location() == *location)
        .expect("a tenant lives here")
        .uuid();
    for table in TABLES {
        let qualified = format!("\"{}\".{table}", location.schema);
        let stored = count_rows(&admin, &qualified).await;
        assert!(stored > 0, "the administrator sees rows in {qualified}");
        assert_eq!(
            count_rows(app, &qualified).await,
            0,
            "{qualified} at {location:?}"
        );
        for write in [
            format!("UPDATE {qualified} SET tenant_id = tenant_id"),
            format!("DELETE FROM {qualified}"),
        ] {
            assert_eq!(
                app.execute(&write, &[]).await.unwrap(),
                0,
                "{write} at {location:?}"
            );
        }
    }
    let planted = app
        .execute(
            &format!(
                "INSERT INTO \"{}\".customers (tenant_id, id, name) VALUES ($1, $2, 'no context')",
                location.schema
            ),
            &[&owner, &Uuid::new_v4()],
        )
        .await;
    let code = planted.as_ref().err().and_then(|error| error.code());
    assert_eq!(
        code,
        Some(&SqlState::INSUFFICIENT_PRIVILEGE),
        "an insert without context at {location:?}: {planted:?}"
    );
}

async fn count_rows(client: &Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn the_global_handle_sees_no_tenants_rows() {
    let seeded = Seeded::everywhere().await;
    create_pool_customers_view(&seeded).await;
    let seen = seen_by_the_global_handle(&seeded.db).await.unwrap();
    assert!(seen.is_empty(), "{seen:?}");
    // The view itself does show the pool's rows to a tenant, so it can show a leak.
    let pool_tenant = seeded.handle("pool_main_a");
    let visible: i64 = pool_tenant
        .raw_query("SELECT count(*) FROM shared.pool_customers", &[])
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(visible as usize, super::SEEDED_CUSTOMERS);
}
