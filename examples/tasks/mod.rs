//! The tenant tables of the examples that keep tasks: `tasks`, under
//! row-level security, and its entity.

use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
use tenantry::ops::{Migrations, Operator};
use tenantry::prelude::*;

/// A task of one tenant.
#[derive(Entity, Debug, Clone)]
#[entity(table = "tasks", tenant_scoped)]
pub struct Task {
    /// Unique within its tenant.
    #[entity(primary_key)]
    pub id: Uuid,
    /// Its tenant, supplied by the scope.
    pub tenant_id: TenantId,
    /// What is to be done.
    pub title: String,
}

/// The tenant tables: `tasks`, under row-level security.
pub static TENANT: MigrationSet = tenantry::embed_migrations!("examples/migrations/tenant");

/// Brings every target of `operator` up to date with the tasks tables (and
/// no global tables); a target that failed fails the call.
pub async fn migrate(operator: &Operator) -> Result<(), Box<dyn std::error::Error>> {
    let migrations = Migrations {
        shared: MigrationSet::new(&[]),
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
