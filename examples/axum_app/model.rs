//! The API's tables and their entities: the tenant tables `projects` and
//! their `tasks`, under row-level security, and the global `api_keys`.

use serde::Serialize;
use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
use tenantry::ops::{Migrations, Operator};
use tenantry::prelude::*;

/// A project of one tenant.
#[derive(Entity, Debug, Clone, Serialize)]
#[entity(table = "projects", tenant_scoped)]
pub struct Project {
    /// Unique within its tenant.
    #[entity(primary_key)]
    pub id: Uuid,
    /// Its tenant, supplied by the scope; not shown.
    #[serde(skip)]
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Whether it is finished with.
    pub archived: bool,
}

/// A task of a project.
#[derive(Entity, Debug, Clone, Serialize)]
#[entity(table = "tasks", tenant_scoped)]
pub struct Task {
    /// Unique within its tenant.
    #[entity(primary_key)]
    pub id: Uuid,
    /// Its tenant, supplied by the scope; not shown.
    #[serde(skip)]
    pub tenant_id: TenantId,
    /// Its project, of the same tenant (a foreign key with the tenant).
    pub project_id: Uuid,
    /// What is to be done.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// An API key, by its SHA-256: a global row, read to find a key's tenant.
#[derive(Entity, Debug, Clone)]
#[entity(table = "api_keys", global)]
pub struct ApiKey {
    /// The SHA-256 of the key, in hexadecimal.
    #[entity(primary_key)]
    pub hash: String,
    /// The tenant it acts for.
    pub tenant: Uuid,
}

/// The tenant tables.
pub static TENANT: MigrationSet =
    tenantry::embed_migrations!("examples/axum_app/migrations/tenant");

/// The global tables.
pub static SHARED: MigrationSet =
    tenantry::embed_migrations!("examples/axum_app/migrations/shared");

/// Brings every target of `operator` up to date; a target that failed
/// fails the call.
pub async fn migrate(operator: &Operator) -> Result<(), Box<dyn std::error::Error>> {
    let migrations = Migrations {
        shared: SHARED.clone(),
        tenant: TENANT.clone(),
    };
    let report = operator
        .migrate(&migrations, MigrateOptions::default())
        .await?;
    if !report.is_success() {
        return Err(format!("migrations failed: {report:#?}").into());
    }
    Ok(())
}
