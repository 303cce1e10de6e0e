//! A projects-and-tasks domain for the report and join suites: two
//! tenant-scoped tables and two tenants seeded with different numbers, so
//! that a leak between them changes every answer.

use rust_decimal::Decimal;
use tenantry::{Entity, Tenant, TenantId};

use super::database::TestDatabase;

pub const SCHEMA: &str = "
    CREATE TABLE projects (
        id bigint NOT NULL,
        tenant_id uuid NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (tenant_id, id)
    );
    CREATE TABLE tasks (
        id bigint NOT NULL,
        tenant_id uuid NOT NULL,
        project_id bigint NOT NULL,
        title text NOT NULL,
        hours integer NOT NULL,
        cost numeric(12, 2) NOT NULL,
        owner text,
        PRIMARY KEY (tenant_id, id)
    );";

#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "projects", tenant_scoped)]
pub struct Project {
    #[entity(primary_key)]
    pub id: i64,
    pub tenant_id: TenantId,
    pub name: String,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "tasks", tenant_scoped)]
pub struct Task {
    #[entity(primary_key)]
    pub id: i64,
    pub tenant_id: TenantId,
    pub project_id: i64,
    pub title: String,
    pub hours: i32,
    pub cost: Decimal,
    pub owner: Option<String>,
}

pub fn task(
    id: i64,
    project_id: i64,
    title: &str,
    hours: i32,
    cost: i64,
    owner: Option<&str>,
) -> NewTask {
    NewTask {
        id,
        project_id,
        title: title.to_owned(),
        hours,
        cost: Decimal::new(cost, 2),
        owner: owner.map(str::to_owned),
    }
}

/// Two tenants: acme with projects 1 (three tasks) and 2 (none), globex
/// with the same ids and bigger, different numbers everywhere.
pub async fn seeded(database: &TestDatabase) -> (Tenant, Tenant) {
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let globex = db.tenant(TenantId::random()).await.unwrap();
    for (tenant, names) in [(&acme, ["Web", "Idle"]), (&globex, ["Other", "Busy"])] {
        tenant
            .insert_many(names.iter().zip(1..).map(|(name, id)| NewProject {
                id,
                name: (*name).to_owned(),
            }))
            .exec()
            .await
            .unwrap();
    }
    acme.insert_many([
        task(1, 1, "Design 50%_off page", 3, 15_000, Some("ada")),
        task(2, 1, "design review", 5, 25_050, Some("ada")),
        task(3, 1, "Deploy", 1, 99, None),
    ])
    .exec()
    .await
    .unwrap();
    globex
        .insert_many([
            task(1, 1, "Design", 100, 100_000, Some("ada")),
            task(2, 2, "Design 50% more", 200, 200_000, Some("bob")),
            task(3, 2, "design", 300, 300_000, Some("ada")),
            task(4, 2, "x", 400, 400_000, None),
        ])
        .exec()
        .await
        .unwrap();
    (acme, globex)
}

/// A database with the domain's tables under row-level security.
pub async fn database() -> TestDatabase {
    TestDatabase::create_with(SCHEMA, &["projects", "tasks"]).await
}
