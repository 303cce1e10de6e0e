//! Running one migration set on many targets with bounded concurrency.
//!
//! Targets are grouped by database. Each database is asked once for the
//! applied versions of all its targets, compared with the set by checksum;
//! a target with an applied migration that changed since is reported as
//! such and left alone; only targets with pending migrations get work, on
//! at most `concurrency` connections at a time. A failing target is
//! reported and the others go on. A server's template
//! database is only connected to under its template lock, which
//! provisioning holds while it copies the template.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::StreamExt;
use futures_util::stream;
use tenantry_query::Identifier;
use tokio_postgres::Client;
use tracing::Instrument;

use super::apply::{Applied, apply_pending, has_version_table, survey_applied};
use super::bootstrap::bootstrap;
use super::{MigrationSet, Outcome, Target, TargetReport};
use crate::Error;
use crate::operator::Operator;
use crate::telemetry;
use crate::template::TemplateLock;

/// How a run behaves.
#[derive(Debug, Clone, Copy)]
pub struct MigrateOptions {
    /// Targets migrated at once (and connections per database).
    pub concurrency: usize,
    /// Report what is pending without applying anything.
    pub dry_run: bool,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            dry_run: false,
        }
    }
}

type DatabaseKey = (String, Option<Identifier>);

/// A database's targets and what each has applied, read from it.
type Surveyed = (Vec<Target>, Result<HashMap<String, Applied>, Error>);

/// Applies `set` to every target, returning one report line per target.
pub(crate) async fn run(
    operator: &Operator,
    set: &MigrationSet,
    targets: Vec<Target>,
    options: MigrateOptions,
    on_done: &(dyn Fn(&TargetReport) + Sync),
) -> Vec<TargetReport> {
    let concurrency = options.concurrency.max(1);
    let mut groups: BTreeMap<DatabaseKey, Vec<Target>> = BTreeMap::new();
    for target in targets {
        groups
            .entry((target.server.clone(), target.database.clone()))
            .or_default()
            .push(target);
    }
    let surveyed: Vec<Surveyed> = stream::iter(groups)
        .map(|(key, targets)| async move {
            let versions = survey(operator, &key, &targets[0], set, options.dry_run).await;
            (targets, versions)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;

    let mut reports = Vec::new();
    let mut work = Vec::new();
    for (targets, versions) in surveyed {
        match versions {
            Err(error) => {
                let error = error.to_string();
                for target in targets {
                    let applied = Applied::default();
                    let outcome = failed(set, &applied.versions, &error);
                    reports.push(finish(on_done, target, outcome, applied));
                }
            }
            Ok(mut versions) => {
                for target in targets {
                    let applied = versions.remove(target.key()).unwrap_or_default();
                    let pending: Vec<i64> = set
                        .pending(&applied.versions)
                        .iter()
                        .map(|m| m.version())
                        .collect();
                    let outcome = if let Some(changed) = applied.changed.first() {
                        Outcome::Changed(changed.clone())
                    } else if pending.is_empty() {
                        Outcome::Current
                    } else if options.dry_run {
                        Outcome::Pending(pending)
                    } else {
                        work.push((target, applied));
                        continue;
                    };
                    reports.push(finish(on_done, target, outcome, applied));
                }
            }
        }
    }
    let grants = operator.grant_roles();
    let applied: Vec<TargetReport> = stream::iter(work)
        .map(|(target, applied)| async move {
            let outcome = migrate_target(operator, &target, set, &applied.versions, grants).await;
            finish(on_done, target, outcome, applied)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    reports.extend(applied);
    reports.sort_by(|a, b| {
        (&a.target.server, &a.target.database, &a.target.schema).cmp(&(
            &b.target.server,
            &b.target.database,
            &b.target.schema,
        ))
    });
    reports
}

/// The report of `target`, which had `applied` before the run, passed to `on_done`.
fn finish(
    on_done: &(dyn Fn(&TargetReport) + Sync),
    target: Target,
    outcome: Outcome,
    applied: Applied,
) -> TargetReport {
    let report = TargetReport::new(target, outcome, applied);
    on_done(&report);
    report
}

/// A target failed before any of its pending migrations (those of `set` not
/// in `applied`) ran: at the first of them.
fn failed(set: &MigrationSet, applied: &HashSet<i64>, error: &str) -> Outcome {
    Outcome::Failed {
        version: set.pending(applied).first().map_or(0, |m| m.version()),
        applied: Vec::new(),
        error: error.to_owned(),
    }
}

/// Runs `work` on a new connection to `database` on `server`, closed
/// afterwards. The template database is connected to only under the server's
/// template lock, released once that connection is closed.
pub(crate) async fn on_database<T>(
    operator: &Operator,
    server: &str,
    database: Option<&Identifier>,
    work: impl AsyncFnOnce(&Client) -> T,
) -> Result<T, Error> {
    let lock = match database {
        Some(database) if database == operator.template() => {
            Some(TemplateLock::acquire(operator.connect(server, None).await?).await?)
        }
        _ => None,
    };
    let client = operator.connect(server, database).await?;
    let outcome = work(&client).await;
    drop(client);
    if let Some(lock) = lock {
        lock.release().await;
    }
    Ok(outcome)
}

/// What every target in one database has applied, compared with `set` (one query).
async fn survey(
    operator: &Operator,
    (server, database): &DatabaseKey,
    sample: &Target,
    set: &MigrationSet,
    dry_run: bool,
) -> Result<HashMap<String, Applied>, Error> {
    on_database(operator, server, database.as_ref(), async |client| {
        if dry_run {
            if !has_version_table(client).await? {
                return Ok(HashMap::new());
            }
        } else {
            bootstrap(client).await?;
        }
        survey_applied(client, sample.set, set, None).await
    })
    .await?
}

/// Migrates one target on a connection of its own, closed afterwards: a run
/// over thousands of tenant databases never holds more than `concurrency`
/// connections.
async fn migrate_target(
    operator: &Operator,
    target: &Target,
    set: &MigrationSet,
    applied: &HashSet<i64>,
    grants: &[Identifier],
) -> Outcome {
    let span = telemetry::migration_target(target);
    let outcome = on_database(
        operator,
        &target.server,
        target.database.as_ref(),
        async |client| apply_pending(client, target, set, applied, grants).await,
    )
    .instrument(span.clone())
    .await;
    if !matches!(outcome, Ok(Ok(_))) {
        telemetry::migration_failed(&span);
    }
    match outcome {
        Err(error) => failed(set, applied, &error.to_string()),
        Ok(Ok(versions)) => Outcome::applied(versions),
        Ok(Err(failure)) => Outcome::Failed {
            version: failure.version,
            applied: failure.applied,
            error: failure.error.to_string(),
        },
    }
}
