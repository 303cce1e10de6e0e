//! One application, three tenants, three placements, two servers.
//!
//! The operator migrates both servers and provisions one tenant in each
//! placement: `hybrid_acme` in the shared tables of the main server,
//! `hybrid_globex` in a schema of its own on the main server,
//! `hybrid_initech` in a database of its own on the second server. The application then connects as an ordinary role,
//! finds each tenant through the registry, and runs the same code for all
//! three: add a task (the same id for every tenant), list the tasks. Each
//! sees only its own. Last, it drops everything it created.
//!
//! ```text
//! cargo run --example hybrid
//! ```
//!
//! The main server's administrator URL defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres` (`TENANTRY_ADMIN_URL`), the
//! second server's to `postgres://postgres@127.0.0.1:5433/postgres`
//! (`TENANTRY_SECOND_URL`); both must be superusers' URLs, and both servers
//! must trust local connections (the application role has no password). If a
//! server does not answer, the example says which and exits with status 1: a
//! second local server can be made with, for instance, `pg_createcluster 15
//! second --port 5433 --start -- --auth-host=trust --auth-local=trust`. What
//! has nothing to do with tenantry (the administrator's connections, making
//! and dropping the databases and the role) is in `setup/`.

mod setup;
pub mod tasks;

use std::process::ExitCode;

use setup::{Result, with_setting};
use tenantry::ops::{NewTenant, Operator, PlacementKind};
use tenantry::prelude::*;
use tenantry::{MAIN_SERVER, Tenant, TenantRecord};
use tokio_postgres::Client;

use tasks::{NewTask, TENANT, Task};

/// The example's database on each server: the registry (on the main server),
/// the shared tables, the schema tenants.
const DATABASE: &str = "tenantry_hybrid";
/// The template each server keeps for new database tenants.
const TEMPLATE: &str = "tenantry_hybrid_template";
/// The application's role, on both servers.
const APP_ROLE: &str = "tenantry_hybrid_app";
/// The second server's name, to the operator and the application alike.
const SECOND: &str = "second";

/// Each tenant's slug, placement and server. A schema or database tenant's
/// schema or database is named `tenant_<slug>`.
const TENANTS: [(&str, PlacementKind, &str); 3] = [
    ("hybrid_acme", PlacementKind::Pool, MAIN_SERVER),
    ("hybrid_globex", PlacementKind::Schema, MAIN_SERVER),
    ("hybrid_initech", PlacementKind::Database, SECOND),
];

/// The id every tenant gives its task: ids need only be unique within a tenant.
const TASK_ID: Uuid = Uuid::from_u128(1);

/// Application code: adds a task for `tenant`, wherever it lives.
async fn add_task(tenant: &Tenant, title: &str) -> std::result::Result<(), tenantry::Error> {
    let task = NewTask {
        id: TASK_ID,
        title: title.to_owned(),
    };
    tenant.insert(task).exec().await?;
    Ok(())
}

/// Application code: the tasks `tenant` sees, wherever it lives.
async fn tasks(tenant: &Tenant) -> std::result::Result<Vec<Task>, tenantry::Error> {
    tenant
        .select::<Task>()
        .order_by(Task::TITLE.asc())
        .all()
        .await
}

#[tokio::main]
async fn main() -> ExitCode {
    let main_url = setup::admin_url("TENANTRY_ADMIN_URL", 5432);
    let second_url = setup::admin_url("TENANTRY_SECOND_URL", 5433);
    setup::exit_status("hybrid", run(&main_url, &second_url).await)
}

/// Runs the example on the servers of `main_url` and `second_url` (superusers'
/// URLs), and drops what it created whether it succeeds or not. Fails, having
/// created nothing, if either server does not answer, and fails if a tenant
/// sees another's rows.
pub async fn run(main_url: &str, second_url: &str) -> Result<()> {
    let main = setup::connect(main_url, "TENANTRY_ADMIN_URL").await?;
    let second = setup::connect(second_url, "TENANTRY_SECOND_URL").await?;
    clean_up(&main, &second).await?; // what an interrupted run left
    let outcome = demo(main_url, second_url, &main, &second).await;
    clean_up(&main, &second).await?;
    println!("\ndropped the example's databases and role on both servers");
    outcome
}

/// Drops, on both servers, the example's databases (its own, the template,
/// its tenants') and its role, if they exist.
async fn clean_up(main: &Client, second: &Client) -> Result<()> {
    let tenant_databases = TENANTS.map(|(slug, _, _)| format!("tenant_{slug}"));
    let mut databases = vec![DATABASE, TEMPLATE];
    databases.extend(tenant_databases.iter().map(String::as_str));
    for admin in [main, second] {
        setup::drop_all(admin, &databases, APP_ROLE).await?;
    }
    Ok(())
}

/// Creates the role and the database on both servers, then plays the
/// operator's part and the application's.
async fn demo(main_url: &str, second_url: &str, main: &Client, second: &Client) -> Result<()> {
    for admin in [main, second] {
        setup::create(admin, DATABASE, APP_ROLE).await?;
    }
    let main_url = with_setting(main_url, "dbname", DATABASE);
    let second_url = with_setting(second_url, "dbname", DATABASE);
    let tenants = operate(&main_url, &second_url).await?;
    let app = Config::new(&with_setting(&main_url, "user", APP_ROLE))?
        .server(SECOND, &with_setting(&second_url, "user", APP_ROLE))?
        .registry();
    serve(app, &tenants).await
}

/// The operator's part, as a superuser of both servers: migrates them and
/// provisions the tenants.
async fn operate(main_url: &str, second_url: &str) -> Result<Vec<TenantRecord>> {
    let operator = Operator::new(Config::new(main_url)?.server(SECOND, second_url)?)
        .grant_to(APP_ROLE)?
        .template_database(TEMPLATE)?;
    tasks::migrate(&operator).await?;
    println!("migrated both servers");
    let mut tenants = Vec::new();
    for (slug, placement, server) in TENANTS {
        let tenant = NewTenant::new(slug, placement).on_server(server);
        let record = operator.provision(&tenant, &TENANT).await?;
        println!("provisioned {slug}: {} on {server}", record.placement);
        tenants.push(record);
    }
    Ok(tenants)
}

/// The application's part, as an ordinary role on both servers, finding
/// each tenant through the registry: the same code for every tenant.
async fn serve(config: Config, tenants: &[TenantRecord]) -> Result<()> {
    let db = Tenantry::connect(config).await?;
    for record in tenants {
        let tenant = db.tenant(record.id).await?;
        add_task(&tenant, &format!("{}'s task", record.slug)).await?;
    }
    println!("\neach tenant added a task with id {TASK_ID}; what each one sees:");
    for record in tenants {
        let seen = tasks(&db.tenant(record.id).await?).await?;
        let titles: Vec<&str> = seen.iter().map(|task| task.title.as_str()).collect();
        println!("  {:<16} {titles:?}", record.slug);
        if titles != [format!("{}'s task", record.slug)] {
            let slug = &record.slug;
            return Err(format!("{slug} sees other tenants' tasks: isolation is broken").into());
        }
    }
    Ok(())
}
