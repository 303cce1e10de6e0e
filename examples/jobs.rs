//! Background jobs on an in-process queue (a tokio channel), each carrying
//! its tenant as a `TenantRef`.
//!
//! The operator migrates the server and provisions two tenants: `jobs_acme`
//! in the shared tables, `jobs_globex` in a schema of its own. A request
//! handler of each enqueues a job that adds a task later: the payload holds
//! the tenant's id, never a handle or a connection. Before the worker runs,
//! the operator suspends `jobs_globex`. The worker resumes each job's tenant
//! through the registry as it runs it: `jobs_acme`'s job adds its task,
//! `jobs_globex`'s is refused with `Error::TenantNotActive`. Last, it drops
//! everything it created.
//!
//! ```text
//! cargo run --example jobs
//! ```
//!
//! The administrator URL defaults to
//! `postgres://postgres@127.0.0.1:5432/postgres` (`TENANTRY_ADMIN_URL`), a
//! superuser's; the server must trust local connections (the application
//! role has no password). What has nothing to do with tenantry (the
//! administrator's connection, making and dropping the database and the
//! role) is in `setup/`.

mod setup;
pub mod tasks;

use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use setup::{Result, with_setting};
use tenantry::ops::{NewTenant, Operator, PlacementKind, Reason};
use tenantry::prelude::*;
use tenantry::{Tenant, TenantRecord, TenantRef};
use tokio::sync::mpsc;

use tasks::{NewTask, TENANT, Task};

/// The example's database: the registry, the shared tables, the schema tenant.
const DATABASE: &str = "tenantry_jobs";
/// The application's role.
const APP_ROLE: &str = "tenantry_jobs_app";

/// The tenants: one in the shared tables, one in a schema of its own.
const TENANTS: [(&str, PlacementKind); 2] = [
    ("jobs_acme", PlacementKind::Pool),
    ("jobs_globex", PlacementKind::Schema),
];

/// A job: add a task titled `title` to `tenant`. What a queue holds is its
/// JSON, `{"tenant":"<id>","title":"..."}`.
#[derive(Serialize, Deserialize)]
struct AddTask {
    tenant: TenantRef,
    title: String,
}

/// Application code, in a request: enqueues a job for the request's tenant.
async fn handle_request(tenant: &Tenant, title: &str, queue: &mpsc::Sender<String>) -> Result<()> {
    let job = AddTask {
        tenant: tenant.to_ref(),
        title: title.to_owned(),
    };
    queue.send(serde_json::to_string(&job)?).await?;
    Ok(())
}

/// What running one job came to: a payload that is not a job, or the job's
/// own outcome.
type JobOutcome = std::result::Result<std::result::Result<(), tenantry::Error>, serde_json::Error>;

/// Application code, in the worker: runs the job in `payload`, resuming its
/// tenant through the registry now.
async fn run_job(db: &Tenantry, payload: &str) -> JobOutcome {
    let job: AddTask = serde_json::from_str(payload)?;
    let outcome = async {
        let tenant = db.resume(job.tenant).await?;
        let task = NewTask {
            id: Uuid::new_v4(),
            title: job.title.clone(),
        };
        tenant.insert(task).exec().await?;
        Ok(())
    }
    .await;
    Ok(outcome)
}

#[tokio::main]
async fn main() -> ExitCode {
    let url = setup::admin_url("TENANTRY_ADMIN_URL", 5432);
    setup::exit_status("jobs", run(&url).await)
}

/// Runs the example on the server of `admin_url` (a superuser's URL), and
/// drops what it created whether it succeeds or not. Fails if a job runs
/// for a suspended tenant or a tenant sees another's tasks.
pub async fn run(admin_url: &str) -> Result<()> {
    let admin = setup::connect(admin_url, "TENANTRY_ADMIN_URL").await?;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?; // what an interrupted run left
    let outcome = async {
        setup::create(&admin, DATABASE, APP_ROLE).await?;
        demo(&with_setting(admin_url, "dbname", DATABASE)).await
    }
    .await;
    setup::drop_all(&admin, &[DATABASE], APP_ROLE).await?;
    println!("\ndropped the example's database and role");
    outcome
}

/// The operator's part and the application's, on the database of `url`.
async fn demo(url: &str) -> Result<()> {
    let operator = Operator::new(Config::new(url)?).grant_to(APP_ROLE)?;
    tasks::migrate(&operator).await?;
    let mut records: Vec<TenantRecord> = Vec::new();
    for (slug, placement) in TENANTS {
        records.push(
            operator
                .provision(&NewTenant::new(slug, placement), &TENANT)
                .await?,
        );
        println!("provisioned {slug}");
    }
    let db =
        Tenantry::connect(Config::new(&with_setting(url, "user", APP_ROLE))?.registry()).await?;

    // Requests enqueue their jobs; nothing runs them yet.
    let (queue, mut jobs) = mpsc::channel::<String>(16);
    for record in &records {
        let tenant = db.tenant(record.id).await?;
        handle_request(&tenant, &format!("{}'s report", record.slug), &queue).await?;
    }
    drop(queue);
    println!("enqueued a job for each tenant");
    let (acme, globex) = (&records[0], &records[1]);
    operator
        .suspend(globex.id, &Reason::new("billing", "invoice unpaid"))
        .await?;
    println!("suspended {}", globex.slug);

    // The worker: one task, every job resumed as it runs.
    let worker = tokio::spawn({
        let db = db.clone();
        async move {
            let mut outcomes = Vec::new();
            while let Some(payload) = jobs.recv().await {
                outcomes.push(run_job(&db, &payload).await?);
            }
            Ok::<_, serde_json::Error>(outcomes)
        }
    });
    let outcomes = worker.await??;
    for (record, outcome) in records.iter().zip(&outcomes) {
        match outcome {
            Ok(()) => println!("  {:<12} job ran", record.slug),
            Err(error) => println!("  {:<12} job refused: {error}", record.slug),
        }
    }
    if !matches!(
        outcomes[..],
        [Ok(()), Err(tenantry::Error::TenantNotActive { .. })]
    ) {
        return Err("a job ran for a suspended tenant, or not for an active one".into());
    }
    let titles: Vec<String> = db
        .tenant(acme.id)
        .await?
        .select::<Task>()
        .all()
        .await?
        .into_iter()
        .map(|task| task.title)
        .collect();
    println!("{} sees {titles:?}", acme.slug);
    if titles != [format!("{}'s report", acme.slug)] {
        return Err(format!("{} sees other tenants' tasks", acme.slug).into());
    }
    Ok(())
}
