//! `tenantry migrate`: every target brought up to date, with a progress bar
//! on a terminal, then a summary.

use tenantry_ops::migrate::MigrateOptions;
use tenantry_ops::{Migrations, Operator};
use tenantry_postgres::{Placement, TenantStatus};

use crate::args::{ConnectionArgs, MigrateArgs};
use crate::connection::check_reachable;
use crate::exit::{Fatal, Status};
use crate::migrations;
use crate::progress::Progress;
use crate::render::migration;

/// Migrates every target; `Failure` if any target failed or has an
/// applied migration that was changed since.
pub(crate) async fn run(
    connection: &ConnectionArgs,
    args: &MigrateArgs,
    embedded: Option<Migrations>,
) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    let migrations = migrations::choose(embedded, args.migrations.as_deref())?;
    check_reachable(&connection.servers()?).await?;
    let options = MigrateOptions {
        concurrency: usize::from(args.concurrency),
        dry_run: args.dry_run,
    };
    let progress = Progress::new(if Progress::wanted() {
        estimate_targets(&operator).await
    } else {
        0
    });
    let report = operator
        .migrate_with_progress(&migrations, options, &|line| progress.target_done(line))
        .await;
    progress.finish();
    let report = report.map_err(|error| Fatal::because("the migration run failed", &error))?;
    if args.json {
        migration::print_json(&report, args.dry_run);
    } else {
        print!("{}", migration::summary(&report, args.dry_run));
        for failure in report.failures() {
            eprintln!("error: {}: {}", failure.target, failure.outcome);
        }
        for warning in report.warnings() {
            eprintln!(
                "warning: {}: {}",
                warning.target,
                migration::unknown(warning)
            );
        }
    }
    Ok(Status::failure_if(!report.is_success()))
}

/// About how many targets a run has, for the progress bar: the registry and
/// shared schema, each server's pool tables and template, and every tenant
/// with a schema or database of its own (none before the first run).
async fn estimate_targets(operator: &Operator) -> u64 {
    let tenants = operator.tenants().await.unwrap_or_default();
    let own = tenants
        .iter()
        .filter(|tenant| {
            tenant.status != TenantStatus::Erased && tenant.placement != Placement::Pool
        })
        .count();
    let servers = operator.servers().await.map_or(1, |servers| servers.len());
    (2 + 2 * servers + own) as u64
}
