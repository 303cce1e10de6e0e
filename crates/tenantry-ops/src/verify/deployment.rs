//! Auditing every database of a deployment, as the operator: each server's
//! own database (the pool's tables, the shared schema, every schema tenant,
//! the registry on the main server), each server's template database (which
//! new database tenants are copied from), and every tenant database in the
//! registry.

use futures_util::{StreamExt, stream};
use tenantry_query::{Identifier, TenantId};

use super::{Finding, VerifyOptions, verify};
use tenantry_postgres::{MAIN_SERVER, Placement, TenantStatus};

use crate::migrate::fan_out::on_database;
use crate::operator::Operator;
use crate::{Error, registry};

/// Databases audited at once (one connection each).
const CONCURRENCY: usize = 8;

/// What an audited database is to tenantry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// A server's own database: the pool's tables, the shared schema, every
    /// schema tenant of the server (and the registry, on the main server).
    Server,
    /// A server's template database, which new database tenants are copied from.
    Template,
    /// A tenant's own database.
    Tenant(TenantId),
}

/// The findings of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFindings {
    /// The server, by configured name.
    pub server: String,
    /// The database.
    pub database: String,
    /// What the database is.
    pub kind: DatabaseKind,
    /// What [`verify`] found there, sorted. Findings about roles, which
    /// belong to the server, are given with the server's own database only.
    pub findings: Vec<Finding>,
}

/// What [`Operator::verify`] found, database by database.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Every audited database: per server, its own then its template, then
    /// the tenant databases.
    pub databases: Vec<DatabaseFindings>,
}

impl VerifyReport {
    /// How many findings there are in all.
    pub fn count(&self) -> usize {
        self.databases
            .iter()
            .map(|database| database.findings.len())
            .sum()
    }

    /// Whether nothing was found anywhere.
    pub fn is_clean(&self) -> bool {
        self.count() == 0
    }
}

/// A database to audit.
struct AuditTarget {
    server: String,
    /// `None`: the server's own.
    database: Option<Identifier>,
    kind: DatabaseKind,
}

impl Operator {
    /// Audits every database of the deployment with [`verify`]: each
    /// server's own database, each server's template database, and every
    /// tenant database in the registry (but those of erased tenants and of
    /// tenants still being provisioned, which are not served). The
    /// application roles are `options.app_roles`, or else the roles given to
    /// [`Operator::grant_to`]. A database that cannot be audited is
    /// [`Error::Verify`].
    pub async fn verify(&self, options: &VerifyOptions) -> Result<VerifyReport, Error> {
        let mut options = options.clone();
        if options.app_roles.is_empty() {
            options.app_roles = self
                .grant_roles()
                .iter()
                .map(|role| role.as_str().to_owned())
                .collect();
        }
        let targets = self.audit_targets().await?;
        let audited: Vec<Result<DatabaseFindings, Error>> = stream::iter(targets)
            .map(|target| self.audit(target, &options))
            .buffered(CONCURRENCY)
            .collect()
            .await;
        Ok(VerifyReport {
            databases: audited.into_iter().collect::<Result<_, _>>()?,
        })
    }

    /// Every database to audit, in report order.
    async fn audit_targets(&self) -> Result<Vec<AuditTarget>, Error> {
        let mut targets = Vec::new();
        for server in self.servers().await? {
            let template = self.template_exists(&server).await?;
            targets.push(AuditTarget {
                server: server.clone(),
                database: None,
                kind: DatabaseKind::Server,
            });
            if template {
                targets.push(AuditTarget {
                    server,
                    database: Some(self.template().clone()),
                    kind: DatabaseKind::Template,
                });
            }
        }
        let main = self.connect(MAIN_SERVER, None).await?;
        if !registry::exists(&main).await? {
            return Ok(targets);
        }
        let mut tenant_databases: Vec<AuditTarget> = registry::list(&main)
            .await?
            .into_iter()
            .filter(|tenant| {
                !matches!(
                    tenant.status,
                    TenantStatus::Erased | TenantStatus::Provisioning
                )
            })
            .filter_map(|tenant| match tenant.placement {
                Placement::Database(database) => Some(AuditTarget {
                    server: tenant.server,
                    database: Some(database),
                    kind: DatabaseKind::Tenant(tenant.id),
                }),
                Placement::Pool | Placement::Schema(_) => None,
            })
            .collect();
        tenant_databases.sort_by(|a, b| (&a.server, &a.database).cmp(&(&b.server, &b.database)));
        targets.extend(tenant_databases);
        Ok(targets)
    }

    /// Audits one database on a connection of its own (the template's under
    /// its lock, as migrating it does, so that no copy of it fails).
    async fn audit(
        &self,
        target: AuditTarget,
        options: &VerifyOptions,
    ) -> Result<DatabaseFindings, Error> {
        let database = match &target.database {
            Some(database) => database.as_str().to_owned(),
            None => self.database_name(&target.server).await?,
        };
        let found = on_database(
            self,
            &target.server,
            target.database.as_ref(),
            async |client| verify(client, options).await,
        )
        .await
        .and_then(|found| found);
        let mut findings = found.map_err(|source| Error::Verify {
            server: target.server.clone(),
            database: database.clone(),
            source: Box::new(source),
        })?;
        if target.kind != DatabaseKind::Server {
            findings.retain(|finding| finding.schema().is_some());
        }
        Ok(DatabaseFindings {
            server: target.server,
            database,
            kind: target.kind,
            findings,
        })
    }
}
